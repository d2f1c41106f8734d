"""Hypothesis strategies for bad (and valid-but-edgy) input to the OceanConnect northbound routes.

Not a test module: ``tests/test_fuzz.py`` drives these against ``Platform.handle``.

The vocabulary:

- :class:`Known` holds the credentials and ids of the fuzz world (built with a fixed seed and a
  manual clock, so they are the same in every example); strategies pick from it so that bad
  input gets past authentication and reaches the validation it is meant to break.
- :data:`ROUTES` describes every OceanConnect route: its body kind, its documented body fields
  and query parameters (spec §3-§4), and whether the API gateway checks credentials on it.
- :func:`catalogue` lists, for one field, one bad value of each kind (every wrong JSON type, one
  past each limit, lone surrogates, near misses); the table test sends every one of them.
- :func:`probes` draws a list of :class:`Probe` requests aimed at one route: the first always
  reaches the route; the rest may use a wrong method or a deformed path. A probe spoils one
  part of the request (its "focus": body, query, headers or path) or all of them.
- :func:`valid_register_body` draws registrations the platform must accept.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from hypothesis import strategies as st

import fakeiot
from fakeiot import schema
from fakeiot._routes import Route

MAX_INT = 2_147_483_647
HEX = "0123456789abcdefABCDEF"
PLAIN = "abcdefghijklmnopqrstuvwxyz0123456789-_:."

Kind = Literal["str", "int", "bool", "hex", "enum", "object", "list", "time", "url"]
#: what the probe's credentials must make the gateway answer, whatever else is wrong with it
Expect = Literal["APP_KEY_MISSING", "TOKEN_INVALID"] | None


# =============================================================================================
# The fuzz world's known values
# =============================================================================================
@dataclass(frozen=True)
class Known:
    """Credentials and ids of the fuzz world; the same in every example (seeded, manual clock)."""

    app_id: str
    secret: str
    token: str
    refresh_token: str
    #: authorised to act for ``app_id`` with ``?appId=``
    other_app_id: str
    other_secret: str
    other_token: str
    other_refresh_token: str
    #: logged in, then frozen
    frozen_app_id: str
    frozen_secret: str
    frozen_token: str
    frozen_refresh_token: str
    #: devices in every state, of ``app_id`` unless noted (see ``test_fuzz.build_world``)
    device_ids: tuple[str, ...]
    node_ids: tuple[str, ...]
    verify_codes: tuple[str, ...]
    #: a subscription of ``app_id``, one of ``other_app_id``, one deleted
    subscription_ids: tuple[str, ...]
    callback_urls: tuple[str, ...]

    @property
    def app_ids(self) -> tuple[str, ...]:
        return (self.app_id, self.other_app_id, self.frozen_app_id)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.secret, self.other_secret, self.frozen_secret)

    @property
    def tokens(self) -> tuple[str, ...]:
        return (self.token, self.other_token, self.frozen_token)

    @property
    def refresh_tokens(self) -> tuple[str, ...]:
        return (self.refresh_token, self.other_refresh_token, self.frozen_refresh_token)

    def values(self, name: str) -> tuple[str, ...]:
        values: tuple[str, ...] = getattr(self, name)
        return values

    def secrets_of(self, app_id: str) -> tuple[str, str, str] | None:
        """(secret, access token, refresh token) of a known application."""
        for index, known in enumerate(self.app_ids):
            if known == app_id:
                return self.secrets[index], self.tokens[index], self.refresh_tokens[index]
        return None


# =============================================================================================
# Route descriptions
# =============================================================================================
@dataclass(frozen=True)
class Field:
    """A documented body field or query parameter and its limits (spec §4)."""

    name: str
    kind: Kind = "str"
    required: bool = False
    min_len: int = 0
    max_len: int = 256
    low: int = 0
    high: int = MAX_INT
    choices: tuple[str, ...] = ()
    children: tuple[Field, ...] = ()
    #: a :class:`Known` attribute whose values are plausible picks (nodeIds, tokens, ...)
    known: str = ""


@dataclass(frozen=True)
class RouteFuzz:
    """How to fuzz one route."""

    #: "json" object body, "form" urlencoded body (login), or "none" (ignored, e.g. GET)
    body: Literal["json", "form", "none"]
    fields: tuple[Field, ...] = ()
    query: tuple[Field, ...] = ()
    #: the API gateway checks app_key and the access token before anything else
    authenticated: bool = True


#: body and query fields whose plausible values are the fuzz world's known ids and secrets
_KNOWN = {
    "nodeId": "node_ids",
    "verifyCode": "verify_codes",
    "appId": "app_ids",
    "secret": "secrets",
    "refreshToken": "refresh_tokens",
    "accessToken": "tokens",
    "gatewayId": "device_ids",
    "callbackUrl": "callback_urls",
}
_APP_ID = Field("appId", known="app_ids")
#: a description for a route with no declared schema: generic garbage only
_UNKNOWN_ROUTE = RouteFuzz("json")
_KINDS: dict[str, Kind] = {
    "int": "int",
    "number": "int",
    "bool": "bool",
    "object": "object",
    "list": "list",
}


def _field(declared: schema.Field) -> Field:
    """The fuzz description of one declared field (the route's schema is the only source)."""
    spec = declared.spec
    kind: Kind = _KINDS.get(declared.kind, "str")
    max_len = spec.max_len if spec.max_len is not None else 256
    if declared.choices:
        kind = "enum"
    elif spec.pattern == r"[A-Fa-f0-9]+":
        kind = "hex"
    elif spec.check is not None and isinstance(spec.example, str):
        kind = "url" if "://" in spec.example else "time"
        max_len = spec.max_len if spec.max_len is not None else 1024
    children = declared.model.fields if declared.model is not None else ()
    return Field(
        declared.name,
        kind,
        required=declared.required,
        min_len=spec.min_len or 0,
        max_len=max_len,
        low=int(spec.low) if spec.low is not None else 0,
        high=int(spec.high) if spec.high is not None else MAX_INT,
        choices=tuple(str(c) for c in declared.choices),
        children=tuple(_field(c) for c in children),
        known=_KNOWN.get(declared.name, ""),
    )


def describe(route: Route) -> RouteFuzz:
    """How to fuzz ``route``, read from its declared schema and authentication."""
    declared = route.schema
    if declared is None:
        return _UNKNOWN_ROUTE
    body: Literal["json", "form", "none"] = "none"
    if declared.body:
        body = "form" if declared.media == "form" else "json"
    query = tuple(_field(f) for f in declared.query)
    if route.spec.auth == "app" and all(f.name != "appId" for f in query):
        query = (_APP_ID, *query)  # the "app" scheme reads ?appId= itself
    return RouteFuzz(
        body,
        tuple(_field(f) for f in declared.body),
        query,
        authenticated=route.spec.auth is not None,
    )


#: every OceanConnect route, by route name, described from its schema.
ROUTES: dict[str, RouteFuzz] = {
    route.name: describe(route)
    for route in fakeiot.Platform().routes
    if route.face == "oceanconnect"
}

_REGISTER = ROUTES["oceanconnect.register_device"].fields
_DEVICE_INFO = next(f for f in _REGISTER if f.name == "deviceInfo").children


def fuzz_of(route_name: str) -> RouteFuzz:
    return ROUTES.get(route_name, _UNKNOWN_ROUTE)


# =============================================================================================
# JSON text, including what Python's json module will not write
# =============================================================================================
@dataclass(frozen=True)
class Raw:
    """JSON text spliced in verbatim: integers of 5000 digits, ``1e400``, bare ``NaN``, ..."""

    text: str


def dump(value: Any, *, ascii_only: bool = True) -> str:
    """``value`` as JSON text; NaN and infinities as Python's json module reads them."""
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=ascii_only)
    if isinstance(value, list | tuple):
        return "[" + ",".join(dump(item, ascii_only=ascii_only) for item in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                f"{dump(str(k), ascii_only=ascii_only)}:{dump(v, ascii_only=ascii_only)}"
                for k, v in value.items()
            )
            + "}"
        )
    raise TypeError(f"cannot write {value!r} as JSON")


