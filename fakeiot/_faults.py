"""Scoped, deterministic fault injection, for testing a client's retry and timeout logic.

A fault picks calls (a route name, a predicate, ``skip`` calls that pass first, ``times`` calls
that fail) and does one of:

- ``error=``: answer with a vendor error from the face's table (``"100001"``, ``OcError.X``);
- ``drop=True``: the connection drops without an answer (requests raises ``ConnectionError``,
  httpx ``RemoteProtocolError``, the server closes the socket);
- ``timeout=True``: no answer comes (requests raises ``ReadTimeout``, httpx ``ReadTimeout``);
- ``latency=seconds``: the answer takes that long in virtual time: a :class:`ManualClock`
  moves forward, and a client whose read timeout is shorter gets a timeout.

``drop`` and ``timeout`` act before the platform handles the call unless ``after=True``: then
the call *is* processed and only its answer is lost, the case that makes retries unsafe.
Faults are a pluggy plugin of the platform (``fakeiot_request``), registered with the first
fault, so a platform without faults pays nothing for them.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, final

from ._clock import ManualClock
from ._errors import ApiError, UsageError
from ._hooks import hookimpl
from ._http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from ._platform import Platform
    from ._routes import Route


@final
class Fault:
    """One injected fault. Use it as a context manager to scope it, or call :meth:`remove`."""

    def __init__(
        self,
        faults: Faults,
        route: str | None,
        *,
        error: enum.Enum | None,
        drop: bool,
        timeout: bool,
        latency: float,
        after: bool,
        skip: int,
        times: int | None,
        probability: float,
        when: Callable[[HttpRequest], bool] | None,
    ) -> None:
        self._faults = faults
        self.route = route
        self.error = error
        self.drop = drop
        self.timeout = timeout
        self.latency = latency
        self.after = after
        self.skip = skip
        self.times = times
        self.probability = probability
        self.when = when
        self.seen = 0
        self.fired = 0

    @property
    def kind(self) -> str:
        if self.error is not None:
            return f"error {self.error.name}"
        if self.drop:
            return "drop"
        return "timeout" if self.timeout else f"latency {self.latency}s"

    @property
    def acts_after(self) -> bool:
        """Whether the fault acts on the answer, once the platform has handled the call."""
        return self.error is None and (self.after or bool(self.latency))

    def applies(self, request: HttpRequest, route: Route | None) -> bool:
        if route is None or (self.route is not None and route.name != self.route):
            return False
        if self.error is not None and self._faults.table_of(route) is not type(self.error):
            return False  # a vendor error only ever comes from its own face's routes
        if self.when is not None and not self.when(request):
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        if self.probability < 1 and self._faults.draw() >= self.probability:
            return False
        self.fired += 1
        return True

    def remove(self) -> None:
        self._faults.remove(self)

    def __enter__(self) -> Fault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def __repr__(self) -> str:
        where = self.route or "any route"
        return f"<Fault {self.kind} on {where}, skip={self.skip}, times={self.times}>"


@final
class Faults:
    """``platform.faults``: inject errors, dropped connections, timeouts and latency."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._active: list[Fault] = []
        self._registered = False
        # its own generator, seeded from the platform's seed: drawing never shifts the ids
        self._rng = random.Random(f"faults-{platform.ids.seed}")

    def table_of(self, route: Route) -> object:
        """The error table of the face serving ``route``."""
        return getattr(self._platform.face(route.face), "errors", None)

    def draw(self) -> float:
        """The next number in [0, 1) for probabilistic faults (deterministic per seed)."""
        return self._rng.random()

    def inject(
        self,
        route: str | None = None,
        *,
        error: enum.Enum | str | None = None,
        drop: bool = False,
        timeout: bool = False,
        latency: float = 0.0,
        after: bool = False,
        skip: int = 0,
        times: int | None = 1,
        probability: float = 1.0,
        when: Callable[[HttpRequest], bool] | None = None,
    ) -> Fault:
        """Make matching calls to ``route`` (a route name; ``None`` for any) fail.

        Give exactly one of ``error``, ``drop``, ``timeout`` or ``latency``. The first ``skip``
        matching calls pass; then ``times`` calls fail (``None``: every one after).
        """
        chosen = [error is not None, drop, timeout, bool(latency)]
        if sum(chosen) != 1:
            raise UsageError("give exactly one of error=, drop=True, timeout=True or latency=")
        if latency and (latency < 0 or not isinstance(self._platform.clock, ManualClock)):
            raise UsageError("latency= needs a ManualClock (virtual time) and seconds >= 0")
        if skip < 0 or (times is not None and times < 0):
            raise UsageError("skip and times must be >= 0")
        if not 0 < probability <= 1:
            raise UsageError(f"probability must be in (0, 1], got {probability!r}")
        face = None
        if route is not None:
            face = self._platform.face(self._platform.routes.get(route).face)
        member = self._resolve(error, face) if error is not None else None
        fault = Fault(
            self,
            route,
            error=member,
            drop=drop,
            timeout=timeout,
            latency=latency,
            after=after,
            skip=skip,
            times=times,
            probability=probability,
            when=when,
        )
        with self._platform.lock:
            self._active.append(fault)
            if not self._registered:
                self._platform.hooks.register(self, name="fakeiot.faults")
                self._registered = True
        return fault

    def remove(self, fault: Fault) -> None:
        with self._platform.lock:
            if fault in self._active:
                self._active.remove(fault)

    def clear(self) -> None:
        with self._platform.lock:
            self._active.clear()

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._active))

    def __len__(self) -> int:
        return len(self._active)

    def _resolve(self, error: enum.Enum | str, face: object | None) -> enum.Enum:
        if isinstance(error, enum.Enum):
            return error
        faces = [face] if face is not None else list(self._platform.faces.values())
        for candidate in faces:
            table = getattr(candidate, "errors", None)
            if table is None:
                continue
            for member in table:
                if error in (member.name, getattr(member.value, "code", None)):
                    return member  # type: ignore[no-any-return]
        raise UsageError(
            f"no face knows the error {error!r}; name a member of a face's error table"
        )

    @hookimpl
    def fakeiot_request(
        self, platform: Platform, request: HttpRequest, route: Route | None
    ) -> HttpResponse | None:
        """Faults that act before the call is handled: errors, drops, timeouts."""
        for fault in self._active:
            if fault.acts_after or not fault.applies(request, route):
                continue
            assert route is not None
            if fault.error is not None:
                face = platform.face(route.face)
                answer = face.render_error(ApiError(fault.error, "injected fault"), route)
                answer.injected = fault.kind
                return answer
            lost = HttpResponse(0, b"", {}, route.name)
            lost.fault = "drop" if fault.drop else "timeout"
            lost.injected = fault.kind
            return lost
        return None

    def after_handling(
        self, request: HttpRequest, route: Route | None, response: HttpResponse
    ) -> HttpResponse:
        """Faults that act on the answer: latency, and answers lost after processing."""
        for fault in self._active:
            if not fault.acts_after or not fault.applies(request, route):
                continue
            if fault.latency:
                clock = self._platform.clock
                assert isinstance(clock, ManualClock)
                clock.advance(fault.latency)
                response.latency += fault.latency
            else:
                response.fault = "drop" if fault.drop else "timeout"
            response.injected = f"{fault.kind} after handling" if fault.after else fault.kind
        return response
