"""The schema of the stored state: what a state document (state file, store, ``PUT
/_fakeiot/api/state``, migration) must look like before any of it is loaded.

Every load is checked against it first and refused with a message naming the field (``faces.
oceanconnect.devices[3].info: expected an object, got a string``), so that nothing accepted can
later make a route answer 500. A face with no schema here is checked by its own
``import_state`` only.

Types: ``"str"``, ``"int"``, ``"num"`` (finite), ``"time"`` (seconds since 1970, before the
year 10000: what the views can format), ``"bool"``, ``"obj"`` (any JSON object),
``"any"``, a trailing ``?`` for "or null"; ``("list", T)``, ``("map", T)`` (an object of T),
``("tuple", T, ...)`` (a fixed-length array), ``("enum", v, ...)``; a dict: an object with
exactly those keys.
"""

from __future__ import annotations

import math
from typing import Any

from .._errors import UsageError
from .._iotda import _persist as _iotda_persist
from .._lifecycle import State

#: the last second of the year 9999: later times cannot be formatted as dates
LAST_TIME = 253_402_300_799
_STATES = ("enum", *(s.value for s in State))
_I18N = {"defaultValue": "str", "i18nValue": ("map", "str")}
_SERVICE = {
    "serviceType": "str?",
    "data": "obj",
    "eventTime": "str?",
    "desired?": "obj",
    "desiredPending?": "bool",
}
#: an OceanConnect V4 command (fakeiot/_oceanconnect/_commands.py ``Command.export``)
_OC_COMMAND = {
    "command_id": "str",
    "app_id": "str",
    "device_id": "str",
    "service_id": "str",
    "method": "str",
    "paras": "any",
    "callback_url": "str?",
    "expire_time": "int",
    "max_retransmit": "int",
    "created": "num",
    "seq": "int",
    "status": ("enum", "PENDING", "SENT", "DELIVERED", "SUCCESSFUL", "FAILED", "TIMEOUT",
               "EXPIRED", "CANCELED"),
    "issued": "num?",
    "delivered": "num?",
    "executed": "num?",
    "issued_times": "int",
    "result": "obj?",
    "reply": "any",
    "reply_at": "num?",
    "sent_at": "num?",
    "gen": "int",
}  # fmt: skip
_OC_HISTORY = ("list", ("tuple", "num", "str", "obj"))

OCEANCONNECT: dict[str, Any] = {
    "apps": (
        "list",
        {
            "appId": "str",
            "secret": "str",
            "name": "str",
            "frozen": "bool",
            "grantees": ("list", "str"),
            "token": "str?",
            "refreshToken": "str?",
        },
    ),
    "tokens": ("map", ("tuple", "str", "num")),
    "refreshTokens": ("map", ("tuple", "str", "num")),
    "devices": (
        "list",
        {
            "state": _STATES,
            "device_id": "str",
            "app_id": "str",
            "node_id": "str",
            "verify_code": "str",
            "psk": "str",
            "timeout": "int",
            "created": "num",
            "modified": "num",
            "seq": "int",
            "activated": "bool",
            "ever_bound": "bool",
            "rebind_pending": "bool",
            "code_deadline": "num?",
            "code_expired": "bool",
            "last_seen": "num?",
            "connection": ("enum", "long", "short", None),
            "info": "obj",
            "end_user_id": "str?",
            "imsi": "str?",
            "is_secure": "bool",
            "product_id": "str?",
            "extra": "obj?",
            "services": ("map", _SERVICE),
            "code_generated?": "bool",
            "command_records?": ("list", _OC_COMMAND),
            "history?": _OC_HISTORY,
            "desired_history?": _OC_HISTORY,
        },
    ),
    "products": ("map", "obj"),
    "subscriptions": (
        "list",
        {
            "subscriptionId": "str",
            "appId": "str",
            "notifyType": "str",
            "callbackUrl": "str",
            "channel": "str",
            "ownerFlag": "str?",
            "management": "bool",
        },
    ),
    "tombstones": ("map", ("tuple", "str", ("enum", "expired", "deleted"), "num", "str")),
    "deviceSeq": "int",
    "cancelTasks?": (
        "list",
        ("tuple", "str", "str", "str", "num", ("list", "str"), ("enum", "SUCCESS")),
    ),
    "commandSeq?": "int",
    "groups?": (
        "list",
        {
            "id": "str",
            "appId": "str",
            "name": "str",
            "description": "str?",
            "maxDevNum": "int",
            "creator": "str",
            "deviceIds": ("list", "str"),
        },
    ),
    "signals?": (
        "list",
        {
            "requestId": "str",
            "deviceId": "str",
            "serviceId": "str",
            "method": "str",
            "from": "str?",
            "to": "str",
            "callbackUrl": "str?",
            "confirm": "bool",
            "replyAt": "time?",
            "replyBody": "any",
        },
    ),
    "batchTasks?": (
        "list",
        {
            "taskId": "str",
            "appId": "str",
            "taskName": "str",
            "taskType": "str",
            "timeout": "int?",
            "created": "num",
            "param": "obj",
            "tags": ("list", "obj"),
            "entries": ("list", ("tuple", "int", "str", "str", "str?", "str?")),
        },
    ),
}

