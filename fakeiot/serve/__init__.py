"""The serve layer: fakeiot's platform as a real HTTP(S) server.

What only a server has lives here, never in the core ``Platform``: the HTTP front, the control
API under ``/_fakeiot/``, the dashboard at ``/``, the OpenAPI document, and the state store.
``fakeiot serve``, :class:`Server` and the ``fakeiot_server`` fixture use it; ``mock()``,
``Adapter``, ``HttpxTransport`` and ``wsgi_app`` answer the faces' routes only.
"""

from __future__ import annotations

from ._server import Server, ServerError

__all__ = ["Server", "ServerError"]
