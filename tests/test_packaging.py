"""What an install of fakeiot gives: entry points; an sdist and a wheel built from a copy of the
source, the wheel installed into a fresh venv and smoke-tested, and the sdist's own tests
collected in its unpacked tree."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import conftest_plugin
from fakeiot import _cli

ROOT = Path(__file__).resolve().parent.parent
#: what a work tree holds that a build must not see
JUNK = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "__pycache__",
    "build",
    "dist",
    "site",
    "*.egg-info",
    ".*_cache",
    ".hypothesis",
)
#: the test suite's support files, which the sdist must ship for its tests to run
SUPPORT = [
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/oc.py",
    "tests/enos.py",
    "tests/budgets.py",
    "tests/browser.py",
    "tests/strategies_oc.py",
    "tests/recipes/__init__.py",
    "tests/recipes/huawei_sdk_conftest.py",
    "docs/index.md",
    "docs/fidelity.md",
    "mkdocs.yml",
    "docs_hooks.py",
    "LICENSE",
    "README.md",
]


def _run(*argv: str | Path, cwd: Path | None = None, **env: str) -> str:
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env},
    )
    assert done.returncode == 0, f"{argv}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist, and a wheel built from that sdist, offline (no build isolation), from a copy
    of the work tree (so it gains no build/)."""
    base = tmp_path_factory.mktemp("packaging")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=JUNK)
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", base / "dist", source)
    return base / "dist"


def test_pytest11_entry_point_fakeiot_resolves_to_conftest_plugin() -> None:
    (point,) = entry_points(group="pytest11", name="fakeiot")
    assert point.value == "conftest_plugin"
    assert point.load() is conftest_plugin


def test_console_script_fakeiot_runs_the_cli() -> None:
    (point,) = entry_points(group="console_scripts", name="fakeiot")
    assert point.value == "fakeiot._cli:main"
    assert point.load() is _cli.main


def test_wheel_ships_the_packages_the_licence_and_the_metadata(dist: Path) -> None:
    (wheel,) = dist.glob("fakeiot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (metadata_name,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(metadata_name))
    assert {
        "fakeiot/py.typed",
        "fakeiot/__init__.py",
        "conftest_plugin/__init__.py",
        "fakeiot/_oceanconnect/_face.py",
        "fakeiot/serve/_server.py",
    } <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith("tests/") for n in names)
    assert metadata["License-Expression"] == "MIT"
    assert "Documentation, https://" in metadata.get_all("Project-URL", [])[0]
    assert {"httpx", "tls", "enos", "hypothesis", "all", "test", "docs", "dev"} <= set(
        metadata.get_all("Provides-Extra", [])
    )
    assert "Framework :: Pytest" in metadata.get_all("Classifier", [])


def test_the_wheel_works_in_a_fresh_venv(dist: Path, tmp_path: Path) -> None:
    """Installed with pip into a venv of its own; its dependencies (and pytest) come from this
    environment's site-packages through a .pth line, so nothing is downloaded."""
    (wheel,) = dist.glob("fakeiot-*.whl")
    fresh = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel)
    site = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    )
    (site / "zz_borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")

    where = _run(
        python, "-c", "import fakeiot, conftest_plugin; print(fakeiot.__file__)", cwd=tmp_path
    )
    assert where.startswith(str(site)), where
    assert _run(fresh / "bin" / "fakeiot", "--version", cwd=tmp_path) == "fakeiot 0.1.0\n"
    (tmp_path / "test_smoke.py").write_text(
        "import requests\n\n"
        "def test_login(fakeiot, fakeiot_app):\n"
        "    answer = requests.post(\n"
        "        'https://iot.example:8743/iocm/app/sec/v1.1.0/login',\n"
        "        data={'appId': fakeiot_app.app_id, 'secret': fakeiot_app.secret},\n"
        "    )\n"
        "    assert answer.json()['expiresIn'] == 3600\n"
    )
    out = _run(
        python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:schemathesis",
        tmp_path / "test_smoke.py", cwd=tmp_path,
    )  # fmt: skip
    assert "1 passed" in out


def test_the_sdist_ships_its_tests_and_they_collect(dist: Path, tmp_path: Path) -> None:
    (sdist,) = dist.glob("fakeiot-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    (tree,) = tmp_path.iterdir()
    for name in SUPPORT:
        assert (tree / name).is_file(), f"the sdist lacks {name}"
    # --assert=plain: collecting needs no assertion rewriting, which is 6 of its 13 s here
    out = _run(
        sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider",
        "--assert=plain", cwd=tree,
    )  # fmt: skip
    for test_file in sorted((tree / "tests").rglob("test_*.py")):
        assert str(test_file.relative_to(tree)) in out, f"{test_file.name} collected nothing"
    assert " error" not in out
