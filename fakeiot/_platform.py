"""The platform: one lock, one clock, one id generator, one route table, and the faces."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, final

from . import _hooks
from ._bounded import bounded_call
from ._clock import Clock, ManualClock, SystemClock
from ._errors import (
    ApiError,
    ConnectRefused,
    FakeiotError,
    NotFoundError,
    PlatformError,
    UsageError,
)
from ._face import Face
from ._faults import Faults
from ._http import HttpRequest, HttpResponse
from ._ids import IdGenerator
from ._records import Call, CallLog, Event
from ._routes import Route, RouteTable
from ._settings import Settings

if TYPE_CHECKING:
    from ._enos import Enos
    from ._iotda import Iotda
    from ._oceanconnect import OceanConnect

_entry_point_plugins: list[object] | None = None
_CORE_SETTINGS = frozenset(f.name for f in dataclasses.fields(Settings))


def _installed_plugins() -> list[object]:
    """Third-party plugins from the ``fakeiot`` entry-point group, loaded once per process."""
    global _entry_point_plugins
    if _entry_point_plugins is None:
        from importlib.metadata import entry_points

        _entry_point_plugins = [ep.load() for ep in entry_points(group=_hooks.PROJECT)]
    return _entry_point_plugins


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A copy of a platform's whole state, from :meth:`Platform.snapshot`."""

    faces: dict[str, Any]
    ids: object


