"""An OpenAPI 3.1 document of every route, generated from the route table (never by hand)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._platform import Platform

_PARAM = re.compile(r"\{(\w+)\}")


def document(platform: Platform) -> dict[str, Any]:
    """The OpenAPI document for ``platform``'s routes, one path item per pattern."""
    paths: dict[str, dict[str, Any]] = {}
    for route in platform.routes:
        spec = route.spec
        query_pins = dict(spec.query)
        key = spec.pattern + (
            "?" + "&".join(f"{k}={v}" for k, v in spec.query) if spec.query else ""
        )
        item = paths.setdefault(key, {})
        parameters: list[dict[str, Any]] = []
        for name in _PARAM.findall(spec.pattern):
            schema: dict[str, Any] = {"type": "string"}
            if name == "version" and spec.versions:
                schema["enum"] = sorted(spec.versions)
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        for name, value in query_pins.items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "const": value},
                }
            )
        face = platform.face(route.face)
        errors = getattr(face, "errors", None)
        responses: dict[str, Any] = {"2XX": {"description": "success"}}
        if errors is not None:
            statuses = sorted({str(m.value.status) for m in errors if hasattr(m.value, "status")})
            for status in statuses:
                if status not in responses:
                    responses[status] = {"description": f"a {route.face} error (see its table)"}
        for method in spec.methods:
            operation = {
                "operationId": route.name
                if len(spec.methods) == 1
                else f"{route.name}.{method.lower()}",
                "summary": spec.summary,
                "tags": [route.face],
                "parameters": parameters,
                "responses": responses,
            }
            if method in ("POST", "PUT", "PATCH"):
                operation["requestBody"] = {
                    "required": False,
                    "content": {
                        "application/json": {"schema": {}},
                        "application/x-www-form-urlencoded": {"schema": {}},
                    },
                }
            item[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fakeiot",
            "version": "1",
            "description": "The routes this fakeiot platform serves.",
        },
        "paths": dict(sorted(paths.items())),
    }