def encode(text: str, how: int = 0) -> bytes:
    """JSON text as body bytes: UTF-8 (lone surrogates as CESU bytes), with a BOM, or UTF-16."""
    if how == 1:
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if how == 2:
        return text.encode("utf-16", "surrogatepass")
    return text.encode("utf-8", "surrogatepass")


@st.composite
def json_bytes(draw: st.DrawFn, value: st.SearchStrategy[Any]) -> bytes:
    text = dump(draw(value), ascii_only=draw(st.booleans()))
    return encode(text, draw(st.sampled_from((0, 0, 0, 1, 2))))


# =============================================================================================
# Values
# =============================================================================================
#: characters that break naive code: controls, NUL, bidi overrides, BOM, astral, combining
_NASTY_CHARS = (
    "\x00\x01\x1f\x7f\n\r\t\"\\'/%&=+?#\u0085\u00a0\u200b\u202e\ufeff\uffff\U0001f600\u0301"
)
#: strings with lone surrogates: legal JSON escapes, not Unicode, not encodable as UTF-8
SURROGATES = ("\ud800", "\udfff", "a\udc00b", "\ud83d", "x" * 10 + "\udbff")

json_scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
#: JSON values a strict parser reads too: no NaN or infinities
standard_json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@functools.cache
def nasty_text(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Unicode text leaning on control characters, bidi marks, astral characters."""
    return st.text(
        st.one_of(st.characters(codec="utf-8"), st.sampled_from(_NASTY_CHARS)),
        min_size=min_size,
        max_size=max_size,
    )


def _stretch(seed: str, length: int) -> str:
    return (seed * (length // len(seed) + 1))[:length]


@functools.cache
def long_text(min_size: int, max_size: int = 5000) -> st.SearchStrategy[str]:
    """Text of ``min_size``..``max_size`` characters (a short drawn seed repeated: fast)."""
    return st.builds(
        _stretch,
        st.one_of(st.just("x"), st.sampled_from(_NASTY_CHARS), nasty_text(min_size=1, max_size=6)),
        st.integers(min_size, max(min_size, max_size)),
    )


_HUGE_NUMBERS = (
    Raw("9" * 20),
    Raw("-" + "9" * 20),
    Raw("9" * 4300),
    Raw("9" * 4301),
    Raw("1" * 10_000),
    Raw("1e400"),
    Raw("-1e400"),
    Raw("1E2"),
    Raw("-0"),
    Raw("0.0"),
    Raw("1.0"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
)
#: strings that look like numbers or booleans to a lenient parser
NUMBERISH = (
    "",
    " ",
    "0",
    "1",
    "-1",
    "--1",
    "+1",
    " 1",
    "1 ",
    "1.0",
    "1e3",
    "0x10",
    "1_000",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "null",
    "true",
    "TRUE",
    "false",
    "\u0663",
    "\uff11\uff12",
    "\u00b2",
    "9" * 13,
    "2147483648",
    "-2147483649",
    "99999999999999999999",
)


@functools.cache
def wrong_type(kind: Kind) -> st.SearchStrategy[Any]:
    """A JSON value of any type but ``kind`` (``null`` excluded: it means absent)."""
    return st.one_of(wrong_types(kind))


@functools.cache
def wrong_types(kind: Kind) -> tuple[st.SearchStrategy[Any], ...]:
    """One strategy per JSON type that is not ``kind``."""
    strings = st.one_of(st.sampled_from(NUMBERISH), nasty_text())
    integers = st.one_of(st.integers(-(2**40), 2**40), st.sampled_from(_HUGE_NUMBERS))
    floats = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True), st.sampled_from((180.0, 0.0, -0.0, 1.5))
    )
    lists = st.lists(json_values, max_size=3)
    objects = st.dictionaries(st.text(max_size=6), json_values, max_size=3)
    options: dict[str, st.SearchStrategy[Any]] = {
        "str": strings,
        "int": integers,
        "float": floats,
        "bool": st.booleans(),
        "list": lists,
        "object": objects,
    }
    keep = {
        "str": ("str",),
        "hex": ("str",),
        "enum": ("str",),
        "time": ("str",),
        "url": ("str",),
        "int": ("int",),
        "bool": ("bool",),
        "list": ("list",),
        "object": ("object",),
    }[kind]
    return tuple(strategy for name, strategy in options.items() if name not in keep)


@functools.cache
def valid_value(field: Field, known: Known) -> st.SearchStrategy[Any]:
    """A value the route should accept for ``field`` (known ids mixed in where they fit)."""
    base: st.SearchStrategy[Any]
    if field.kind == "str":
        base = st.text(PLAIN, min_size=max(field.min_len, 1), max_size=min(field.max_len, 24))
    elif field.kind == "int":
        base = st.integers(field.low, field.high)
    elif field.kind == "bool":
        base = st.booleans()
    elif field.kind == "hex":
        base = st.text(HEX, min_size=field.min_len, max_size=field.max_len)
    elif field.kind == "enum":
        base = st.sampled_from(field.choices)
    elif field.kind == "object":
        base = st.fixed_dictionaries(
            {}, optional={child.name: valid_value(child, known) for child in field.children}
        )
    elif field.kind == "list":
        base = st.lists(json_scalars, max_size=3)
    elif field.kind == "url":
        base = st.builds(
            "{}://{}:{}/{}".format,
            st.sampled_from(("http", "https", "HTTPS")),
            st.sampled_from(("127.0.0.1", "localhost", "[::1]", "example.invalid")),
            st.integers(1, 65535),
            st.text(PLAIN, max_size=20),
        )
    else:
        base = st.sampled_from(("20200603T061659Z", "20260101T000000Z", "19700101T000000Z"))
    if field.known:
        return st.one_of(st.sampled_from(known.values(field.known)), base)
    return base


#: one wrong-typed value of each JSON type, per documented kind (``null`` means absent: not bad)
_WRONG_TYPES: dict[str, tuple[Any, ...]] = {
    "string": (0, -1, 1.5, True, False, [], ["x"], {}, {"a": 1}, Raw("9" * 4301), Raw("NaN")),
    "int": (
        "180",
        "",
        "--1",
        "-",
        "+1",
        " 1",
        "0x10",
        "1e3",
        "\u0663",
        "9" * 13,
        "NaN",
        "Infinity",
        180.0,
        1.5,
        Raw("NaN"),
        Raw("-Infinity"),
        Raw("1e400"),
        Raw("1E2"),
        True,
        False,
        [],
        [1],
        {},
        {"a": 1},
    ),
    "bool": ("true", "TRUE", "", "1", 0, 1, 1.0, Raw("NaN"), [], [True], {}),
    "list": ("x", "", "[]", 0, 1.5, True, {}, {"a": 1}),
    "object": ("x", "", "{}", 0, 1.5, True, [], [{"a": 1}]),
}
_STRING_KINDS = ("str", "hex", "enum", "time", "url")


def catalogue(field: Field) -> tuple[Any, ...]:
    """One bad value of each kind for ``field``: wrong JSON types, one past each limit,
    lone surrogates and control characters (which a field may accept, but must not choke on),
    and the kind's own near misses. Deterministic: the table test sends every one."""
    kind = field.kind
    out: list[Any] = list(_WRONG_TYPES["string" if kind in _STRING_KINDS else kind])
    if kind in _STRING_KINDS:
        over = field.max_len + 1
        out += [
            "x" * over,
            "\u00e9" * over,
            "\U0001f600" * over,
            *SURROGATES,
            "\x00",
            "\u202e\ufeff",
        ]
        if field.min_len > 0:
            out.append("a" * (field.min_len - 1))
    if kind == "int":
        out += [field.low - 1, field.high + 1, -(2**63), 2**64, Raw("9" * 4301)]
    elif kind == "hex":
        out += ["zzzzzzzz", "0x123456", "12345678 ", "\uff11" * 8, "a" * (field.max_len + 1)]
    elif kind == "enum":
        out += [c.lower() for c in field.choices if c.lower() != c]
        out += [f" {field.choices[0]}", "*", "ALL", "null"]
    elif kind == "url":
        out += list(BAD_URLS)
    elif kind == "time":
        out += list(BAD_TIMES)
    elif kind == "object":
        for child in field.children:
            out += [{child.name: value} for value in catalogue(child)[:4]]
    return tuple(value for value in out if not (kind == "enum" and value in field.choices))


@functools.cache
def bad_value(field: Field, known: Known) -> st.SearchStrategy[Any]:
    """A value outside ``field``'s documented type or limits (or a nasty one inside them)."""
    # each class of wrongness about equally likely: the catalogue, each wrong JSON type, ...
    options: list[st.SearchStrategy[Any]] = [
        st.sampled_from(catalogue(field)),
        st.sampled_from(catalogue(field)),
        *wrong_types(field.kind),
    ]
    if field.kind in _STRING_KINDS:
        options.append(long_text(field.max_len + 1))
        options.append(nasty_text(max_size=min(field.max_len, 40)))
    if field.kind == "int":
        options.append(
            st.one_of(
                st.integers(min_value=-(10**30), max_value=field.low - 1),
                st.integers(min_value=field.high + 1, max_value=10**30),
            )
        )
    elif field.kind == "hex":
        options.append(st.text(HEX, min_size=field.max_len + 1, max_size=200))
        options.append(st.text(HEX, max_size=field.min_len - 1))
    elif field.kind == "enum":
        options.append(nasty_text(max_size=12).filter(lambda value: value not in field.choices))
    elif field.kind == "object" and field.children:
        options.append(bad_object(field.children, known))
    elif field.kind == "time":
        options.append(nasty_text(max_size=20))
    elif field.kind == "url":
        options.append(st.builds("https://host:443/{}".format, long_text(1024)))
    return st.one_of(options)


BAD_URLS = (
    "",
    "http://",
    "https://host/cb",
    "ftp://host:21/cb",
    "http://[::1:80/cb",
    "http://host:99999/cb",
    "http://host:-1/cb",
    "http://host:port/cb",
    "https://:443/cb",
    "//host:443/cb",
    "javascript:alert(1)",
    "http://h\u00e9st:80/\u00e9",
    "https://127.0.0.1:443/\ud800",
    "https://1.2.3.4:443/cb?x=1&notifyType=bindDevice",
)
BAD_TIMES = (
    "2020-06-03T06:16:59Z",
    "20200603T061659",
    "20201301T000000Z",
    "00000101T000000Z",
    "20200230T000000Z",
    "20200603T256199Z",
    "\uff12\uff10\uff12\uff10" + "0603T061659Z",
    "99991231T235959Z",
    "now",
)


@functools.cache
def unknown_keys(
    fields: Sequence[Field], values: st.SearchStrategy[Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Keys the route does not document (SDK-style extras and junk), with any JSON values."""
    names = {field.name for field in fields}
    values = json_values if values is None else values
    keys = st.one_of(
        st.sampled_from(("appId", "account", "groupId", "deviceId", "extra", "", "NODEID")),
        nasty_text(max_size=10),
    )
    return st.dictionaries(keys, values, max_size=3).map(
        lambda extra: {k: v for k, v in extra.items() if k not in names}
    )


@st.composite
def bad_object(draw: st.DrawFn, fields: Sequence[Field], known: Known) -> dict[str, Any]:
    """A JSON object from ``fields`` with at least one field missing, mistyped or too long."""
    body: dict[str, Any] = {}
    for field in fields:
        if field.required or draw(st.booleans()):
            body[field.name] = draw(st.one_of(valid_value(field, known), st.none()))
    if draw(st.booleans()):
        body.update(draw(unknown_keys(fields)))
    if not fields:
        return body
    count = draw(st.sampled_from((1, 1, 1, 2, 3)))
    targets = draw(
        st.lists(
            st.sampled_from(list(fields)), min_size=1, max_size=count, unique_by=lambda f: f.name
        )
    )
    for field in targets:
        if field.required and draw(st.booleans()):
            missing = draw(st.sampled_from(("absent", "null", "empty")))
            if missing == "absent":
                body.pop(field.name, None)
            else:
                body[field.name] = None if missing == "null" else ""
        else:
            body[field.name] = draw(bad_value(field, known))
    return body


def deep_json(depth: int, kind: int) -> str:
    if kind == 0:
        return "[" * depth + "]" * depth
    if kind == 1:
        return '{"a":' * depth + "1" + "}" * depth
    if kind == 2:
        return '{"nodeId":"deep","deviceInfo":' + '{"a":' * depth + "1" + "}" * depth + "}"
    return "[" * depth  # unterminated


deep_bodies = st.builds(
    lambda depth, kind: deep_json(depth, kind).encode(),
    st.sampled_from((50, 900, 990, 1001, 3000, 100_000)),
    st.integers(0, 3),
)

#: bodies that are not a JSON object, or not JSON, or not text
GARBAGE_BODIES = (
    b"",
    b" \r\n\t",
    b"{",
    b"}",
    b"[]",
    b"null",
    b'"x"',
    b"0",
    b'{"nodeId":',
    b'{"nodeId": "x",}',
    b"{'nodeId': 'x'}",
    b'{"a":1}{"b":2}',
    b'{"nodeId":"\xff\xfe"}',
    b'{"nodeId":"\xed\xa0\x80"}',
    b"\xef\xbb\xbf",
    b"\xff\xfe\x00\x00",
    b"\x00" * 8,
    b"appId=x&secret=y",
    b"nodeId=861234567890123",
    b"<xml/>",
    '{"nodeId": "\u00e9"}'.encode("latin-1"),
    '{"nodeId": "x"}'.encode("utf-32"),
    *(deep_json(depth, kind).encode() for depth in (990, 1001, 100_000) for kind in range(4)),
)
garbage_bodies: st.SearchStrategy[bytes] = st.one_of(
    st.binary(max_size=200), st.sampled_from(GARBAGE_BODIES)
)


@functools.cache
def json_body(fields: Sequence[Field], known: Known) -> st.SearchStrategy[bytes]:
    """A bad body for a route taking a JSON object."""
    spoiled = json_bytes(bad_object(fields, known))
    return st.one_of(
        *[spoiled] * 6,
        json_bytes(json_values.filter(lambda value: not isinstance(value, dict))),
        garbage_bodies,
        deep_bodies,
        json_bytes(unknown_keys(fields)),
    )


# =============================================================================================
# Login form bodies
# =============================================================================================
_PERCENT = (
    "%",
    "%%",
    "%g1",
    "%2",
    "%ED%A0%80",
    "%FF%FE",
    "%00",
    "%2F",
    "%26",
    "%3D",
    "+",
    "%u0041",
)


def form_quote(text: str, how: int) -> str:
    """Percent-encoded (lone surrogates as their CESU-8 bytes), partly, or raw; never with a
    lone surrogate left in the text (no transport can deliver one)."""
    data = text.encode("utf-8", "surrogatepass")
    if how == 0:
        return quote(data, safe="")
    if how == 1:
        return quote(data, safe="&=%+ ")
    return data.decode("utf-8", "replace")  # raw: '&' and '=' in the value split it


@st.composite
def form_body(draw: st.DrawFn, known: Known) -> bytes:
    """A login form (``appId=..&secret=..``) with missing, empty, wrong or garbled parts."""
    items: list[str] = []
    app_id = draw(
        st.one_of(st.sampled_from(known.app_ids), nasty_text(max_size=30), long_text(257))
    )
    pairs: list[tuple[str, str]] = []
    if draw(st.integers(0, 4)):
        key = draw(st.sampled_from(("appId", "appid", "APPID", "app_id", "appId ", "")))
        pairs.append((key, app_id))
    if draw(st.integers(0, 4)):
        key = draw(st.sampled_from(("secret", "Secret", "SECRET", "secret[]", "")))
        found = known.secrets_of(app_id)
        wrong = st.one_of(st.sampled_from(known.secrets), nasty_text(max_size=30), long_text(257))
        secret = draw(st.sampled_from((found[0], "")) if found and draw(st.booleans()) else wrong)
        pairs.append((key, secret))
    for key, value in pairs:
        how = draw(st.integers(0, 2))
        items.append(f"{form_quote(key, how)}={form_quote(value, how)}")
    for _ in range(draw(st.integers(0, 3))):
        items.append(
            draw(
                st.one_of(
                    st.sampled_from(_PERCENT),
                    st.sampled_from(("", "=", "==", "&", "appId", "secret=", "=x")),
                    nasty_text(max_size=10),
                )
            )
        )
    order = draw(st.permutations(items)) if items else []
    text = "&".join(order)
    return text.encode("utf-8", draw(st.sampled_from(("surrogatepass", "replace"))))


@functools.cache
def login_body(known: Known) -> st.SearchStrategy[bytes]:
    return st.one_of(form_body(known), form_body(known), garbage_bodies, deep_bodies)


def base_body(route_name: str, known: Known, callback_url: str) -> dict[str, Any] | None:
    """A body the route accepts in the fuzz world (None: the route takes no body)."""
    return {
        "oceanconnect.login": {"appId": known.app_id, "secret": known.secret},
        "oceanconnect.refresh_token": {
            "appId": known.app_id,
            "secret": known.secret,
            "refreshToken": known.refresh_token,
        },
        "oceanconnect.logout": {"accessToken": "not-a-token"},
        "oceanconnect.register_device": {"nodeId": "fuzz-new"},
        "oceanconnect.refresh_device_key": {},
        "oceanconnect.modify_device": {},
        "oceanconnect.subscribe": {"notifyType": "deviceInfoChanged", "callbackUrl": callback_url},
        "oceanconnect.subscribe_management": {
            "notifyType": "swUpgradeResultNotify",
            "callbackurl": callback_url,
        },
    }.get(route_name)


def form_text(body: dict[str, Any]) -> str:
    """A dict as a login form, every value percent-encoded."""
    return "&".join(f"{form_quote(k, 0)}={form_quote(query_text(v), 0)}" for k, v in body.items())


def render_body(route_name: str, body: dict[str, Any]) -> bytes:
    if fuzz_of(route_name).body == "form":
        return form_text(body).encode()
    return dump(body).encode("utf-8", "surrogatepass")


def known_bodies(route_name: str, known: Known) -> tuple[dict[str, Any], ...]:
    """Well-formed bodies that a route must still refuse in the fuzz world (or may accept):
    a frozen application's refresh, registered nodeIds and verify codes, subscriptions that
    exist already. The table test sends each; the fuzzer mixes them in."""
    if route_name == "oceanconnect.refresh_token":
        triples = zip(known.app_ids, known.secrets, known.refresh_tokens, strict=True)
        bodies = [{"appId": a, "secret": s, "refreshToken": r} for a, s, r in triples]
        bodies.append({"appId": known.app_id, "secret": known.secret, "refreshToken": known.token})
        return tuple(bodies)
    if route_name == "oceanconnect.logout":
        return tuple({"accessToken": token} for token in known.tokens + known.refresh_tokens)
    if route_name == "oceanconnect.register_device":
        return tuple({"nodeId": node_id} for node_id in known.node_ids) + tuple(
            {"nodeId": "fuzz-fresh", "verifyCode": code.upper()} for code in known.verify_codes
        )
    if route_name in ("oceanconnect.refresh_device_key", "oceanconnect.modify_device"):
        return (
            {"nodeId": known.node_ids[0]},
            {"verifyCode": known.verify_codes[0]},
            {"verifyCode": known.verify_codes[0].upper(), "timeout": 0},
            {},
        )
    if route_name == "oceanconnect.subscribe":
        return tuple(
            {"notifyType": kind, "callbackUrl": url}
            for kind in ("deviceAdded", "bindDevice")
            for url in known.callback_urls
        )
    return ()


@functools.cache
def body_for(route: RouteFuzz, known: Known) -> st.SearchStrategy[bytes]:
    if route.body == "form":
        return login_body(known)
    if route.body == "json":
        return json_body(route.fields, known)
    # GET/DELETE: the body is ignored, but must not break anything either
    return st.one_of(st.just(b""), st.just(b""), garbage_bodies, deep_bodies)


# =============================================================================================
# Query strings
# =============================================================================================
def query_text(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return dump(value)


def base_query(route_name: str) -> dict[str, str]:
    """A query the route accepts (the batch device query needs a page number)."""
    return {"pageNo": "0"} if route_name == "oceanconnect.query_devices" else {}


@st.composite
def query_string(
    draw: st.DrawFn, params: Sequence[Field], known: Known, base: tuple[tuple[str, str], ...] = ()
) -> str:
    """A query string: ``base`` with documented parameters made bad (mostly) or good,
    ``appId`` variants, junk items, stray ``&``, ``=`` and percent signs."""
    items = [f"{key}={value}" for key, value in base]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from((0, 1, 1, 1, 2, 3, 4)))
        if params and kind <= 1:
            field = draw(st.sampled_from(list(params)))
            value = draw(valid_value(field, known) if kind == 0 else bad_value(field, known))
            text = query_text(value)
            how = draw(st.integers(0, 2))
            items.append(f"{field.name}={form_quote(text, how)}")
        elif kind == 2:
            app_id = draw(
                st.one_of(
                    st.sampled_from(known.app_ids),
                    st.sampled_from(("", "null", " ", "%20")),
                    nasty_text(max_size=20),
                    long_text(257),
                )
            )
            items.append(f"appId={form_quote(app_id, draw(st.integers(0, 2)))}")
        elif kind == 3:
            key = draw(st.one_of(nasty_text(max_size=8), st.sampled_from(("pageNo", "appId"))))
            value = draw(st.one_of(nasty_text(max_size=12), st.sampled_from(NUMBERISH)))
            how = draw(st.integers(0, 2))
            items.append(f"{form_quote(key, how)}={form_quote(value, how)}")
        else:
            items.append(
                draw(st.one_of(st.sampled_from(_PERCENT), st.sampled_from(("", "=", "&", "?"))))
            )
    items = draw(st.permutations(items))
    if draw(st.booleans()):
        items.insert(0, "")  # the Python SDK's "?&pageNo=0"
    return "&".join(items)


# =============================================================================================
# Headers
# =============================================================================================
_CONTENT_TYPES = (
    "application/json",
    "application/json;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "text/plain",
    "",
    "\u00e9",
)


def _junk_headers() -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(
        st.sampled_from(("X-Junk", "Accept", "Host", "Cookie", "X-\u00e9", "Content-Length")),
        nasty_text(max_size=20),
        max_size=2,
    )


@st.composite
def headers(draw: st.DrawFn, known: Known) -> tuple[Expect, dict[str, str]]:
    """Headers and the gateway error they must get: good ones (two apps), no app_key, a bad
    or foreign token, or anything at all."""
    choice = draw(st.integers(0, 9))
    out: dict[str, str] = {}
    if draw(st.booleans()):
        out["Content-Type"] = draw(st.sampled_from(_CONTENT_TYPES))
    out.update(draw(_junk_headers()))
    expect: Expect = None
    if choice <= 5:  # a logged-in application, sent in one of the accepted spellings
        app_id, token = draw(
            st.sampled_from(((known.app_id, known.token), (known.other_app_id, known.other_token)))
        )
        out[draw(st.sampled_from(("app_key", "x-app-key", "App_Key")))] = app_id
        style = draw(st.integers(0, 3))
        if style == 3:
            out["access_token"] = token
        else:
            out["Authorization"] = ("Bearer ", "bearer ", "Bearer   ")[style] + token
    elif choice <= 7:  # an app_key with a token that is not its own
        app_id = draw(
            st.one_of(
                st.sampled_from(known.app_ids),
                nasty_text(min_size=1, max_size=30).filter(lambda s: s.strip() != ""),
            )
        )
        found = known.secrets_of(app_id)
        own = found[1] if found else None
        token = draw(
            st.one_of(
                st.sampled_from(known.tokens + known.refresh_tokens),
                st.text(HEX, max_size=40),
                nasty_text(max_size=40),
                long_text(257),
            ).filter(lambda t: t.strip() != own)
        )
        out[draw(st.sampled_from(("app_key", "x-app-key")))] = app_id
        style = draw(st.integers(0, 4))
        if style == 0:
            out["Authorization"] = f"Bearer {token}"
        elif style == 1:
            out["Authorization"] = draw(
                st.sampled_from(("Basic x", "Bearer", "Bearer ", "", "Token abc", "\u00e9"))
            )
        elif style == 2:
            out["Authorization"] = f"Basic {token}"
        elif style == 3:
            out["access_token"] = token
        # style 4: no token at all
        expect = "TOKEN_INVALID"
    elif choice == 8:  # no app_key (or an empty one): the token does not matter
        if draw(st.booleans()):
            out[draw(st.sampled_from(("app_key", "x-app-key")))] = ""
        if draw(st.booleans()):
            out["Authorization"] = f"Bearer {draw(st.sampled_from(known.tokens))}"
        expect = "APP_KEY_MISSING"
    else:  # anything: the response just has to be a documented one
        out.update(
            draw(
                st.dictionaries(
                    st.sampled_from(("app_key", "x-app-key", "Authorization", "access_token")),
                    st.one_of(
                        st.sampled_from(known.app_ids + known.tokens),
                        st.sampled_from(known.tokens).map(lambda t: f"Bearer {t}"),
                        nasty_text(max_size=30),
                    ),
                    max_size=4,
                )
            )
        )
    return expect, out


# =============================================================================================
# Paths and probes
# =============================================================================================
@dataclass(frozen=True)
class Target:
    """What the strategies need to know of a route (a short repr for Hypothesis reports)."""

    name: str
    methods: tuple[str, ...]
    pattern: str
    versions: tuple[str, ...]
    #: query parameters the route is pinned to (EnOS style ``?action=``)
    pinned: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, route: Route) -> Target:
        versions = tuple(sorted(route.spec.versions or ()))
        return cls(route.name, route.methods, route.pattern, versions, route.spec.query)


#: path segments that are no id (never empty and never with a slash: those miss the route)
BAD_IDS = ("..", ".", "%2F", "%2e%2e", "null", "undefined", " ", "%00", "\x00", "{deviceId}", "*")


@functools.cache
def id_segment(real_ids: Sequence[str], near: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """A non-empty path segment for an id: real ids (devices of every state, foreign, deleted)
    most often, else near misses and junk."""
    real = st.sampled_from(list(real_ids))
    return st.one_of(
        real,
        real,
        real,
        real.map(str.upper),
        real.map(lambda s: s + " "),
        st.sampled_from(list(near) or ["x"]),
        st.sampled_from(BAD_IDS),
        nasty_text(min_size=1, max_size=64),
        long_text(257),
    ).filter(lambda s: s != "" and "/" not in s)


def _segment(name: str, route: Target, known: Known, real: bool) -> st.SearchStrategy[str]:
    if name == "version":
        return st.sampled_from(route.versions or ("v1.1.0",))
    if name == "deviceId":
        ids, near = known.device_ids, known.node_ids
    elif name == "subscriptionId":
        ids, near = known.subscription_ids, known.device_ids
    else:
        ids, near = ("x",), ()
    return st.sampled_from(ids) if real else id_segment(ids, near)


@st.composite
def route_path(draw: st.DrawFn, route: Target, known: Known, *, real_ids: bool = False) -> str:
    """A path that matches ``route``'s pattern (with ids of the world's own, if ``real_ids``)."""
    parts = []
    for part in route.pattern.split("/"):
        if part.startswith("{") and part.endswith("}"):
            parts.append(draw(_segment(part[1:-1], route, known, real_ids)))
        else:
            parts.append(part)
    return "/".join(parts)


@st.composite
def deformed_path(draw: st.DrawFn, route: Target, known: Known) -> str:
    """The route's path with a bad version, a missing, empty or extra segment, or a slash."""
    path = draw(route_path(route, known))
    parts = path.split("/")
    how = draw(st.integers(0, 7))
    if how == 0 and "{version}" in route.pattern:
        index = route.pattern.split("/").index("{version}")
        parts[index] = draw(
            st.sampled_from(("v0.0.0", "V1.1.0", "", "v1.1.0 ", "latest", "..", "v2.0.0"))
        )
    elif how == 1:
        parts.append("")  # trailing slash
    elif how == 2:
        parts.append(draw(st.sampled_from(("extra", "..", "%2F", "devices"))))
    elif how == 3 and len(parts) > 2:
        parts.pop()
    elif how == 4 and route.pattern.endswith("}"):  # the id: empty, or with a slash
        parts[-1] = draw(st.sampled_from(("", "a/b", "../x", "/")))
    elif how == 5:
        parts.insert(1, "")  # double slash after the root
    elif how == 6:
        parts = [p.upper() for p in parts]
    else:
        return draw(st.sampled_from(("", "/", "/iocm", "/iocm/app", "//", "/iocm/app/x/v1/y")))
    return "/".join(parts)


_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT")


@dataclass(frozen=True)
class Probe:
    """One request to send. ``aim``: the route it must reach (None: any route, or none)."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    aim: str | None
    expect: Expect

    def request(self) -> fakeiot.HttpRequest:
        return fakeiot.HttpRequest(
            self.method, self.path, query_string=self.query, headers=self.headers, body=self.body
        )


#: what a probe spoils; the rest of the request is kept good so the spoiled part is what the
#: route has to judge (most bugs hide behind one bad part, not behind five)
Focus = Literal["body", "query", "headers", "path", "all"]
_FOCUSES: tuple[Focus, ...] = ("body",) * 4 + ("query", "query", "headers", "path", "all")


@st.composite
def probe(draw: st.DrawFn, route: Target, known: Known, *, on_route: bool = True) -> Probe:
    """A bad request for ``route``: on it (right method and path shape), or beside it."""
    fuzz = fuzz_of(route.name)
    focus = draw(st.sampled_from(_FOCUSES))
    expect: Expect = None
    if focus in ("headers", "all"):
        expect, head = draw(headers(known))
    else:
        app_id, token = draw(
            st.sampled_from(((known.app_id, known.token), (known.other_app_id, known.other_token)))
        )
        head = {"app_key": app_id, "Authorization": f"Bearer {token}"}
    base = tuple(base_query(route.name).items())
    query = draw(query_string(fuzz.query, known, base)) if focus in ("query", "all") else ""
    if not query and base:
        query = "&".join(f"{k}={v}" for k, v in base)
    for key, value in route.pinned:  # pinned parameters (none on OceanConnect) go last
        query = f"{query}&{key}={value}"
    good = base_body(route.name, known, (known.callback_urls or ("https://127.0.0.1:9/x",))[0])
    examples = known_bodies(route.name, known)
    if focus in ("body", "all"):
        if examples and draw(st.integers(0, 3)) == 0:
            body = render_body(route.name, draw(st.sampled_from(examples)))
        else:
            body = draw(body_for(fuzz, known))
    else:
        body = b"" if good is None else render_body(route.name, good)
    if not on_route:
        how = draw(st.integers(0, 1))
        if how == 0:
            method = draw(
                st.one_of(
                    st.sampled_from(_METHODS).filter(lambda m: m not in route.methods),
                    st.sampled_from(("", "FOO", "M-SEARCH", "G\u00c9T")),
                )
            )
            path = draw(route_path(route, known))
        else:
            method = draw(st.sampled_from(route.methods))
            path = draw(deformed_path(route, known))
        return Probe(method, path, query, tuple(head.items()), body, None, expect)
    method = draw(st.sampled_from(route.methods))
    path = draw(route_path(route, known, real_ids=focus not in ("path", "all")))
    return Probe(method, path, query, tuple(head.items()), body, route.name, expect)


@st.composite
def probes(draw: st.DrawFn, route: Target, known: Known) -> list[Probe]:
    """One to four bad requests for ``route``; the first always reaches it."""
    first = draw(probe(route, known))
    rest = draw(
        st.lists(st.one_of(probe(route, known), probe(route, known, on_route=False)), max_size=3)
    )
    return [first, *rest]


# =============================================================================================
# Valid but edgy registrations
# =============================================================================================
#: any printable character (no controls, format characters, surrogates or line separators)
printable = st.characters(exclude_categories=("C", "Zl", "Zp"))


@functools.cache
def edgy_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(printable, min_size=min_size, max_size=min(max_size, 40)),
        st.builds(
            _stretch,
            st.text(printable, min_size=1, max_size=4),
            st.integers(max(min_size, 1), max_size),
        ),
    )


@st.composite
def valid_register_body(draw: st.DrawFn) -> dict[str, Any]:
    """A registration body the platform must accept: limits hit exactly, ``null`` for any
    optional field, unknown keys (as the SDKs send them)."""

    def optional(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(st.none(), value)

    info_fields = {field.name: optional(edgy_text(0, field.max_len)) for field in _DEVICE_INFO}
    body = draw(
        st.fixed_dictionaries(
            {"nodeId": edgy_text(1, 256)},
            optional={
                "verifyCode": optional(edgy_text(1, 256)),
                "timeout": optional(
                    st.one_of(st.integers(0, MAX_INT), st.sampled_from((0, MAX_INT)))
                ),
                "psk": optional(st.text(HEX, min_size=8, max_size=32)),
                "endUserId": optional(edgy_text(0, 256)),
                "imsi": optional(edgy_text(1, 64)),
                "isSecure": optional(st.booleans()),
                "productId": optional(edgy_text(0, 256)),
                "deviceName": optional(edgy_text(0, 256)),
                "deviceInfo": optional(st.fixed_dictionaries({}, optional=info_fields)),
            },
        )
    )
    extra = draw(unknown_keys(_REGISTER, standard_json_values))
    return {**extra, **body}
