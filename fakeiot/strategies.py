"""Hypothesis strategies for the identifiers and payloads of both faces (``fakeiot[hypothesis]``).

Valid strategies generate what the real platforms accept; every ``invalid_*`` strategy generates
values the platform must reject, and :data:`EXPECTED_ERRORS` names the vendor code it answers
with. The core never imports this module.

>>> from fakeiot import strategies
>>> strategies.imeis().example()  # doctest: +SKIP
'356938035643809'
"""

from __future__ import annotations

import copy
import enum
import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from ._extras import missing

try:
    from hypothesis import strategies as st
except ModuleNotFoundError as exc:
    raise missing(exc, "fakeiot.strategies") from None

from ._schema import Field, Request, schema_of

__all__ = [
    "EXPECTED_ERRORS",
    "Draft",
    "Spoiled",
    "device_infos",
    "device_keys",
    "i18n_names",
    "imei_urns",
    "imeis",
    "inputs",
    "invalid_device_keys",
    "invalid_i18n_names",
    "invalid_inputs",
    "invalid_node_ids",
    "invalid_psks",
    "invalid_register_bodies",
    "invalid_tags",
    "invalid_timeouts",
    "invalid_timezones",
    "invalid_verify_codes",
    "mac_addresses",
    "members",
    "node_ids",
    "product_keys",
    "psks",
    "refresh_bodies",
    "register_bodies",
    "serial_numbers",
    "tags",
    "timeouts",
    "timezones",
    "valid_value",
    "verify_codes",
]

MAX_TIMEOUT = 2_147_483_647
_HEX = "0123456789abcdefABCDEF"
_PROTOCOLS = (
    "CoAP",
    "huaweiM2M",
    "Z-Wave",
    "ONVIF",
    "WPS",
    "Hue",
    "WiFi",
    "J808",
    "Gateway",
    "ZigBee",
    "LWM2M",
    "MQTT",
)


def luhn_digit(digits: str) -> str:
    """The Luhn check digit that completes ``digits`` (an IMEI's 15th digit)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


# -- OceanConnect --------------------------------------------------------------------------------
def imeis() -> st.SearchStrategy[str]:
    """15-digit IMEIs with a correct Luhn check digit (HiSilicon chips' nodeId form)."""
    body = st.text(string.digits, min_size=14, max_size=14)
    return body.map(lambda digits: digits + luhn_digit(digits))


def imei_urns() -> st.SearchStrategy[str]:
    """``urn:imei:<IMEI>``, the nodeId form of Qualcomm chips."""
    return imeis().map(lambda imei: f"urn:imei:{imei}")


def mac_addresses() -> st.SearchStrategy[str]:
    """MAC addresses, ``AA:BB:CC:DD:EE:FF`` or 12 bare hex digits."""
    octets = st.lists(st.integers(0, 255), min_size=6, max_size=6)
    return st.one_of(
        octets.map(lambda o: ":".join(f"{b:02X}" for b in o)),
        octets.map(lambda o: "".join(f"{b:02x}" for b in o)),
    )


def serial_numbers() -> st.SearchStrategy[str]:
    return st.text(string.ascii_uppercase + string.digits, min_size=6, max_size=32)


def node_ids() -> st.SearchStrategy[str]:
    """nodeIds in every documented form: IMEI, ``urn:imei:``, MAC, serial number."""
    return st.one_of(imeis(), imei_urns(), mac_addresses(), serial_numbers())


def verify_codes() -> st.SearchStrategy[str]:
    """Verification codes: 1-256 characters (often the nodeId itself)."""
    return st.one_of(
        node_ids(), st.text(string.ascii_letters + string.digits, min_size=1, max_size=256)
    )


def psks() -> st.SearchStrategy[str]:
    """Pre-shared keys: 8-32 hex digits of either case."""
    return st.text(_HEX, min_size=8, max_size=32)


def timeouts() -> st.SearchStrategy[int]:
    """Registration timeouts in seconds: 0 (never expires) to 2147483647."""
    return st.one_of(st.just(0), st.integers(1, 3600), st.integers(0, MAX_TIMEOUT))


def device_infos() -> st.SearchStrategy[dict[str, Any]]:
    """The ``deviceInfo`` object of a registration, with ``null`` for unset fields."""
    text = st.text(string.ascii_letters + string.digits + " -_", min_size=1, max_size=64)
    return st.fixed_dictionaries(
        {},
        optional={
            "manufacturerId": st.none() | text,
            "manufacturerName": st.none() | text,
            "deviceType": st.none()
            | st.sampled_from(["MultiSensor", "ContactSensor", "CameraGateway", "WaterMeter"]),
            "model": st.none() | text,
            "protocolType": st.none() | st.sampled_from(_PROTOCOLS),
        },
    )


def _unknown_keys() -> st.SearchStrategy[dict[str, Any]]:
    names = st.sampled_from(["account", "groupId", "deviceName", "appId", "x-extra"])
    return st.dictionaries(names, st.none() | st.text(max_size=8), max_size=3)


def register_bodies(
    node_id: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid register bodies: a nodeId, optional fields (sometimes ``null``), unknown keys."""
    optional = {
        "verifyCode": st.none() | verify_codes(),
        "timeout": st.none() | timeouts(),
        "psk": st.none() | psks(),
        "endUserId": st.none() | st.text(string.digits, min_size=1, max_size=15),
        "imsi": st.none() | st.text(string.digits, min_size=15, max_size=15),
        "isSecure": st.none() | st.booleans(),
        "deviceInfo": st.none() | device_infos(),
    }
    required = {"nodeId": node_id if node_id is not None else node_ids()}
    base = st.fixed_dictionaries(required, optional=optional)
    return st.builds(lambda body, extra: {**extra, **body}, base, _unknown_keys())


def refresh_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Valid refresh-device-key bodies (every field optional)."""
    return st.fixed_dictionaries(
        {},
        optional={
            "verifyCode": st.none() | verify_codes(),
            "nodeId": st.none() | node_ids(),
            "timeout": st.none() | timeouts(),
        },
    )


_NOT_STRING = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


def invalid_psks() -> st.SearchStrategy[Any]:
    """PSKs the platform rejects with 50400: non-hex, too short or long, not a string."""
    non_hex = st.text(min_size=8, max_size=32).filter(lambda s: any(c not in _HEX for c in s))
    return st.one_of(
        non_hex,
        st.text(_HEX, min_size=1, max_size=7),
        st.text(_HEX, min_size=33, max_size=64),
        _NOT_STRING,
    )


def invalid_timeouts() -> st.SearchStrategy[Any]:
    """Timeouts rejected with 50400: negative, above 2147483647, or not an integer."""
    return st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=MAX_TIMEOUT + 1),
        st.floats(allow_nan=False).filter(lambda f: not f.is_integer()),
        st.text(max_size=5),
        st.booleans(),
    )


