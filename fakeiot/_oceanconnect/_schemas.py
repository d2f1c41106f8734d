"""The OceanConnect routes' inputs and answers, declared once (see :mod:`fakeiot._schema`).

``null`` is the same as absent for every optional field and unknown keys are ignored, because
Huawei's Python SDK sends every DTO attribute, with ``null`` for the unset ones.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any, Literal, TypedDict
from urllib.parse import urlsplit

from .._http import is_encodable
from .._schema import MAX_INT, Request, body, path, query, refuse_if
from ._errors import OcError
from ._model import DeviceAnswer as DeviceAnswer
from ._model import ServiceAnswer as ServiceAnswer
from ._model import SubscriptionAnswer as SubscriptionAnswer

E = OcError
HEX = r"[A-Fa-f0-9]+"


#: notifyType values the business-data subscription accepts (spec §5.1).
NOTIFY_TYPES = frozenset(
    {
        "deviceAdded",
        "bindDevice",
        "deviceInfoChanged",
        "deviceDataChanged",
        "deviceDatasChanged",
        "deviceCapabilitiesChanged",
        "deviceCapabilitiesAdded",
        "deviceCapabilitiesDeleted",
        "deviceDeleted",
        "messageConfirm",
        "commandRsp",
        "deviceEvent",
        "serviceInfoChanged",
        "ruleEvent",
        "deviceDesiredPropertiesModifyStatusChanged",
        "deviceModelAdded",
        "deviceModelDeleted",
    }
)
#: notifyType values of the device-management (upgrade) subscription (spec §5.6).
MANAGEMENT_NOTIFY_TYPES = frozenset(
    {
        "swUpgradeStateChangeNotify",
        "swUpgradeResultNotify",
        "fwUpgradeStateChangeNotify",
        "fwUpgradeResultNotify",
    }
)


def callback_url_problem(url: object, *, https_only: bool = False) -> str | None:
    """Why ``url`` is not a callback URL the platform accepts, or ``None`` if it is."""
    if not isinstance(url, str) or not url:
        return "callbackUrl must be a non-empty string"
    if len(url) > 1024:
        return "callbackUrl is longer than 1024 characters"
    if not is_encodable(url):
        return "callbackUrl holds a lone surrogate"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"callbackUrl does not parse: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "callbackUrl must be an http or https URL with a host"
    if port is None:
        return "callbackUrl must carry an explicit port, e.g. https://host:443/path"
    if https_only and parts.scheme != "https":
        return "callbackUrl must be https (oceanconnect_https_callbacks_only)"
    return None


def vars_of(value: Any) -> dict[str, Any]:
    """A declared object's members by wire-free attribute name (for ``deviceInfo``)."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """``deviceInfo`` at registration: stored for queries and pushes."""

    name: Annotated[str | None, body(max_len=256)] = None
    description: Annotated[str | None, body(max_len=256)] = None
    manufacturerId: Annotated[str | None, body(max_len=256)] = None
    manufacturerName: Annotated[str | None, body(max_len=256)] = None
    mac: Annotated[str | None, body(max_len=256)] = None
    location: Annotated[str | None, body(max_len=1024)] = None
    deviceType: Annotated[str | None, body(max_len=256)] = None
    model: Annotated[str | None, body(max_len=256)] = None
    swVersion: Annotated[str | None, body(max_len=256)] = None
    fwVersion: Annotated[str | None, body(max_len=256)] = None
    hwVersion: Annotated[str | None, body(max_len=256)] = None
    protocolType: Annotated[str | None, body(max_len=256)] = None
    serialNumber: Annotated[str | None, body(max_len=256)] = None


@dataclass(frozen=True, slots=True)
class DevicePath(Request):
    """A route whose only input is the ``{deviceId}`` of its path."""

    device_id: Annotated[str, path(errors={"missing": E.DEVICE_NOT_FOUND})]


