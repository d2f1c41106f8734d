"""The IoTDA routes' inputs, declared once (see :mod:`fakeiot._schema`).

Wire names are the attributes' own snake_case names (``__naming__ = "snake"``). ``null`` is the
same as absent, unknown keys are ignored (the SDK never sends them; the real service ignores
them). Limits come from spec §3-§8 and the SDK's model docstrings. Every violation answers
400 ``IOTDA.000006`` unless a field names another error (``limit`` 000017, times 000009).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from .._schema import MAX_INT, Request, body, path, query
from ._errors import IotdaError

E = IotdaError
ID = r"[A-Za-z0-9_-]+"
#: Chinese, letters, digits and ``_?'#().,&%@!-`` (device and product names, spec §4.1, §5.1)
NAME = r"[\u4e00-\u9fa5A-Za-z0-9_?'#().,&%@!-]+"
SECRET = r"[A-Za-z0-9_-]{8,32}"
TIME = r"\d{8}T\d{6}Z"
TAG = r"[\u4e00-\u9fa5A-Za-z0-9_.-]+"
DATA_TYPES = ("int", "long", "decimal", "string", "DateTime", "jsonObject", "enum", "boolean")
METHODS = ("RWE", "RW", "RE", "WE", "E", "W", "R")
PROTOCOLS = (
    "MQTT", "CoAP", "HTTP", "HTTPS", "Modbus", "ONVIF", "OPC-UA", "OPC-DA", "Other", "TCP", "UDP"
)  # fmt: skip


class IoRequest(Request):
    """Base of every IoTDA input: snake_case wire names."""

    __slots__ = ()
    __naming__: ClassVar[str] = "snake"


# =============================================================================================
# Paths and paging
# =============================================================================================
@dataclass(frozen=True, slots=True)
class ProjectPath(IoRequest):
    #: checked against the caller's AK by the face's authentication, before parsing
    project_id: Annotated[str, path()]


@dataclass(frozen=True, slots=True)
class DevicePath(ProjectPath):
    device_id: Annotated[str, path(max_len=256, errors={"length": E.DEVICE_NOT_FOUND})]


@dataclass(frozen=True, slots=True)
class Paged(ProjectPath):
    """``limit`` 1-50 (10), ``marker`` 24 hex, ``offset`` 0-500 (spec §3)."""

    limit: Annotated[int, query(low=1, high=50, error=E.LIMIT_RANGE)] = 10
    marker: Annotated[str | None, query(pattern=r"[0-9a-f]{24}")] = None
    offset: Annotated[int, query(low=0, high=500)] = 0


@dataclass(frozen=True, slots=True)
class DevicePaged(DevicePath):
    limit: Annotated[int, query(low=1, high=50, error=E.LIMIT_RANGE)] = 10
    marker: Annotated[str | None, query(pattern=r"[0-9a-f]{24}")] = None
    offset: Annotated[int, query(low=0, high=500)] = 0


# =============================================================================================
# Products (spec §4)
# =============================================================================================
@dataclass(frozen=True, slots=True)
class ServiceProperty:
    property_name: Annotated[str, body(min_len=1, max_len=64, pattern=r"[^.$\x00]+")]
    data_type: Annotated[str, body(choices=(*DATA_TYPES, "string list"))]
    method: Annotated[str, body(choices=METHODS)]
    required: Annotated[bool, body()] = False
    enum_list: Annotated[list[str] | None, body()] = None
    min: Annotated[str | None, body(max_len=16)] = None
    max: Annotated[str | None, body(max_len=16)] = None
    max_length: Annotated[int | None, body(low=0, high=MAX_INT)] = None
    step: Annotated[Any, body()] = None
    unit: Annotated[str | None, body(max_len=16)] = None
    description: Annotated[str | None, body(max_len=128)] = None
    default_value: Annotated[Any, body()] = None


@dataclass(frozen=True, slots=True)
class CommandPara:
    para_name: Annotated[str, body(min_len=1, max_len=32)]
    data_type: Annotated[str, body(choices=DATA_TYPES)]
    required: Annotated[bool, body()] = False
    enum_list: Annotated[list[str] | None, body()] = None
    min: Annotated[str | None, body(max_len=16)] = None
    max: Annotated[str | None, body(max_len=16)] = None
    max_length: Annotated[int | None, body(low=0, high=MAX_INT)] = None
    step: Annotated[Any, body()] = None
    unit: Annotated[str | None, body(max_len=16)] = None
    description: Annotated[str | None, body(max_len=128)] = None


@dataclass(frozen=True, slots=True)
class ServiceCommand:
    command_name: Annotated[str, body(min_len=1, max_len=64)]
    paras: Annotated[list[CommandPara] | None, body()] = None
    responses: Annotated[list[Any] | None, body()] = None


@dataclass(frozen=True, slots=True)
class ServiceCapability:
    service_id: Annotated[str, body(min_len=1, max_len=64)]
    service_type: Annotated[str, body(min_len=1, max_len=64)]
    properties: Annotated[list[ServiceProperty] | None, body(max_len=500)] = None
    commands: Annotated[list[ServiceCommand] | None, body(max_len=500)] = None
    events: Annotated[list[Any] | None, body()] = None
    description: Annotated[str | None, body(max_len=128)] = None
    option: Annotated[str, body(choices=("Master", "Mandatory", "Optional"))] = "Optional"


@dataclass(frozen=True, slots=True)
class AddProduct(ProjectPath):
    name: Annotated[str, body(min_len=1, max_len=64, pattern=NAME)]
    device_type: Annotated[str, body(min_len=1, max_len=32, pattern=NAME)]
    protocol_type: Annotated[str, body(choices=PROTOCOLS)]
    service_capabilities: Annotated[list[ServiceCapability], body(max_len=500)]
    product_id: Annotated[str | None, body(min_len=1, max_len=36, pattern=ID)] = None
    data_format: Annotated[str, body(choices=("json", "binary"))] = "json"
    manufacturer_name: Annotated[str | None, body(max_len=32)] = None
    industry: Annotated[str | None, body(max_len=64)] = None
    description: Annotated[str | None, body(max_len=128)] = None
    app_id: Annotated[str | None, body(max_len=36, pattern=ID)] = None


@dataclass(frozen=True, slots=True)
class ListProducts(Paged):
    app_id: Annotated[str | None, query(max_len=36)] = None
    product_name: Annotated[str | None, query(max_len=64)] = None


@dataclass(frozen=True, slots=True)
class ProductPath(ProjectPath):
    product_id: Annotated[str, path(max_len=36)]
    app_id: Annotated[str | None, query(max_len=36)] = None


@dataclass(frozen=True, slots=True)
class UpdateProduct(ProjectPath):
    product_id: Annotated[str, path(max_len=36)]
    name: Annotated[str | None, body(min_len=1, max_len=64, pattern=NAME)] = None
    device_type: Annotated[str | None, body(min_len=1, max_len=32, pattern=NAME)] = None
    protocol_type: Annotated[str | None, body(choices=PROTOCOLS)] = None
    data_format: Annotated[str | None, body(choices=("json", "binary"))] = None
    service_capabilities: Annotated[list[ServiceCapability] | None, body(max_len=500)] = None
    manufacturer_name: Annotated[str | None, body(max_len=32)] = None
    industry: Annotated[str | None, body(max_len=64)] = None
    description: Annotated[str | None, body(max_len=128)] = None
    app_id: Annotated[str | None, body(max_len=36, pattern=ID)] = None


# =============================================================================================
# Devices (spec §5)
# =============================================================================================
@dataclass(frozen=True, slots=True)
class AuthInfo:
    auth_type: Annotated[str, body(choices=("SECRET", "CERTIFICATES"))] = "SECRET"
    secret: Annotated[str | None, body(pattern=SECRET)] = None
    fingerprint: Annotated[str | None, body(pattern=r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")] = None
    secure_access: Annotated[bool, body()] = True
    timeout: Annotated[int, body(low=0, high=MAX_INT)] = 0


@dataclass(frozen=True, slots=True)
class InitialDesired:
    service_id: Annotated[str, body(min_len=1, max_len=32)]
    desired: Annotated[dict[str, Any], body()]


@dataclass(frozen=True, slots=True)
class AddDevice(ProjectPath):
    node_id: Annotated[str, body(min_len=1, max_len=64, pattern=ID)]
    product_id: Annotated[str, body(min_len=1, max_len=36, pattern=ID)]
    device_id: Annotated[str | None, body(min_len=1, max_len=128, pattern=ID)] = None
    device_name: Annotated[str | None, body(min_len=1, max_len=256, pattern=NAME)] = None
    auth_info: Annotated[AuthInfo | None, body()] = None
    description: Annotated[str | None, body(max_len=2048)] = None
    gateway_id: Annotated[str | None, body(min_len=1, max_len=128, pattern=ID)] = None
    app_id: Annotated[str | None, body(max_len=36, pattern=ID)] = None
    extension_info: Annotated[dict[str, Any] | None, body()] = None
    shadow: Annotated[list[InitialDesired] | None, body()] = None


@dataclass(frozen=True, slots=True)
class ListDevices(Paged):
    product_id: Annotated[str | None, query(max_len=36)] = None
    gateway_id: Annotated[str | None, query(max_len=128)] = None
    is_cascade_query: Annotated[bool, query()] = False
    node_id: Annotated[str | None, query(max_len=64)] = None
    device_name: Annotated[str | None, query(max_len=256)] = None
    start_time: Annotated[str | None, query(pattern=TIME, error=E.INVALID_TIME)] = None
    end_time: Annotated[str | None, query(pattern=TIME, error=E.INVALID_TIME)] = None
    app_id: Annotated[str | None, query(max_len=36)] = None


@dataclass(frozen=True, slots=True)
class AuthInfoWithoutSecret:
    secure_access: Annotated[bool | None, body()] = None
    timeout: Annotated[int | None, body(low=0, high=MAX_INT)] = None


@dataclass(frozen=True, slots=True)
class UpdateDevice(DevicePath):
    device_name: Annotated[str | None, body(min_len=1, max_len=256, pattern=NAME)] = None
    description: Annotated[str | None, body(max_len=2048)] = None
    extension_info: Annotated[dict[str, Any] | None, body()] = None
    auth_info: Annotated[AuthInfoWithoutSecret | None, body()] = None


@dataclass(frozen=True, slots=True)
class ResetDeviceSecret(DevicePath):
    __empty_body__: ClassVar[bool] = True

    action_id: Annotated[Literal["resetSecret"], query()]
    secret: Annotated[str | None, body(pattern=SECRET)] = None
    force_disconnect: Annotated[bool, body()] = False
    secret_type: Annotated[str, body(choices=("PRIMARY", "SECONDARY"))] = "PRIMARY"


@dataclass(frozen=True, slots=True)
class SearchDevices(ProjectPath):
    sql: Annotated[str, body(min_len=1, max_len=400)]


# =============================================================================================
# Shadow, commands, properties, messages (spec §6, §7)
# =============================================================================================
@dataclass(frozen=True, slots=True)
class UpdateDesired:
    service_id: Annotated[str, body(min_len=1, max_len=64)]
    desired: Annotated[dict[str, Any], body()]
    version: Annotated[int | None, body(low=0, high=2**62)] = None


@dataclass(frozen=True, slots=True)
class UpdateDesireds(DevicePath):
    shadow: Annotated[list[UpdateDesired], body(min_len=1, max_len=100)]


@dataclass(frozen=True, slots=True)
class DeviceCommand(DevicePath):
    paras: Annotated[dict[str, Any], body()]
    service_id: Annotated[str | None, body(max_len=64)] = None
    command_name: Annotated[str | None, body(max_len=128)] = None


@dataclass(frozen=True, slots=True)
class AsyncDeviceCommand(DevicePath):
    send_strategy: Annotated[str, body(choices=("immediately", "delay"))]
    paras: Annotated[dict[str, Any], body()]
    service_id: Annotated[str | None, body(max_len=64)] = None
    command_name: Annotated[str | None, body(max_len=128)] = None
    expire_time: Annotated[int, body(low=0, high=172800)] = 86400


@dataclass(frozen=True, slots=True)
class AsyncCommandPath(DevicePath):
    command_id: Annotated[str, path(max_len=64)]


@dataclass(frozen=True, slots=True)
class ListAsyncCommands(DevicePaged):
    start_time: Annotated[str | None, query(pattern=TIME, error=E.INVALID_TIME)] = None
    end_time: Annotated[str | None, query(pattern=TIME, error=E.INVALID_TIME)] = None
    status: Annotated[str | None, query(max_len=16)] = None
    command_name: Annotated[str | None, query(max_len=128)] = None


@dataclass(frozen=True, slots=True)
class CountAsyncHistory(DevicePath):
    start_time: Annotated[str | None, query(pattern=TIME, error=E.INVALID_TIME)] = None
    end_time: Annotated[str | None, query(pattern=TIME, error=E.INVALID_TIME)] = None
    status: Annotated[str | None, query(max_len=16)] = None
    command_name: Annotated[str | None, query(max_len=128)] = None


@dataclass(frozen=True, slots=True)
class ListProperties(DevicePath):
    service_id: Annotated[str | None, query(max_len=64)] = None


@dataclass(frozen=True, slots=True)
class PropertyService:
    service_id: Annotated[str, body(min_len=1, max_len=64)]
    properties: Annotated[dict[str, Any], body()]


@dataclass(frozen=True, slots=True)
class DeviceProperties(DevicePath):
    services: Annotated[list[PropertyService], body(min_len=1)]


@dataclass(frozen=True, slots=True)
class UserProperty:
    prop_key: Annotated[str, body(min_len=1, max_len=128)]
    prop_value: Annotated[str, body(max_len=128)]


@dataclass(frozen=True, slots=True)
class MessageProperties:
    correlation_data: Annotated[str | None, body(max_len=128)] = None
    response_topic: Annotated[str | None, body(max_len=128)] = None
    user_properties: Annotated[list[UserProperty] | None, body(max_len=20)] = None


@dataclass(frozen=True, slots=True)
class DeviceMessage(DevicePath):
    message: Annotated[Any, body()]
    message_id: Annotated[str | None, body(min_len=1, max_len=100, pattern=ID)] = None
    name: Annotated[str | None, body(max_len=128)] = None
    properties: Annotated[MessageProperties | None, body()] = None
    encoding: Annotated[str, body(choices=("none", "base64"))] = "none"
    payload_format: Annotated[str, body(choices=("standard", "raw"))] = "standard"
    topic: Annotated[str | None, body(min_len=1, max_len=128)] = None
    topic_full_name: Annotated[str | None, body(min_len=1, max_len=128)] = None
    ttl: Annotated[int, body(low=0, high=1440)] = 1440


@dataclass(frozen=True, slots=True)
class MessagePath(DevicePath):
    message_id: Annotated[str, path(max_len=100)]


# =============================================================================================
# Groups, tags, resource spaces, forwarding (spec §8)
# =============================================================================================
@dataclass(frozen=True, slots=True)
class AddDeviceGroup(ProjectPath):
    name: Annotated[str, body(min_len=1, max_len=64, pattern=NAME)]
    description: Annotated[str | None, body(max_len=64)] = None
    super_group_id: Annotated[str | None, body(max_len=36, pattern=r"[0-9a-fA-F-]+")] = None
    app_id: Annotated[str | None, body(max_len=36, pattern=ID)] = None
    group_type: Annotated[str, body(choices=("STATIC", "DYNAMIC"))] = "STATIC"
    dynamic_group_rule: Annotated[str | None, body(max_len=400)] = None


@dataclass(frozen=True, slots=True)
class ListGroups(Paged):
    name: Annotated[str | None, query(max_len=64)] = None
    group_type: Annotated[str | None, query(max_len=16)] = None
    app_id: Annotated[str | None, query(max_len=36)] = None
    last_modified_time: Annotated[str | None, query(max_len=32)] = None


@dataclass(frozen=True, slots=True)
class GroupPath(ProjectPath):
    group_id: Annotated[str, path(max_len=64)]


@dataclass(frozen=True, slots=True)
class GroupPaged(GroupPath):
    limit: Annotated[int, query(low=1, high=50, error=E.LIMIT_RANGE)] = 10
    marker: Annotated[str | None, query(pattern=r"[0-9a-f]{24}")] = None
    offset: Annotated[int, query(low=0, high=500)] = 0


@dataclass(frozen=True, slots=True)
class UpdateDeviceGroup(GroupPath):
    name: Annotated[str | None, body(min_len=1, max_len=64, pattern=NAME)] = None
    description: Annotated[str | None, body(max_len=64)] = None


@dataclass(frozen=True, slots=True)
class GroupMember(GroupPath):
    action_id: Annotated[Literal["addDevice", "removeDevice"], query()]
    device_id: Annotated[str, query(min_len=1, max_len=128)]


@dataclass(frozen=True, slots=True)
class Tag:
    tag_key: Annotated[str, body(min_len=1, max_len=64, pattern=TAG)]
    tag_value: Annotated[str | None, body(max_len=128, pattern=TAG)] = None


@dataclass(frozen=True, slots=True)
class BindTags(ProjectPath):
    resource_type: Annotated[Literal["device"], body()]
    resource_id: Annotated[str, body(min_len=1, max_len=128)]
    tags: Annotated[list[Tag], body(min_len=1, max_len=10)]


@dataclass(frozen=True, slots=True)
class UnbindTags(ProjectPath):
    resource_type: Annotated[Literal["device"], body()]
    resource_id: Annotated[str, body(min_len=1, max_len=128)]
    tag_keys: Annotated[list[str], body(min_len=1, max_len=10)]


@dataclass(frozen=True, slots=True)
class QueryResourceByTags(Paged):
    resource_type: Annotated[Literal["device"], body()] = "device"
    tags: Annotated[list[Tag] | None, body(min_len=1, max_len=10)] = None


@dataclass(frozen=True, slots=True)
class AddApplication(ProjectPath):
    app_name: Annotated[str, body(min_len=1, max_len=64, pattern=NAME)]


@dataclass(frozen=True, slots=True)
class ListApplications(ProjectPath):
    default_app: Annotated[bool | None, query()] = None


@dataclass(frozen=True, slots=True)
class AppPath(ProjectPath):
    app_id: Annotated[str, path(max_len=36)]


@dataclass(frozen=True, slots=True)
class RuleSubject:
    resource: Annotated[str, body(min_len=1, max_len=50)]
    event: Annotated[str, body(min_len=1, max_len=50)]


@dataclass(frozen=True, slots=True)
class AddRule(ProjectPath):
    subject: Annotated[RuleSubject, body()]
    rule_name: Annotated[str | None, body(max_len=256)] = None
    description: Annotated[str | None, body(max_len=256)] = None
    app_type: Annotated[str, body(choices=("GLOBAL", "APP"))] = "GLOBAL"
    app_id: Annotated[str | None, body(max_len=36, pattern=ID)] = None
    select: Annotated[str | None, body(max_len=2500)] = None
    where: Annotated[str | None, body(max_len=2500)] = None


@dataclass(frozen=True, slots=True)
class RulePath(ProjectPath):
    rule_id: Annotated[str, path(max_len=100)]


@dataclass(frozen=True, slots=True)
class UpdateRule(RulePath):
    rule_name: Annotated[str | None, body(max_len=256)] = None
    description: Annotated[str | None, body(max_len=256)] = None
    select: Annotated[str | None, body(max_len=2500)] = None
    where: Annotated[str | None, body(max_len=2500)] = None
    active: Annotated[bool | None, body()] = None


@dataclass(frozen=True, slots=True)
class HttpForwarding:
    #: required; checked by the service (the strategies cannot yet spoil a sibling of a
    #: required member inside an optional object)
    url: Annotated[str | None, body(min_len=1, max_len=2048, pattern=r"https?://\S+")] = None
    cert_id: Annotated[str | None, body(max_len=36)] = None
    cn_name: Annotated[str | None, body(max_len=64)] = None
    sni_enable: Annotated[bool | None, body()] = None
    signature_enable: Annotated[bool | None, body()] = None
    token: Annotated[str | None, body(pattern=r"[A-Za-z0-9]{3,32}")] = None


@dataclass(frozen=True, slots=True)
class ChannelDetail:
    http_forwarding: Annotated[HttpForwarding | None, body()] = None


@dataclass(frozen=True, slots=True)
class AddAction(ProjectPath):
    rule_id: Annotated[str, body(min_len=1, max_len=100)]
    channel: Annotated[str, body(min_len=1, max_len=50)]
    channel_detail: Annotated[ChannelDetail, body()]


@dataclass(frozen=True, slots=True)
class ActionPath(ProjectPath):
    action_id: Annotated[str, path(max_len=100)]
