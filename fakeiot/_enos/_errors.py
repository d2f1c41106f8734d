"""EnOS's error table: one row per vendor error, raised by name, rendered once.

Four body shapes exist on the wire (spec §2.3-§2.5, §6):

- ``envelope``: the Connect Service envelope ``{"code", "msg", "requestId", "data": null}``
  with HTTP 200 (business errors are never HTTP errors, spec §2.4);
- ``gateway``: the API gateway's ``{"message": ...}`` with an HTTP error status (spec §2.5);
- ``token``: the token service's ``{"status", "msg", "business", "data": null}`` (spec §6.3);
- ``apim``: the Poseidon refresh signals ``{"apim_status": 4011|4012, ...}`` (spec §6.1).

Version-dependent codes (spec §9.5) have a second row in :data:`PROFILE_2_1`, used when the
``enos_error_profile`` setting is ``"2.1"``.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from .._errors import ApiError


class Row(NamedTuple):
    status: int
    #: the vendor code as text (``platform.faults.inject(error="11404")`` finds it); the
    #: envelope and token shapes render it as a JSON integer.
    code: str
    msg: str
    shape: str = "envelope"


class EnosError(enum.Enum):
    """Every error the EnOS face can answer with."""

    # -- public codes (spec §2.4) --------------------------------------------------------------
    INVALID_ARGUMENTS = Row(200, "99400", "Invalid arguments")
    ACTION_MISSING = Row(200, "99400", "Invalid Argument action:action is missing")
    ACTION_UNKNOWN = Row(200, "99400", "Invalid Argument action:action {action} is not supported")
    ORG_MISSING = Row(200, "99400", "Invalid Argument orgId:orgId is missing")
    ORG_NOT_EXIST = Row(200, "99400", "Invalid Argument orgId:  orgId does not exist")
    DEVICE_INFO_INVALID = Row(200, "99400", "Invalid arguments: Device information is invalid.")
    DENIED = Row(200, "99403", "Denied resource:  orgId {org_id}")
    NOT_FOUND = Row(200, "99404", "Not found")
    INTERNAL = Row(200, "99500", " Internal Server Error")
    # -- products (spec §3) --------------------------------------------------------------------
    PRODUCT_NOT_FOUND = Row(200, "11611", "Not found")
    PRODUCT_HAS_DEVICES = Row(200, "11619", "Existing Device Restrictions")
    MODEL_NOT_EXIST = Row(200, "11699", "modelId does not exist")
    # -- devices (spec §4) ---------------------------------------------------------------------
    DEVICE_NOT_FOUND = Row(200, "11404", "Device cannot be found")
    DEVICE_KEY_EXISTED = Row(200, "11702", "DeviceKey existed")
    DEVICE_KEY_REPETITIVE = Row(200, "11704", "DeviceKey is repetitive")
    GENERATE_KEY_FAILED = Row(200, "11714", "Generate deviceKey failed")
    EXCEED_MAX_DEVICES = Row(200, "11739", "Exceed max device size")
    ENABLE_INACTIVE = Row(200, "11721", "Device is inactive")
    ENABLE_OFFLINE = Row(200, "11721", "Device is offline")
    ENABLE_ONLINE = Row(200, "11721", "Deivce is online")  # sic, spec §4.7
    ENABLE_NOT_FOUND = Row(200, "11721", "Device not found")
    DISABLE_DISABLED = Row(200, "11723", "Device is disabled")
    # -- commands (spec device-traffic B.1; texts from EN-API invoke_service.md) --------------
    DEVICE_OFFLINE = Row(
        200, "11900", "The device is offline and the instant command cannot be sent."
    )
    DEVICE_INACTIVE = Row(
        200, "11888", "The device is not activated and the instant command cannot be sent."
    )
    COMMAND_NOT_SENT = Row(
        200, "11904", "The command is not sent, and the instant command timed out."
    )
    COMMAND_TIMED_OUT = Row(200, "11915", "The command is sent, but the response timed out.")
    CACHED_COMMANDS_FULL = Row(
        200, "11902", "The number of cached commands reached the upper limit."
    )
    CUSTOM_FORMAT = Row(
        200,
        "11810",
        "The command is not able to encode/convert to the product's custom data format.",
    )
    # -- API gateway (spec §2.5) ---------------------------------------------------------------
    BAD_REQUEST_BODY = Row(400, "400", "Cannot process request body", "gateway")
    UNAUTHORIZED = Row(401, "401", "Invalid authentication credentials", "gateway")
    IP_NOT_ALLOWED = Row(403, "403", "Your IP address is not allowed", "gateway")
    PAYLOAD_TOO_LARGE = Row(413, "413", "Request size limit exceeded", "gateway")
    RATE_LIMITED = Row(429, "429", "API rate limit exceeded", "gateway")
    GATEWAY_ERROR = Row(500, "500", "An unexpected error occurred", "gateway")
    UNAVAILABLE = Row(503, "503", "Service unavailable", "gateway")
    # -- token service (spec §6.3) -------------------------------------------------------------
    TOKEN_REPLAYED = Row(200, "1001", "Repeated requests with duplicated encryption", "token")
    TOKEN_APP_KEY_UNKNOWN = Row(200, "1002", "The appKey does not exist", "token")
    TOKEN_ENCRYPTION_INVALID = Row(200, "1003", "The encryption is not valid", "token")
    TOKEN_INVALID_PARAMETER = Row(200, "1004", "Invalid parameter", "token")
    TOKEN_INTERNAL = Row(200, "1005", "Internal service exception", "token")
    TOKEN_PARAMETER_EMPTY = Row(200, "1202", "The parameter is empty", "token")
    TOKEN_EXPIRED = Row(200, "1203", "The access token has expired", "token")
    TOKEN_REFRESH_FAILED = Row(200, "1204", "Failed to refresh access token", "token")
    # -- Poseidon refresh signals (spec §6.1) --------------------------------------------------
    POSEIDON_ACCESS_EXPIRED = Row(200, "4011", "access token expired", "apim")
    POSEIDON_REFRESH_EXPIRED = Row(200, "4012", "refresh token expired", "apim")

    @property
    def row(self) -> Row:
        return self.value


E = EnosError

#: rows the 2.1.0 docs give instead of the newest docs' (spec §4.3, §4.7, §4.8, §9.5).
PROFILE_2_1: dict[EnosError, Row] = {
    E.DEVICE_NOT_FOUND: E.NOT_FOUND.value,
    E.ENABLE_NOT_FOUND: E.NOT_FOUND.value,
    E.ENABLE_INACTIVE: Row(200, "11794", "Device status is invalid"),
    E.ENABLE_OFFLINE: Row(200, "11794", "Device status is invalid"),
    E.ENABLE_ONLINE: Row(200, "11794", "Device status is invalid"),
    E.DISABLE_DISABLED: Row(200, "11794", "Device status is invalid"),
}


def bad(detail: str) -> ApiError:
    """``99400 Invalid arguments`` with ``detail`` for humans (never on the wire)."""
    return ApiError(E.INVALID_ARGUMENTS, detail)
