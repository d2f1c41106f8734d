"""Every Python example in the README and the documentation site runs as a test.

A block that defines tests (``def test_`` or a ``Test`` class) runs under pytest with the
plugin. The other blocks of one file run in order, in one namespace, as a script (so a page
can build an example up step by step). A block that only includes a file
(pymdownx.snippets' block form: ``--8<--``, paths, ``--8<--``, which the formatter leaves
alone) is skipped here: the included file is itself a test.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from pathlib import Path

import pytest

import fakeiot

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
FILES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)
TESTS = re.compile(r"^(def test_|Test\w+ = |class Test)", re.M)
INCLUDE = re.compile(r"\A--8<--\n((?:[^\n]+\n)+?)--8<--\n?\Z")


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text(encoding="utf-8"))


def _is_test_module(block: str) -> bool:
    return TESTS.search(block) is not None


def _is_include(block: str) -> bool:
    return INCLUDE.match(block) is not None


PYTEST_BLOCKS = [
    pytest.param(block, id=f"{_name(path)}[{index}]")
    for path in FILES
    for index, block in enumerate(_blocks(path))
    if _is_test_module(block) and not _is_include(block)
]
SCRIPTS = [
    pytest.param(path, id=_name(path))
    for path in FILES
    if any(not _is_test_module(b) and not _is_include(b) for b in _blocks(path))
]


def test_readme_has_examples() -> None:
    assert len(_blocks(ROOT / "README.md")) >= 3


def test_included_files_exist_and_are_tests() -> None:
    """A page's ``--8<--`` includes name files of the repository that a test runs."""
    included = [
        name
        for path in FILES
        for block in _blocks(path)
        for paths in INCLUDE.findall(block)
        for name in paths.split()
    ]
    assert included, "the recipes include their test files"
    for name in included:
        assert (ROOT / name).is_file(), name
        assert name.startswith("tests/"), f"{name}: include only files the suite runs"


@pytest.fixture(scope="module")
def warm() -> None:
    """Import what the examples' runs import, before the first of them: pytester's in-process
    runs drop the modules a run imported when it ends, which would leave fakeiot's lazily
    imported faces half-gone for the next run."""
    importlib.import_module("fakeiot.serve")
    fakeiot.Platform().handle(fakeiot.HttpRequest("GET", "/"))
    # the IoTDA SDK's examples: a second import of its HTTP stack would build a second
    # CookieJar class, which the first one's requests session refuses
    importlib.import_module("huaweicloudsdkiotda.v5")
    importlib.import_module("huaweicloudsdkcore.http.http_client")


@pytest.mark.parametrize("block", PYTEST_BLOCKS)
@pytest.mark.usefixtures("warm")
def test_pytest_example_passes(block: str, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_doc_example=block)
    # in-process: the example runs as in a user's session (the installed plugin, its fixtures),
    # without paying a new interpreter and every pytest plugin's import again
    result = pytester.runpytest("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert set(outcomes) <= {"passed"}, result.stdout.str()


@pytest.mark.parametrize("path", SCRIPTS)
def test_script_examples_run_in_order(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a real module, so a page's dataclasses and type hints resolve as in a user's file
    module = types.ModuleType("doc_example")
    monkeypatch.setitem(sys.modules, "doc_example", module)
    namespace = module.__dict__
    for index, block in enumerate(_blocks(path)):
        if not _is_test_module(block) and not _is_include(block):
            exec(compile(block, f"{_name(path)} block {index}", "exec"), namespace)
