"""The base class of a face: one vendor API served by the platform."""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from ._errors import ApiError, UsageError

if TYPE_CHECKING:
    from ._http import HttpResponse
    from ._platform import Platform
    from ._routes import Route


class Face:
    """A vendor API. Subclasses set ``name`` and ``errors`` and mark handlers with ``@route``.

    The face keeps all its mutable state in ``self.state`` so that snapshots are one deep copy.
    """

    name: ClassVar[str]
    errors: ClassVar[type[enum.Enum]]

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
