"""An OpenAPI 3.1 document of every route, generated from the route table (never by hand).

- One operation per path and method. Routes that share them and differ only by a pinned query
  value (EnOS's ``?action=``) are one operation whose query parameter is an enum; a route of
  the same path without the pin answers every other value (and none), so the parameter is then
  optional. Each operation lists its routes in ``x-fakeiot-routes``.
- ``{version}`` is an enum of the versions the routes accept; when routes of one pattern accept
  different versions (EnOS batchCreate is also on v2.0), the pattern is split into one concrete
  path per version, so every request the document allows reaches a route.
- Responses: the route's success status and body type (``@route(status=, media_type=)``), and
  every error of the face's table, rendered through the face's own ``render_error`` for that
  route (so the platform's settings apply: HTTP 200 error rows, OceanConnect's gateway shape,
  the EnOS error profile). Any error of the table can reach any route of its face through
  ``platform.faults``, so every row is a status the route can really answer. Error bodies are
  schemas in ``components`` (required keys and their JSON types); success bodies are any JSON.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._errors import ApiError
from .._schema import Field, json_schema, object_schema, typed_dict_schema

if TYPE_CHECKING:
    from .._face import Face
    from .._platform import Platform
    from .._routes import Route

_PARAM = re.compile(r"\{(\w+)\}")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_ANY_JSON: dict[str, Any] = {"description": "any JSON value"}
_FORM: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
#: fakeiot's own answer when no route serves a request (``Platform.handle``)
NO_ROUTE = "fakeiot.no_such_route"
_NO_ROUTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [],
    "description": "the answer to a request no route serves: under a face's path prefix, that "
    "face's own not-found body (Face.render_not_found, docs/fidelity.md); elsewhere fakeiot's "
    '{"error": "no such route", "detail": ...} listing the nearest routes and every route',
}


@dataclass
class _Answer:
    """What one status of one operation can carry."""

    descriptions: list[str] = field(default_factory=list)
    #: media type -> the schemas the body may match (any of them)
    content: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    empty: bool = False

    def add(self, media_type: str | None, schema: dict[str, Any], description: str) -> None:
        if description not in self.descriptions:
            self.descriptions.append(description)
        if media_type is None:
            self.empty = True
            return
        schemas = self.content.setdefault(media_type, [])
        if schema not in schemas:
            schemas.append(schema)

    def render(self) -> dict[str, Any]:
        errors = [d for d in self.descriptions if d != "success"]
        lines = ["success"] if "success" in self.descriptions else []
        if errors:
            lines.append("errors: " + ", ".join(errors))
        description = "; ".join(lines)
        if self.empty and self.content:
            description += " (the success answer has no body)"
        out: dict[str, Any] = {"description": description}
        if self.content:
            out["content"] = {
                media_type: {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}}
                for media_type, schemas in self.content.items()
            }
        return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


class _ErrorCatalogue:
    """Each face's error rows as rendered on each route, and their body schemas."""

    def __init__(self, faces: dict[str, Face]) -> None:
        self.faces = faces
        #: component name -> {key: set of JSON types}, and examples
        self._shapes: dict[str, dict[str, set[str]]] = {}
        self._examples: dict[str, list[Any]] = {}

    def answers(self, route: Route) -> list[tuple[int, str | None, str, dict[str, Any]]]:
        """``(status, media type or None for no body, description, schema)`` for every error
        of the route's face."""
        face = self.faces[route.face]
        table = getattr(face, "errors", None)
        if table is None:
            return []
        found = []
        for member in table:
            try:
                response = face.render_error(ApiError(member, "what went wrong"), route)
            except (NotImplementedError, TypeError, AttributeError, KeyError, ValueError):
                continue  # a plugin face that renders only some of its rows
            code = getattr(member.value, "code", None) or getattr(member.value, "error", None)
            description = member.name + (f" ({code})" if code is not None else "")
            media_type: str | None = None
            schema: dict[str, Any] = {}
            if response.body:
                content_type = response.headers.get("Content-Type", "")
                media_type = content_type.split(";")[0].strip() or "application/octet-stream"
                if media_type == "application/json":
                    body = json.loads(response.body)
                    schema = {"$ref": "#/components/schemas/" + self._shape(route.face, body)}
            found.append((response.status, media_type, description, schema))
        return found

    def _shape(self, face: str, body: Any) -> str:
        keys = sorted(body) if isinstance(body, dict) else []
        name = f"{face}.error." + (".".join(keys) if keys else _json_type(body))
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
        shape = self._shapes.setdefault(name, {})
        if isinstance(body, dict):
            for key, value in body.items():
                shape.setdefault(key, set()).add(_json_type(value))
        examples = self._examples.setdefault(name, [])
        if body not in examples:
            examples.append(body)
        return name

    def schemas(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in sorted(self._shapes):
            shape = self._shapes[name]
            types = {k: sorted(t) for k, t in shape.items()}
            out[name] = {
                "type": "object",
                "required": sorted(shape),
                "properties": {
                    k: {"type": t[0] if len(t) == 1 else t} for k, t in sorted(types.items())
                },
                "examples": self._examples[name],
            }
        return out


def _summary(route: Route) -> str:
    return route.spec.summary.replace("``", "`")


_Split = tuple[str, list["Route"], "list[str] | None", "str | None"]


def _split_versions(routes: list[Route]) -> list[_Split]:
    """The path keys of one pattern: ``(path, routes, version enum, concrete version)``.

    Routes of one pattern that accept different versions get one concrete path per version.
    """
    pattern = routes[0].pattern
    if "{version}" not in pattern:
        return [(pattern, routes, None, None)]
    sets = {r.spec.versions for r in routes}
    if None in sets:  # some route takes any version: one templated path, no enum
        return [(pattern, routes, None, None)]
    every = sorted(set().union(*(s for s in sets if s is not None)))
    if len(sets) == 1:
        return [(pattern, routes, every, None)]
    return [
        (
            pattern.replace("{version}", version),
            [r for r in routes if r.spec.versions is not None and version in r.spec.versions],
            None,
            version,
        )
        for version in every
    ]


def _operation(
    path: str,
    method: str,
    routes: list[Route],
    versions: list[str] | None,
    concrete: str | None,
    catalogue: _ErrorCatalogue,
    taken: set[str],
) -> dict[str, Any]:
    routes = sorted(routes, key=lambda r: (not r.spec.query, r.spec.query, r.name))
    faces = sorted({r.face for r in routes})
    parameters: list[dict[str, Any]] = []
    declared = _declared_fields(routes)
    for name in _PARAM.findall(path):
        schema: dict[str, Any] = {"type": "string"}
        if name == "version" and versions:
            schema = {"type": "string", "enum": versions}
        elif ("path", name) in declared:
            schema = json_schema(declared["path", name], wire_text=True)
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    pins: dict[str, set[str]] = {}
    for r in routes:
        for key, value in r.spec.query:
            pins.setdefault(key, set()).add(value)
    misses = bool(versions)  # a version outside the enum reaches no route
    for key, values in sorted(pins.items()):
        everyone = all(key in dict(r.spec.query) for r in routes)
        misses = misses or everyone  # so does a value outside a required enum
        parameters.append(
            {
                "name": key,
                "in": "query",
                "required": everyone,
                "description": "selects the route (see x-fakeiot-routes)"
                + ("" if everyone else "; other values and none are answered too"),
                "schema": {"type": "string", "enum": sorted(values)},
            }
        )

    for (where, name), declared_field in sorted(declared.items()):
        if where == "path" or name in pins:
            continue
        required = declared_field.required and all(
            r.schema is not None and declared_field in r.schema.model.fields for r in routes
        )
        parameters.append(
            {
                "name": name,
                "in": where,
                "required": required,
                "schema": json_schema(declared_field, wire_text=True),
            }
        )

    if len(routes) == 1:
        only = routes[0]
        operation_id = only.name if len(only.methods) == 1 else f"{only.name}.{method.lower()}"
        summary, description = _summary(only), None
    else:
        static = [s for s in routes[0].pattern.strip("/").split("/") if not s.startswith("{")]
        slug = static[-1] if static else "root"
        if concrete is not None:
            slug += "." + concrete.replace(".", "_")
        operation_id = f"{faces[0]}.{slug}.{method.lower()}"
        keys = ", ".join(f"?{k}=" for k in sorted(pins))
        summary = f"{len(routes)} routes, chosen by {keys}"
        lines = []
        for r in routes:
            chosen = "&".join(f"{k}={v}" for k, v in r.spec.query) or "any other value, or none"
            lines.append(f"- `{chosen}` (`{r.name}`): {_summary(r)}")
        description = "\n".join(lines)
    base, n = operation_id, 1
    while operation_id in taken:
        n += 1
        operation_id = f"{base}{n}"
    taken.add(operation_id)

    answers: dict[int, _Answer] = {}
    for r in routes:
        spec = r.spec
        success: dict[str, Any] = {"type": "string"} if spec.media_type == "text/html" else {}
        if spec.media_type == "application/json":
            success = typed_dict_schema(r.returns) or dict(_ANY_JSON)
        answers.setdefault(spec.status, _Answer()).add(spec.media_type, success, "success")
        for status, media_type, text, schema in catalogue.answers(r):
            if status == spec.status and spec.media_type is None:
                # a bodiless success and an error body cannot share one status in the document
                # (OceanConnect's few HTTP-200 error rows belong to routes that answer a body)
                continue
            answers.setdefault(status, _Answer()).add(media_type, schema, text)

    if misses:
        answers.setdefault(404, _Answer()).add(
            "application/json",
            {"$ref": f"#/components/schemas/{NO_ROUTE}"},
            "no_such_route (a version or query value outside this document)",
        )

    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": faces,
        "parameters": parameters,
        "responses": {str(s): answers[s].render() for s in sorted(answers)},
        "x-fakeiot-routes": [r.name for r in routes],
    }
    if description:
        operation["description"] = description
    security = _security(routes, catalogue.faces)
    if security is not None:
        operation["security"] = security
    body = request_body(method, routes)
    if body is not None:
        operation["requestBody"] = body
    return operation


