"""Declaring a route's input: the public names of :mod:`fakeiot._schema`.

A face (built-in or third-party) declares each route's input as a frozen dataclass that
subclasses :class:`Request`, with every field annotated by where it comes from::

    from dataclasses import dataclass
    from typing import Annotated

    from fakeiot.schema import Request, body, path


    @dataclass(frozen=True, slots=True)
    class RenameSensor(Request):
        sensor_id: Annotated[str, path(name="sensorId")]
        label: Annotated[str, body(min_len=1, max_len=64)]

The same declaration validates requests (with the face's vendor error per field and per kind
of violation), types the OpenAPI document, and generates the input of ``fakeiot.strategies``.
"""

from __future__ import annotations

from ._schema import (
    MAX_INT,
    VIOLATIONS,
    Field,
    Model,
    Request,
    Schema,
    Spec,
    body,
    header,
    path,
    query,
    schema_of,
)

__all__ = [
    "MAX_INT",
    "VIOLATIONS",
    "Field",
    "Model",
    "Request",
    "Schema",
    "Spec",
    "body",
    "header",
    "path",
    "query",
    "schema_of",
]
