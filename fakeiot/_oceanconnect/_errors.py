"""OceanConnect's error table: one row per vendor error, raised by name, rendered once.

Text: one text per code, platform-wide. Where sources differ, real captured traffic wins, then
the platform-style texts of the register and activation seed pages, then the spec's doc tables
(docs/fidelity.md lists each choice).
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class Row(NamedTuple):
    status: int
    code: str
    desc: str
    #: "gateway" rows come from the API gateway in front of the platform: {"resultcode", ...}
    shape: str = "standard"
    #: the text the doc tables give for a gateway row rendered in the standard shape
    standard_desc: str = ""


class OcError(enum.Enum):
    """Every error the OceanConnect face can answer with."""

    # authentication
    APP_FROZEN = Row(400, "100247", "Operation not allowed. The application has been frozen.")
    REQUIRED_PARAMETER_MISSING = Row(400, "102202", "Required Parameter is null or empty.")
    APP_OR_SECRET_WRONG = Row(401, "100208", "AppId or secret is not right.")
    APP_KEY_MISSING = Row(401, "100025", "AppId for auth not exist.")
    TOKEN_INVALID = Row(
        403,
        "1010005",
        "Invalid access token or appId.",
        "gateway",
        "App_key or access_token is invalid.",
    )
    THROTTLED = Row(403, "1010009", "app throttle exceed.", "gateway", "app throttle exceed.")
    # applications
    APP_NOT_EXIST = Row(403, "100203", "The application is not existed.")
    APP_NOT_EXIST_INTERNAL = Row(500, "100203", "The application is not existed.")
    APP_NOT_AUTHORIZED = Row(403, "100217", "The application hasn't been authorized.")
    APP_INPUT_INVALID = Row(400, "100216", "The application input is invalid.")
    # request validation
    INPUT_INVALID = Row(400, "50400", "The input is invalid.")
    MODIFY_INPUT_INVALID = Row(400, "100022", "The input is invalid.")
    BAD_REQUEST = Row(400, "100007", "Bad request message.")
    #: a JSON body under another Content-Type, with ``oceanconnect_strict_content_type`` [?]
    UNSUPPORTED_MEDIA_TYPE = Row(415, "100007", "Bad request message.")
    INVALID_VERIFY_CODE = Row(400, "100003", "Invalid verify code.")
    IS_SECURE_INVALID = Row(400, "100440", "The isSecure is invalid.")
    REQUEST_PARAMETER_INVALID = Row(400, "100405", "The request parameter is invalid.")
    GATEWAY_AND_PAGE_NULL = Row(400, "100218", "The gatewayId and pageNo can't be both null.")
    # subscriptions
    CALLBACK_URL_ILLEGAL = Row(400, "100222", "The request callbackurl is illegal.")
    SUBSCRIPTION_INPUT_INVALID = Row(400, "100228", "The application input is invalid.")
    RESOURCE_NOT_FOUND = Row(404, "100225", "The resource is not found")
    RESOURCE_CONFLICT = Row(409, "100227", "The resource is conflicted.")
    # devices
    DEVICE_NOT_FOUND = Row(404, "100403", "The device is not existed.")
    DEVICE_DATA_NOT_FOUND = Row(404, "100418", "The deviceData is not existed.")
    NODE_ID_DUPLICATED = Row(400, "100426", "The nodeId is duplicated.")
    ALREADY_BOUND = Row(400, "100416", "The device has already been bounded.")
    DEVICE_NOT_ACTIVE = Row(400, "100610", "Device is not active.")
    DEVICE_ONLINE = Row(400, "100611", "Device is online.")
    PRODUCT_NOT_EXIST = Row(403, "600002", "The product not existed.")
    # quotas and licences
    DEVICE_LIMIT = Row(500, "100412", "The amount of device has reached the limit.")
    NON_SECURE_LIMIT = Row(500, "100441", "The amount of nonSecure device has reached the limit.")
    LICENSE_POOL_EXHAUSTED = Row(200, "103028", "The license pool resources.")
    LICENSE_NOT_EXIST = Row(500, "103026", "The license is not exist.")
    FROZEN_DEVICE_LIMIT = Row(403, "500004", "The amount of frozen devices has reached the limit.")
    # commands (spec A.2-A.6, A.15): the command family answers several errors with HTTP 200
    COMMAND_DEVICE_NOT_FOUND = Row(200, "100418", "The deviceData is not existed.")
    DEVICE_NOT_ONLINE = Row(200, "100428", "The device is not online.")
    SERVICE_TYPE_NOT_EXIST = Row(200, "100431", "The serviceType is not exist.")
    COMMAND_NOT_FOUND = Row(200, "100434", "The device command is not existed.")
    COMMAND_NOT_CANCELABLE = Row(
        200, "100435", "The device command already canceled, expired or executed, Cannot cancel."
    )
    COMMAND_LIMIT = Row(400, "100223", "Command counts has reached the upLimit.")
    #: a command to a device whose ``mute`` is ``"TRUE"`` (spec A.15 side note)
    COMMAND_MUTED = Row(200, "100432", "The device command is muted.")
    DEVICE_ZOMBIE = Row(403, "100612", "Device is zombie.")
    CONGESTION = Row(
        503, "100501", "Congestion occurs, and the current network has been flow-controlled"
    )
    APP_KEY_HEADER_FAILED = Row(500, "100220", "Get AppKey from header failed.")
    IOTWS_ADDRESS_FAILED = Row(500, "101016", "Get iotws address failed.")
    # shadow (spec A.12)
    CAPABILITY_NOT_EXIST = Row(200, "100425", "The special deviceCapability is not exist.")
    PROPERTIES_EMPTY = Row(400, "107002", "The properties is empty in database.")
    PROPERTIES_UNKNOWN = Row(400, "107003", "The request properties is unknown.")
    PROPERTY_NOT_WRITABLE = Row(403, "100443", "The property is forbidden to write.")
    # device groups (spec A.13)
    GROUP_NAME_USED = Row(200, "100602", "The device group name has been used.")
    GROUP_LIMIT = Row(200, "100607", "The devGroup has reached the limit.")
    GROUP_TOO_MANY_DEVICES = Row(400, "100609", "Too much devices to add.")
    # internal (reachable through platform.faults)
    INTERNAL_ERROR = Row(500, "50252", "Internal server error.")
    INTERNAL_SERVER_ERROR = Row(500, "100001", "Internal server error.")
    DATABASE_ABNORMAL = Row(500, "100023", "The data in dataBase is abnomal.")

    @property
    def row(self) -> Row:
        return self.value


#: the group routes (spec A.13): one error table, the create page's, serves them all
GROUP_ROUTES = (
    "create_device_group",
    "query_device_groups",
    "query_device_group",
    "modify_device_group",
    "delete_device_group",
    "device_group_members",
    "add_devices_to_group",
    "remove_devices_from_group",
)
_APP = (OcError.APP_NOT_EXIST, OcError.APP_NOT_AUTHORIZED)


def _rows(names: tuple[str, ...], errors: tuple[OcError, ...]) -> set[tuple[str, OcError]]:
    return {(f"oceanconnect.{name}", error) for name in names for error in errors}


#: (route, error) pairs the vendor's table for the route lists with HTTP 200 and with no 4xx
#: row: always answered with 200 (spec OC §2.3: a 4xx status only where the route's table
#: has a 4xx row for the code). Create and query command list 100203 only with 200 (A.2,
#: A.4); modify command (A.5) and the groups (A.13) list 100203 and 100217 only with 200.
HTTP200_ONLY: frozenset[tuple[str, OcError]] = frozenset(
    _rows(("create_device_command", "query_device_commands"), (OcError.APP_NOT_EXIST,))
    | _rows(("update_device_command",), _APP)
    | _rows(GROUP_ROUTES + tuple(f"{name}_dm" for name in GROUP_ROUTES[:5]), _APP)
)

#: (route, error) pairs the vendor tables list with HTTP 200 beside a 4xx row; answered with
#: 200 when the ``oceanconnect_http200_errors`` setting is on.
HTTP200_ROWS: frozenset[tuple[str, OcError]] = frozenset(
    {
        ("oceanconnect.refresh_device_key", OcError.APP_NOT_AUTHORIZED),
        ("oceanconnect.modify_device", OcError.APP_NOT_EXIST),
    }
    # 100217 on create and query command (A.2, A.4), both codes on the cancel-task query
    # (A.6); the create cancel-task page gives no table: it follows the query
    | _rows(("create_device_command", "query_device_commands"), (OcError.APP_NOT_AUTHORIZED,))
    | _rows(("create_command_cancel_task", "query_command_cancel_tasks"), _APP)
)