#: an EnOS command as stored (``Command.record``): id, type, service or point, input,
#: pending TTL, timeout, created (ms), created (local text), state, output, released, replied,
#: reply body, reply ok
_ENOS_COMMAND = (
    "tuple", "str", "int", "str", "any", "int", "int", "int", "str", "int", "any", "num?",
    "num?", "any", "bool",
)  # fmt: skip

ENOS: dict[str, Any] = {
    "orgs": (
        "list",
        {
            "orgId": "str",
            "accessKey": "str",
            "secretKey": "str",
            "poseidonSignal": "int?",
            "poseidonRefresh": "str",
            "models?": ("map", "str"),
        },
    ),
    "models": ("map", "str"),
    "products": (
        "list",
        {
            "org_id": "str",
            "product_key": "str",
            "product_secret": "str",
            "model_id": "str",
            "model_path": "str",
            "name": _I18N,
            "desc": "str?",
            "data_format": "str",
            "product_type": "str",
            "bi_directional_auth": "bool",
            "dynamic_activate": "bool",
            "tags": ("map?", "str"),
            "default_valid_day": "int?",
            "max_valid_day": "int?",
            "create_time": "int",
            "update_time": "int",
            "create_by": "str",
            "update_by": "str",
        },
    ),
    "devices": (
        "list",
        {
            "state": _STATES,
            "org_id": "str",
            "asset_id": "str",
            "product_key": "str",
            "device_key": "str",
            "device_secret": "str",
            "name": _I18N,
            "desc": "str?",
            "timezone": "str",
            "attributes": "obj",
            "tags": ("map", "str"),
            "create_time": "int",
            "seq": "int",
            "activated": "bool",
            "active_time": "int",
            "last_online_time": "int",
            "last_offline_time": "int",
            # added with commands and measure points: absent from older files
            "points?": ("map", ("tuple", "int", "any")),
            "measurepoint_last_update?": "int?",
            "attribute_last_update?": "int?",
            # added with device events and gateway topology
            "event_last_update?": "int?",
            "gateway?": "str?",
            "command_records?": ("list", _ENOS_COMMAND),
        },
    ),
    "tokens": ("map", ("tuple", "str", "num")),
    "tokenByApp": ("map", "str"),
    "encryptions": ("list", ("tuple", "num", "str")),
    "gone": ("list", ("tuple", "str", "str", "str", "str", "num", "str?")),
    "deviceSeq": "int",
}

#: the stored form of each built-in face (IoTDA's derived from its records' annotations)
FACES: dict[str, dict[str, Any]] = {
    "oceanconnect": OCEANCONNECT,
    "enos": ENOS,
    "iotda": _iotda_persist.stored_schema(),
}

