"""fakeiot: an in-process fake of IoT device-management platforms, for tests.

>>> import fakeiot
>>> platform = fakeiot.Platform(seed=0)
>>> app = platform.oceanconnect.create_app()
>>> len(app.app_id)
28
"""

from __future__ import annotations

import typing as _typing

from . import _hooks as hookspecs
from ._clock import Clock, ManualClock, SystemClock
from ._errors import (
    ApiError,
    ConnectRefused,
    FakeiotAssertionError,
    FakeiotError,
    InvariantError,
    NotFoundError,
    PlatformError,
    UnknownSettingError,
    UsageError,
)
from ._face import Face
from ._hooks import hookimpl, hookspec
from ._http import HttpRequest, HttpResponse
from ._lifecycle import Lifecycle, State, Transition
from ._platform import Platform, Snapshot
from ._records import Call, Event
from ._routes import route
from ._settings import Settings

if _typing.TYPE_CHECKING:
    from ._mqtt import MqttBroker
    from ._transports._httpx import HttpxTransport
    from ._transports._requests import Adapter, mock
    from ._transports._wsgi import wsgi_app
    from .serve import Server, ServerError

__all__ = [
    "Adapter",
    "ApiError",
    "Call",
    "Clock",
    "ConnectRefused",
    "Event",
    "Face",
    "FakeiotAssertionError",
    "FakeiotError",
    "HttpRequest",
    "HttpResponse",
    "HttpxTransport",
    "InvariantError",
    "Lifecycle",
    "ManualClock",
    "MqttBroker",
    "NotFoundError",
    "Platform",
    "PlatformError",
    "Server",
    "ServerError",
    "Settings",
    "Snapshot",
    "State",
    "SystemClock",
    "Transition",
    "UnknownSettingError",
    "UsageError",
    "hookimpl",
    "hookspec",
    "hookspecs",
    "mock",
    "route",
    "wsgi_app",
]

__version__ = "0.1.0"

# Transports import their client libraries (requests, httpx) only when first used, which keeps
# ``import fakeiot`` fast and makes httpx an optional extra.
_LAZY = {
    "Adapter": "._transports._requests",
    "mock": "._transports._requests",
    "HttpxTransport": "._transports._httpx",
    "Server": ".serve",
    "ServerError": ".serve",
    "wsgi_app": "._transports._wsgi",
    "MqttBroker": "._mqtt",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fakeiot' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
