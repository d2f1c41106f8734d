"""The base class of a face: one vendor API served by the platform."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import enum
import pickle
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ._errors import ApiError, UsageError
from ._http import HttpResponse
from ._journal import Journaled, StoredMap

if TYPE_CHECKING:
    from ._clock import Clock
    from ._faults import Faults
    from ._http import HttpRequest
    from ._ids import IdGenerator
    from ._link import DeviceProtocol
    from ._records import Event
    from ._routes import Route, RouteSpec
    from ._settings import Settings


class Host(Protocol):
    """What a face may use of the platform that hosts it (and nothing more)."""

    settings: Settings
    clock: Clock
    ids: IdGenerator
    lock: threading.RLock
    faults: Faults

    def operation(self) -> contextlib.AbstractContextManager[None]: ...

    def after(self, work: Callable[[], None]) -> None: ...

    def wait_released(self, ready: Callable[[], bool], seconds: float) -> bool: ...

    def wake(self) -> None: ...

    def emit(
        self,
        face: str,
        kind: str,
        subject: str,
        data: dict[str, Any] | None = None,
        *,
        at: float | None = None,
    ) -> Event: ...

    def face(self, name: str) -> Face: ...


class Face:
    """A vendor API. Subclasses set ``name`` and ``errors`` and declare routes with ``@route``.

    A declared route's handler receives the result of :meth:`authenticate` for the route's
    scheme and its parsed input, and returns data that :meth:`render` turns into the answer;
    validation errors use the face's :attr:`invalid` table. The face keeps all its mutable
    state in ``self.state`` so that snapshots are one deep copy.
    """

    name: ClassVar[str]
    errors: ClassVar[type[enum.Enum]]
    #: the error a schema violation raises, by violation kind (``"*"``: every other kind)
    invalid: ClassVar[Mapping[str, enum.Enum]] = {}
    #: OpenAPI security schemes per authentication scheme: ``{"app": {"oc.appKey": {...}}}``
    security_schemes: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    #: the face's own settings: a frozen dataclass with defaults whose fields
    #: ``Platform(**fields)`` and the pytest marker accept by name (``None``: none)
    settings_class: ClassVar[type | None] = None
    #: apply the Jackson-like coercion of schema fields declared ``coerce=True`` (a face sets
    #: it from its settings when it is built; read once when its routes are bound)
    coerce: bool = False
    #: refuse a JSON body sent with another ``Content-Type`` (the ``media`` violation)
    strict_media: bool = False
    #: a query key given twice is read as its first value (``False``: its last)
    first_query_value: ClassVar[bool] = False
    #: the path prefixes this face owns (``"/iocm/app/"``): a request under one that no route
    #: matches gets :meth:`render_not_found`, through every transport, and in-process
    #: interception (``mock()``, ``Adapter``, ``HttpxTransport``) answers only paths under a
    #: face's prefix. ``()``: served over HTTP only (``Server``, ``wsgi_app``). A face that
    #: leaves it unset owns the first path segment of each of its routes.
    prefixes: ClassVar[tuple[str, ...]]

    def __init__(self, platform: Host) -> None:
        self.platform = platform
        self.state: Any = None
        #: an instance of :attr:`settings_class` (``None`` when the face declares none)
        self.options: Any = self.settings_class() if self.settings_class is not None else None

    def configure(self, fields: dict[str, Any]) -> None:
        """Take (and remove from ``fields``) the settings this face declares."""
        cls = self.settings_class
        if cls is None:
            return
        names = {f.name for f in dataclasses.fields(cls)}
        mine = {name: fields.pop(name) for name in list(fields) if name in names}
        if mine:
            self.options = dataclasses.replace(self.options, **mine)

    def authenticate(self, scheme: str, request: HttpRequest) -> Any:
        """Check ``request``'s credentials for ``scheme``; return who is calling, or raise."""
        raise UsageError(f"the {self.name} face has no authentication scheme {scheme!r}")

    def render(self, route: str, spec: RouteSpec, data: Any) -> HttpResponse:
        """Render a declared route's result: JSON with the route's status (``None``: no body)."""
        if data is None or spec.media_type is None:
            return HttpResponse(spec.status, b"", {}, route)
        return HttpResponse.json(spec.status, data, route)

    #: the face's state-file module (``export_state``, ``_DEVICE_FIELDS``): with it, the serve
    #: layer's store writes devices one entity at a time (``None``: the whole face as one row)
    persist: ClassVar[Any] = None

    def export_entities(self, subjects: Iterable[str] | None = None) -> dict[str, Any]:
        """``export_state()``'s devices, one entry each (``None``: gone), for the devices
        ``subjects`` names (``None``: all): what the state store writes after a request."""
        fields = self.persist._DEVICE_FIELDS
        devices = self.state.devices
        with self.platform.lock:
            keys = list(devices) if subjects is None else subjects
            return {
                "devices": {
                    key: None
                    if (d := devices.get(key)) is None
                    else {"state": d.state.value, **{f: getattr(d, f) for f in fields}}
                    for key in keys
                }
            }

    def export_rest(self) -> dict[str, Any]:
        """``export_state()`` without the sections :meth:`export_entities` and
        :meth:`export_maps` give (the maps are left empty)."""
        with self.platform.lock:
            shallow = copy.copy(self.state)
            shallow.devices = {}
            for stored in self._maps().values():
                setattr(shallow, stored.attribute, {})
            rest: dict[str, Any] = self.persist.export_state(shallow)
        del rest["devices"]
        return rest

    #: the sections :meth:`export_entities` gives, each entity a row of the state store
    entity_sections: ClassVar[tuple[str, ...]] = ("devices",)

    def journal(self) -> None:
        """Note what changes from now on (the state store calls it after it wrote or loaded
        everything): :meth:`export_entities` and :meth:`export_maps` then give what changed."""
        self.export_maps()

    def _maps(self) -> dict[str, StoredMap]:
        return getattr(self.persist, "MAPS", {})

    def export_maps(
        self, *, everything: bool = False
    ) -> dict[str, tuple[StoredMap, bool, dict[str, tuple[bool, Any]]]]:
        """The entries of the export's growing maps (the persist module's ``MAPS``) changed
        since the last call, per section: ``(map, whole, {key text: (moved, the entry's export
        form or None: gone)})``. ``whole`` says the entries are the whole map (``everything``,
        or a state that was not being journaled: loaded or restored since), to replace what
        was stored. Journals from now on."""
        out: dict[str, tuple[StoredMap, bool, dict[str, tuple[bool, Any]]]] = {}
        with self.platform.lock:
            for section, stored in self._maps().items():
                journaled: Journaled[Any, Any] = getattr(self.state, stored.attribute)
                changed = journaled.take()
                text, encode = stored.key_text, stored.encode
                if everything or changed is None:
                    entries = {text(k): (True, encode(k, v)) for k, v in journaled.items()}
                    out[section] = (stored, True, entries)
                elif changed:
                    entries = {
                        text(k): (moved, None if (v := journaled.get(k)) is None else encode(k, v))
                        for k, moved in changed.items()
                    }
                    out[section] = (stored, False, entries)
        return out

    def on_event(self, event: Event) -> None:
        """React to an event this face emitted (pushes); called directly, not through hooks."""

    def tick(self, now: float) -> None:
        """Apply every time-driven change due at ``now`` (expiry, ageing)."""

    def check_invariants(self, subjects: Iterable[str] | None = None) -> None:
        """Raise :class:`InvariantError` if a rule is broken (``None``: check everything)."""

    def render_error(self, error: ApiError, route: Route) -> HttpResponse:
        """Render a vendor error in this face's exact body shape."""
        raise NotImplementedError

    def render_not_found(self, request: HttpRequest) -> HttpResponse:
        """This face's answer to a request under its prefixes that no route matches.

        Why the nearest routes refused it is kept in ``platform.calls``
        (:attr:`Call.explanation`), never put on the wire. Faces override this with the
        vendor's own not-found shape.
        """
        return HttpResponse.json(404, {"error": "Not Found"})

    def device_protocol(self) -> DeviceProtocol | None:
        """This face's device side over MQTT (``None``: devices cannot connect over MQTT)."""
        return None

    def transcript_lines(self) -> list[str]:
        """Lines this face adds to ``platform.transcript()`` (e.g. pushes)."""
        return []

    def export_state(self) -> dict[str, Any]:
        """The face's whole state as JSON-ready data (for ``fakeiot serve --state``)."""
        raise UsageError(f"the {self.name} face cannot save its state")

    def import_state(self, data: dict[str, Any]) -> None:
        """Replace the face's state with ``data`` from :meth:`export_state`."""
        raise UsageError(f"the {self.name} face cannot load a saved state")

    def snapshot(self) -> Any:
        """A copy of the state for :meth:`restore`: pickled, as restoring from bytes takes a
        fifth of a deep copy's time (a test may restore a world per example), or deep-copied
        if the state will not pickle (a class defined inside a function, say)."""
        try:
            return _Pickled(pickle.dumps(self.state, pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, TypeError, AttributeError):
            return copy.deepcopy(self.state)

    def restore(self, state: Any) -> None:
        if isinstance(state, _Pickled):
            self.state = pickle.loads(state.data)
        else:
            self.state = copy.deepcopy(state)


@dataclasses.dataclass(frozen=True, slots=True)
class _Pickled:
    """A face state kept as pickle bytes (see :meth:`Face.snapshot`)."""

    data: bytes
