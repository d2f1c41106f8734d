"""What an install of fakeiot gives: entry points, and a wheel with both packages and py.typed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import conftest_plugin
from fakeiot import _cli

ROOT = Path(__file__).resolve().parent.parent


def test_pytest11_entry_point_fakeiot_resolves_to_conftest_plugin() -> None:
    (point,) = entry_points(group="pytest11", name="fakeiot")
    assert point.value == "conftest_plugin"
    assert point.load() is conftest_plugin


def test_console_script_fakeiot_runs_the_cli() -> None:
    (point,) = entry_points(group="console_scripts", name="fakeiot")
    assert point.value == "fakeiot._cli:main"
    assert point.load() is _cli.main


def test_wheel_ships_both_packages_and_py_typed(tmp_path: Path) -> None:
    """Built offline (no build isolation) from a copy, so the work tree gains no build/."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("fakeiot", "conftest_plugin"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    out = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = out.glob("fakeiot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {
        "fakeiot/py.typed",
        "fakeiot/__init__.py",
        "conftest_plugin/__init__.py",
        "fakeiot/_oceanconnect/_face.py",
        "fakeiot/serve/_server.py",
    } <= names
