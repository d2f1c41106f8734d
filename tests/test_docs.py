from __future__ import annotations

from pathlib import Path

import pytest

from fakeiot import _docs

DOCS = Path(__file__).parent.parent / "docs"


@pytest.mark.parametrize("name", sorted(_docs.PAGES))
def test_generated_page_is_current(name: str) -> None:
    """docs/ pages generated from the route table and lifecycle are up to date."""
    assert (DOCS / name).read_text(encoding="utf-8") == _docs.PAGES[name](), (
        f"docs/{name} is stale: run `python -m fakeiot._docs`"
    )


def test_the_adding_a_face_walkthrough_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The face built in docs/adding-a-face.md is served as the page says."""
    import re
    import sys
    import types

    text = (DOCS / "adding-a-face.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    module = types.ModuleType("walkthrough")
    monkeypatch.setitem(sys.modules, "walkthrough", module)
    for block in blocks:
        exec(compile(block, "docs/adding-a-face.md", "exec"), module.__dict__)
