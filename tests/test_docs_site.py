"""The documentation site: one address configured in mkdocs.yml and used everywhere, every page
in the navigation, and the pages generated at build time complete (the strict build itself
runs in .ci/run: ``mkdocs build --strict``)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import fakeiot
from fakeiot import _cli, _docs

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
MKDOCS = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
SITE = re.search(r"^site_url:\s*(\S+)\s*$", MKDOCS, re.M).group(1)  # type: ignore[union-attr]
NAV = re.findall(r"^\s+- (?:[^:\n]+: )?([\w/.-]+\.md)\s*$", MKDOCS, re.M)


def _page(url: str) -> str:
    """The page source a site URL names (``docs/<path>.md`` or a generated page)."""
    path = url.removeprefix(SITE).split("#")[0].strip("/")
    return f"{path or 'index'}.md"


def test_the_site_url_is_absolute_and_used_by_the_package_metadata_and_the_cli() -> None:
    assert SITE.startswith("https://")
    assert SITE.endswith("/")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    urls = dict(re.findall(r'^"?([\w ]+)"? = "(https://[^"]+)"$', pyproject, re.M))
    assert urls["Documentation"] == SITE
    assert all(url.startswith(SITE) for url in urls.values())
    assert SITE in _cli.EPILOG


def test_readme_links_are_absolute_and_name_pages_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    inline = re.findall(r"\]\(([^)]+)\)|<(https?://[^>]+)>", readme)
    targets = [a or b for a, b in inline] + re.findall(r"^\[[^\]]+\]: (\S+)$", readme, re.M)
    used = set(re.findall(r"\]\[([^\]]+)\]", readme))
    defined = set(re.findall(r"^\[([^\]]+)\]: ", readme, re.M))
    assert used <= defined, f"undefined link references: {used - defined}"
    assert targets, "the README links to the site"
    for target in targets:
        assert target.startswith(SITE), f"{target}: README links go to the site ({SITE})"
        page = _page(target)
        assert (DOCS / page).is_file() or page in _docs.BUILT, f"{target}: no page {page}"


def test_every_page_is_in_the_navigation_and_every_entry_exists() -> None:
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert pages | set(_docs.BUILT) == set(NAV)


def test_the_settings_page_describes_every_field() -> None:
    page = _docs.settings_page()
    for field in dataclasses.fields(fakeiot.Settings):
        assert f"| `{field.name}` |" in page


def test_the_cli_page_shows_every_option() -> None:
    page = _docs.cli_page()
    for option in ("--version", "--port", "--state", "--tls", "--setting", "--manual-clock"):
        assert option in page
    help_text = page.split("```text", 1)[1]
    assert "``" not in help_text.replace("```", "")  # no reStructuredText markup


@pytest.mark.parametrize("path", ["/_fakeiot/api/clock/advance", "/_fakeiot/api/faults"])
def test_the_control_api_page_comes_from_the_openapi_document(path: str) -> None:
    page = _docs.control_api_page()
    assert f"`{path}`" in page
    assert "/iocm/app" not in page  # the vendor APIs have their own pages
