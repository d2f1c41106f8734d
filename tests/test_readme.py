"""The README's examples run as tests: a block that defines tests (``def test_`` or a ``Test``
class) runs under pytest with the plugin, any other Python block is executed as a script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
TESTS = re.compile(r"^(def test_|Test\w+ = |class Test)", re.M)


def _is_test_module(block: str) -> bool:
    return TESTS.search(block) is not None


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", [i for i, b in enumerate(BLOCKS) if _is_test_module(b)])
def test_readme_pytest_example_passes(index: int, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_example=BLOCKS[index])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert set(outcomes) <= {"passed"}, result.stdout.str()


@pytest.mark.parametrize("index", [i for i, b in enumerate(BLOCKS) if not _is_test_module(b)])
def test_readme_script_example_runs(index: int) -> None:
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {"__name__": "readme"})
