"""The base machine: steps, checks, and the three views compared after each step."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

from hypothesis.stateful import (
    RuleBasedStateMachine,
)

from .._clock import ManualClock
from .._platform import Platform
from .._transports._requests import mock
from ._common import BASE_URL, ContractViolation
from ._target import Deviation, Target, _Side


# =============================================================================================
# The shared machine
# =============================================================================================
class _Abandoned(Exception):
    """A client call failed against a target; the deviation is recorded, the step ends."""


F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")


def _step(default: object = None) -> Callable[[F], F]:
    """Record the rule in the machine's history; a step abandoned on a target returns
    ``default`` (what a rule with a target bundle hands to it)."""

    def decorate(function: F) -> F:
        name = function.__name__

        @functools.wraps(function)
        def run(self: Contract, **kwargs: Any) -> Any:
            arguments = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
            self.history.append(f"{name}({arguments})")
            try:
                return function(self, **kwargs)
            except _Abandoned:
                return default

        return cast(F, run)

    return decorate


class Contract(RuleBasedStateMachine):
    """What both machines share: the platform or target, the platform's moves, and checking
    the model against the other views."""

    #: run against this external platform instead of an in-process one (``None``: in-process).
    target: ClassVar[Target | None] = None
    base_url: ClassVar[str] = BASE_URL

    def __init__(self) -> None:
        super().__init__()
        self.history: list[str] = []
        self.remote = type(self).target
        self.platform: Platform | None = None
        self._mock: contextlib.ExitStack | None = None
        if self.remote is None:
            self.clock = ManualClock()
            self.platform = self.make_platform(self.clock)
            self.url = self.base_url
            self._mock = contextlib.ExitStack()
            self._mock.enter_context(mock(self.platform))
            self.side = _Side(self.platform, self.clock, None)
        else:
            self.remote.examples += 1
            self.url = self.remote.url
            self.side = _Side(None, None, self.remote.control())

    def make_platform(self, clock: ManualClock) -> Platform:
        """The platform each run uses (override to change settings)."""
        return Platform(seed=0, clock=clock, flow_control_limit=None)

    def teardown(self) -> None:
        if self._mock is not None:
            self._mock.close()

    # -- checking -------------------------------------------------------------------------------
    def expect(
        self, source: str, check: str, expected: object, got: object, *, of: str = ""
    ) -> bool:
        """Whether ``got`` (what ``source`` says about ``check`` of ``of``) is what the model
        expects. In-process a difference raises :class:`ContractViolation`; against a target it
        is recorded and the caller adopts the target's answer."""
        if expected == got:
            return True
        what = f"{check} of {of}" if of else check
        message = f"{what}: the model expects {expected!r}, {source} says {got!r}"
        if self.remote is None:
            after = self.history[-1] if self.history else "the start"
            raise ContractViolation(f"{message} (after {after})")
        self.remote.deviations.append(
            Deviation(
                type(self).__name__,
                self.remote.examples,
                tuple(self.history),
                check,
                of,
                source,
                repr(expected),
                repr(got),
            )
        )
        return False

    def call(self, what: str, action: Callable[[], R]) -> R:
        """Run a client call the model expects to succeed. Against a target a failure is a
        deviation and abandons the step; in-process it propagates."""
        if self.remote is None:
            return action()
        try:
            return action()
        except Exception as exc:
            got = f"{type(exc).__name__}: {exc}"
            self.expect("the target", f"the outcome of {what}", "success", got)
            raise _Abandoned from exc

    def device_side(self) -> bool:
        return self.side.devices

    def time_travel(self) -> bool:
        return self.side.time_travel
