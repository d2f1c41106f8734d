"""The device lifecycle as data: states, and the transitions allowed between them.

Both faces map their vocabulary onto these states (OceanConnect's OFFLINE/NOT_ACTIVE is
``registered``; EnOS's ``inactive`` likewise). Docs, error messages and the coverage summary
are generated from :data:`TRANSITIONS`; :func:`step` refuses any move not listed there.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, final

from ._errors import InvariantError


class State(str, enum.Enum):
    """Where a device is in its life."""

    REGISTERED = "registered"  #: created, never connected (or rekeyed and waiting to rebind)
    ONLINE = "online"
    OFFLINE = "offline"
    ABNORMAL = "abnormal"  #: a short-connection device that has been silent too long
    DISABLED = "disabled"  #: EnOS only: refused at login until enabled
    DELETED = "deleted"  #: gone; terminal

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Transition:
    """A legal move: from any of ``sources`` (``None``: a new entity) to ``target``."""

    name: str
    sources: frozenset[Any]
    target: Any
    doc: str


_ALIVE = frozenset({State.REGISTERED, State.ONLINE, State.OFFLINE, State.ABNORMAL})
_ACTIVE = frozenset({State.ONLINE, State.OFFLINE, State.ABNORMAL})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "register", frozenset({None}), State.REGISTERED, "the application registers the device"
    ),
    Transition(
        "bind",
        frozenset({State.REGISTERED}),
        State.ONLINE,
        "the device connects for the first time (or after a rekey) and is activated",
    ),
    Transition(
        "connect",
        frozenset({State.OFFLINE, State.ABNORMAL, State.ONLINE}),
        State.ONLINE,
        "an activated device connects or reports again",
    ),
    Transition(
        "disconnect",
        frozenset({State.ONLINE, State.ABNORMAL}),
        State.OFFLINE,
        "the device disconnects",
    ),
    Transition(
        "age_abnormal",
        frozenset({State.ONLINE}),
        State.ABNORMAL,
        "a short-connection device was silent for abnormal_after seconds",
    ),
    Transition(
        "age_offline",
        frozenset({State.ABNORMAL, State.ONLINE}),
        State.OFFLINE,
        "a short-connection device was silent for offline_after seconds",
    ),
    Transition(
        "rekey",
        frozenset({State.OFFLINE, State.ABNORMAL, State.REGISTERED}),
        State.REGISTERED,
        "the device's key or nodeId is replaced; it must bind again",
    ),
    Transition(
        "rekey_keep_active",
        _ACTIVE - {State.ONLINE},
        State.OFFLINE,
        "OceanConnect refresh key: new nodeId and verify code, activation kept",
    ),
    Transition(
        "expire",
        frozenset({State.REGISTERED}),
        State.DELETED,
        "the verify code expired before the device bound; the registration is deleted",
    ),
    Transition("disable", _ALIVE, State.DISABLED, "the device is disabled (EnOS)"),
    Transition(
        "enable",
        frozenset({State.DISABLED}),
        State.OFFLINE,
        "a disabled, activated device is enabled again (EnOS)",
    ),
    Transition(
        "enable_inactive",
        frozenset({State.DISABLED}),
        State.REGISTERED,
        "a disabled, never-activated device is enabled again (EnOS)",
    ),
    Transition(
        "delete", _ALIVE | {State.DISABLED}, State.DELETED, "the application deletes the device"
    ),
)


@final
class Lifecycle:
    """A state machine as data: named transitions between the members of a state enum.

    Faces declare theirs (``Face.lifecycle``); docs, error messages and the coverage summary
    are generated from it, and :meth:`step` refuses any move it does not list.
    """

    def __init__(self, name: str, transitions: Iterable[Transition]) -> None:
        self.name = name
        self.transitions = tuple(transitions)
        self.by_name = {t.name: t for t in self.transitions}

    def step(self, current: Any, transition: str) -> Any:
        """The state after ``transition`` from ``current``; raise if the move is not legal."""
        rule = self.by_name[transition]
        if current not in rule.sources:
            allowed = ", ".join(sorted(str(s) for s in rule.sources))
            raise InvariantError(
                f"illegal {self.name} transition {transition!r} from {current}: "
                f"it starts only from {allowed}"
            )
        return rule.target

    def markdown(self) -> str:
        """The machine as a table, for the docs."""
        rows = ["| transition | from | to | meaning |", "|---|---|---|---|"]
        for t in self.transitions:
            sources = ", ".join(sorted("(new)" if s is None else str(s.value) for s in t.sources))
            rows.append(f"| `{t.name}` | {sources} | {t.target.value} | {t.doc} |")
        return "\n".join(rows) + "\n"


#: the device lifecycle of the built-in faces
DEVICE = Lifecycle("device", TRANSITIONS)
BY_NAME: dict[str, Transition] = DEVICE.by_name


def step(current: State | None, transition: str) -> State:
    """The state after ``transition`` from ``current``; raise if the move is not legal."""
    target: State = DEVICE.step(current, transition)
    return target


def markdown() -> str:
    """The device lifecycle as a table, for the docs."""
    return DEVICE.markdown()