@dataclass(frozen=True, slots=True)
class RegisterDevice(Request):
    """``POST /iocm/app/reg/v1.1.0/deviceCredentials`` (seed 001)."""

    node_id: Annotated[
        str, body(max_len=256, empty_is_missing=True, errors={"missing": E.BAD_REQUEST})
    ]
    verify_code: Annotated[
        str | None, body(min_len=1, max_len=256, error=E.INVALID_VERIFY_CODE)
    ] = None
    timeout: Annotated[int | None, body(low=0, high=MAX_INT, coerce=True)] = None
    psk: Annotated[str | None, body(min_len=8, max_len=32, pattern=HEX)] = None
    end_user_id: Annotated[str | None, body(max_len=256)] = None
    imsi: Annotated[str | None, body(min_len=1, max_len=64)] = None
    is_secure: Annotated[bool | None, body(coerce=True)] = None
    product_id: Annotated[str | None, body(max_len=256)] = None
    device_name: Annotated[str | None, body(max_len=256)] = None
    device_info: Annotated[DeviceInfo | None, body()] = None


class RegisterAnswer(TypedDict):
    deviceId: str
    verifyCode: str
    timeout: int
    psk: str


class ActivationAnswer(TypedDict):
    deviceId: str
    activated: bool
    name: str | None


# =============================================================================================
# Authentication
# =============================================================================================
_AUTH_ERRORS = {"missing": E.REQUIRED_PARAMETER_MISSING, "malformed": E.INPUT_INVALID}


@dataclass(frozen=True, slots=True)
class Login(Request):
    """``POST /iocm/app/sec/v1.1.0/login``: a form whose keys are read case-insensitively."""

    __media__ = "form"
    __fold_names__ = True
    __errors__ = _AUTH_ERRORS

    app_id: Annotated[str, body(empty_is_missing=True)]
    secret: Annotated[str, body(empty_is_missing=True)]


@dataclass(frozen=True, slots=True)
class RefreshToken(Request):
    """``POST /iocm/app/sec/v1.1.0/refreshToken``."""

    __errors__ = _AUTH_ERRORS

    app_id: Annotated[str, body(max_len=256, empty_is_missing=True)]
    secret: Annotated[str, body(max_len=256, empty_is_missing=True)]
    refresh_token: Annotated[str, body(max_len=256, empty_is_missing=True)]


@dataclass(frozen=True, slots=True)
class Logout(Request):
    """``POST /iocm/app/sec/v1.1.0/logout``."""

    __errors__ = _AUTH_ERRORS

    access_token: Annotated[str, body(empty_is_missing=True)]


class TokenAnswer(TypedDict):
    scope: str
    tokenType: str
    expiresIn: int
    accessToken: str
    refreshToken: str


# =============================================================================================
# Device credentials and management
# =============================================================================================
@dataclass(frozen=True, slots=True)
class RefreshDeviceKey(Request):
    """``PUT /iocm/app/reg/v1.1.0/deviceCredentials/{deviceId}`` (seed 000)."""

    __empty_body__ = True

    # ".../deviceCredentials/" (an unset deviceId) arrives with an empty one: 100007
    device_id: Annotated[str, path(errors={"missing": E.BAD_REQUEST})]
    verify_code: Annotated[
        str | None, body(min_len=1, max_len=256, error=E.INVALID_VERIFY_CODE)
    ] = None
    node_id: Annotated[str | None, body(max_len=256, empty_is_missing=True)] = None
    timeout: Annotated[int | None, body(low=0, high=MAX_INT, coerce=True)] = None


class RefreshKeyAnswer(TypedDict):
    verifyCode: str
    timeout: int


def _info(limit: int = 256) -> Any:
    return body(min_len=1, max_len=limit)


@dataclass(frozen=True, slots=True)
class DataConfig:
    data_aging_time: Annotated[int | None, body(low=0, high=90)] = None


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    data_config: Annotated[DataConfig | None, body()] = None


