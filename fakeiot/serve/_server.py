"""``fakeiot.Server``: the platform over real HTTP(S) on loopback, in a background thread."""

from __future__ import annotations

import os
import ssl
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, final

from .._errors import ApiError, FakeiotAssertionError, UsageError
from .._http import HttpRequest, HttpResponse
from .._platform import Platform
from .._records import redact_target
from . import _store
from ._control import LOOPBACK_NAMES, Control, ControlError
from ._front import Front
from ._store import StorageError, Store
from ._tls import TlsFiles, make_certificates


class ServerError(FakeiotAssertionError):
    """An exception raised inside the server while it served a request, re-raised in the test
    (a test failure: the platform or a plugin broke while serving)."""


#: the names a face's internal-error row goes by, best first
_INTERNAL = ("INTERNAL_SERVER_ERROR", "INTERNAL_ERROR", "GATEWAY_ERROR", "UNAVAILABLE")


def internal_error(errors: Any) -> Any:
    """The row of a face's error table that says "internal server error"."""
    for name in _INTERNAL:
        member = getattr(errors, name, None)
        if member is not None:
            return member
    return next((m for m in errors if getattr(m.value, "status", 0) >= 500), None)


@final
class Server:
    """Serve ``platform`` on ``host:port`` (a free port by default) until stopped.

    ``with fakeiot.Server(platform) as server: requests.get(server.url + ...)``.
    ``tls=True`` serves HTTPS with a generated certificate; trust ``server.ca_file``.
    Exceptions raised inside the server are re-raised by :meth:`check` and on exit.
    ``platform`` may be swapped while the server runs (the pytest plugin does, per test).
    """

    def __init__(
        self,
        platform: Platform,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool | TlsFiles = False,
        log: Any = None,
        state_file: str | os.PathLike[str] | None = None,
        max_request_size: int = 4 * 1024 * 1024,
        max_connections: int = 2000,
        idle_timeout: float = 10.0,
        header_timeout: float = 10.0,
        threads: int = 32,
        public_hosts: tuple[str, ...] = (),
    ) -> None:
        #: the HTTP front's limits: bodies over ``max_request_size`` bytes get 413; beyond
        #: ``max_connections`` open connections a new one gets 503; a connection silent for
        #: ``idle_timeout`` s, or whose request head takes over ``header_timeout`` s, is closed
        self.max_request_size = max_request_size
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self.header_timeout = header_timeout
        self.threads = threads
        #: names besides loopback and ``host`` the control API answers to (``Host`` header)
        self.public_hosts = public_hosts
        #: the control API, the dashboard and the OpenAPI document, in front of the faces
        self.control = Control(platform)
        self._platform = platform
        #: with a state file, every change is committed to it before the response leaves
        self.state_file = Path(state_file) if state_file is not None else None
        self.store: Store | None = None
        self.host = host
        self.port = port
        self.log = log
        self._tls = tls
        self.tls_files: TlsFiles | None = None
        self._errors: list[tuple[BaseException, HttpRequest]] = []
        self._errors_lock = threading.Lock()
        self._httpd: Front | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def platform(self) -> Platform:
        """The platform served; may be swapped while the server runs."""
        return self._platform

    @platform.setter
    def platform(self, platform: Platform) -> None:
        self._platform = platform
        self.control.platform = platform

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request: the control API's routes first, then the platform's faces."""
        response = self.control.handle(request)
        return response if response is not None else self._platform.handle(request)

    def respond(self, request: HttpRequest) -> HttpResponse:
        """Answer one request as the front sends it: with a state store, its changes are
        committed first (or undone, and the answer is the face's internal error)."""
        platform = self._platform
        if request.method == "OPTIONS":
            return self.options(request)
        try:
            store = self.store
            if store is None:
                return self.handle(request)
            with platform.operation():
                response = self.handle(request)
                change = store.collect(
                    platform,
                    replaced=self.control.take_replaced(),
                    read_only=request.method in ("GET", "HEAD"),
                )
            if change is not None:
                try:
                    store.commit(change)
                except StorageError as exc:
                    _store.log(
                        f"fakeiot: {request.method} {redact_target(request.target)} not "
                        f"acknowledged: the state store at {store.path} cannot commit ({exc}); "
                        "the change is undone, and the next write tries again"
                    )
                    return self.storage_error(response)
            return response
        except Exception as exc:  # a bug in fakeiot: answer, and re-raise in the caller
            self.record_error(exc, request)
            return HttpResponse.json(
                500, {"error": "fakeiot raised an exception", "detail": repr(exc)}
            )

    def options(self, request: HttpRequest) -> HttpResponse:
        """``OPTIONS``: the methods the path answers, and no cross-origin grant (no CORS)."""
        allowed = []
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            probe = HttpRequest(method, request.path, query_string=request.query_string)
            if self.control.routes.match(probe) or self._platform.routes.match(probe):
                allowed.append(method)
        if not allowed:
            return self._platform.handle(request)  # the "no such route" answer
        if "GET" in allowed:
            allowed.insert(allowed.index("GET") + 1, "HEAD")
        return HttpResponse(204, b"", {"Allow": ", ".join([*allowed, "OPTIONS"])})

    def storage_error(self, response: HttpResponse) -> HttpResponse:
        """The internal-error answer of the face that served ``response``."""
        name = response.route or ""
        if name.startswith("control."):
            found = self.control.routes.get(name)
            return self.control.render_error(
                ApiError(ControlError.UNAVAILABLE, "the state store cannot commit"), found
            )
        try:
            found = self._platform.routes.get(name)
            face = self._platform.face(found.face)
            member = internal_error(face.errors)
            if member is not None:
                return face.render_error(ApiError(member, "the state store cannot commit"), found)
        except (UsageError, NotImplementedError):
            pass
        return HttpResponse.json(503, {"error": "the state store cannot commit"})

    @property
    def scheme(self) -> str:
        return "https" if self._tls else "http"

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._httpd is None:
            raise UsageError("the server is not running; use it as a context manager or start()")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def ca_file(self) -> Path | None:
        """The CA certificate that signed the server's certificate (``tls=True`` only)."""
        return self.tls_files.ca_file if self.tls_files else None

    def start(self) -> Server:
        if self._httpd is not None:
            return self
        self.load_state()
        context = None
        if self._tls:
            if isinstance(self._tls, TlsFiles):
                files = self._tls
            else:
                self._tmp = tempfile.TemporaryDirectory(prefix="fakeiot-tls-")
                files = make_certificates(Path(self._tmp.name), ("localhost", self.host))
            self.tls_files = files
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(files.cert_file, files.key_file)
        httpd = Front(
            self,
            (self.host, self.port),
            threads=self.threads,
            max_request_size=self.max_request_size,
            max_connections=self.max_connections,
            idle_timeout=self.idle_timeout,
            header_timeout=self.header_timeout,
            tls=context,
        )
        httpd.prepare()
        self.port = httpd.bind_addr[1]
        self.control.hosts = frozenset(
            {*LOOPBACK_NAMES, self.host.lower(), *(h.lower() for h in self.public_hosts)}
        )
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve, name=f"fakeiot-server-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        if self.store is not None:
            self.store.close()
            self.store = None

    def load_state(self) -> list[str]:
        """Open the state store at ``state_file`` and load it into the platform (done by
        :meth:`start` if not before); returns what start-up cleaned or migrated."""
        if self.state_file is None or self.store is not None:
            return []
        store = Store(self.state_file)
        notes = store.open(self._platform)
        self.store = store
        return notes

    def save_state(self) -> None:
        """Commit what changed outside requests (tenants created from Python, say)."""
        self.load_state()
        if self.store is None:
            return
        with self._platform.operation():
            change = self.store.collect(self._platform)
        if change is not None:
            self.store.commit(change)

    def record_error(self, error: BaseException, request: HttpRequest) -> None:
        with self._errors_lock:
            self._errors.append((error, request))

    def check(self) -> None:
        """Re-raise the first exception raised inside the server since the last check."""
        with self._errors_lock:
            errors, self._errors = self._errors, []
        if errors:
            error, request = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise ServerError(f"fakeiot.Server raised while serving {request!r}{more}") from error

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc_type is None:
            self.check()

    def __repr__(self) -> str:
        state = self.url if self._httpd is not None else "stopped"
        return f"<fakeiot.Server {state}>"
