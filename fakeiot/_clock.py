"""Clocks. The core never reads the wall clock itself; it asks the platform's clock."""

from __future__ import annotations

import time
from typing import Protocol, final, runtime_checkable

from ._errors import UsageError

#: 2026-01-01T00:00:00Z, where a :class:`ManualClock` starts unless told otherwise.
DEFAULT_MANUAL_START = 1_767_225_600.0


@runtime_checkable
class Clock(Protocol):
    """Anything with ``now()`` returning POSIX seconds can drive a platform."""

    def now(self) -> float: ...


@final
class SystemClock:
    """Reads ``time.time()`` at every call, so freezegun and time-machine steer it unaided."""

    __slots__ = ()

    def now(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


@final
class ManualClock:
    """A clock that moves only when told to: ``advance(seconds)`` or ``set(timestamp)``."""

    __slots__ = ("_now",)

    def __init__(self, start: float = DEFAULT_MANUAL_START) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` (never backwards) and return the new time."""
        if seconds < 0:
            raise UsageError(f"a ManualClock only moves forward; got advance({seconds!r})")
        self._now += seconds
        return self._now

    def set(self, timestamp: float) -> None:
        """Jump to ``timestamp`` (POSIX seconds); jumping backwards is refused."""
        if timestamp < self._now:
            raise UsageError(
                f"a ManualClock only moves forward; it reads {self._now}, asked for {timestamp}"
            )
        self._now = float(timestamp)

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"