@dataclass(frozen=True, slots=True)
class ModifyDevice(Request):
    """``PUT /iocm/app/dm/v1.4.0/devices/{deviceId}``: only the fields present change."""

    __empty_body__ = True
    __errors__ = {"malformed": E.MODIFY_INPUT_INVALID}

    device_id: Annotated[str, path(errors={"missing": E.DEVICE_NOT_FOUND})]
    name: Annotated[str | None, _info()] = None
    manufacturer_id: Annotated[str | None, _info()] = None
    manufacturer_name: Annotated[str | None, _info()] = None
    device_type: Annotated[str | None, _info()] = None
    model: Annotated[str | None, _info()] = None
    protocol_type: Annotated[str | None, _info()] = None
    location: Annotated[str | None, _info(1024)] = None
    mute: Annotated[Literal["TRUE", "FALSE"] | None, body(max_len=256)] = None
    end_user: Annotated[str | None, body(max_len=256)] = None
    region: Annotated[str | None, body(max_len=256)] = None
    organization: Annotated[str | None, body(max_len=256)] = None
    timezone: Annotated[str | None, body(max_len=256)] = None
    ip: Annotated[str | None, body(max_len=256)] = None
    imsi: Annotated[str | None, body(min_len=1, max_len=64)] = None
    is_secure: Annotated[bool | None, body(error=E.IS_SECURE_INVALID, coerce=True)] = None
    psk: Annotated[str | None, body(min_len=8, max_len=32, pattern=HEX)] = None
    product_id: Annotated[str | None, body(max_len=256)] = None
    device_config: Annotated[DeviceConfig | None, body()] = None
    custom_fields: Annotated[list[Any] | None, body()] = None
    tags: Annotated[list[Any] | None, body()] = None


#: modify-device fields that land in ``deviceInfo``: attribute -> wire name
MODIFY_INFO = {
    "name": "name",
    "manufacturer_id": "manufacturerId",
    "manufacturer_name": "manufacturerName",
    "device_type": "deviceType",
    "model": "model",
    "protocol_type": "protocolType",
    "location": "location",
    "mute": "mute",
}
#: modify-device fields kept beside ``deviceInfo``: attribute -> wire name
MODIFY_EXTRA = {
    "end_user": "endUser",
    "region": "region",
    "organization": "organization",
    "timezone": "timezone",
    "ip": "ip",
}

SELECT = Literal["imsi", "IMSI"]
_BAD_PARAM = E.REQUEST_PARAMETER_INVALID


@dataclass(frozen=True, slots=True)
class QueryDevice(Request):
    """``GET /iocm/app/dm/v1.4.0/devices/{deviceId}``."""

    __errors__ = {"*": _BAD_PARAM}

    select: Annotated[SELECT | None, query()] = None
    # empty (".../devices/"): the handler answers 100403 after the query checks
    device_id: Annotated[str, path()] = ""


TIME_FORMAT = "%Y%m%dT%H%M%SZ"


