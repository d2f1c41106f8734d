"""The typed request bodies of the IoTDA face, each field declared once with its limits.

A field's :class:`F` gives its JSON kind and constraints (spec §4-§8, the SDK's model
docstrings). :func:`parse` turns a decoded JSON object into the dataclass or raises
``ApiError(IotdaError.INVALID_PARAM, "<field>: <why>")``. ``null`` means absent; unknown keys are
ignored, as the real service ignores them (the SDK never sends them).
"""

# ruff: noqa: RUF009  -- spec() returns a dataclasses.field carrying the wire constraints

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .._errors import ApiError
from ._errors import IotdaError

E = IotdaError
T = TypeVar("T")

ID = r"[A-Za-z0-9_-]+"
#: Chinese, letters, digits and ``_?'#().,&%@!-`` (device and product names, spec §4.1, §5.1)
NAME = r"[\u4e00-\u9fa5A-Za-z0-9_?'#().,&%@!-]+"
SECRET = r"[A-Za-z0-9_-]{8,32}"
HEX = r"[0-9a-fA-F]+"


@dataclass(frozen=True, slots=True)
class F:
    """How one field looks on the wire."""

    kind: str = "str"  # str | bool | int | object | list | any | nested
    required: bool = False
    min_len: int = 0
    max_len: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    #: the dataclass of a ``nested`` field, or of each item of a ``list`` field
    item: type | None = None
    max_items: int | None = None
    error: IotdaError = E.INVALID_PARAM


def spec(default: Any = None, **constraints: Any) -> Any:
    """A dataclass field with wire constraints (``default`` for absent and ``null``)."""
    if isinstance(default, list | dict):
        factory = type(default)
        return field(default_factory=factory, metadata={"wire": F(**constraints)})
    return field(default=default, metadata={"wire": F(**constraints)})


_FIELDS: dict[type, tuple[tuple[str, F, Any], ...]] = {}
_PATTERNS: dict[str, re.Pattern[str]] = {}