def invalid_node_ids() -> st.SearchStrategy[Any]:
    """nodeIds rejected with 50400: longer than 256 characters, or not a string."""
    return st.one_of(
        st.text(min_size=257, max_size=400),
        _NOT_STRING.filter(lambda v: v not in ("", 0) and v is not False),
    )


def invalid_verify_codes() -> st.SearchStrategy[Any]:
    """verifyCodes rejected with 100003: empty, longer than 256 characters, not a string."""
    return st.one_of(st.just(""), st.text(min_size=257, max_size=400), _NOT_STRING)


def invalid_register_bodies() -> st.SearchStrategy[tuple[Any, str]]:
    """(body, expected error code) pairs for registrations the platform rejects.

    Generated from the register route's own schema (with the default settings), so the code
    each body gets cannot disagree with the platform's validation: every field's every kind of
    violation, and bodies that are JSON but not an object (100007).
    """
    from ._oceanconnect import OceanConnect
    from ._oceanconnect._schemas import RegisterDevice

    cases = invalid_cases(RegisterDevice, OceanConnect.invalid)
    spoiled = [
        c for label, c in cases.items() if label.startswith("body:") and ":malformed:" not in label
    ]

    def pair(case: tuple[Draft, Spoiled]) -> tuple[Any, str]:
        draft, broken = case
        return draft.body, broken.error.value.code

    not_an_object = st.one_of(st.lists(st.integers(), max_size=3), st.integers(), st.text())
    return st.one_of(spoiled).map(pair) | st.tuples(not_an_object, st.just("100007"))


# -- EnOS ----------------------------------------------------------------------------------------
_KEY_CHARS = string.ascii_letters + string.digits
_KEY_SPECIALS = "-_.:"


def product_keys() -> st.SearchStrategy[str]:
    """productKeys as EnOS generates them (8 letters and digits, e.g. ``2zp6A70r``)."""
    return st.text(_KEY_CHARS, min_size=8, max_size=8)