def parse_time(text: str) -> float:
    """A ``20200603T061659Z`` time as a POSIX timestamp (``ValueError`` if it is not one)."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc).timestamp()


def _time_problem(text: Any) -> str | None:
    try:
        parse_time(text)
    except ValueError:
        return f"must look like 20200603T061659Z, got {str(text)[:40]!r}"
    return None


def _time() -> Any:
    return query(check=refuse_if(_time_problem), example="20200603T061659Z")


@dataclass(frozen=True, slots=True)
class QueryDevices(Request):
    """``GET /iocm/app/dm/v1.4.0/devices``: filtered and paged."""

    __errors__ = {"*": _BAD_PARAM}

    page_no: Annotated[int | None, query(low=0, high=1_000_000)] = None
    page_size: Annotated[int | None, query(low=1, high=250)] = None
    gateway_id: Annotated[str | None, query()] = None
    status: Annotated[Literal["ONLINE", "OFFLINE", "INACTIVE", "ABNORMAL"] | None, query()] = None
    sort: Annotated[Literal["ASC", "DESC"] | None, query()] = None
    node_type: Annotated[Literal["GATEWAY", "ENDPOINT", "UNKNOWN"] | None, query()] = None
    start_time: Annotated[str | None, _time()] = None
    end_time: Annotated[str | None, _time()] = None
    select: Annotated[SELECT | None, query()] = None
    device_type: Annotated[str | None, query()] = None
    location: Annotated[str | None, query()] = None
    name: Annotated[str | None, query()] = None


class ShadowAnswer(TypedDict):
    deviceId: str
    gatewayId: str
    nodeType: str
    createTime: str
    lastModifiedTime: str
    deviceInfo: dict[str, Any]
    services: list[ShadowServiceAnswer]


class DevicesAnswer(TypedDict):
    totalCount: int
    pageNo: int
    pageSize: int
    devices: list[DeviceAnswer]


# =============================================================================================
# Subscriptions
# =============================================================================================
_SUB_INVALID = E.SUBSCRIPTION_INPUT_INVALID


@dataclass(frozen=True, slots=True)
class Subscribe(Request):
    """``POST /iocm/app/sub/v1.2.0/subscriptions`` (spec §5.1)."""

    __errors__ = {"*": _SUB_INVALID, "malformed": _SUB_INVALID}

    notify_type: Annotated[str, body(choices=tuple(sorted(NOTIFY_TYPES)))]
    callback_url: Annotated[
        Any,
        body(
            error=E.CALLBACK_URL_ILLEGAL,
            check=refuse_if(callback_url_problem),
            example="https://127.0.0.1:8443/callback",
        ),
    ]
    owner_flag: Annotated[Literal["true", "false"] | None, query()] = None
    channel: Annotated[Literal["HTTP", "MQTT"] | None, body()] = None
    #: the owner application (spec §5.1 [C]: the official SDK sends it in the body)
    app_id: Annotated[str | None, body(max_len=256)] = None
    #: ``?appId=`` (already applied by the authentication; it wins over the body's)
    query_app_id: Annotated[str | None, query(name="appId")] = None


@dataclass(frozen=True, slots=True)
class SubscriptionPath(Request):
    """A route whose only input is the ``{subscriptionId}`` of its path."""

    subscription_id: Annotated[str, path(errors={"missing": E.RESOURCE_NOT_FOUND})]


@dataclass(frozen=True, slots=True)
class QuerySubscriptions(Request):
    """``GET /iocm/app/sub/v1.2.0/subscriptions``."""

    __errors__ = {"*": _SUB_INVALID}

    page_no: Annotated[int | None, query(low=0, high=1_000_000)] = None
    page_size: Annotated[int | None, query(low=1, high=250)] = None
    notify_type: Annotated[str | None, query()] = None


@dataclass(frozen=True, slots=True)
class DeleteSubscriptions(Request):
    """``DELETE /iocm/app/sub/v1.2.0/subscriptions``: every filter given must match."""

    notify_type: Annotated[str | None, query()] = None
    callback_url: Annotated[str | None, query()] = None
    channel: Annotated[str | None, query()] = None


@dataclass(frozen=True, slots=True)
class SubscribeManagement(Request):
    """``POST /iodm/app/sub/v1.1.0/subscribe`` (spec §5.6): ``callbackurl``, lower-case."""

    __errors__ = {"*": _SUB_INVALID, "malformed": _SUB_INVALID}

    notify_type: Annotated[str, body(choices=tuple(sorted(MANAGEMENT_NOTIFY_TYPES)))]
    callbackurl: Annotated[Any, body(name="callbackurl")] = None
    callback_url: Annotated[Any, body()] = None


class SubscriptionsAnswer(TypedDict):
    totalCount: int
    pageNo: int
    pageSize: int
    subscriptions: list[SubscriptionAnswer]


# =============================================================================================
# Device commands (spec A.2-A.6, A.8)
# =============================================================================================
def _text_problem(value: Any) -> str | None:
    """Why a free-form JSON value cannot be echoed back (a lone surrogate in a string)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return "holds a lone surrogate, which is not text"
    return None