def request_body(method: str, routes: list[Route]) -> dict[str, Any] | None:
    """The ``requestBody`` of one operation (``None``: the method takes no body).

    A declared route's body is typed from its schema (unknown members allowed, as the
    platforms ignore them); routes sharing an operation give ``anyOf`` their bodies.
    """
    if method not in _BODY_METHODS:
        return None
    media_types = sorted({r.spec.request_media_type for r in routes})
    bodies: list[dict[str, Any]] = []
    required = bool(routes)
    for r in routes:
        schema = r.schema
        if schema is None or not schema.body:
            required = False
            continue
        typed = object_schema(schema.body)
        if typed not in bodies:
            bodies.append(typed)
        required = required and not schema.empty_body
    content: dict[str, Any] = {}
    for mt in media_types:
        if mt == "application/x-www-form-urlencoded":
            content[mt] = {"schema": _FORM}
        elif bodies and len(bodies) == sum(1 for r in routes if r.schema is not None):
            content[mt] = {"schema": bodies[0] if len(bodies) == 1 else {"anyOf": bodies}}
        else:
            content[mt] = {"schema": {}}
    return {"required": required, "content": content}


def _inline_empty(path: str, routes: list[Route]) -> str:
    """``path`` with each parameter that can only be empty written out as nothing: a route that
    answers the SDK's trailing slash (``tasks/``) declares its last segment ``Literal[""]``,
    which a document can only express as the literal path."""
    for (where, name), declared in _declared_fields(routes).items():
        if where == "path" and declared.choices == ("",):
            path = path.replace("{" + name + "}", "")
    return path