@final
class Platform:
    """An in-process IoT platform with its faces (``platform.oceanconnect``, ...).

    ``seed`` makes ids and secrets reproducible; ``clock`` defaults to a clock that reads
    ``time.time()`` on every call; any :class:`Settings` field may be passed by name.

    The exception types a test catches are also attributes of every platform
    (``platform.ConnectRefused``, ...): inside a test that takes the ``fakeiot`` fixture the
    name ``fakeiot`` is the platform, and ``pytest.raises(fakeiot.ConnectRefused)`` still works.
    """

    FakeiotError = FakeiotError
    PlatformError = PlatformError
    ApiError = ApiError
    ConnectRefused = ConnectRefused
    UsageError = UsageError
    NotFoundError = NotFoundError

    def __init__(
        self,
        seed: int | None = None,
        *,
        clock: Clock | None = None,
        settings: Settings | None = None,
        plugins: Iterable[object] = (),
        **fields: Any,
    ) -> None:
        base = settings if settings is not None else Settings()
        core = {k: v for k, v in fields.items() if k in _CORE_SETTINGS}
        face_fields = {k: v for k, v in fields.items() if k not in _CORE_SETTINGS}
        self.settings = base.replace(**core) if core else base
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.seed = seed
        self.ids = IdGenerator(seed)
        self.lock = threading.RLock()
        #: woken when a device's answer that a call waits for arrives (see :meth:`wait_released`)
        self._answered = threading.Condition(self.lock)
        self.routes = RouteTable()
        self.calls = CallLog(self.settings.call_log_limit)
        self.events: deque[Event] = deque(maxlen=self.settings.event_log_limit)
        self.faults = Faults(self)
        self._call_count = 0
        self._event_count = 0
        self._current_call: int | None = None
        self._touched: set[str] = set()
        self._depth = 0
        #: work to run once the outermost operation has released the lock (push delivery)
        self._outbox: list[Callable[[], None]] = []

        self.hooks = _hooks.PluginManager()
        self.hooks.add_hookspecs(_hooks)
        from . import _enos, _iotda, _oceanconnect

        self.hooks.register(_oceanconnect, name="fakeiot.oceanconnect")
        self.hooks.register(_enos, name="fakeiot.enos")
        self.hooks.register(_iotda, name="fakeiot.iotda")
        self._plugins = tuple(plugins)
        for plugin in (*_installed_plugins(), *self._plugins):
            if not self.hooks.is_registered(plugin):
                self.hooks.register(plugin)
        self.faces: dict[str, Face] = {}
        for contributed in self.hooks.hook.fakeiot_add_faces(platform=self):
            for face in contributed:
                if face.name in self.faces:
                    raise UsageError(f"two plugins contribute a face named {face.name!r}")
                self.faces[face.name] = face
                face.configure(face_fields)
                self.routes.add_face(face.name, face)
        if face_fields:
            # names no face took: the core's own error, with the nearest names suggested
            self.settings.replace(**face_fields)
        self.hooks.hook.fakeiot_platform_created(platform=self)

    # -- faces ----------------------------------------------------------------------------------
    @property
    def oceanconnect(self) -> OceanConnect:
        """The Huawei OceanConnect northbound face."""
        return self.face("oceanconnect")  # type: ignore[return-value]

    @property
    def enos(self) -> Enos:
        """The EnOS Connect Service v2.1 face."""
        return self.face("enos")  # type: ignore[return-value]

    @property
    def iotda(self) -> Iotda:
        """The Huawei Cloud IoTDA v5 face."""
        return self.face("iotda")  # type: ignore[return-value]

    def face(self, name: str) -> Face:
        try:
            return self.faces[name]
        except KeyError:
            raise UsageError(
                f"this platform has no face {name!r}; faces: {', '.join(self.faces)}"
            ) from None

    # -- the one dispatch -----------------------------------------------------------------------
    def handle(self, request: HttpRequest) -> HttpResponse:
        """Serve one request. Every transport comes through here."""
        return self.dispatch(request, self.routes.match(request))

    def dispatch(
        self, request: HttpRequest, matched: tuple[Route, dict[str, str]] | None
    ) -> HttpResponse:
        """Serve ``request`` whose route was already matched (``routes.match``)."""
        with self.lock:
            self._depth += 1
            try:
                response = self._handle(request, matched)
            finally:
                self._depth -= 1
        if self._outbox and not self._depth:
            self.flush()
        return response

    def _handle(
        self, request: HttpRequest, matched: tuple[Route, dict[str, str]] | None
    ) -> HttpResponse:
        """Dispatch one request under the lock: hooks, handler, record, check."""
        now = self.clock.now()
        route, params = matched if matched is not None else (None, None)
        response = None
        explanation: str | Callable[[], str] | None = None
        owner = None
        if route is not None:
            face = self.faces[route.face]
            if face.first_query_value and request.query_string:
                request.keep_first_values()
            face.tick(now)
        if self._hooked("fakeiot_request"):
            response = self.hooks.hook.fakeiot_request(platform=self, request=request, route=route)
        index = self._call_count
        self._call_count = index + 1
        if response is None:
            if route is None:
                owner = self.routes.owner(request.path)
                if owner is not None:  # the face's own not-found answer, the reason kept here
                    explanation = functools.partial(self.routes.explain_miss, request)
                    response = self.faces[owner].render_not_found(request)
                else:  # outside every face (Server and wsgi_app only: in-process never asks)
                    explanation = self.routes.explain_miss(request)
                    response = HttpResponse.json(
                        404, {"error": "no such route", "detail": explanation}
                    )
            else:
                self._current_call = index
                try:
                    response = self.routes.handler(route)(request, params)  # type: ignore[arg-type]
                except ApiError as error:
                    response = face.render_error(error, route)
                    response.detail = error.explain()
                finally:
                    self._current_call = None
                response.route = route.name
                if self.faults._active:
                    response = self.faults.after_handling(request, route, response)
        if self._hooked("fakeiot_response"):
            self.hooks.hook.fakeiot_response(platform=self, request=request, response=response)
        call = Call(
            index,
            now,
            request,
            response,
            route.name if route else None,
            route.face if route else owner,
            explanation,
        )
        body_limit = self.settings.call_body_limit
        if body_limit is not None and (
            len(request.body) > body_limit or len(response.body) > body_limit
        ):
            call = bounded_call(call, body_limit)
        self.calls.append(call)
        if self._touched:
            touched, self._touched = self._touched, set()
            if self.settings.check_invariants and route is not None:
                face.check_invariants(touched)
        return response

    # -- used by faces --------------------------------------------------------------------------
    @contextlib.contextmanager
    def operation(self) -> Iterator[None]:
        """Hold the lock for one platform operation; queued work runs after its release.

        Faces wrap every test-side action in this, so pushes a device action causes are
        delivered once the platform is consistent and unlocked (a handler may call back in).
        """
        try:
            with self.lock:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
        finally:
            if self._outbox and not self._depth:
                self.flush()

    def wait_released(self, ready: Callable[[], bool], seconds: float) -> bool:
        """Wait, the lock released however deeply it is held, up to ``seconds`` of real time
        for ``ready()`` (checked under the lock); ``False`` if it never became true.

        A call waiting for a device over MQTT waits here, so other calls, other devices'
        logins and the device's own traffic go on meanwhile. The time is real: such a device
        answers in real time, and a frozen or manual clock must not hang the call (threading
        reads the monotonic clock, which freezegun leaves alone there and time-machine does
        not move). Whoever makes ``ready()`` true calls :meth:`wake`.
        """
        depth, call, touched = self._depth, self._current_call, self._touched
        self._depth, self._current_call, self._touched = 0, None, set()
        try:
            return self._answered.wait_for(ready, seconds)
        finally:  # the call goes on as it was; what devices touched meanwhile is checked too
            touched |= self._touched
            self._depth, self._current_call, self._touched = depth, call, touched

    def wake(self) -> None:
        """Wake the calls in :meth:`wait_released` to look at their ``ready()`` again."""
        with self._answered:
            self._answered.notify_all()

    def after(self, work: Callable[[], None]) -> None:
        """Run ``work`` once the current operation has released the lock (in order)."""
        self._outbox.append(work)

    def flush(self) -> None:
        """Run the work queued by :meth:`after` (done automatically after each operation)."""
        with self.lock:
            work, self._outbox = self._outbox, []
        for item in work:
            item()

    def emit(
        self,
        face: str,
        kind: str,
        subject: str,
        data: dict[str, Any] | None = None,
        *,
        at: float | None = None,
    ) -> Event:
        """Record a domain event (and call the ``fakeiot_event`` hook)."""
        event = Event(
            self._event_count,
            self.clock.now() if at is None else at,
            face,
            kind,
            subject,
            data or {},
            self._current_call,
        )
        self._event_count += 1
        self.events.append(event)
        self._touched.add(subject)
        source = self.faces.get(face)
        if source is not None:
            source.on_event(event)
        if self._hooked("fakeiot_event"):
            self.hooks.hook.fakeiot_event(platform=self, event=event)
        return event

    def _hooked(self, name: str) -> bool:
        return name in self.hooks.implemented

    # -- inspection and control -----------------------------------------------------------------
    def tick(self) -> None:
        """Apply every time-driven change that is due (done before each request anyway)."""
        with self.operation():
            now = self.clock.now()
            for face in self.faces.values():
                face.tick(now)

    def check_invariants(self) -> None:
        """Check every invariant of every face; raise :class:`InvariantError` on a breach."""
        with self.lock:
            for face in self.faces.values():
                face.check_invariants(None)

    def advance(self, seconds: float) -> None:
        """Move a :class:`ManualClock` forward (use freezegun or time-machine otherwise)."""
        if not isinstance(self.clock, ManualClock):
            raise UsageError(
                "advance() needs Platform(clock=fakeiot.ManualClock()); with the default clock, "
                "move time with freezegun or time-machine"
            )
        self.clock.advance(seconds)
        self.tick()

    def snapshot(self) -> Snapshot:
        """A copy of the whole state (faces and id generator), for :meth:`restore` or ``fork``."""
        with self.lock:
            return Snapshot({n: f.snapshot() for n, f in self.faces.items()}, self.ids.getstate())

    def restore(self, snapshot: Snapshot) -> None:
        with self.lock:
            for name, state in snapshot.faces.items():
                self.face(name).restore(state)
            self.ids.setstate(snapshot.ids)

    def fork(self) -> Platform:
        """An independent platform with this one's settings, clock and a copy of its state."""
        other = Platform(self.seed, clock=self.clock, settings=self.settings, plugins=self._plugins)
        for name, face in self.faces.items():
            other.faces[name].options = face.options
        other.restore(self.snapshot())
        return other

    def transcript(self) -> str:
        """The calls and events so far, one line each, with no secret in full."""
        lines = ["calls:"] + [f"  {c.line()}" for c in self.calls]
        lines += ["events:"] + [f"  {e.line()}" for e in self.events]
        for face in self.faces.values():
            extra = face.transcript_lines()
            if extra:
                lines += [f"{face.name}:"] + [f"  {line}" for line in extra]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Platform seed={self.seed} faces={sorted(self.faces)}>"
