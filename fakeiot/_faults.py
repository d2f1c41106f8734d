"""Scoped, deterministic fault injection: answer chosen calls with a vendor error.

Faults are a pluggy plugin of the platform (``fakeiot_request``), registered only once a fault
exists, so a platform without faults pays nothing for them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, final

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
        error: enum.Enum,
        skip: int,
        times: int | None,
        when: Callable[[HttpRequest], bool] | None,
    ) -> None:
        self._faults = faults
        self.route = route
        self.error = error
        self.skip = skip
        self.times = times
        self.when = when
        self.seen = 0
        self.fired = 0

    def applies(self, request: HttpRequest, route: Route | None) -> bool:
        if route is None or (self.route is not None and route.name != self.route):
            return False
        if self.when is not None and not self.when(request):
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        if self.times is not None and self.fired >= self.times:
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
        return f"<Fault {self.error.name} on {where}, skip={self.skip}, times={self.times}>"


@final
class Faults:
    """``platform.faults``: inject vendor errors into chosen calls."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._active: list[Fault] = []
        self._registered = False

    def inject(
        self,
        route: str | None = None,
        *,
        error: enum.Enum | str,
        skip: int = 0,
        times: int | None = 1,
        when: Callable[[HttpRequest], bool] | None = None,
    ) -> Fault:
        """Answer matching calls to ``route`` (a route name; ``None`` for any) with ``error``.

        ``error`` is a member of a face's error table or its vendor code (``"100001"``).
        The first ``skip`` matching calls pass; then ``times`` calls fail (``None``: all).
        """
        if route is not None:
            found = self._platform.routes.get(route)
            face = self._platform.face(found.face)
        else:
            face = None
        member = self._resolve(error, face)
        fault = Fault(self, route, member, skip, times, when)
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

    def __iter__(self):  # type: ignore[no-untyped-def]
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
        for fault in self._active:
            if fault.applies(request, route):
                assert route is not None
                face = platform.face(route.face)
                return face.render_error(ApiError(fault.error, "injected fault"), route)
        return None
