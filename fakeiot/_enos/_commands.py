"""EnOS commands (spec device-traffic B.1): the state machine as data, and the command record.

A command is *immediate* (``pendingTtl=0``: the northbound call waits for the device's answer)
or *cached* (kept until the device is reachable, at most ``pendingTtl`` seconds). The states are
the vendor's numeric codes (``get_command.md``: 1 Created, 2 Canceled, 3 Expired, 4 Released,
5 Send successfully, 6 Failed, 7 Response timed out); the moves between them are the fake's
reading of the docs (spec B.1, [I]) and are declared here once, in :data:`COMMAND`, which
refuses any other move and renders the table in ``docs/enos.md``.
"""

from __future__ import annotations

import enum
import time
from typing import Any

from .._lifecycle import Lifecycle, Transition


class CommandState(enum.IntEnum):
    """A command's ``state`` on the wire."""

    CREATED = 1  #: cached, waiting for the device
    CANCELED = 2
    EXPIRED = 3  #: ``pendingTtl`` elapsed before the device could take it
    RELEASED = 4  #: published to the device, no answer yet
    SUCCEEDED = 5  #: the device answered with code 200
    FAILED = 6  #: the device answered with another code
    TIMED_OUT = 7  #: no answer within ``timeout`` seconds

    def __str__(self) -> str:
        return f"{self.value} ({self.name.lower()})"


C = CommandState

#: 1 = measure point set, 2 = service invocation (``commandType``)
SET_MEASUREPOINT = 1
INVOKE_SERVICE = 2

COMMAND = Lifecycle(
    "EnOS command",
    (
        Transition("cache", frozenset({None}), C.CREATED, "a cached command is accepted"),
        Transition(
            "send",
            frozenset({None}),
            C.RELEASED,
            "an immediate command is published to the connected device",
        ),
        Transition(
            "release",
            frozenset({C.CREATED}),
            C.RELEASED,
            "a cached command is published: at once if the device is reachable, else at its "
            "next login (or when a sleeping device reports), oldest first",
        ),
        Transition(
            "succeed", frozenset({C.RELEASED}), C.SUCCEEDED, "the device replies with code 200"
        ),
        Transition("fail", frozenset({C.RELEASED}), C.FAILED, "the device replies another code"),
        Transition(
            "time_out",
            frozenset({C.RELEASED}),
            C.TIMED_OUT,
            "no reply within the command's timeout (1-60 s)",
        ),
        Transition(
            "expire",
            frozenset({C.CREATED}),
            C.EXPIRED,
            "pendingTtl elapsed before the device came online",
        ),
        Transition("cancel", frozenset({C.CREATED}), C.CANCELED, "action=cancel"),
    ),
)

#: states a command leaves no more
FINAL = frozenset({C.CANCELED, C.EXPIRED, C.SUCCEEDED, C.FAILED, C.TIMED_OUT})


def local_time(ms: int, timezone: str) -> str:
    """``createLocaltime``: ``yyyy-MM-dd HH:mm:ss`` in the device's UTC offset (UTC for a zone
    name: the fake keeps no zone database lookups on this path)."""
    offset = 0
    if len(timezone) == 6 and timezone[0] in "+-" and timezone[3] == ":":
        sign = -1 if timezone[0] == "-" else 1
        offset = sign * (int(timezone[1:3]) * 3600 + int(timezone[4:6]) * 60)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000 + offset))


class Command:
    """One command of one device (the Command struct of ``get_command.md`` and what the fake
    needs to drive it)."""

    __slots__ = (
        "asset_id",
        "command_id",
        "command_type",
        "create_local",
        "create_time",
        "input_data",
        "output_data",
        "pending_ttl",
        "released_at",
        "reply_at",
        "reply_body",
        "reply_ok",
        "state",
        "timeout",
        "tsl_identifier",
    )

    def __init__(
        self,
        command_id: str,
        asset_id: str,
        command_type: int,
        tsl_identifier: str,
        input_data: Any,
        pending_ttl: int,
        timeout: int,
        create_time: int,
        create_local: str,
    ) -> None:
        self.command_id = command_id
        self.asset_id = asset_id
        self.command_type = command_type
        self.tsl_identifier = tsl_identifier
        self.input_data = input_data
        self.pending_ttl = pending_ttl
        self.timeout = timeout
        self.create_time = create_time
        self.create_local = create_local
        self.state: CommandState | None = None
        self.output_data: Any = None
        #: virtual time (s) the command was published to the device
        self.released_at: float | None = None
        #: a reply the simulated device gives later (``later()``): when, body and success
        self.reply_at: float | None = None
        self.reply_body: Any = None
        self.reply_ok = True

    def deadlines(self) -> list[tuple[float, str]]:
        """The time-driven moves still ahead of this command: ``(when, kind)``."""
        if self.state is C.CREATED and self.pending_ttl:
            return [(self.create_time / 1000 + self.pending_ttl, "expire")]
        if self.state is C.RELEASED and self.released_at is not None:
            ahead = [(self.released_at + self.timeout, "time_out")]
            if self.reply_at is not None:
                ahead.append((self.reply_at, "reply"))
            return ahead
        return []

    def step(self, transition: str) -> None:
        self.state = COMMAND.step(self.state, transition)

    @property
    def immediate(self) -> bool:
        return self.pending_ttl == 0

    def wire(self, org_id: str, product_key: str, device_key: str) -> dict[str, Any]:
        """The Command struct (``createTime`` a number, key ``createLocaltime``: the search and
        cancel samples' spelling, spec B.1)."""
        return {
            "commandId": self.command_id,
            "orgId": org_id,
            "productKey": product_key,
            "deviceKey": device_key,
            "assetId": self.asset_id,
            "createTime": self.create_time,
            "createLocaltime": self.create_local,
            "commandType": self.command_type,
            "commandName": {
                "defaultValue": self.tsl_identifier,
                "i18nValue": {"en_US": self.tsl_identifier},
            },
            "timeout": self.timeout,
            "pendingTtl": self.pending_ttl,
            "state": int(self.state or 0),
            "tslIdentifier": self.tsl_identifier,
            "inputData": self.input_data,
            "outputData": self.output_data,
        }

    # -- the state file ---------------------------------------------------------------------------
    def record(self) -> list[Any]:
        return [
            self.command_id,
            self.command_type,
            self.tsl_identifier,
            self.input_data,
            self.pending_ttl,
            self.timeout,
            self.create_time,
            self.create_local,
            int(self.state or 0),
            self.output_data,
            self.released_at,
            self.reply_at,
            self.reply_body,
            self.reply_ok,
        ]

    @classmethod
    def from_record(cls, asset_id: str, r: list[Any]) -> Command:
        command = cls(
            str(r[0]), asset_id, int(r[1]), str(r[2]), r[3], int(r[4]), int(r[5]), int(r[6]), r[7]
        )
        command.state = CommandState(int(r[8]))
        command.output_data = r[9]
        command.released_at = None if r[10] is None else float(r[10])
        command.reply_at = None if r[11] is None else float(r[11])
        command.reply_body, command.reply_ok = r[12], bool(r[13])
        return command
