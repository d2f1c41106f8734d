"""IoTDA's two state machines as data: a device's status (spec §5.9) and an asynchronous
command's status (spec §7.2). Docs and error messages are generated from the tables;
:func:`step` refuses any move they do not list."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .._errors import InvariantError


class Status(str, enum.Enum):
    """A device's status, as ``status`` on the wire (``DELETED`` never reaches the wire)."""

    INACTIVE = "INACTIVE"  #: registered, never connected
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    ABNORMAL = "ABNORMAL"
    FROZEN = "FROZEN"
    DELETED = "DELETED"

    def __str__(self) -> str:
        return self.value


class CommandStatus(str, enum.Enum):
    """An asynchronous command's status (spec §7.2)."""

    PENDING = "PENDING"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    TIMEOUT = "TIMEOUT"
    EXPIRED = "EXPIRED"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Transition:
    name: str
    sources: frozenset[str | None]
    target: str
    doc: str


S = Status
C = CommandStatus
_LIVE = frozenset({S.INACTIVE, S.ONLINE, S.OFFLINE, S.ABNORMAL})

DEVICE_TRANSITIONS: tuple[Transition, ...] = (
    Transition("add", frozenset({None}), S.INACTIVE, "the application adds the device"),
    Transition(
        "activate",
        frozenset({S.INACTIVE}),
        S.ONLINE,
        "the device connects for the first time with a valid secret (sets active_time)",
    ),
    Transition(
        "connect",
        frozenset({S.OFFLINE, S.ABNORMAL, S.ONLINE}),
        S.ONLINE,
        "an activated device connects again",
    ),
    Transition(
        "disconnect",
        frozenset({S.ONLINE, S.ABNORMAL}),
        S.OFFLINE,
        "the device disconnects, or reset_device_secret(force_disconnect=true) drops it",
    ),
    Transition("abnormal", frozenset({S.ONLINE}), S.ABNORMAL, "the device's link is abnormal"),
    Transition("freeze", _LIVE, S.FROZEN, "freeze_device: the device may not connect"),
    Transition(
        "unfreeze", frozenset({S.FROZEN}), S.OFFLINE, "unfreeze_device on an activated device"
    ),
    Transition(
        "unfreeze_inactive",
        frozenset({S.FROZEN}),
        S.INACTIVE,
        "unfreeze_device on a device that never connected",
    ),
    Transition(
        "expire",
        frozenset({S.INACTIVE}),
        S.DELETED,
        "auth_info.timeout passed before the device's first connection: it is deleted",
    ),
    Transition("delete", _LIVE | {S.FROZEN}, S.DELETED, "delete_device"),
)

COMMAND_TRANSITIONS: tuple[Transition, ...] = (
    Transition("cache", frozenset({None}), C.PENDING, "send_strategy=delay, or device offline"),
    Transition("send", frozenset({None, C.PENDING}), C.SENT, "the platform sends it to the device"),
    Transition("refuse", frozenset({None}), C.FAILED, "immediately, but the device is offline"),
    Transition("deliver", frozenset({C.SENT}), C.DELIVERED, "the device acknowledged it"),
    Transition("succeed", frozenset({C.DELIVERED}), C.SUCCESSFUL, "the device's result: ok"),
    Transition("fail", frozenset({C.DELIVERED}), C.FAILED, "the device's result: failed"),
    Transition(
        "time_out",
        frozenset({C.SENT, C.DELIVERED}),
        C.TIMEOUT,
        "no result within iotda_async_command_timeout",
    ),
    Transition("expire", frozenset({C.PENDING}), C.EXPIRED, "still cached after expire_time"),
)

_DEVICE = {t.name: t for t in DEVICE_TRANSITIONS}
_COMMAND = {t.name: t for t in COMMAND_TRANSITIONS}
TERMINAL = frozenset({C.SUCCESSFUL, C.FAILED, C.TIMEOUT, C.EXPIRED})


def _step(table: dict[str, Transition], current: str | None, name: str) -> str:
    rule = table[name]
    if current not in rule.sources:
        allowed = ", ".join(sorted("(new)" if s is None else str(s) for s in rule.sources))
        raise InvariantError(
            f"illegal transition {name!r} from {current}: it starts from {allowed}"
        )
    return rule.target


def step(current: Status | None, name: str) -> Status:
    """The device status after transition ``name`` from ``current``."""
    return Status(_step(_DEVICE, current, name))


def step_command(current: CommandStatus | None, name: str) -> CommandStatus:
    """The async command status after transition ``name`` from ``current``."""
    return CommandStatus(_step(_COMMAND, current, name))


def markdown() -> str:
    """Both machines as tables, for ``docs/iotda.md``."""
    rows: list[str] = []
    for title, table in (("device", DEVICE_TRANSITIONS), ("async command", COMMAND_TRANSITIONS)):
        rows += [f"\n{title}:\n", "| transition | from | to | meaning |", "|---|---|---|---|"]
        for t in table:
            sources = ", ".join(sorted("(new)" if s is None else str(s) for s in t.sources))
            rows.append(f"| `{t.name}` | {sources} | {t.target} | {t.doc} |")
    return "\n".join(rows) + "\n"