DOCUMENT: dict[str, Any] = {
    "format": ("enum", "fakeiot-state"),
    "version": ("enum", 1),
    "savedAt": "num?",
    "seed": "int?",
    "ids": "any",
    "clock": "num?",
    "faces": ("map", "obj"),
}
_OPTIONAL = frozenset({"savedAt", "seed", "clock"})

_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    dict: "an object",
    list: "an array",
    type(None): "null",
}


def _kind(value: Any) -> str:
    return _NAMES.get(type(value), type(value).__name__)


def check_document(data: Any) -> None:
    """Raise :class:`UsageError` naming the first field of ``data`` that breaks the schema."""
    if not isinstance(data, dict):
        raise UsageError(f"the state must be an object, got {_kind(data)}")
    for key, schema in DOCUMENT.items():
        if key not in data:
            if key in _OPTIONAL:
                continue
            raise UsageError(f"{key}: missing")
        check(data[key], schema, key)
    for name, face in data["faces"].items():
        schema = FACES.get(name)
        if schema is not None:
            check(face, schema, f"faces.{name}")


def check(value: Any, schema: Any, where: str) -> None:
    """Raise :class:`UsageError` if ``value`` breaks ``schema`` (``where`` names it)."""
    if isinstance(schema, str):
        if schema.endswith("?"):
            if value is None:
                return
            schema = schema[:-1]
        if not _simple(value, schema):
            want = {"str": "a string", "int": "an integer", "num": "a finite number"}
            want["time"] = "a time (seconds since 1970, before the year 10000)"
            wanted = want.get(schema) or {"bool": "a boolean", "obj": "an object"}.get(schema)
            raise UsageError(f"{where}: expected {wanted}, got {_kind(value)}")
        return
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise UsageError(f"{where}: expected an object, got {_kind(value)}")
        for name, inner in schema.items():
            key = name.removesuffix("?")  # "name?": a field files written before it lack
            if key not in value:
                if key != name:
                    continue
                raise UsageError(f"{where}.{key}: missing")
            check(value[key], inner, f"{where}.{key}")
        extra = sorted(set(value) - {name.removesuffix("?") for name in schema})
        if extra:
            raise UsageError(f"{where}.{extra[0]}: not a field of the stored state")
        return
    tag, *args = schema
    if tag.endswith("?"):
        if value is None:
            return
        tag = tag[:-1]
    if tag == "enum":
        if not any(value == a and type(value) is type(a) for a in args):
            raise UsageError(f"{where}: expected one of {list(args)}, got {value!r:.60}")
    elif tag == "list":
        if not isinstance(value, list):
            raise UsageError(f"{where}: expected an array, got {_kind(value)}")
        for index, item in enumerate(value):
            check(item, args[0], f"{where}[{index}]")
    elif tag == "map":
        if not isinstance(value, dict):
            raise UsageError(f"{where}: expected an object, got {_kind(value)}")
        for key, item in value.items():
            check(item, args[0], f"{where}.{key}")
    elif tag == "tuple":
        if not isinstance(value, list) or len(value) != len(args):
            raise UsageError(f"{where}: expected an array of {len(args)} items")
        for index, (item, inner) in enumerate(zip(value, args, strict=True)):
            check(item, inner, f"{where}[{index}]")
    else:  # pragma: no cover - a mistake in the schema itself
        raise AssertionError(f"unknown schema tag {tag!r}")


def _simple(value: Any, schema: str) -> bool:
    if schema == "any":
        return True
    if schema == "str":
        return isinstance(value, str) and _encodable(value)
    if schema == "bool":
        return isinstance(value, bool)
    if schema == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if schema == "num":
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if schema == "time":
        return _simple(value, "num") and 0 <= value <= LAST_TIME
    if schema == "obj":
        return isinstance(value, dict)
    raise AssertionError(f"unknown schema type {schema!r}")  # pragma: no cover


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