def _declared_fields(routes: list[Route]) -> dict[tuple[str, str], Field]:
    """The path, query and header fields the routes of one operation declare."""
    found: dict[tuple[str, str], Field] = {}
    for r in routes:
        if r.schema is None:
            continue
        for one in (*r.schema.params, *r.schema.query, *r.schema.headers):
            found.setdefault((one.where, one.name), one)
    return found


def _security(routes: list[Route], faces: dict[str, Face]) -> list[dict[str, list[str]]] | None:
    """The operation's ``security``: the schemes its routes' faces declare for their ``auth``."""
    schemes: list[dict[str, list[str]]] = []
    for r in routes:
        declared = getattr(faces[r.face], "security_schemes", {}).get(r.spec.auth or "")
        if not declared:
            return None  # a route of the operation that takes no (declared) credentials
        requirement: dict[str, list[str]] = {name: [] for name in declared}
        if requirement not in schemes:
            schemes.append(requirement)
    return schemes or None


def security_components(faces: dict[str, Face]) -> dict[str, Any]:
    """Every face's security schemes, for ``components.securitySchemes``."""
    out: dict[str, Any] = {}
    for face in faces.values():
        for schemes in getattr(face, "security_schemes", {}).values():
            out.update(schemes)
    return out


def _by_pattern(routes: Iterable[Route]) -> dict[str, list[Route]]:
    grouped: dict[str, list[Route]] = {}
    for r in routes:
        grouped.setdefault(r.pattern, []).append(r)
    return grouped