def _free(**kwargs: Any) -> Any:
    """A free-form object or list, refused if it holds text that cannot go on the wire."""
    return body(check=refuse_if(_text_problem), **kwargs)


_CMD_INVALID = E.MODIFY_INPUT_INVALID  # 400/100022 "The input is invalid."
_CMD_ERRORS = {"*": _CMD_INVALID, "malformed": _CMD_INVALID}


@dataclass(frozen=True, slots=True)
class CommandDTO:
    """``command`` of a V4 command: the profile's service, its command name and parameters."""

    service_id: Annotated[str, body(min_len=1, max_len=64)]
    method: Annotated[str, body(min_len=1, max_len=128)]
    paras: Annotated[dict[str, Any] | None, _free()] = None


@dataclass(frozen=True, slots=True)
class CreateCommand(Request):
    """``POST /iocm/app/cmd/v1.4.0/deviceCommands`` (spec A.2)."""

    __errors__ = _CMD_ERRORS

    device_id: Annotated[str, body(min_len=1, max_len=64)]
    command: Annotated[CommandDTO, body()]
    callback_url: Annotated[
        str | None, body(min_len=1, max_len=1024, example="https://127.0.0.1:8443/cmd")
    ] = None
    expire_time: Annotated[int | None, body(low=0, high=MAX_INT)] = None
    max_retransmit: Annotated[int | None, body(low=0, high=3)] = None


@dataclass(frozen=True, slots=True)
class QueryCommands(Request):
    """``GET /iocm/app/cmd/v1.4.0/deviceCommands`` (spec A.4): filtered, paged."""

    __errors__ = _CMD_ERRORS

    page_no: Annotated[int | None, query(low=0, high=1_000_000)] = None
    page_size: Annotated[int | None, query(low=1, high=1000)] = None
    device_id: Annotated[str | None, query(max_len=64)] = None
    start_time: Annotated[str | None, _time()] = None
    end_time: Annotated[str | None, _time()] = None


@dataclass(frozen=True, slots=True)
class UpdateCommand(Request):
    """``PUT /iocm/app/cmd/v1.4.0/deviceCommands/{deviceCommandId}`` (spec A.5)."""

    __errors__ = _CMD_ERRORS

    device_command_id: Annotated[str, path(errors={"missing": E.COMMAND_NOT_FOUND})]
    status: Annotated[Literal["CANCELED"], body()]


@dataclass(frozen=True, slots=True)
class CreateCancelTask(Request):
    """``POST /iocm/app/cmd/v1.4.0/deviceCommandCancelTasks`` (spec A.6)."""

    __errors__ = _CMD_ERRORS

    device_id: Annotated[str, body(min_len=1, max_len=64)]


@dataclass(frozen=True, slots=True)
class QueryCancelTasks(Request):
    """``GET /iocm/app/cmd/v1.4.0/deviceCommandCancelTasks`` (spec A.6)."""

    __errors__ = _CMD_ERRORS

    page_no: Annotated[int | None, query(low=0, high=1_000_000)] = None
    page_size: Annotated[int | None, query(low=1, high=1000)] = None
    task_id: Annotated[str | None, query(max_len=64)] = None
    device_id: Annotated[str | None, query(max_len=64)] = None
    status: Annotated[str | None, query(max_len=32)] = None
    start_time: Annotated[str | None, _time()] = None
    end_time: Annotated[str | None, _time()] = None


