"""OceanConnect device commands as data: the status machine (spec A.3), the command and
cancel-task records, the face's traffic settings, and their wire shapes (spec A.2, A.6).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from .._errors import UsageError
from .._lifecycle import Lifecycle, Transition
from ._model import wire_time

HOUR = 3600.0
DAY = 24 * HOUR


class CommandStatus(str, enum.Enum):
    """A V4 command's status, as ``status`` on the wire (spec A.3)."""

    PENDING = "PENDING"  #: cached, not yet sent (older SDK docs say DEFAULT)
    SENT = "SENT"  #: sent to the device, no acknowledgement yet
    DELIVERED = "DELIVERED"  #: the device acknowledged it
    SUCCESSFUL = "SUCCESSFUL"  #: the device's result says it succeeded
    FAILED = "FAILED"  #: the device's result says it failed
    TIMEOUT = "TIMEOUT"  #: no acknowledgement within the ACK window, or no result in time
    EXPIRED = "EXPIRED"  #: still cached when ``expireTime`` ran out
    CANCELED = "CANCELED"  #: cancelled by the application while PENDING

    def __str__(self) -> str:
        return self.value


C = CommandStatus

COMMAND = Lifecycle(
    "command",
    (
        Transition(
            "cache",
            frozenset({None}),
            C.PENDING,
            "expireTime > 0 and the device is unreachable (or another command awaits its ACK)",
        ),
        Transition(
            "send",
            frozenset({None, C.PENDING}),
            C.SENT,
            "sent at once (expireTime 0, or a reachable device), or when the device connects, "
            "reports or wakes",
        ),
        Transition(
            "resend",
            frozenset({C.SENT}),
            C.SENT,
            "no ACK yet: sent again on the retransmission schedule (up to maxRetransmit times)",
        ),
        Transition("deliver", frozenset({C.SENT}), C.DELIVERED, "the device acknowledged it"),
        Transition(
            "succeed", frozenset({C.DELIVERED}), C.SUCCESSFUL, "the device's result: success"
        ),
        Transition("fail", frozenset({C.DELIVERED}), C.FAILED, "the device's result: an error"),
        Transition(
            "time_out",
            frozenset({C.SENT, C.DELIVERED}),
            C.TIMEOUT,
            "no ACK within the ACK window, or no result within the result timeout",
        ),
        Transition(
            "expire",
            frozenset({C.PENDING}),
            C.EXPIRED,
            "still PENDING at creationTime + expireTime",
        ),
        Transition(
            "cancel",
            frozenset({C.PENDING}),
            C.CANCELED,
            "PUT status=CANCELED, or a cancel task for the device",
        ),
    ),
)

#: statuses a command never leaves
FINAL = frozenset({C.SUCCESSFUL, C.FAILED, C.TIMEOUT, C.EXPIRED, C.CANCELED})
#: statuses the status callback reports (spec A.7.1: "failed, successful, timeout, sent,
#: delivered"; EXPIRED and CANCELED are not pushed)
CALLBACK_STATUSES = frozenset({C.SENT, C.DELIVERED, C.SUCCESSFUL, C.FAILED, C.TIMEOUT})


@dataclass(frozen=True, slots=True)
class OcSettings:
    """The OceanConnect face's traffic settings: ``Platform(oceanconnect_command_...=...)``.

    Every default is the spec's (A.2, A.3, A.9): where the vendor is silent the choice is
    documented in docs/oceanconnect.md.
    """

    #: ``expireTime`` when the body gives none: 48 h (spec A.2 [C])
    oceanconnect_command_expire_default: int = 172_800
    #: ``maxRetransmit`` when the body gives none (captured responses show 3)
    oceanconnect_command_retransmit_default: int = 3
    #: seconds after the first send at which an unacknowledged command is sent again
    #: (spec A.3: after 10-15 s, 20-30 s and 40-60 s more), at most ``maxRetransmit`` of them
    oceanconnect_command_resend_at: tuple[float, ...] = (15.0, 45.0, 105.0)
    #: seconds after the first send at which an unacknowledged command is TIMEOUT
    oceanconnect_command_ack_timeout: float = 120.0
    #: seconds a DELIVERED command waits for the device's result before it is TIMEOUT
    oceanconnect_command_result_timeout: float = 180.0
    #: PENDING commands a device may hold; one more is 400/100223
    oceanconnect_command_pending_limit: int = 20
    #: a device last seen longer ago than this is a zombie: 403/100612 (``None``: never)
    oceanconnect_zombie_after: float | None = 7 * DAY
    #: ``expireTime`` 0 to an unreachable device: create it (SENT, then TIMEOUT), or answer
    #: 200/100428 (spec A.2 [?])
    oceanconnect_reject_offline_immediate: bool = False
    #: push the SENT status to the command's callbackUrl (documented, never captured [?])
    oceanconnect_push_sent_callback: bool = True
    #: HTTP status of a created command (spec A.2 [?]: 201 assumed)
    oceanconnect_command_create_status: int = 201
    #: how long reported data stays in the data history (spec A.9: 7 days by default)
    oceanconnect_history_retention: float = 7 * DAY
    #: entries of data history (and of desired history) one device keeps
    oceanconnect_history_limit: int = 10_000
    #: commands and cancel tasks kept per device once final (the oldest final ones go first)
    oceanconnect_command_keep: int = 1_000
    #: device groups one application may hold; one more is 200/100607 [?: limit unknown]
    oceanconnect_group_limit: int = 1_000
    #: the answer of data and desired history for a device the application does not have
    #: (spec A.9 [?]: the error table was not found): ``"100418"``, 200/100418 as the command
    #: family answers; ``"100403"``, 404/100403 as device management does (404/100418 for
    #: another application's device)
    oceanconnect_history_unknown_device: Literal["100418", "100403"] = "100418"

    def __post_init__(self) -> None:
        if self.oceanconnect_history_unknown_device not in ("100418", "100403"):
            raise UsageError(
                "oceanconnect_history_unknown_device is '100418' (200/100418) or '100403' "
                f"(404/100403), not {self.oceanconnect_history_unknown_device!r}"
            )


