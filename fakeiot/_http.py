"""The two values every transport translates to and from: HttpRequest and HttpResponse."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, final
from urllib.parse import unquote_plus

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


def _not_json(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _compact_encoder() -> Callable[[Any], str]:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, with the C encoder
    built once instead of on every call (``JSONEncoder.encode`` builds one per call: a fifth
    of encoding a device). Values are trees (views, exports): no check for cycles."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has the C encoder
        return json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    encoder = make(
        None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    join = "".join
    return lambda value: join(encoder(value, 0))


#: compact JSON text of a JSON-ready value (every JSON body and stored row is made with it)
dumps_compact = _compact_encoder()
_encode = dumps_compact
_REASONS = {status.value: status.phrase for status in HTTPStatus}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_strict(body: bytes) -> Any:
    """Parse JSON the way a strict server does: UTF-8 only, no ``NaN``/``Infinity``.

    Lone surrogates (``"\\ud800"``) still parse; :func:`is_encodable` tells them apart.
    Raises ``ValueError`` (or ``RecursionError`` for absurd nesting).
    """
    return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)


def is_encodable(text: str) -> bool:
    """Whether ``text`` can go back on the wire as UTF-8 (no lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_query(query: str, *, first_wins: bool = False) -> dict[str, str]:
    """Parse a query string the lenient way real clients need.

    Huawei's Python SDK hand-builds query strings: ``?&pageNo=0``, and raw URLs inside values.
    Items are split on ``&``, empty items are skipped, and each splits on its first ``=``.
    A repeated key keeps its last value, or its first with ``first_wins`` (OceanConnect's
    rule, spec A.1: the SDK repeats ``deviceId`` in the desired-history URL).
    """
    params: dict[str, str] = {}
    if not query:
        return params
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        key = unquote_plus(key)
        if first_wins and key in params:
            continue
        params[key] = unquote_plus(value)
    return params


def _split_url(url: str) -> tuple[str, str, str, str]:
    """(scheme, host, path, query) of an absolute URL or of a path with a query string."""
    scheme, host, rest = "https", "", url
    # only a URL that does not start with a path has a scheme: a query value may hold
    # a raw URL (``?callbackUrl=https://...``, spec §1.5)
    if not url.startswith("/") and "://" in url.partition("?")[0]:
        scheme, _, rest = url.partition("://")
        host, slash, rest = rest.partition("/")
        rest = slash + rest
    rest, _, _fragment = rest.partition("#")
    path, _, query = rest.partition("?")
    return scheme, host, path, query


@final
class HttpRequest:
    """An HTTP request as the platform sees it, whatever transport carried it."""

    __slots__ = ("_query", "body", "headers", "host", "method", "path", "query_string", "scheme")

    def __init__(
        self,
        method: str,
        path: str,
        *,
        query_string: str = "",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        host: str = "",
        scheme: str = "https",
    ) -> None:
        self.method = method.upper()
        self.path = path or "/"
        self.query_string = query_string
        items = headers.items() if isinstance(headers, Mapping) else headers
        self.headers: dict[str, str] = {k.lower(): v for k, v in items}
        self.body = body
        self.host = host
        self.scheme = scheme
        self._query: dict[str, str] | None = None

    @classmethod
    def from_url(
        cls,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes | str | None = None,
    ) -> HttpRequest:
        """Build a request from an absolute URL or a path with an optional query string."""
        scheme, host, path, query = _split_url(url)
        if isinstance(body, str):
            body = body.encode("utf-8")
        return cls(
            method,
            path,
            query_string=query,
            headers=headers,
            body=body or b"",
            host=host,
            scheme=scheme,
        )

    @classmethod
    def _from_client(
        cls, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> HttpRequest:
        """:meth:`from_url` for a transport whose client normalised the request already: an
        upper-case method and lower-case header names (``requests``' prepared requests). It
        skips normalising them again: this runs on every intercepted call."""
        scheme, host, path, query = _split_url(url)
        request = cls.__new__(cls)
        request.method = method
        request.path = path or "/"
        request.query_string = query
        request.headers = headers
        request.body = body
        request.host = host
        request.scheme = scheme
        request._query = None
        return request

    @property
    def query(self) -> dict[str, str]:
        """The query parameters, parsed leniently (see :func:`parse_query`)."""
        if self._query is None:
            self._query = parse_query(self.query_string)
        return self._query

    def keep_first_values(self) -> None:
        """Read a repeated query key as its first value from now on (a face's rule)."""
        self._query = parse_query(self.query_string, first_wins=True)

    @property
    def target(self) -> str:
        """The path with its query string, as it appears on the request line."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    def __repr__(self) -> str:
        return f"<HttpRequest {self.method} {self.target}>"


@final
class HttpResponse:
    """An HTTP response from the platform. ``route`` names the route that answered, if any."""

    __slots__ = ("body", "detail", "fault", "headers", "injected", "latency", "route", "status")

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        route: str | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers if headers is not None else {}
        self.route = route
        #: an injected transport fault the transport must act out: "drop" or "timeout"
        self.fault: str | None = None
        #: injected latency in seconds of virtual time (a client timeout below it times out)
        self.latency = 0.0
        #: what an injected fault did to this call, for ``platform.calls`` (``None``: nothing)
        self.injected: str | None = None
        #: why an error answer was given (which field, and why): never on the wire
        self.detail: str | None = None

    @classmethod
    def json(cls, status: int, payload: Any, route: str | None = None) -> HttpResponse:
        body = _encode(payload).encode("utf-8")
        return cls(status, body, {"Content-Type": JSON_CONTENT_TYPE}, route)

    @property
    def reason(self) -> str:
        return _REASONS.get(self.status, "")

    def json_body(self) -> Any:
        """The body decoded as JSON (``None`` for an empty body)."""
        return json.loads(self.body) if self.body else None

    def __repr__(self) -> str:
        return f"<HttpResponse {self.status} {self.body[:80]!r}>"
