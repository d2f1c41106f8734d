"""Field checks for EnOS request bodies (spec §2.6, §2.9, §3, §4).

Every rejected field raises ``99400 Invalid arguments`` (the text the create and replace pages
document for bad parameters); the reason goes in :attr:`ApiError.detail`, which never reaches
the wire. ``null`` is the same as absent for optional fields and unknown keys are ignored.
Strings that hold booleans or numbers are coerced, as the vendor's samples send them (§9.7).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from .._errors import ApiError
from ._errors import EnosError

BAD = EnosError.INVALID_ARGUMENTS
MAX_INT = 2_147_483_647

#: device key: 4-64 letters, digits and ``-_.:`` (spec §2.9, §4.1, the seed).
_DEVICE_KEY = re.compile(r"[A-Za-z0-9_.:\-]{4,64}")
_SPECIAL = frozenset("_.:-")
#: a JSON escape of a UTF-16 surrogate; json.loads joins valid pairs, lone ones stay.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
#: tag key: letters, digits, ``_ - /``; at most 50 (spec §2.6).
_TAG_KEY = re.compile(r"[A-Za-z0-9_\-/]{1,50}")
_OFFSET = re.compile(r"[+-](0\d|1[0-4]):[0-5]\d")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,3}")
#: characters a product name may not contain (spec §2.9).
PRODUCT_NAME_FORBIDDEN = frozenset("<>;@*%&\\")
MAX_TAGS = 100
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 10


def bad(detail: str) -> ApiError:
    return ApiError(BAD, detail)


def json_object(body: bytes, *, empty_ok: bool = False) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}`` when ``empty_ok``."""
    if not body.strip():
        if empty_ok:
            return {}
        raise bad("the request body is empty")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise bad(f"the body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise bad(f"the body is JSON {type(payload).__name__}, not an object")
    if _SURROGATE_ESCAPE.search(body) and not _encodable(payload):
        raise bad("the body holds a lone UTF-16 surrogate (\\ud800-\\udfff)")
    return payload


def _encodable(value: Any) -> bool:
    """Whether every string in ``value`` encodes as UTF-8 (a lone surrogate does not)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def opt_str(body: dict[str, Any], key: str, *, max_len: int = 1024, min_len: int = 0) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad(f"{key} must be a string, got {type(value).__name__}")
    if not min_len <= len(value) <= max_len:
        raise bad(f"{key} must be {min_len} to {max_len} characters, got {len(value)}")
    return value


def req_str(body: dict[str, Any], key: str, *, max_len: int = 1024, min_len: int = 1) -> str:
    value = opt_str(body, key, max_len=max_len, min_len=min_len)
    if value is None:
        raise bad(f"{key} is mandatory")
    return value


def opt_bool(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise bad(f"{key} must be true or false, got {value!r}"[:200])


def opt_int(body: dict[str, Any], key: str, *, low: int = 0, high: int = MAX_INT) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value) < 12 else -1
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad(f"{key} must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise bad(f"{key} must be between {low} and {high}, got {value}")
    return value


def enum_str(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = opt_str(body, key)
    if value is not None and value not in allowed:
        raise bad(f"{key} must be one of {', '.join(allowed)}, got {value[:40]!r}")
    return value


def i18n_name(
    body: dict[str, Any],
    key: str,
    *,
    max_len: int = 64,
    forbidden: frozenset[str] = frozenset(),
) -> dict[str, Any] | None:
    """A StringI18n: ``defaultValue`` is required whenever the struct is given (spec §2.6)."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad(f"{key} must be a StringI18n object, got {type(value).__name__}")
    default = value.get("defaultValue")
    if not isinstance(default, str) or not default:
        raise bad(f"{key}.defaultValue is mandatory and must be a non-empty string")
    _check_name(f"{key}.defaultValue", default, max_len, forbidden)
    values = value.get("i18nValue")
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise bad(f"{key}.i18nValue must be an object, got {type(values).__name__}")
    if len(values) > 100:
        raise bad(f"{key}.i18nValue has more than 100 locales")
    for locale, text in values.items():
        if not isinstance(text, str):
            raise bad(f"{key}.i18nValue.{locale[:20]} must be a string, got {type(text).__name__}")
        if not 1 <= len(locale) <= 32:
            raise bad(f"{key}.i18nValue has an invalid locale key")
        _check_name(f"{key}.i18nValue.{locale}", text, max_len, forbidden)
    return {"defaultValue": default, "i18nValue": dict(values)}


def _check_name(where: str, text: str, max_len: int, forbidden: frozenset[str]) -> None:
    if len(text) > max_len:
        raise bad(f"{where} must be at most {max_len} characters, got {len(text)}")
    if forbidden and not forbidden.isdisjoint(text):
        raise bad(f"{where} must not contain any of {''.join(sorted(forbidden))}")


def timezone(body: dict[str, Any], key: str = "timezone") -> str | None:
    """A UTC offset ``+08:00`` or an IANA zone name (spec §2.6)."""
    value = opt_str(body, key, max_len=64)
    if value is None:
        return None
    if _OFFSET.fullmatch(value) or _known_zone(value):
        return value
    raise bad(f"{key} {value!r} is neither a UTC offset like +08:00 nor an IANA zone name")


@lru_cache(maxsize=512)
def _known_zone(name: str) -> bool:
    if not _ZONE_NAME.fullmatch(name):
        return False
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # Without a time-zone database (tzdata) every name would fail: accept the shape then.
        return not zoneinfo.available_timezones()
    return True


def tags(body: dict[str, Any], key: str) -> dict[str, str] | None:
    """Tags: at most 100; keys ``[A-Za-z0-9_-/]{1,50}``; values at most 200 characters that
    neither start nor end with white space (spec §2.6)."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad(f"{key} must be an object, got {type(value).__name__}")
    if len(value) > MAX_TAGS:
        raise bad(f"{key} has {len(value)} tags; at most {MAX_TAGS}")
    for tag, text in value.items():
        if not _TAG_KEY.fullmatch(tag):
            raise bad(f"{key} key {tag[:60]!r} must be 1-50 letters, digits, _, - or /")
        if not isinstance(text, str):
            raise bad(f"{key}.{tag} must be a string, got {type(text).__name__}")
        if len(text) > 200:
            raise bad(f"{key}.{tag} must be at most 200 characters, got {len(text)}")
        if text != text.strip():
            raise bad(f"{key}.{tag} must not start or end with white space")
    return dict(value)


def attributes(body: dict[str, Any], key: str = "deviceAttributes") -> dict[str, Any] | None:
    """Attributes: any JSON values under non-empty keys (the fake holds no thing models)."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad(f"{key} must be an object, got {type(value).__name__}")
    for name in value:
        if not name or len(name) > 64:
            raise bad(f"{key} keys must be 1 to 64 characters")
    return dict(value)


def device_key(value: Any, key: str, *, limit_special: bool = False) -> str:
    """A device key: 4-64 of ``[A-Za-z0-9_.:-]``; with ``limit_special`` (replaceDevice's
    ``newDeviceKey``, per the seed page) at most 3 of the special characters."""
    if not isinstance(value, str):
        raise bad(f"{key} must be a string, got {type(value).__name__}")
    if not _DEVICE_KEY.fullmatch(value):
        raise bad(f"{key} must be 4-64 letters, digits, -, _, . or :")
    if limit_special and sum(c in _SPECIAL for c in value) > 3:
        raise bad(f"{key} may hold at most 3 special characters (-, _, ., :)")
    return value


def pagination(body: dict[str, Any]) -> tuple[int, int]:
    """``(pageNo, pageSize)``: pageNo from 1, pageSize 1-200, default 10 (spec §2.6, §4.4)."""
    value = body.get("pagination")
    if value is None:
        return 1, DEFAULT_PAGE_SIZE
    if not isinstance(value, dict):
        raise bad(f"pagination must be an object, got {type(value).__name__}")
    page_no = opt_int(value, "pageNo", low=1)
    page_size = opt_int(value, "pageSize", low=1, high=MAX_PAGE_SIZE)
    sorters = value.get("sorters")
    if sorters is not None and not isinstance(sorters, list):
        raise bad("pagination.sorters must be a list")
    return page_no or 1, page_size or DEFAULT_PAGE_SIZE


def projection(body: dict[str, Any]) -> tuple[str, ...] | None:
    value = body.get("projection")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        raise bad("projection must be a list of non-empty strings")
    if len(value) > 200:
        raise bad("projection lists more than 200 paths")
    return tuple(value)


def query_bool(query: dict[str, str], key: str, default: bool) -> bool:
    """A boolean query parameter whose name matches case-insensitively (``IsPatchUpdate``)."""
    wanted = key.lower()
    for name, text in query.items():
        if name.lower() == wanted:
            lowered = text.lower()
            if lowered == "true":
                return True
            if lowered == "false":
                return False
            if lowered == "":
                return default
            raise bad(f"{name} must be true or false, got {text[:40]!r}")
    return default


def req_bool(body: dict[str, Any], key: str) -> bool:
    value = opt_bool(body, key)
    if value is None:
        raise bad(f"{key} is mandatory")
    return value


def req_enum(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = enum_str(body, key, allowed)
    if value is None:
        raise bad(f"{key} is mandatory")
    return value


def req_i18n_name(
    body: dict[str, Any], key: str, *, forbidden: frozenset[str] = frozenset()
) -> dict[str, Any]:
    value = i18n_name(body, key, forbidden=forbidden)
    if value is None:
        raise bad(f"{key} is mandatory")
    return value


def req_timezone(body: dict[str, Any], key: str = "timezone") -> str:
    value = timezone(body, key)
    if value is None:
        raise bad(f"{key} is mandatory")
    return value