class CommandBody(TypedDict):
    serviceId: str
    method: str
    paras: Any


class CommandAnswer(TypedDict, total=False):
    """``DeviceCommandRespV4``: unset fields are omitted, as in captured answers."""

    commandId: str
    appId: str
    deviceId: str
    command: CommandBody
    callbackUrl: str
    expireTime: int
    status: str
    result: dict[str, Any]
    creationTime: str
    executeTime: str
    platformIssuedTime: str
    deliveredTime: str
    issuedTimes: int
    maxRetransmit: int


class Command:
    """One V4 device command. ``status`` moves only through :data:`COMMAND`."""

    __slots__ = (
        "app_id",
        "callback_url",
        "command_id",
        "created",
        "delivered",
        "device_id",
        "executed",
        "expire_time",
        "gen",
        "issued",
        "issued_times",
        "max_retransmit",
        "method",
        "paras",
        "reply",
        "reply_at",
        "result",
        "sent_at",
        "seq",
        "service_id",
        "status",
    )

    def __init__(
        self,
        command_id: str,
        app_id: str,
        device_id: str,
        service_id: str,
        method: str,
        paras: Any,
        callback_url: str | None,
        expire_time: int,
        max_retransmit: int,
        created: float,
        seq: int,
    ) -> None:
        self.command_id = command_id
        self.app_id = app_id
        self.device_id = device_id
        self.service_id = service_id
        self.method = method
        self.paras = paras
        self.callback_url = callback_url
        self.expire_time = expire_time
        self.max_retransmit = max_retransmit
        self.created = created
        self.seq = seq
        self.status: CommandStatus | None = None
        #: platformIssuedTime, deliveredTime, executeTime
        self.issued: float | None = None
        self.delivered: float | None = None
        self.executed: float | None = None
        #: retransmissions so far (the captured answer of a just-sent command shows 0)
        self.issued_times = 0
        #: ``{"resultCode", "resultDetail"}`` once final (``None`` before)
        self.result: dict[str, Any] | None = None
        #: a late answer the device gave (``later``): its body, applied at ``reply_at``
        self.reply: Any = None
        self.reply_at: float | None = None
        #: the first send (the retransmission schedule counts from it)
        self.sent_at: float | None = None
        #: bumped on every move: timers carry it, stale ones are skipped
        self.gen = 0

    def export(self) -> dict[str, Any]:
        """The command as JSON-ready data, for the state store."""
        out = {name: getattr(self, name) for name in self.__slots__}
        out["status"] = None if self.status is None else self.status.value
        return out

    @classmethod
    def restore(cls, data: dict[str, Any]) -> Command:
        """A command back from :meth:`export` (``KeyError``/``ValueError`` if malformed)."""
        command = cls.__new__(cls)
        for name in cls.__slots__:
            setattr(command, name, data[name])
        command.status = None if data["status"] is None else CommandStatus(data["status"])
        return command

    def wire(self) -> CommandAnswer:
        out: CommandAnswer = {
            "commandId": self.command_id,
            "appId": self.app_id,
            "deviceId": self.device_id,
            "command": {"serviceId": self.service_id, "method": self.method, "paras": self.paras},
        }
        if self.callback_url is not None:
            out["callbackUrl"] = self.callback_url
        out["expireTime"] = self.expire_time
        out["status"] = str(self.status)
        if self.result is not None:
            out["result"] = self.result
        out["creationTime"] = wire_time(self.created)
        if self.executed is not None:
            out["executeTime"] = wire_time(self.executed)
        if self.issued is not None:
            out["platformIssuedTime"] = wire_time(self.issued)
        if self.delivered is not None:
            out["deliveredTime"] = wire_time(self.delivered)
        out["issuedTimes"] = self.issued_times
        out["maxRetransmit"] = self.max_retransmit
        return out


class CancelTaskAnswer(TypedDict):
    taskId: str
    appId: str
    deviceId: str
    status: str
    totalCount: int
    deviceCommands: list[CommandAnswer]


@dataclass
class CancelTask:
    """A command cancel task (spec A.6): run at once, so always ``SUCCESS``."""

    task_id: str
    app_id: str
    device_id: str
    created: float
    command_ids: list[str]
    status: str = "SUCCESS"


class Pagination(TypedDict):
    pageNo: int
    pageSize: int
    totalSize: int


class CommandsAnswer(TypedDict):
    pagination: Pagination
    data: list[CommandAnswer]


class CancelTasksAnswer(TypedDict):
    pagination: Pagination
    data: list[CancelTaskAnswer]
