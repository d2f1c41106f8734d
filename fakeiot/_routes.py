"""One route table per platform, filled from methods marked with :func:`route`.

The decorator only marks a face's methods; nothing is registered at import time, so two
platforms never share a table. What a route is (its pattern, schema, segments) is worked out
once per face class and shared; its handler is bound to the platform's face on first use.
Dispatch, the "no such route" answer (which lists the routes that do exist and the nearest
ones), ``docs/endpoints.md`` and the OpenAPI list all come from here.
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, final
from urllib.parse import unquote

from ._errors import UsageError
from ._http import HttpRequest, HttpResponse
from ._schema import Request, Schema, schema_of

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__fakeiot_routes__"


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """What :func:`route` records on a method before it is bound to a face."""

    methods: tuple[str, ...]
    pattern: str
    name: str
    versions: frozenset[str] | None
    query: tuple[tuple[str, str], ...]
    summary: str
    errors: tuple[str, ...]
    #: the HTTP status of a successful answer (for the OpenAPI document only)
    status: int = 200
    #: the success body's media type; ``None``: the success answer has no body
    media_type: str | None = "application/json"
    #: the media type of the request body that POST/PUT/PATCH calls carry
    request_media_type: str = "application/json"
    #: the face's authentication scheme this route needs (``None``: none)
    auth: str | None = None
    #: the route's input class (a :class:`~fakeiot._schema.Request`); ``None``: inferred from
    #: the handler's last parameter, or a raw ``(request, params)`` handler
    request: type | None = None
    #: the path with one trailing ``/`` is this route too, before any other match
    trailing_slash: bool = False


def route(
    methods: str | Iterable[str],
    pattern: str,
    *,
    name: str = "",
    versions: Iterable[str] | None = None,
    query: dict[str, str] | None = None,
    errors: Iterable[str] = (),
    status: int = 200,
    media_type: str | None = "application/json",
    request_media_type: str = "application/json",
    auth: str | None = None,
    request: type | None = None,
    trailing_slash: bool = False,
) -> Callable[[F], F]:
    """Mark a face method as the handler of ``methods`` on ``pattern``.

    ``pattern`` is a path whose ``{name}`` segments are captured; ``{version}`` only matches the
    ``versions`` given. ``query`` pins query parameters (EnOS routes on ``?action=``).
    ``name`` defaults to ``face.method_name`` (a leading underscore dropped: handlers are
    private, their routes are not). ``auth`` names the face's authentication scheme,
    applied before the handler; its result is the handler's first argument. The handler's last
    parameter is annotated with the route's :class:`~fakeiot._schema.Request` class: it receives
    the parsed, validated input and returns data, which the face renders (an
    :class:`HttpResponse` is passed through as it is).
    The method's docstring's first line becomes the route's summary. ``status``,
    ``media_type`` (``None``: no body) and ``request_media_type`` describe the success answer
    and the request body for the OpenAPI document; they never affect matching.
    ``trailing_slash``: the path followed by one ``/`` is served by this route too, before a
    route whose last ``{name}`` would capture the empty segment.
    """
    method_tuple = (methods,) if isinstance(methods, str) else tuple(methods)

    def mark(func: F) -> F:
        doc = inspect.getdoc(func) or ""
        spec = RouteSpec(
            methods=tuple(m.upper() for m in method_tuple),
            pattern=pattern,
            name=name,
            versions=frozenset(versions) if versions is not None else None,
            query=tuple(sorted((query or {}).items())),
            summary=doc.splitlines()[0] if doc else "",
            errors=tuple(errors),
            status=status,
            media_type=media_type,
            request_media_type=request_media_type,
            auth=auth,
            request=request,
            trailing_slash=trailing_slash,
        )
        marks = list(getattr(func, _MARK, ()))
        marks.append(spec)
        setattr(func, _MARK, marks)
        return func

    return mark


_MARKED: dict[type, list[tuple[str, RouteSpec]]] = {}


def _marked(cls: type) -> list[tuple[str, RouteSpec]]:
    """The ``@route`` marks of a face class, found once per class (they never change)."""
    found = _MARKED.get(cls)
    if found is None:
        found = [
            (attr, spec)
            for attr in dir(cls)
            for spec in getattr(getattr(cls, attr, None), _MARK, ())
        ]
        _MARKED[cls] = found
    return found


Handler = Callable[[HttpRequest, dict[str, str]], HttpResponse]


@final
@dataclass(frozen=True, slots=True)
class Route:
    """A route of a face: the same object for every platform (:meth:`RouteTable.handler`
    binds it to one platform's face)."""

    spec: RouteSpec
    face: str
    #: the face method that serves it
    attr: str
    segments: tuple[str, ...] = field(repr=False)
    #: the compiled input schema of a declared route (``None``: a raw handler)
    schema: Schema | None = field(default=None, repr=False)
    #: the declared success body type (a ``TypedDict``), for the OpenAPI document
    returns: Any = field(default=None, repr=False)
    #: ``(index, text)`` of the literal segments after the first, last first: the most telling
    #: comparisons come first, and a miss costs no parameter dict
    literals: tuple[tuple[int, str], ...] = field(init=False, repr=False, compare=False)
    #: ``(index, name)`` of the ``{name}`` segments
    params: tuple[tuple[int, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        numbered = list(enumerate(self.segments))
        literals = tuple((i, s) for i, s in reversed(numbered) if i and s[:1] != "{")
        params = tuple((i, s[1:-1]) for i, s in numbered if s[:1] == "{")
        object.__setattr__(self, "literals", literals)
        object.__setattr__(self, "params", params)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def methods(self) -> tuple[str, ...]:
        return self.spec.methods

    @property
    def pattern(self) -> str:
        return self.spec.pattern

    def describe(self) -> str:
        query = "".join(f"?{k}={v}" for k, v in self.spec.query)
        return f"{'|'.join(self.methods)} {self.pattern}{query}"

    def match_path(self, parts: list[str]) -> dict[str, str] | None:
        """The path parameters if ``parts`` (as many as the pattern's segments, the first
        equal) match this route's pattern, else ``None``."""
        for index, text in self.literals:
            if parts[index] != text:
                return None
        params: dict[str, str] = {}
        versions = self.spec.versions
        for index, key in self.params:
            got = parts[index]
            if key == "version" and versions is not None and got not in versions:
                return None
            params[key] = got
        return params


def _declared(func: Callable[..., Any], spec: RouteSpec) -> tuple[type[Request] | None, Any]:
    """The input class of a declared handler (its last parameter's type) and its return type."""
    hints = typing.get_type_hints(func)
    returns = hints.pop("return", None)
    if spec.request is not None:
        return spec.request, returns
    params = list(inspect.signature(func).parameters)[1:]
    if not params:
        return None, returns
    last = hints.get(params[-1])
    if isinstance(last, type) and issubclass(last, Request):
        return last, returns
    return None, returns


_ROUTES: dict[tuple[type, str], tuple[tuple[Route, ...], tuple[str, ...]]] = {}


def _face_routes(cls: type, face_name: str) -> tuple[tuple[Route, ...], tuple[str, ...]]:
    """The routes of a face class under ``face_name`` and the path prefixes it owns: worked
    out once per class (type hints, signatures and schemas cost milliseconds; a platform is
    made per test)."""
    found = _ROUTES.get((cls, face_name))
    if found is not None:
        return found
    marked = _marked(cls)
    routes = []
    for attr, spec in marked:
        if not spec.name:
            spec = replace(spec, name=f"{face_name}.{attr.lstrip('_')}")
        request_cls, returns = _declared(getattr(cls, attr), spec)
        schema = schema_of(request_cls) if request_cls is not None else None
        routes.append(Route(spec, face_name, attr, _split(spec.pattern), schema, returns))
    prefixes = getattr(cls, "prefixes", None)
    if prefixes is None:
        prefixes = tuple(
            dict.fromkeys(
                "/" + spec.pattern.strip("/").split("/")[0] + "/"
                for _attr, spec in marked
                if "/" in spec.pattern.strip("/")
            )
        )
    found = _ROUTES[(cls, face_name)] = (tuple(routes), tuple(prefixes))
    return found


def _split(pattern: str) -> tuple[str, ...]:
    return tuple(pattern.strip("/").split("/"))


def _serve(
    face: Any, method: Callable[..., Any], spec: RouteSpec, schema: Schema
) -> Callable[[HttpRequest, dict[str, str]], HttpResponse]:
    """A ``(request, params)`` handler around a declared one: authenticate, parse, call, render."""
    scheme = spec.auth
    authenticate = face.authenticate
    render = face.render
    invalid = face.invalid
    coerce, strict_media = face.coerce, face.strict_media
    parse = schema.parse
    name = spec.name

    if scheme is None:

        def serve(request: HttpRequest, params: dict[str, str]) -> HttpResponse:
            result = method(parse(request, params, invalid, coerce, strict_media))
            if isinstance(result, HttpResponse):
                return result
            return render(name, spec, result)  # type: ignore[no-any-return]

    else:

        def serve(request: HttpRequest, params: dict[str, str]) -> HttpResponse:
            principal = authenticate(scheme, request)
            result = method(principal, parse(request, params, invalid, coerce, strict_media))
            if isinstance(result, HttpResponse):
                return result
            return render(name, spec, result)  # type: ignore[no-any-return]

    return serve


@final
class RouteTable:
    """All routes of one platform, indexed by segment count and first segment."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._index: dict[tuple[int, str], list[Route]] = {}
        #: (path prefix, face), longest prefix first: which face owns a path no route matches
        self._prefixes: list[tuple[str, str]] = []
        #: the face objects by name, and the handlers bound so far, by route name
        self._faces: dict[str, Any] = {}
        self._handlers: dict[str, Handler] = {}

    def add_face(self, face_name: str, face: Any) -> list[Route]:
        """Add every :func:`route`-marked method of ``face`` to the table.

        The face's ``prefixes`` (its class attribute) say which paths it owns; a face that
        declares none owns ``/first-segment/`` of each of its routes.
        """
        routes, prefixes = _face_routes(type(face), face_name)
        self._faces[face_name] = face
        self._prefixes.extend((prefix, face_name) for prefix in prefixes)
        self._prefixes.sort(key=lambda item: -len(item[0]))
        for found in routes:
            self._insert(found)
        return list(routes)

    def handler(self, route: Route) -> Handler:
        """``route``'s ``(request, params)`` handler on this table's face, bound on first use."""
        found = self._handlers.get(route.spec.name)
        if found is None:
            face = self._faces[route.face]
            method = getattr(face, route.attr)
            found = (
                method if route.schema is None else _serve(face, method, route.spec, route.schema)
            )
            self._handlers[route.spec.name] = found
        return found

    def owner(self, path: str) -> str | None:
        """The face whose path prefix ``path`` is under, or ``None`` (no face owns it)."""
        for prefix, face_name in self._prefixes:
            if path.startswith(prefix):
                return face_name
        return None

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Every face's path prefixes, longest first."""
        return tuple(prefix for prefix, _face in self._prefixes)

    def merge(self, other: RouteTable) -> None:
        """Add every route of ``other``, served as ``other`` serves it."""
        for found in other:
            self._insert(found)
        self._faces.update(other._faces)
        self._prefixes.extend(other._prefixes)
        self._prefixes.sort(key=lambda item: -len(item[0]))

    def _insert(self, new: Route) -> None:
        spec = new.spec
        if spec.name in self._routes:
            raise UsageError(f"a route named {spec.name!r} is already registered")
        self._routes[spec.name] = new
        segments = new.segments
        bucket = self._index.setdefault((len(segments), segments[0]), [])
        # routes pinned to query values (EnOS's ?action=) are tried before the unpinned ones
        # of the same path, which then only see what no pin matched
        if spec.query:
            at = next((i for i, r in enumerate(bucket) if not r.spec.query), len(bucket))
            bucket.insert(at, new)
        else:
            bucket.append(new)

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes.values())

    def __len__(self) -> int:
        return len(self._routes)

    def get(self, name: str) -> Route:
        found = self._routes.get(name)
        if found is None:
            raise UsageError(f"no route named {name!r}; routes: {', '.join(self._routes)}")
        return found

    def match(
        self, request: HttpRequest, stripped: str | None = None
    ) -> tuple[Route, dict[str, str]] | None:
        """The route that serves ``request`` and its path parameters, or ``None``.

        A path ending in ``/`` is first tried without it (``stripped``) against the routes
        declared ``trailing_slash`` only (OceanConnect's spec A.1 routing rule)."""
        if stripped is None:
            path = request.path
            if path[-1] == "/" and len(path) > 1:
                found = self.match(request, path[:-1])
                if found is not None:
                    return found
        else:
            path = stripped
        parts = path[1:].split("/")  # as _segments, inlined: this runs on every request
        if "%" in path:
            parts = _segments(path)
        candidates = self._index.get((len(parts), parts[0]))
        if not candidates:
            return None
        for candidate in candidates:
            spec = candidate.spec
            if request.method not in spec.methods or (
                stripped is not None and not spec.trailing_slash
            ):
                continue
            if spec.query:
                query = request.query
                if any(query.get(k) != v for k, v in spec.query):
                    continue
            params = candidate.match_path(parts)
            if params is not None:
                return candidate, params
        return None

    def explain_miss(self, request: HttpRequest) -> str:
        """Why nothing matched ``request``: why each route of the same path shape refused it,
        the nearest routes and every route that exists."""
        wanted = f"{request.method} {request.path}"
        described = [r.describe() for r in self._routes.values()]
        near = difflib.get_close_matches(wanted, described, n=3, cutoff=0.5)
        lines = [f"fakeiot has no route for {request.method} {request.target}."]
        parts = _segments(request.path)
        reasons = [
            reason
            for candidate in self._index.get((len(parts), parts[0]), ())
            if (reason := _refusal(candidate, request, parts)) is not None
        ]
        if reasons:
            lines.append("Why not: " + "; ".join(reasons) + ".")
        if near:
            lines.append("Nearest routes: " + "; ".join(near) + ".")
        lines.append("Routes: " + "; ".join(described) + ".")
        return " ".join(lines)

    def markdown(self) -> str:
        """A table of every route, for ``docs/endpoints.md``."""
        rows = ["| face | method | path | name | summary |", "|---|---|---|---|---|"]
        for r in sorted(self._routes.values(), key=lambda r: (r.face, r.pattern, r.spec.query)):
            query = "".join(f"?{k}={v}" for k, v in r.spec.query)
            versions = ", ".join(sorted(r.spec.versions)) if r.spec.versions else "any"
            path = f"`{r.pattern}{query}`" + (f" ({versions})" if "{version}" in r.pattern else "")
            rows.append(
                f"| {r.face} | {' '.join(r.methods)} | {path} | `{r.name}` "
                f"| {r.spec.summary.replace('``', '`')} |"
            )
        return "\n".join(rows) + "\n"


def _segments(path: str) -> list[str]:
    """The path's segments, each percent-decoded once, as a servlet container decodes them.

    Only the leading slash goes: ".../deviceCredentials/" ends in an empty segment, which an id
    parameter captures as "" (the vendor answers 100007, not "no route").
    """
    parts = path[1:].split("/")
    if "%" in path:
        return [unquote(part) if "%" in part else part for part in parts]
    return parts


def _refusal(route: Route, request: HttpRequest, parts: list[str]) -> str | None:
    """Why ``route``, whose literal segments ``parts`` match, refused ``request`` (or ``None``
    if its literal segments differ: it is not a near miss)."""
    versions = route.spec.versions
    pairs = list(zip(route.segments, parts, strict=True))
    if any(want[:1] != "{" and want != got for want, got in pairs):
        return None
    for want, got in pairs:
        if want == "{version}" and versions is not None and got not in versions:
            return f"{route.name} takes versions {', '.join(sorted(versions))}, not {got!r}"
    if request.method not in route.methods:
        return f"{route.name} takes {'|'.join(route.methods)}, not {request.method}"
    query = request.query
    for key, value in route.spec.query:
        if query.get(key) != value:
            return f"{route.name} needs ?{key}={value}, got {query.get(key)!r}"
    return None