def document(platform: Platform, control: Face | None = None) -> dict[str, Any]:
    """The OpenAPI document for the routes a server of ``platform`` answers (its faces' and,
    with ``control``, the control API's): one operation per path and method."""
    from ._control import Control, route_table

    control = control if control is not None else Control(platform)
    with platform.lock:
        faces = {**platform.faces, control.name: control}
        table = route_table(platform, control)  # type: ignore[arg-type]
        # what the document depends on: the routes, the faces (and their options) and the
        # settings that reach the error texts; a platform per test asks for the same one often
        key = (
            tuple(r.name for r in table),
            tuple((n, type(f), repr(getattr(f, "options", None))) for n, f in faces.items()),
            repr(platform.settings),
        )
        found = _DOCUMENTS.get(key)
        if found is None:
            # EnOS renders a fresh requestId per error: leave the seeded id sequence untouched
            ids_state = platform.ids.getstate()
            try:
                found = _document(table, faces)
            finally:
                platform.ids.setstate(ids_state)
            if len(_DOCUMENTS) >= 16:
                _DOCUMENTS.clear()
            _DOCUMENTS[key] = found
        return copy.deepcopy(found)


#: documents already generated (their error examples keep the request ids of the first)
_DOCUMENTS: dict[tuple[Any, ...], dict[str, Any]] = {}


def _document(table: Iterable[Route], faces: dict[str, Face]) -> dict[str, Any]:
    catalogue = _ErrorCatalogue(faces)
    paths: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for _, routes in sorted(_by_pattern(table).items()):
        for path, members, versions, concrete in _split_versions(routes):
            path = _inline_empty(path, members)
            methods = sorted({m for r in members for m in r.methods})
            item = paths.setdefault(path, {})
            for method in methods:
                group = [r for r in members if method in r.methods]
                item[method.lower()] = _operation(
                    path, method, group, versions, concrete, catalogue, taken
                )
    tags = [
        {
            "name": name,
            "description": (type(face).__doc__ or name).strip().splitlines()[0].replace("``", "`"),
        }
        for name, face in sorted(faces.items())
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fakeiot",
            "version": "1",
            "description": "The routes this fakeiot platform serves, generated from its route "
            "table: the vendor faces' northbound APIs and the control API under /_fakeiot/.",
        },
        "tags": tags,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {**catalogue.schemas(), NO_ROUTE: _NO_ROUTE_SCHEMA},
            "securitySchemes": security_components(catalogue.faces),
        },
    }
