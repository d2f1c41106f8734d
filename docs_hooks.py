"""MkDocs hooks (``hooks:`` in mkdocs.yml): the reference pages generated from fakeiot itself
at build time (settings, command line, control API), so they cannot go stale."""

from __future__ import annotations

from typing import Any


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    from fakeiot import _docs

    for name, render in _docs.BUILT.items():
        files.append(File.generated(config, name, content=render()))
    return files