def device_keys() -> st.SearchStrategy[str]:
    """deviceKeys by the Replace Device page's rule: 4-64 letters, digits and ``-_.:``, at most
    three of them special characters."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        chars = list(draw(st.text(_KEY_CHARS, min_size=4, max_size=61)))
        for special in draw(st.text(_KEY_SPECIALS, max_size=3)):
            chars.insert(draw(st.integers(0, len(chars))), special)
        return "".join(chars)

    return build()


def invalid_device_keys() -> st.SearchStrategy[Any]:
    """deviceKeys rejected with 99400: too short or long, forbidden characters, >3 specials."""
    return st.one_of(
        st.text(_KEY_CHARS, max_size=3),
        st.text(_KEY_CHARS, min_size=65, max_size=100),
        st.text(_KEY_CHARS, min_size=4, max_size=10).map(lambda k: k + "#"),
        st.text(_KEY_SPECIALS, min_size=4, max_size=4).map(lambda s: "ab" + s),
        _NOT_STRING,
    )


def i18n_names(max_size: int = 64) -> st.SearchStrategy[dict[str, Any]]:
    """StringI18n values: a ``defaultValue`` and any locale keys."""
    text = st.text(string.ascii_letters + string.digits + " -_", min_size=1, max_size=max_size)
    locales = st.dictionaries(
        st.sampled_from(["en_US", "zh_CN", "ja_JP", "es_ES"]), text, max_size=2
    )
    return st.fixed_dictionaries({"defaultValue": text}, optional={"i18nValue": locales})


def invalid_i18n_names() -> st.SearchStrategy[Any]:
    """StringI18n values rejected with 99400: no ``defaultValue``, wrong types."""
    return st.one_of(
        st.just({}),
        st.fixed_dictionaries({"i18nValue": st.just({"en_US": "x"})}),
        st.fixed_dictionaries({"defaultValue": _NOT_STRING}),
        st.fixed_dictionaries(
            {
                "defaultValue": st.just("x"),
                "i18nValue": st.one_of(st.integers(), st.text(max_size=3)),
            }
        ),
        st.integers(),
        st.lists(st.text(max_size=2), max_size=2),
    )


def timezones() -> st.SearchStrategy[str]:
    """Timezones EnOS accepts: a UTC offset like ``+08:00`` or an IANA name."""
    offsets = st.builds(
        lambda sign, hour, minute: f"{sign}{hour:02d}:{minute:02d}",
        st.sampled_from("+-"),
        st.integers(0, 14),
        st.sampled_from([0, 30, 45]),
    )
    names = st.sampled_from(["UTC", "Asia/Shanghai", "America/Los_Angeles", "Europe/Berlin"])
    return st.one_of(offsets, names)


def invalid_timezones() -> st.SearchStrategy[Any]:
    """Timezones rejected with 99400."""
    return st.one_of(
        st.sampled_from(["+25:00", "08:00", "Mars/Olympus", "GMT+8x", ""]), _NOT_STRING
    )


def tags() -> st.SearchStrategy[dict[str, str]]:
    """Tag maps within the limits: keys of letters, digits, ``_-/`` up to 50 characters; values
    up to 200 characters with no surrounding white space; at most 100 tags."""
    keys = st.text(string.ascii_letters + string.digits + "_-/", min_size=1, max_size=50)
    values = st.text(string.ascii_letters + string.digits + "_- ", max_size=200).map(str.strip)
    return st.dictionaries(keys, values, max_size=10)


def invalid_tags() -> st.SearchStrategy[Any]:
    """Tag maps over the limits (rejected with 99400)."""
    return st.one_of(
        st.just({"k" * 51: "v"}),
        st.just({"key": "v" * 201}),
        st.just({"bad key!": "v"}),
        st.just({"key": " padded "}),
        st.just({f"k{i}": "v" for i in range(101)}),
        st.just({"key": 5}),
        st.lists(st.text(max_size=3), max_size=2),
    )


#: The vendor error code each ``invalid_*`` value strategy is rejected with.
EXPECTED_ERRORS: dict[str, str] = {
    "invalid_psks": "50400",
    "invalid_timeouts": "50400",
    "invalid_node_ids": "50400",
    "invalid_verify_codes": "100003",
    "invalid_device_keys": "99400",
    "invalid_i18n_names": "99400",
    "invalid_timezones": "99400",
    "invalid_tags": "99400",
}


# -- generated from route schemas ---------------------------------------------------------------
# Every declared route's input class (``fakeiot.schema.Request``) is the one source of what it
# accepts: these strategies read it, so they cannot disagree with the validation.


@dataclass(frozen=True)
class Draft:
    """A route input as it goes on the wire: path parameters, query, headers and body members."""

    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    #: the body's members (JSON object or form fields; ``None``: no body); ``raw`` replaces it
    body: dict[str, Any] | None
    media: str = "json"
    raw: bytes | None = None

    def body_bytes(self) -> bytes:
        """The body as sent: JSON (or a form), or the raw bytes of a malformed body."""
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        if self.media == "form":
            return urlencode({k: _form_text(v) for k, v in self.body.items()}).encode()
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Spoiled:
    """What an invalid :class:`Draft` breaks, and the vendor error the platform must answer."""

    where: str
    field: str
    violation: str
    error: enum.Enum


_SAFE = string.ascii_letters + string.digits + "-_."
_TEXT = st.characters(blacklist_categories=("Cs", "Cc"))
#: what ``str.isprintable`` accepts: no control, format, private, unassigned or separator
#: character, but the space
_PRINTABLE = st.characters(
    exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"), include_characters=" "
)


def _form_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text(field: Field, wire: bool) -> st.SearchStrategy[str]:
    spec = field.spec
    low = spec.min_len or 0
    if spec.empty_is_missing or wire:
        low = max(low, 1)
    high = spec.max_len if spec.max_len is not None else low + 24
    if field.choices:
        return st.sampled_from([c for c in field.choices if isinstance(c, str)])
    if field.regex is not None:
        regex = field.regex
        # drawn from printable characters only: filtering arbitrary Unicode for printable
        # strings threw most draws away, and a draw of several such fields could fail outright
        return st.from_regex(regex, fullmatch=True, alphabet=_PRINTABLE).filter(
            lambda s: low <= len(s) <= high and s.isprintable()
        )
    alphabet = st.sampled_from(_SAFE) if wire else _TEXT
    short = st.text(alphabet, min_size=low, max_size=min(high, low + 12))
    if high > low + 12:
        return short | st.builds(lambda c: c * high, st.sampled_from(_SAFE))
    return short


def _number_bounds(field: Field) -> tuple[int, int]:
    spec = field.spec
    low = int(spec.low) if spec.low is not None else -MAX_TIMEOUT - 1
    high = int(spec.high) if spec.high is not None else MAX_TIMEOUT
    return low, high


def valid_value(field: Field, *, wire: bool = False) -> st.SearchStrategy[Any]:
    """Values ``field`` accepts (``wire``: as text in a path, query or header).

    A field with a ``check`` beyond its type and limits (a URL's parts, a time format) gets its
    declared ``example``: what passes such a check is the field's own business.
    """
    if field.spec.check is not None and field.spec.example is not None:
        return st.just(field.spec.example)
    kind = field.kind
    if kind == "int":
        low, high = _number_bounds(field)
        ints = st.integers(low, high)
        return ints.map(str) if wire else ints
    if kind == "number":
        low, high = _number_bounds(field)
        return st.integers(low, high) | st.floats(low, high, allow_nan=False)
    if kind == "bool":
        return st.sampled_from(["true", "false"]) if wire else st.booleans()
    if kind == "object":
        if field.model is not None:
            return members(field.model.fields)
        return st.dictionaries(st.text(_SAFE, max_size=6), st.text(_SAFE, max_size=6), max_size=3)
    if kind == "list":
        item = field.item
        spec = field.spec
        low = spec.min_len or 0
        high = min(spec.max_len if spec.max_len is not None else 3, low + 3)
        element = valid_value(item, wire=wire) if item is not None else st.integers(0, 9)
        values = st.lists(element, min_size=low, max_size=high)
        return values.map(lambda v: ",".join(map(str, v))) if wire else values
    if kind == "any":
        return st.sampled_from(field.choices) if field.choices else st.just("x")
    return _text(field, wire)


def members(fields: Sequence[Field]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects made of ``fields``: every required member, optional ones sometimes (or null)."""
    required = {f.name: valid_value(f) for f in fields if f.required}
    optional = {f.name: st.none() | valid_value(f) for f in fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


def _wire_values(fields: Sequence[Field]) -> st.SearchStrategy[dict[str, str]]:
    required = {f.name: valid_value(f, wire=True) for f in fields if f.required}
    optional = {f.name: valid_value(f, wire=True) for f in fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


def inputs(request: type[Request]) -> st.SearchStrategy[Draft]:
    """Valid input for a route declared with ``request`` (a ``fakeiot.schema.Request``)."""
    schema = schema_of(request)
    return st.builds(
        Draft,
        _wire_values(schema.params),
        _wire_values(schema.query),
        _wire_values(schema.headers),
        members(schema.body) if schema.body else st.none(),
        st.just(schema.media),
    )


_WRONG_TYPES: dict[str, tuple[Any, ...]] = {
    "str": (0, 1.5, True, [], {}, ["x"]),
    "int": ("1", 1.5, True, [], {}, -0.5),
    "number": ("1", True, [], {}),
    "bool": ("true", 0, 1, [], {}, "TRUE"),
    "object": ([], "x", 1, True),
    "list": ({}, "x", 1, True),
}
_WRONG_TEXT: dict[str, tuple[str, ...]] = {
    "int": ("x1", "1.5", "1e3", "0x10", "one"),
    "bool": ("maybe", "yes!", "2"),
}
_MALFORMED = (b"[]", b"1", b'"x"', b"null", b"{", b'{"a":}', b"\xff\xfe", b"[{}]", b"NaN")


def _violations(field: Field, wire: bool) -> list[tuple[str, st.SearchStrategy[Any]]]:
    """``(violation, bad values)`` for one field; ``_MISSING`` stands for an absent value."""
    spec = field.spec
    out: list[tuple[str, st.SearchStrategy[Any]]] = []
    if field.required:
        out.append(("missing", st.just(_MISSING)))
    if wire:
        if field.kind in _WRONG_TEXT:
            out.append(("type", st.sampled_from(_WRONG_TEXT[field.kind])))
    elif field.kind in _WRONG_TYPES:
        wrong = _WRONG_TYPES[field.kind]
        if spec.text_scalar:  # a string holding the scalar's text is accepted
            wrong = tuple(v for v in wrong if not isinstance(v, str))
        out.append(("type", st.sampled_from(wrong)))
    texty = field.kind == "str" or (wire and field.kind not in ("int", "bool", "list"))
    if texty:
        floor = 1 if (wire or spec.empty_is_missing) else 0
        if spec.max_len is not None:
            out.append(("length", st.just("a" * (spec.max_len + 1))))
        if spec.min_len is not None and spec.min_len - 1 >= floor:
            out.append(("length", st.just("a" * (spec.min_len - 1))))
        bad = _off_pattern(field, floor)
        if bad is not None:
            out.append(("pattern" if field.regex is not None else "choice", st.just(bad)))
    if field.kind in ("int", "number"):
        if spec.low is not None:
            low = int(spec.low) - 1
            out.append(("range", st.just(str(low) if wire else low)))
        if spec.high is not None:
            high = int(spec.high) + 1
            out.append(("range", st.just(str(high) if wire else high)))
    if field.kind == "list" and not wire and field.item is not None:
        wrong_items = _WRONG_TYPES.get(field.item.kind)
        if wrong_items:
            out.append(("item", st.sampled_from(wrong_items).map(lambda v: [v])))
    return out


def _off_pattern(field: Field, floor: int) -> str | None:
    """A string of a valid length that breaks the field's pattern or choices (if it has one)."""
    if field.regex is None and not field.choices:
        return None
    spec = field.spec
    size = max(spec.min_len or 0, floor, 1)
    if spec.max_len is not None and size > spec.max_len:
        return None
    for char in "!~ #*":
        candidate = char * size
        if field.regex is not None and field.regex.fullmatch(candidate):
            continue
        folded = candidate.upper() if spec.fold_case else candidate
        if field.choices and folded in field.choices:
            continue
        if field.regex is not None and field.choices:
            return None  # which check fires first is not this strategy's business
        return candidate
    return None


_MISSING = object()


def invalid_inputs(
    request: type[Request], invalid: Mapping[str, enum.Enum]
) -> st.SearchStrategy[tuple[Draft, Spoiled]]:
    """Input that breaks exactly one rule of ``request``, with the error it must get.

    ``invalid`` is the face's table (``Face.invalid``); the request class's ``__errors__`` and
    each field's own errors refine it, exactly as validation does.
    """
    cases = invalid_cases(request, invalid)
    return st.one_of(list(cases.values())) if cases else st.nothing()


def invalid_cases(
    request: type[Request], invalid: Mapping[str, enum.Enum]
) -> dict[str, st.SearchStrategy[tuple[Draft, Spoiled]]]:
    """:func:`invalid_inputs` one case at a time, keyed ``where:field:violation``."""
    schema = schema_of(request)
    defaults = {**invalid, **schema.errors}
    cases: dict[str, st.SearchStrategy[tuple[Draft, Spoiled]]] = {}
    valid = inputs(request)
    for where, fields in (
        ("path", schema.params),
        ("query", schema.query),
        ("header", schema.headers),
    ):
        for field in fields:
            for n, (violation, values) in enumerate(_violations(field, wire=True)):
                if where == "path" and violation == "missing":
                    continue  # an empty path segment is a different route
                cases[f"{where}:{field.name}:{violation}:{n}"] = _spoil_text(
                    valid, where, field, violation, values, defaults
                )
    if schema.body:
        for field, prefix, parents in _body_fields(schema.body, "", ()):
            for n, (violation, values) in enumerate(
                _violations(field, wire=schema.media == "form")
            ):
                if prefix and violation == "missing":
                    continue
                cases[f"body:{prefix}{field.name}:{violation}:{n}"] = _spoil_body(
                    valid, field, prefix, parents, violation, values, defaults
                )
        if schema.media == "json":
            error = defaults.get("malformed") or defaults["*"]
            bad = _MALFORMED if schema.empty_body else (b"", *_MALFORMED)
            cases["body:body:malformed:0"] = st.builds(
                lambda draft, raw: (
                    replace(draft, raw=raw),
                    Spoiled("body", "body", "malformed", error),
                ),
                valid,
                st.sampled_from(bad),
            )
    return cases


def _body_fields(
    fields: Sequence[Field], prefix: str, parents: tuple[Field, ...]
) -> list[tuple[Field, str, tuple[Field, ...]]]:
    """Every body field with the dotted path of the object holding it and the fields of the
    objects around it (nested models too)."""
    out = []
    for field in fields:
        out.append((field, prefix, parents))
        if field.model is not None:
            out.extend(
                _body_fields(field.model.fields, f"{prefix}{field.name}.", (*parents, field))
            )
    return out


def _spoil_text(
    valid: st.SearchStrategy[Draft],
    where: str,
    field: Field,
    violation: str,
    values: st.SearchStrategy[Any],
    defaults: Mapping[str, enum.Enum],
) -> st.SearchStrategy[tuple[Draft, Spoiled]]:
    error = field.error_for(violation, defaults)
    attr = {"path": "params", "query": "query", "header": "headers"}[where]

    def spoil(draft: Draft, value: Any) -> tuple[Draft, Spoiled]:
        part = dict(getattr(draft, attr))
        if value is _MISSING:
            part.pop(field.name, None)
        else:
            part[field.name] = value
        changed: dict[str, dict[str, str]] = {
            "params": draft.params,
            "query": draft.query,
            "headers": draft.headers,
        }
        changed[attr] = part
        spoiled = Draft(
            changed["params"], changed["query"], changed["headers"], draft.body, draft.media
        )
        return spoiled, Spoiled(where, field.name, violation, error)

    return st.builds(spoil, valid, values)


def _spoil_body(
    valid: st.SearchStrategy[Draft],
    field: Field,
    prefix: str,
    parents: tuple[Field, ...],
    violation: str,
    values: st.SearchStrategy[Any],
    defaults: Mapping[str, enum.Enum],
) -> st.SearchStrategy[tuple[Draft, Spoiled]]:
    item = field.item if violation == "item" and field.item is not None else field
    error = item.error_for("type" if violation == "item" else violation, defaults)
    path = prefix.split(".")[:-1] if prefix else []

    def spoil(draft: Draft, value: Any, around: tuple[Any, ...]) -> tuple[Draft, Spoiled]:
        body = copy.deepcopy(draft.body) or {}
        holder = body
        for key, valid_object in zip(path, around, strict=True):
            inner = holder.get(key)
            if not isinstance(inner, dict):  # absent (optional): a valid one, then spoiled
                inner = holder[key] = copy.deepcopy(valid_object)
            holder = inner
        if value is _MISSING:
            holder.pop(field.name, None)
        else:
            holder[field.name] = value
        shown = "type" if violation == "item" else violation
        return replace(draft, body=body), Spoiled("body", prefix + field.name, shown, error)

    around = st.tuples(*(valid_value(p) for p in parents))
    return st.builds(spoil, valid, values, around)
