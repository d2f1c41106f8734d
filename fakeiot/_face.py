"""The base class of a face: one vendor API served by the platform."""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from ._errors import ApiError, UsageError
from ._http import HttpResponse

if TYPE_CHECKING:
    from ._http import HttpRequest
    from ._platform import Platform
    from ._routes import Route


class Face:
    """A vendor API. Subclasses set ``name`` and ``errors`` and mark handlers with ``@route``.

    The face keeps all its mutable state in ``self.state`` so that snapshots are one deep copy.
    """

    name: ClassVar[str]
    errors: ClassVar[type[enum.Enum]]
    #: the path prefixes this face owns (``"/iocm/app/"``): a request under one that no route
    #: matches gets :meth:`render_not_found`, through every transport, and in-process
    #: interception (``mock()``, ``Adapter``, ``HttpxTransport``) answers only paths under a
    #: face's prefix. ``()``: served over HTTP only (``Server``, ``wsgi_app``). A face that
    #: leaves it unset owns the first path segment of each of its routes.
    prefixes: ClassVar[tuple[str, ...]]

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.state: Any = None

    def tick(self, now: float) -> None:
        """Apply every time-driven change due at ``now`` (expiry, ageing)."""

    def check_invariants(self, subjects: Iterable[str] | None = None) -> None:
        """Raise :class:`InvariantError` if a rule is broken (``None``: check everything)."""

    def render_error(self, error: ApiError, route: Route) -> HttpResponse:
        """Render a vendor error in this face's exact body shape."""
        raise NotImplementedError

    def render_not_found(self, request: HttpRequest, explanation: str) -> HttpResponse:
        """This face's answer to a request under its prefixes that no route matches.

        ``explanation`` (why the nearest routes refused it) is kept in ``platform.calls``,
        never put on the wire. Faces override this with the vendor's own not-found shape.
        """
        return HttpResponse.json(404, {"error": "Not Found"})

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
        return copy.deepcopy(self.state)

    def restore(self, state: Any) -> None:
        self.state = copy.deepcopy(state)