@dataclass(frozen=True, slots=True)
class SignalHeader:
    """``header`` of a ``signaltrans`` command (``CommandNA2CloudHeader``)."""

    method: Annotated[str, body(min_len=1, max_len=128)]
    mode: Annotated[Literal["NOACK", "ACK"] | None, body()] = None
    sender: Annotated[str | None, body(name="from", max_len=128)] = None
    to_type: Annotated[str | None, body(max_len=128)] = None
    to: Annotated[str | None, body(max_len=128)] = None
    callback_url: Annotated[str | None, body(name="callbackURL", max_len=1024)] = None
    request_id: Annotated[str | None, body(max_len=128)] = None


@dataclass(frozen=True, slots=True)
class SendSignal(Request):
    """``POST /iocm/app/signaltrans/v1.1.0/devices/{deviceId}/services/{serviceId}/sendCommand``."""

    __errors__ = _CMD_ERRORS

    device_id: Annotated[str, path(errors={"missing": E.COMMAND_DEVICE_NOT_FOUND})]
    service_id: Annotated[str, path(max_len=64)]
    header: Annotated[SignalHeader, body()]
    body: Annotated[dict[str, Any] | None, _free()] = None


class SignalAnswer(TypedDict):
    status: str
    timestamp: str
    requestId: str


# =============================================================================================
# Data: history, desired history, capabilities, shadow (spec A.9-A.12)
# =============================================================================================
@dataclass(frozen=True, slots=True)
class QueryHistory(Request):
    """``GET .../deviceDataHistory`` and ``.../deviceDesiredHistory`` (spec A.9, A.10)."""

    __errors__ = _CMD_ERRORS

    device_id: Annotated[str, query(min_len=1, max_len=64)]
    gateway_id: Annotated[str, query(min_len=1, max_len=64)]
    service_id: Annotated[str | None, query(max_len=256)] = None
    property: Annotated[str | None, query(max_len=256)] = None
    page_no: Annotated[int | None, query(low=0, high=1_000_000)] = None
    page_size: Annotated[int | None, query(low=1, high=2000)] = None
    start_time: Annotated[str | None, _time()] = None
    end_time: Annotated[str | None, _time()] = None


class DataHistoryItem(TypedDict):
    deviceId: str
    gatewayId: str
    appId: str
    serviceId: str
    data: dict[str, Any]
    timestamp: str


class DataHistoryAnswer(TypedDict):
    totalCount: int
    pageNo: int
    pageSize: int
    deviceDataHistoryDTOs: list[DataHistoryItem]


class DesiredHistoryItem(TypedDict):
    deviceId: str
    gatewayId: str
    appId: str
    serviceId: str
    desired: dict[str, Any]
    timestamp: str


class DesiredHistoryAnswer(TypedDict):
    totalCount: int
    pageNo: int
    pageSize: int
    deviceDesiredHistoryDTOs: list[DesiredHistoryItem]


@dataclass(frozen=True, slots=True)
class QueryCapabilities(Request):
    """``GET /iocm/app/data/v1.1.0/deviceCapabilities`` (spec A.11)."""

    __errors__ = _CMD_ERRORS

    gateway_id: Annotated[str | None, query(max_len=64)] = None
    device_id: Annotated[str | None, query(max_len=64)] = None


class DeviceCapability(TypedDict):
    deviceId: str
    serviceCapabilities: list[dict[str, Any]]


class CapabilitiesAnswer(TypedDict):
    deviceCapabilities: list[DeviceCapability]


@dataclass(frozen=True, slots=True)
class ServiceDesired:
    service_id: Annotated[str, body(min_len=1, max_len=256)]
    desired: Annotated[dict[str, Any], _free()]


@dataclass(frozen=True, slots=True)
class ModifyShadow(Request):
    """``PUT /iocm/app/shadow/v1.5.0/devices/{deviceId}`` (spec A.12)."""

    device_id: Annotated[str, path(errors={"missing": E.DEVICE_NOT_FOUND})]
    service_desireds: Annotated[list[ServiceDesired], body(min_len=1, max_len=100)]


