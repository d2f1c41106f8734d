"""Delivering push notifications: the one place outside the transports that does I/O.

A push goes to every user callable registered for it, then to the first WSGI application
routed for a prefix of its URL (in-process, no sockets), or else over real HTTP(S) with
``urllib`` (never through ``requests``, so ``fakeiot.mock`` cannot swallow it).
"""

from __future__ import annotations

import io
import json
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Push:
    """One notification the platform sent (or tried to), and what became of it."""

    index: int
    time: float
    notify_type: str
    url: str
    body: dict[str, Any]
    headers: dict[str, str]
    subscription_id: str | None
    app_id: str
    #: "pending" (queued mode), "delivered" (a 2xx answer) or "failed"
    result: str = "pending"
    status: int | None = None
    error: str | None = None
    attempts: int = 0
    via: str | None = None
    listener_errors: list[str] = field(default_factory=list)

    @property
    def payload(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def line(self) -> str:
        detail = f" {self.status}" if self.status is not None else ""
        error = f" ({self.error})" if self.error else ""
        return f"push #{self.index} {self.notify_type} -> {self.url}: {self.result}{detail}{error}"


def deliver(
    push: Push,
    *,
    listeners: Iterable[Callable[[Push], object]],
    routes: Iterable[tuple[str, WsgiApp]],
    timeout: float,
    retries: int,
) -> None:
    """Send ``push`` once, retrying up to ``retries`` more times; record the outcome on it."""
    for listener in listeners:
        try:
            listener(push)
        except Exception as exc:  # a broken listener must not break the platform
            push.listener_errors.append(repr(exc))
    app = next((a for prefix, a in routes if push.url.startswith(prefix)), None)
    for _attempt in range(retries + 1):
        push.attempts += 1
        if app is not None:
            push.via = "wsgi"
            status, error = _send_wsgi(app, push)
        else:
            push.via = "http"
            status, error = _send_http(push, timeout)
        push.status, push.error = status, error
        if status is not None and 200 <= status < 300:
            push.result = "delivered"
            return
    push.result = "failed"


def _send_http(push: Push, timeout: float) -> tuple[int | None, str | None]:
    request = urllib.request.Request(
        push.url, data=push.payload, headers=push.headers, method="POST"
    )
    context = ssl.create_default_context()
    # Test callback servers use throw-away certificates; the fake does not verify them.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    from ._transports._intercept import own_traffic  # (imports the platform: not at the top)

    try:
        with (
            own_traffic(),  # the platform's own push: never caught by an active mock()
            urllib.request.urlopen(request, timeout=timeout, context=context) as response,
        ):
            response.read()
            return response.status, None
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def _send_wsgi(app: WsgiApp, push: Push) -> tuple[int | None, str | None]:
    parts = urlsplit(push.url)
    body = push.payload
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": parts.path or "/",
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname or "localhost",
        "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": push.headers.get("Content-Type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "HTTP_HOST": parts.netloc,
    }
    for name, value in push.headers.items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[f"HTTP_{key}"] = value
    captured: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        captured.append(status)
        return lambda data: None

    try:
        result = app(environ, start_response)
        try:
            for _chunk in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception as exc:  # the receiving app crashed: a failed delivery, nothing more
        return None, f"{type(exc).__name__}: {exc}"
    if not captured:
        return None, "the WSGI application never called start_response"
    code = int(captured[-1].split(" ", 1)[0])
    return code, None if 200 <= code < 300 else f"HTTP {code}"
