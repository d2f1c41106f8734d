"""The face-independent half of a simulated device: how it answers commands.

A test tells a simulated device how to answer with ``dev.on_command(handler)``. The handler
gets a :class:`Command` and returns one of:

- a dict (or ``None`` for the default acknowledgement): the device answers at once;
- :func:`later` ``(seconds, body)``: it answers after ``seconds`` of virtual time (a synchronous
  caller whose timeout is shorter sees a timeout; an asynchronous command completes lazily when
  the clock passes that point);
- :func:`fail` ``(body)``: it answers that the command failed;
- :data:`NEVER`: it never answers (the caller times out);
- :data:`PENDING`: it answers later, when the test (or the MQTT front, for a real device) calls
  ``dev.respond(command_id, body)``; until then the command waits as for :data:`NEVER`.

A handler that raises answers "failed"; the exception is kept in ``dev.errors``. An asleep
device (``dev.sleep()``, a PSM NB-IoT device) receives nothing until ``dev.wake()``. Faces add
the vendor half (connect, report, messages) in a subclass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

DEFAULT_ANSWER: dict[str, Any] = {"result_code": 0}


@dataclass(frozen=True, slots=True)
class Reply:
    """How a device answers one command."""

    kind: Literal["now", "later", "fail", "never", "pending"]
    body: Any = None
    delay: float = 0.0

    @property
    def answered(self) -> bool:
        return self.kind not in ("never", "pending")


def answer(body: Any = None) -> Reply:
    """Answer at once with ``body`` (default ``{"result_code": 0}``)."""
    return Reply("now", DEFAULT_ANSWER if body is None else body)


def later(seconds: float, body: Any = None) -> Reply:
    """Answer ``body`` after ``seconds`` of virtual time."""
    if seconds < 0:
        raise ValueError(f"later() takes a delay of 0 seconds or more, got {seconds!r}")
    return Reply("later", DEFAULT_ANSWER if body is None else body, float(seconds))


def fail(body: Any = None) -> Reply:
    """Answer that the command failed (default body ``{"result_code": 1}``)."""
    return Reply("fail", {"result_code": 1} if body is None else body)


NEVER = Reply("never")
PENDING = Reply("pending")


@dataclass(frozen=True, slots=True)
class Command:
    """A command as the device received it."""

    command_id: str
    service_id: str | None
    command_name: str | None
    paras: Any
    received_at: float
    #: "sync" (the caller is waiting) or "async" (queued by the platform)
    mode: str


Handler = Callable[[Command], "Reply | dict[str, Any] | None"]


@dataclass(eq=False)
class SimulatedDevice:
    """Handler registry, received commands and sleep state, shared by every face's devices."""

    device_id: str
    commands: list[Command] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    #: downlink messages the device received, in order
    messages: list[Any] = field(default_factory=list)
    asleep: bool = False
    _handler: Handler | None = None
    #: set by the face: completes a waiting command (``respond``) with the device's answer
    _complete: Callable[[str, Reply], None] | None = None

    def on_command(self, handler: Handler) -> Handler:
        """Answer every later command with ``handler`` (usable as a decorator)."""
        self._handler = handler
        return handler

    def sleep(self) -> None:
        """Stop receiving (a PSM device): commands wait, synchronous calls time out."""
        self.asleep = True

    def receive(self, command: Command) -> Reply:
        """Record ``command`` and return how the device answers it."""
        self.commands.append(command)
        return self.answer(command)

    def answer(self, command: Command) -> Reply:
        """How the device answers ``command`` (its handler's reply), without recording it."""
        if self._handler is None:
            return answer()
        try:
            result = self._handler(command)
        except Exception as exc:  # the test's handler failed: the device reports a failure
            self.errors.append(exc)
            return fail({"result_code": 1, "error": repr(exc)})
        if result is None:
            return answer()
        if isinstance(result, Reply):
            return result
        return answer(result)

    def respond(self, command_id: str, body: Any = None, *, ok: bool = True) -> None:
        """Answer a command that is still waiting (after :data:`NEVER` or :data:`PENDING`).

        Raises :class:`LookupError` if the face has no such command waiting for an answer.
        """
        if self._complete is None:
            raise LookupError(f"no command {command_id!r} is waiting for this device's answer")
        self._complete(command_id, answer(body) if ok else fail(body))
