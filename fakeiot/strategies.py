"""Hypothesis strategies for the identifiers and payloads of both faces (``fakeiot[hypothesis]``).

Valid strategies generate what the real platforms accept; every ``invalid_*`` strategy generates
values the platform must reject, and :data:`EXPECTED_ERRORS` names the vendor code it answers
with. The core never imports this module.

>>> from fakeiot import strategies
>>> strategies.imeis().example()  # doctest: +SKIP
'356938035643809'
"""

from __future__ import annotations

import string
from typing import Any

from ._extras import missing

try:
    from hypothesis import strategies as st
except ModuleNotFoundError as exc:
    raise missing(exc, "fakeiot.strategies") from None

__all__ = [
    "EXPECTED_ERRORS",
    "device_infos",
    "device_keys",
    "i18n_names",
    "imei_urns",
    "imeis",
    "invalid_device_keys",
    "invalid_i18n_names",
    "invalid_node_ids",
    "invalid_psks",
    "invalid_register_bodies",
    "invalid_tags",
    "invalid_timeouts",
    "invalid_timezones",
    "invalid_verify_codes",
    "mac_addresses",
    "node_ids",
    "product_keys",
    "psks",
    "refresh_bodies",
    "register_bodies",
    "serial_numbers",
    "tags",
    "timeouts",
    "timezones",
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
    """(body, expected error code) pairs for registration requests the platform rejects."""
    valid = register_bodies()

    def spoil(
        field: str, strategy: st.SearchStrategy[Any], code: str
    ) -> st.SearchStrategy[tuple[Any, str]]:
        return st.builds(lambda body, value: ({**body, field: value}, code), valid, strategy)

    return st.one_of(
        spoil("psk", invalid_psks(), "50400"),
        spoil("timeout", invalid_timeouts(), "50400"),
        spoil("nodeId", invalid_node_ids(), "50400"),
        spoil("verifyCode", invalid_verify_codes(), "100003"),
        st.builds(lambda body: ({k: v for k, v in body.items() if k != "nodeId"}, "100007"), valid),
        st.tuples(
            st.one_of(st.lists(st.integers(), max_size=3), st.integers(), st.text()),
            st.just("100007"),
        ),
    )


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