class ShadowServiceAnswer(TypedDict):
    serviceId: str
    serviceType: str
    reportedProps: dict[str, Any]
    desiredProps: dict[str, Any]
    eventTime: str | None


# =============================================================================================
# Device groups (spec A.13)
# =============================================================================================
GROUP_NAME = r"[A-Za-z0-9]+"


@dataclass(frozen=True, slots=True)
class CreateGroup(Request):
    """``POST /iocm/app/devgroup/v1.3.0/devGroups``."""

    name: Annotated[str, body(min_len=1, max_len=50, pattern=GROUP_NAME)]
    description: Annotated[str | None, body(max_len=1024)] = None
    max_dev_num: Annotated[int | None, body(low=0, high=MAX_INT)] = None
    device_ids: Annotated[list[str] | None, body(max_len=10_000)] = None
    #: the owner application (spec A.13; the SDK sends it, often null): the group is created
    #: for it as ``?appId=`` elsewhere; the query's ``accessAppId`` wins when both are given
    app_id: Annotated[str | None, body(max_len=256)] = None
    access_app_id: Annotated[str | None, query(name="accessAppId", max_len=256)] = None

    @property
    def acting_for(self) -> str | None:
        return self.access_app_id or self.app_id


@dataclass(frozen=True, slots=True)
class QueryGroups(Request):
    """``GET /iocm/app/devgroup/v1.3.0/devGroups``."""

    name: Annotated[str | None, query(max_len=50)] = None
    page_no: Annotated[int | None, query(low=0, high=1_000_000)] = None
    page_size: Annotated[int | None, query(low=1, high=1000)] = None
    access_app_id: Annotated[str | None, query(name="accessAppId", max_len=256)] = None


@dataclass(frozen=True, slots=True)
class GroupPath(Request):
    """A route naming one group by ``{devGroupId}``."""

    dev_group_id: Annotated[str, path(errors={"missing": E.RESOURCE_NOT_FOUND})]
    access_app_id: Annotated[str | None, query(name="accessAppId", max_len=256)] = None


@dataclass(frozen=True, slots=True)
class ModifyGroup(Request):
    """``PUT /iocm/app/devgroup/v1.3.0/devGroups/{devGroupId}``."""

    dev_group_id: Annotated[str, path(errors={"missing": E.RESOURCE_NOT_FOUND})]
    name: Annotated[str, body(min_len=1, max_len=50, pattern=GROUP_NAME)]
    description: Annotated[str | None, body(max_len=1024)] = None
    max_dev_num: Annotated[int | None, body(low=0, high=MAX_INT)] = None
    access_app_id: Annotated[str | None, query(name="accessAppId", max_len=256)] = None


@dataclass(frozen=True, slots=True)
class QueryGroupMembers(Request):
    """``GET /iocm/app/dm/v1.2.0/devices/ids?devGroupId=...``."""

    dev_group_id: Annotated[str, query(min_len=1, max_len=256)]
    page_no: Annotated[int | None, query(low=0, high=1_000_000)] = None
    page_size: Annotated[int | None, query(low=1, high=1000)] = None
    access_app_id: Annotated[str | None, query(name="accessAppId", max_len=256)] = None


@dataclass(frozen=True, slots=True)
class GroupMembers(Request):
    """``POST .../devices/addDevGroupTagToDevices`` and ``deleteDevGroupTagFromDevices``."""

    dev_group_id: Annotated[str, body(min_len=1, max_len=256)]
    device_ids: Annotated[list[str], body(max_len=10_000)]
    access_app_id: Annotated[str | None, query(name="accessAppId", max_len=256)] = None
    #: the body's ``accessAppId`` (spec A.13; the PY SDK sends it, often null): the query's
    #: wins when both are given
    body_access_app_id: Annotated[str | None, body(name="accessAppId", max_len=256)] = None

    @property
    def acting_for(self) -> str | None:
        return self.access_app_id or self.body_access_app_id