def _fields(cls: type) -> tuple[tuple[str, F, Any], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        found = tuple(
            (f.name, f.metadata["wire"], f) for f in dataclasses.fields(cls) if "wire" in f.metadata
        )
        _FIELDS[cls] = found
    return found


def bad(where: str, why: str, error: IotdaError = E.INVALID_PARAM) -> ApiError:
    return ApiError(error, f"{where}: {why}")


def parse(cls: type[T], data: Any, where: str = "body") -> T:
    """``data`` (decoded JSON) as ``cls``, or an ``ApiError`` naming the offending field."""
    if not isinstance(data, dict):
        raise bad(where, "must be a JSON object", E.INVALID_PARAM)
    values: dict[str, Any] = {}
    for name, wire, _f in _fields(cls):
        value = data.get(name)
        path = name if where == "body" else f"{where}.{name}"
        if value is None:
            if wire.required:
                raise bad(path, "is required", wire.error)
            continue
        values[name] = _check(path, wire, value)
    return cls(**values)


def _check(path: str, wire: F, value: Any) -> Any:
    kind = wire.kind
    if kind == "str":
        if not isinstance(value, str):
            raise bad(path, "must be a string", wire.error)
        if len(value) < max(wire.min_len, 1 if wire.required else 0):
            raise bad(path, f"must have at least {max(wire.min_len, 1)} characters", wire.error)
        if wire.max_len is not None and len(value) > wire.max_len:
            raise bad(path, f"must have at most {wire.max_len} characters", wire.error)
        if wire.choices and value not in wire.choices:
            raise bad(path, f"must be one of {', '.join(wire.choices)}", wire.error)
        if wire.pattern is not None and value:
            pattern = _PATTERNS.get(wire.pattern)
            if pattern is None:
                pattern = _PATTERNS[wire.pattern] = re.compile(wire.pattern)
            if pattern.fullmatch(value) is None:
                raise bad(path, f"must match {wire.pattern}", wire.error)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad(path, "must be true or false", wire.error)
        return value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad(path, "must be an integer", wire.error)
        if wire.minimum is not None and value < wire.minimum:
            raise bad(path, f"must be at least {wire.minimum}", wire.error)
        if wire.maximum is not None and value > wire.maximum:
            raise bad(path, f"must be at most {wire.maximum}", wire.error)
        return value
    if kind == "object":
        if not isinstance(value, dict):
            raise bad(path, "must be a JSON object", wire.error)
        return value
    if kind == "nested":
        assert wire.item is not None
        return parse(wire.item, value, path)
    if kind == "list":
        if not isinstance(value, list):
            raise bad(path, "must be a JSON array", wire.error)
        if wire.max_items is not None and len(value) > wire.max_items:
            raise bad(path, f"must have at most {wire.max_items} items", wire.error)
        if wire.item is None:
            return value
        if wire.item is str:
            for i, item in enumerate(value):
                _check(f"{path}[{i}]", dataclasses.replace(wire, kind="str"), item)
            return value
        return [parse(wire.item, item, f"{path}[{i}]") for i, item in enumerate(value)]
    return value  # "any": free JSON


# =============================================================================================
# Products (spec §4)
# =============================================================================================
DATA_TYPES = ("int", "long", "decimal", "string", "DateTime", "jsonObject", "enum", "boolean")
METHODS = ("RWE", "RW", "RE", "WE", "E", "W", "R")
PROTOCOLS = (
    "MQTT", "CoAP", "HTTP", "HTTPS", "Modbus", "ONVIF", "OPC-UA", "OPC-DA", "Other", "TCP", "UDP"
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ServiceProperty:
    property_name: str = spec(required=True, max_len=64, pattern=r"[^.$\x00]+")
    data_type: str = spec(required=True, choices=(*DATA_TYPES, "string list"))
    method: str = spec(required=True, choices=METHODS)
    required: bool = spec(False, kind="bool")
    enum_list: list[str] | None = spec(kind="list", item=str)
    min: str | None = spec(max_len=16)
    max: str | None = spec(max_len=16)
    max_length: int | None = spec(kind="int", minimum=0)
    step: Any = spec(kind="any")
    unit: str | None = spec(max_len=16)
    description: str | None = spec(max_len=128)
    default_value: Any = spec(kind="any")


@dataclass(frozen=True, slots=True)
class CommandPara:
    para_name: str = spec(required=True, max_len=32)
    data_type: str = spec(required=True, choices=DATA_TYPES)
    required: bool = spec(False, kind="bool")
    enum_list: list[str] | None = spec(kind="list", item=str)
    min: str | None = spec(max_len=16)
    max: str | None = spec(max_len=16)
    max_length: int | None = spec(kind="int", minimum=0)
    step: Any = spec(kind="any")
    unit: str | None = spec(max_len=16)
    description: str | None = spec(max_len=128)


@dataclass(frozen=True, slots=True)
class ServiceCommand:
    command_name: str = spec(required=True, max_len=64)
    paras: list[CommandPara] = spec([], kind="list", item=CommandPara)
    responses: list[Any] = spec([], kind="list")


@dataclass(frozen=True, slots=True)
class ServiceCapability:
    service_id: str = spec(required=True, max_len=64)
    service_type: str = spec(required=True, max_len=64)
    properties: list[ServiceProperty] = spec([], kind="list", item=ServiceProperty)
    commands: list[ServiceCommand] = spec([], kind="list", item=ServiceCommand)
    events: list[Any] = spec([], kind="list")
    description: str | None = spec(max_len=128)
    option: str = spec("Optional", choices=("Master", "Mandatory", "Optional"))


@dataclass(frozen=True, slots=True)
class AddProduct:
    name: str = spec(required=True, max_len=64, pattern=NAME)
    device_type: str = spec(required=True, max_len=32, pattern=NAME)
    protocol_type: str = spec(required=True, choices=PROTOCOLS)
    service_capabilities: list[ServiceCapability] = spec(
        [], kind="list", item=ServiceCapability, max_items=500, required=True
    )
    product_id: str | None = spec(max_len=36, pattern=ID)
    data_format: str = spec("json", choices=("json", "binary"))
    manufacturer_name: str | None = spec(max_len=32)
    industry: str | None = spec(max_len=64)
    description: str | None = spec(max_len=128)
    app_id: str | None = spec(max_len=36, pattern=ID)


@dataclass(frozen=True, slots=True)
class UpdateProduct:
    name: str | None = spec(max_len=64, pattern=NAME)
    device_type: str | None = spec(max_len=32, pattern=NAME)
    protocol_type: str | None = spec(choices=PROTOCOLS)
    data_format: str | None = spec(choices=("json", "binary"))
    service_capabilities: list[ServiceCapability] | None = spec(
        kind="list", item=ServiceCapability, max_items=500
    )
    manufacturer_name: str | None = spec(max_len=32)
    industry: str | None = spec(max_len=64)
    description: str | None = spec(max_len=128)
    app_id: str | None = spec(max_len=36, pattern=ID)


# =============================================================================================
# Devices (spec §5)
# =============================================================================================
@dataclass(frozen=True, slots=True)
class AuthInfo:
    auth_type: str = spec("SECRET", choices=("SECRET", "CERTIFICATES"))
    secret: str | None = spec(pattern=SECRET)
    fingerprint: str | None = spec(pattern=r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
    secure_access: bool = spec(True, kind="bool")
    timeout: int = spec(0, kind="int", minimum=0, maximum=2_147_483_647)


@dataclass(frozen=True, slots=True)
class InitialDesired:
    service_id: str = spec(required=True, max_len=32)
    desired: dict[str, Any] = spec({}, kind="object", required=True)


@dataclass(frozen=True, slots=True)
class AddDevice:
    node_id: str = spec(required=True, min_len=1, max_len=64, pattern=ID)
    product_id: str = spec(required=True, max_len=36, pattern=ID)
    device_id: str | None = spec(max_len=128, pattern=ID)
    device_name: str | None = spec(max_len=256, pattern=NAME)
    auth_info: AuthInfo | None = spec(kind="nested", item=AuthInfo)
    description: str | None = spec(max_len=2048)
    gateway_id: str | None = spec(max_len=128, pattern=ID)
    app_id: str | None = spec(max_len=36, pattern=ID)
    extension_info: dict[str, Any] | None = spec(kind="object")
    shadow: list[InitialDesired] = spec([], kind="list", item=InitialDesired)


@dataclass(frozen=True, slots=True)
class AuthInfoWithoutSecret:
    secure_access: bool | None = spec(kind="bool")
    timeout: int | None = spec(kind="int", minimum=0, maximum=2_147_483_647)


@dataclass(frozen=True, slots=True)
class UpdateDevice:
    device_name: str | None = spec(max_len=256, pattern=NAME)
    description: str | None = spec(max_len=2048)
    extension_info: dict[str, Any] | None = spec(kind="object")
    auth_info: AuthInfoWithoutSecret | None = spec(kind="nested", item=AuthInfoWithoutSecret)


@dataclass(frozen=True, slots=True)
class ResetDeviceSecret:
    secret: str | None = spec(pattern=SECRET)
    force_disconnect: bool = spec(False, kind="bool")
    secret_type: str = spec("PRIMARY", choices=("PRIMARY", "SECONDARY"))


@dataclass(frozen=True, slots=True)
class SearchDevices:
    sql: str = spec(required=True, max_len=400)


# =============================================================================================
# Shadow, commands, properties, messages (spec §6, §7)
# =============================================================================================
@dataclass(frozen=True, slots=True)
class UpdateDesired:
    service_id: str = spec(required=True, max_len=64)
    desired: dict[str, Any] = spec({}, kind="object", required=True)
    version: int | None = spec(kind="int", minimum=0)


@dataclass(frozen=True, slots=True)
class UpdateDesireds:
    shadow: list[UpdateDesired] = spec([], kind="list", item=UpdateDesired, required=True)


@dataclass(frozen=True, slots=True)
class DeviceCommand:
    paras: dict[str, Any] = spec({}, kind="object", required=True)
    service_id: str | None = spec(max_len=64)
    command_name: str | None = spec(max_len=128)


@dataclass(frozen=True, slots=True)
class AsyncDeviceCommand:
    send_strategy: str = spec(required=True, choices=("immediately", "delay"))
    paras: dict[str, Any] = spec({}, kind="object", required=True)
    service_id: str | None = spec(max_len=64)
    command_name: str | None = spec(max_len=128)
    expire_time: int = spec(86400, kind="int", minimum=0, maximum=172800)


@dataclass(frozen=True, slots=True)
class DeviceProperties:
    services: list[Any] = spec([], kind="list", required=True)


@dataclass(frozen=True, slots=True)
class UserProperty:
    prop_key: str = spec(max_len=128)
    prop_value: str = spec(max_len=128)


@dataclass(frozen=True, slots=True)
class MessageProperties:
    correlation_data: str | None = spec(max_len=128)
    response_topic: str | None = spec(max_len=128)
    user_properties: list[UserProperty] = spec([], kind="list", item=UserProperty, max_items=20)


@dataclass(frozen=True, slots=True)
class DeviceMessage:
    message: Any = spec(kind="any", required=True)
    message_id: str | None = spec(max_len=100, pattern=ID)
    name: str | None = spec(max_len=128)
    properties: MessageProperties | None = spec(kind="nested", item=MessageProperties)
    encoding: str = spec("none", choices=("none", "base64"))
    payload_format: str = spec("standard", choices=("standard", "raw"))
    topic: str | None = spec(max_len=128)
    topic_full_name: str | None = spec(max_len=128)
    ttl: int = spec(1440, kind="int", minimum=0, maximum=1440)


# =============================================================================================
# Groups, tags, resource spaces, forwarding (spec §8)
# =============================================================================================
@dataclass(frozen=True, slots=True)
class AddDeviceGroup:
    name: str = spec(required=True, max_len=64, pattern=NAME)
    description: str | None = spec(max_len=64)
    super_group_id: str | None = spec(max_len=36, pattern=r"[0-9a-fA-F-]+")
    app_id: str | None = spec(max_len=36, pattern=ID)
    group_type: str = spec("STATIC", choices=("STATIC", "DYNAMIC"))
    dynamic_group_rule: str | None = spec(max_len=400)


@dataclass(frozen=True, slots=True)
class UpdateDeviceGroup:
    name: str | None = spec(max_len=64, pattern=NAME)
    description: str | None = spec(max_len=64)


@dataclass(frozen=True, slots=True)
class Tag:
    tag_key: str = spec(required=True, max_len=64, pattern=r"[\u4e00-\u9fa5A-Za-z0-9_.-]+")
    tag_value: str | None = spec(max_len=128, pattern=r"[\u4e00-\u9fa5A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class BindTags:
    resource_type: str = spec(required=True, choices=("device",))
    resource_id: str = spec(required=True, max_len=128)
    tags: list[Tag] = spec([], kind="list", item=Tag, required=True, max_items=10)


@dataclass(frozen=True, slots=True)
class UnbindTags:
    resource_type: str = spec(required=True, choices=("device",))
    resource_id: str = spec(required=True, max_len=128)
    tag_keys: list[str] = spec([], kind="list", item=str, required=True, max_items=10)


@dataclass(frozen=True, slots=True)
class QueryResourceByTags:
    resource_type: str = spec(required=True, choices=("device",))
    tags: list[Tag] = spec([], kind="list", item=Tag, required=True, max_items=10)


@dataclass(frozen=True, slots=True)
class AddApplication:
    app_name: str = spec(required=True, max_len=64, pattern=NAME)


@dataclass(frozen=True, slots=True)
class RuleSubject:
    resource: str = spec(required=True, max_len=50)
    event: str = spec(required=True, max_len=50)


@dataclass(frozen=True, slots=True)
class AddRule:
    subject: RuleSubject = spec(kind="nested", item=RuleSubject, required=True)
    rule_name: str | None = spec(max_len=256)
    description: str | None = spec(max_len=256)
    app_type: str = spec("GLOBAL", choices=("GLOBAL", "APP"))
    app_id: str | None = spec(max_len=36, pattern=ID)
    select: str | None = spec(max_len=2500)
    where: str | None = spec(max_len=2500)


@dataclass(frozen=True, slots=True)
class UpdateRule:
    rule_name: str | None = spec(max_len=256)
    description: str | None = spec(max_len=256)
    select: str | None = spec(max_len=2500)
    where: str | None = spec(max_len=2500)
    active: bool | None = spec(kind="bool")


@dataclass(frozen=True, slots=True)
class HttpForwarding:
    url: str = spec(required=True, max_len=2048, pattern=r"https?://\S+")
    cert_id: str | None = spec(max_len=36)
    cn_name: str | None = spec(max_len=64)
    sni_enable: bool | None = spec(kind="bool")
    signature_enable: bool | None = spec(kind="bool")
    token: str | None = spec(pattern=r"[A-Za-z0-9]{3,32}")


@dataclass(frozen=True, slots=True)
class ChannelDetail:
    http_forwarding: HttpForwarding | None = spec(kind="nested", item=HttpForwarding)


@dataclass(frozen=True, slots=True)
class AddAction:
    rule_id: str = spec(required=True, max_len=100)
    channel: str = spec(required=True, max_len=50)
    channel_detail: ChannelDetail = spec(kind="nested", item=ChannelDetail, required=True)
