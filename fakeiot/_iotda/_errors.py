"""IoTDA's error table: one row per vendor error, raised by name, rendered once.

Every error is ``{"error_code": "IOTDA.xxxxxx", "error_msg": "..."}`` with the row's HTTP
status and an ``X-Request-Id`` header (spec §1.7). Rows marked *fake's choice* have no public
evidence for their code (spec §12 question 1); they are documented in ``docs/iotda.md``.
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class Row(NamedTuple):
    status: int
    code: str
    msg: str


class IotdaError(enum.Enum):
    """Every error the IoTDA face can answer with."""

    # -- input (spec §1.7, DOC-ERR) ------------------------------------------------------------
    INVALID_PARAM = Row(400, "IOTDA.000006", "Invalid input data.")
    BAD_REQUEST = Row(
        400,
        "IOTDA.000008",
        "Invalid input. Bad request, for more detail, refer to the error message.",
    )
    INVALID_TIME = Row(400, "IOTDA.000009", "Invalid input. Invalid time format.")
    TIME_ORDER = Row(
        400, "IOTDA.000010", "Invalid input. The start time must be earlier than the end time."
    )
    LIMIT_RANGE = Row(
        400, "IOTDA.000017", "Invalid input. The specified parameter 'limit' is out of range."
    )
    # -- gateway -------------------------------------------------------------------------------
    UNAUTHORIZED = Row(401, "IOTDA.000002", "Authentication failed.")
    FORBIDDEN = Row(
        403, "IOTDA.000022", "Operation not allowed. The user does not have the permission"
    )
    #: an ``Instance-Id`` this project does not own (fake's choice of code, spec §12)
    INSTANCE_UNKNOWN = Row(403, "IOTDA.000021", "The instance does not exist or is not available.")
    NO_ROUTE = Row(404, "IOTDA.000001", "The requested API does not exist.")
    #: an SDK operation fakeiot does not serve (spec §2.2: "501/IOTDA.000006-style")
    NOT_SUPPORTED = Row(501, "IOTDA.000006", "The operation is not supported by fakeiot.")
    # -- devices (spec §5) ---------------------------------------------------------------------
    DEVICE_NOT_FOUND = Row(404, "IOTDA.014000", "The device does not exist.")
    DEVICE_EXISTS = Row(400, "IOTDA.014031", "Invalid input. The device already exists.")
    DEVICE_NOT_ONLINE = Row(403, "IOTDA.014016", "Operation not allowed. The device is not online.")
    FREEZE_CHILD = Row(
        403,
        "IOTDA.014038",
        "Operation not allowed. It is not allowed to freeze sub-devices, only gateways or "
        "directly connected devices can be frozen.",
    )
    NOT_FROZEN = Row(
        403, "IOTDA.014040", "Operation not allowed. The device is not frozen, can not unfreeze."
    )
    #: fake's choice of code: deleting a device that still has children (spec §5.5)
    DEVICE_HAS_CHILDREN = Row(
        403, "IOTDA.014041", "Operation not allowed. The device has sub-devices."
    )
    #: fake's choice of code: a gateway_id that names no device (spec §5.1)
    GATEWAY_NOT_FOUND = Row(404, "IOTDA.014002", "The gateway does not exist.")
    #: fake's choice of code: a third level of children (spec §9, two levels)
    GATEWAY_TOO_DEEP = Row(
        400, "IOTDA.014042", "Invalid input. Sub-devices can have at most two levels."
    )
    #: a sync command or property call the device did not answer in time: HTTP 200 (spec §0.3)
    COMMAND_TIMEOUT = Row(
        200,
        "IOTDA.014111",
        "Command request timed out. Check whether the device returns a response within the "
        "specified time after receiving the request.",
    )
    #: fake's choice of code: the 21st PENDING async command of a device (spec §7.2)
    COMMAND_QUEUE_FULL = Row(
        403, "IOTDA.014043", "Operation not allowed. The number of cached commands exceeds 20."
    )
    COMMAND_NOT_FOUND = Row(404, "IOTDA.014010", "The command does not exist.")
    #: fake's choice of code: a shadow ``version`` that is not the current one (spec §6.2)
    SHADOW_VERSION = Row(409, "IOTDA.014050", "The shadow version does not match.")
    MESSAGE_NOT_FOUND = Row(404, "IOTDA.014011", "The message does not exist.")
    MESSAGE_EXISTS = Row(400, "IOTDA.014032", "Invalid input. The message id already exists.")
    # -- products (spec §4) --------------------------------------------------------------------
    #: fake's choice of code (third-party code guesses it, spec §1.7)
    PRODUCT_NOT_FOUND = Row(404, "IOTDA.014204", "The product does not exist.")
    PRODUCT_EXISTS = Row(400, "IOTDA.014205", "Invalid input. The product already exists.")
    PRODUCT_HAS_DEVICES = Row(
        403, "IOTDA.014206", "Operation not allowed. The product has devices."
    )
    # -- groups, tags, resource spaces, forwarding (spec §8) -----------------------------------
    GROUP_NOT_FOUND = Row(404, "IOTDA.014300", "The device group does not exist.")
    GROUP_EXISTS = Row(400, "IOTDA.014301", "Invalid input. The device group already exists.")
    GROUP_LIMIT = Row(
        403, "IOTDA.014302", "Operation not allowed. A device can be in at most 10 groups."
    )
    TAG_LIMIT = Row(
        403, "IOTDA.014310", "Operation not allowed. A resource can have at most 10 tags."
    )
    TAG_NOT_FOUND = Row(404, "IOTDA.014311", "The tag does not exist.")
    APP_NOT_FOUND = Row(404, "IOTDA.014400", "The resource space does not exist.")
    APP_EXISTS = Row(400, "IOTDA.014401", "Invalid input. The resource space already exists.")
    APP_DEFAULT = Row(
        403, "IOTDA.014402", "Operation not allowed. The default resource space cannot be deleted."
    )
    RULE_NOT_FOUND = Row(404, "IOTDA.014500", "The routing rule does not exist.")
    ACTION_NOT_FOUND = Row(404, "IOTDA.014501", "The rule action does not exist.")

    @property
    def row(self) -> Row:
        return self.value
