"""``fakeiot.Server``: the platform over real HTTP(S) on loopback, in a background thread."""

from __future__ import annotations

import os
import socket
import ssl
import tempfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, final

from .._errors import ApiError, FakeiotAssertionError, UsageError
from .._http import HttpRequest, HttpResponse
from .._platform import Platform
from .._records import redact_target
from . import _store
from ._control import Control, ControlError
from ._store import StorageError, Store
from ._tls import TlsFiles, make_certificates


class ServerError(FakeiotAssertionError):
    """An exception raised inside the server while it served a request, re-raised in the test
    (a test failure: the platform or a plugin broke while serving)."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeiot"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        owner = self.server.owner
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._write(HttpResponse.json(400, {"error": "bad Content-Length"}))
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        request = HttpRequest(
            self.command,
            path,
            query_string=query,
            headers=self.headers.items(),
            body=body,
            host=self.headers.get("Host", ""),
            scheme=owner.scheme,
        )
        response = owner.respond(request)
        if owner.log is not None:
            owner.log(request, response)
        if response.fault is not None:  # an injected drop or timeout: hang up, say nothing
            self.close_connection = True
            return
        self._write(response)

    def _write(self, response: HttpResponse) -> None:
        head = [f"HTTP/1.1 {response.status} {response.reason}".rstrip()]
        head.extend(f"{k}: {v}" for k, v in response.headers.items())
        head.append(f"Content-Length: {len(response.body)}")
        if self.close_connection:
            head.append("Connection: close")
        payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            payload += response.body
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.close_connection = True
        self._write(HttpResponse.json(code, {"error": message or HTTPStatus(code).phrase}))

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet by default; ``Server(log=...)`` gets one call per request instead."""


#: the names a face's internal-error row goes by, best first
_INTERNAL = ("INTERNAL_SERVER_ERROR", "INTERNAL_ERROR", "GATEWAY_ERROR", "UNAVAILABLE")


def internal_error(errors: Any) -> Any:
    """The row of a face's error table that says "internal server error"."""
    for name in _INTERNAL:
        member = getattr(errors, name, None)
        if member is not None:
            return member
    return next((m for m in errors if getattr(m.value, "status", 0) >= 500), None)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: Server

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-request is not the platform's problem."""


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
    ) -> None:
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
        self._httpd: _HTTPServer | None = None
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
        try:
            store = self.store
            if store is None:
                return self.handle(request)
            with platform.operation():
                response = self.handle(request)
                change = store.collect(platform, replaced=self.control.take_replaced())
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
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.owner = self
        if self._tls:
            if isinstance(self._tls, TlsFiles):
                files = self._tls
            else:
                self._tmp = tempfile.TemporaryDirectory(prefix="fakeiot-tls-")
                files = make_certificates(Path(self._tmp.name), ("localhost", self.host))
            self.tls_files = files
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(files.cert_file, files.key_file)
            # the handshake runs in the connection's own thread: a silent client cannot stall
            # accept() for everyone
            httpd.socket = context.wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fakeiot-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
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