class GroupAnswer(TypedDict):
    name: str
    description: str | None
    id: str
    appId: str
    maxDevNum: int
    curDevNum: int


class GroupsAnswer(TypedDict):
    totalCount: int
    pageNo: int
    pageSize: int
    list: list[dict[str, Any]]


class MembersAnswer(TypedDict):
    totalCount: int
    pageNo: int
    pageSize: int
    deviceIds: list[str]


class MembersChangedAnswer(TypedDict):
    devGroupId: str
    deviceIds: list[str]


# =============================================================================================
# Batch tasks (spec A.14)
# =============================================================================================
@dataclass(frozen=True, slots=True)
class BatchParam:
    """``param`` of a ``DeviceCmd`` batch task: which devices, and the command."""

    type: Annotated[Literal["DeviceList", "DeviceType", "DeviceArea", "GroupList"], body()]
    command: Annotated[CommandDTO, body()]
    device_list: Annotated[list[str] | None, body(max_len=10_000)] = None
    device_type: Annotated[str | None, body(max_len=256)] = None
    manufacturer_id: Annotated[str | None, body(max_len=256)] = None
    model: Annotated[str | None, body(max_len=256)] = None
    device_location: Annotated[str | None, body(max_len=1024)] = None
    group_list: Annotated[list[str] | None, body(max_len=1000)] = None
    callback_url: Annotated[str | None, body(min_len=1, max_len=1024)] = None
    max_retransmit: Annotated[int | None, body(low=0, high=3)] = None
    expire_time: Annotated[int | None, body(low=0, high=MAX_INT)] = None


@dataclass(frozen=True, slots=True)
class CreateBatchTask(Request):
    """``POST /iocm/app/batchtask/v1.1.0/tasks`` (spec A.14)."""

    app_id: Annotated[str, body(min_len=1, max_len=256)]
    task_name: Annotated[str, body(min_len=1, max_len=256)]
    #: only ``DeviceCmd`` is known (the SDK's test); other types are refused (50400)
    task_type: Annotated[Literal["DeviceCmd"], body()]
    param: Annotated[BatchParam, body()]
    timeout: Annotated[int | None, body(low=0, high=MAX_INT)] = None
    tags: Annotated[list[dict[str, Any]] | None, _free(max_len=100)] = None


@dataclass(frozen=True, slots=True)
class CreateBatchTaskSlash(CreateBatchTask):
    """``POST /iocm/app/batchtask/v1.1.0/tasks/``: the SDK's spelling, trailing slash."""

    #: what follows ``tasks/``: nothing
    task_slot: Annotated[Literal[""], path(name="slot")] = ""


@dataclass(frozen=True, slots=True)
class BatchTaskPath(Request):
    """``GET /iocm/app/batchtask/v1.1.0/tasks/{taskId}``."""

    task_id: Annotated[str, path(errors={"missing": E.RESOURCE_NOT_FOUND})]
    select: Annotated[str | None, query(max_len=256)] = None


@dataclass(frozen=True, slots=True)
class QueryTaskDetails(Request):
    """``GET /iocm/app/batchtask/v1.1.0/taskDetails``: ``taskID`` stands in for ``taskId``
    (the SDK's test sets the wrong attribute and sends ``taskId=None&taskID=...``)."""

    task_id: Annotated[str | None, query(max_len=64)] = None
    task_id_alias: Annotated[str | None, query(name="taskID", max_len=64)] = None
    status: Annotated[str | None, query(max_len=32)] = None
    device_id: Annotated[str | None, query(max_len=64)] = None
    command_id: Annotated[str | None, query(max_len=64)] = None
    node_id: Annotated[str | None, query(max_len=256)] = None
    index: Annotated[int | None, query(low=0, high=1_000_000)] = None
    page_no: Annotated[int | None, query(low=0, high=1_000_000)] = None
    page_size: Annotated[int | None, query(low=1, high=1000)] = None


class BatchCreated(TypedDict):
    taskID: str
