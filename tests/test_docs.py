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
