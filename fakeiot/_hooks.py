"""pluggy hook specifications. The built-in faces implement these exactly as a third party would.

Hooks are called with keyword arguments. A third-party face is a plugin found through the
``fakeiot`` entry-point group, whose ``fakeiot_add_faces`` returns face objects.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ._http import HttpRequest, HttpResponse
    from ._platform import Platform
    from ._records import Event
    from ._routes import Route

PROJECT = "fakeiot"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, looking only at ``fakeiot_*`` names when a plugin registers.

    pluggy inspects every attribute of a plugin statically; skipping the rest (as pytest's own
    manager does for ``pytest_*``) keeps a new platform cheap.
    """

    def __init__(self) -> None:
        super().__init__(PROJECT)
        #: hook names that have at least one implementation (kept current on (un)register)
        self.implemented: frozenset[str] = frozenset()

    def register(self, plugin: object, name: str | None = None) -> str | None:
        registered = super().register(plugin, name)
        self._refresh()
        return registered

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        removed = super().unregister(plugin, name)
        self._refresh()
        return removed

    def _refresh(self) -> None:
        self.implemented = frozenset(
            name for name, caller in vars(self.hook).items() if caller.get_hookimpls()
        )

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        if not name.startswith("fakeiot_"):
            return None
        return super().parse_hookimpl_opts(plugin, name)

    def parse_hookspec_opts(
        self, module_or_class: types.ModuleType | type, name: str
    ) -> pluggy.HookspecOpts | None:
        if not name.startswith("fakeiot_"):
            return None
        return super().parse_hookspec_opts(module_or_class, name)


@hookspec
def fakeiot_add_faces(platform: Platform) -> list[Any]:
    """Return the face objects this plugin contributes to a new ``platform``.

    A face has a ``name`` (it becomes ``platform.<name>``) and :func:`fakeiot.route`-marked
    handler methods; see :class:`fakeiot.Face` for what else it may define.
    """
    raise NotImplementedError


@hookspec
def fakeiot_platform_created(platform: Platform) -> None:
    """Called once a platform and all its faces exist."""


@hookspec(firstresult=True)
def fakeiot_request(
    platform: Platform, request: HttpRequest, route: Route | None
) -> HttpResponse | None:
    """Called for every request before its route runs; a response returned here answers it.

    This is how faults and latency are injected. ``route`` is ``None`` when nothing matched.
    """


@hookspec
def fakeiot_response(platform: Platform, request: HttpRequest, response: HttpResponse) -> None:
    """Called with every response before it is recorded and returned (it may be changed)."""


@hookspec
def fakeiot_event(platform: Platform, event: Event) -> None:
    """Called after every domain event (device lifecycle transitions and changes)."""
