"""The README's examples run as tests: a block with a ``def test_`` runs under pytest with the
plugin, any other Python block is executed as a script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", [i for i, b in enumerate(BLOCKS) if "def test_" in b])
def test_readme_pytest_example_passes(index: int, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_example=BLOCKS[index])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=BLOCKS[index].count("def test_"))


@pytest.mark.parametrize("index", [i for i, b in enumerate(BLOCKS) if "def test_" not in b])
def test_readme_script_example_runs(index: int) -> None:
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {"__name__": "readme"})
