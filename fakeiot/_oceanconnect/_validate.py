"""Field checks for OceanConnect request bodies. Each raises the vendor error the tables give.

``null`` is the same as absent for every optional field, and unknown keys are ignored, because
Huawei's Python SDK sends every DTO attribute with ``null`` for the unset ones.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from .._errors import ApiError
from .._http import is_encodable, loads_strict
from ._errors import OcError

MAX_INT = 2_147_483_647
_HEX = re.compile(r"[A-Fa-f0-9]+")


def json_object(body: bytes, error: OcError, *, empty_ok: bool = False) -> dict[str, Any]:
    """The body as a JSON object, or ``error``. An empty body is ``{}`` when ``empty_ok``."""
    if not body.strip():
        if empty_ok:
            return {}
        raise ApiError(error, "the request body is empty")
    try:
        payload = loads_strict(body)
    except (ValueError, RecursionError) as exc:
        raise ApiError(error, f"the body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ApiError(error, f"the body is JSON {type(payload).__name__}, not an object")
    return payload


def opt_str(
    body: dict[str, Any], key: str, error: OcError, *, max_len: int = 256, min_len: int = 0
) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(error, f"{key} must be a string, got {type(value).__name__}")
    if not min_len <= len(value) <= max_len:
        raise ApiError(error, f"{key} must be {min_len} to {max_len} characters, got {len(value)}")
    if not is_encodable(value):
        raise ApiError(error, f"{key} holds a lone surrogate, which is not text")
    return value


def opt_int(
    body: dict[str, Any], key: str, error: OcError, *, low: int = 0, high: int = MAX_INT
) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(error, f"{key} must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise ApiError(error, f"{key} must be between {low} and {high}, got {value}")
    return value


def opt_bool(body: dict[str, Any], key: str, error: OcError) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ApiError(error, f"{key} must be true or false, got {value!r}")
    return value


def opt_psk(body: dict[str, Any], key: str, error: OcError) -> str | None:
    value = opt_str(body, key, error, min_len=8, max_len=32)
    if value is not None and not _HEX.fullmatch(value):
        raise ApiError(error, f"{key} must be hex digits (0-9, a-f, A-F)")
    return value


def opt_object(body: dict[str, Any], key: str, error: OcError) -> dict[str, Any] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(error, f"{key} must be an object, got {type(value).__name__}")
    return value


def query_int(
    query: dict[str, str], key: str, error: OcError, *, low: int, high: int
) -> int | None:
    text = query.get(key)
    if text is None or text == "":
        return None
    if not text.isascii() or not text.removeprefix("-").isdigit() or len(text) > 12:
        raise ApiError(error, f"{key} must be an integer, got {text[:40]!r}")
    value = int(text)
    if not low <= value <= high:
        raise ApiError(error, f"{key} must be between {low} and {high}, got {value}")
    return value


def query_time(query: dict[str, str], key: str, error: OcError) -> float | None:
    text = query.get(key)
    if not text:
        return None
    try:
        moment = datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ApiError(error, f"{key} must look like 20200603T061659Z, got {text[:40]!r}") from None
    return moment.timestamp()
