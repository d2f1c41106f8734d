"""The HTTP/1.1 front of ``fakeiot serve`` and ``fakeiot.Server``: cheroot (needs the ``serve``
extra), with fakeiot's stricter rules on top.

cheroot parses requests (keep-alive, pipelining, chunked bodies, ``Expect: 100-continue``),
keeps idle connections in a selector rather than in threads, answers with ``Date`` and
``Server``, and expires silent connections. On top of it:

- two ``Content-Length`` headers, or ``Content-Length`` with ``Transfer-Encoding``, are refused
  with 400 and the connection is closed (request smuggling);
- a body over ``max_request_size`` is refused with 413, chunked or not;
- the request head must arrive within ``header_timeout`` seconds (checked line by line);
- at most ``max_connections`` connections are open at once: beyond, a new one is answered 503
  and closed;
- TLS handshakes run in the worker thread, so a silent TLS client cannot stall ``accept()``;
- stopping closes every connection: one a worker hands back while the server stops, one still
  queued for a worker, and one answered 503, which cheroot would leave open.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import queue
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING, Any

try:
    # typed as Any: cheroot's partial stubs do not describe the parts fakeiot extends
    _connections: Any = importlib.import_module("cheroot.connections")
    _errors: Any = importlib.import_module("cheroot.errors")
    _server: Any = importlib.import_module("cheroot.server")
    _builtin: Any = importlib.import_module("cheroot.ssl.builtin")
except ImportError:  # pragma: no cover - depends on the environment
    raise ImportError(
        "fakeiot's HTTP server (`fakeiot serve`, fakeiot.Server, the fakeiot_server fixture) "
        "needs cheroot: pip install 'fakeiot[serve]'"
    ) from None

from .._http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from ._server import Server

#: what the ``Server`` header says
SERVER_NAME = "fakeiot"
_LATIN = "latin-1"


class _HeaderReader(_server.HeaderReader):  # type: ignore[misc]
    """cheroot's reader, refusing a repeated ``Content-Length`` and a slow head."""

    def __init__(self, sock: Any, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline

    def __call__(self, rfile: Any, hdict: dict[bytes, bytes] | None = None) -> Any:
        found = super().__call__(_DeadlineLines(rfile, self.sock, self.deadline), _OnceLength())
        if hdict is None:
            return found
        hdict.update(found)
        return hdict


class _OnceLength(dict):  # type: ignore[type-arg]
    """A header dict in which a second ``Content-Length`` is an error."""

    def __setitem__(self, key: bytes, value: bytes) -> None:
        if key == b"Content-Length" and key in self:
            raise ValueError("Two Content-Length headers.")
        super().__setitem__(key, value)


class _DeadlineLines:
    """``readline`` that fails once the head has taken longer than its deadline."""

    def __init__(self, rfile: Any, sock: Any, deadline: float) -> None:
        self.rfile, self.sock, self.deadline = rfile, sock, deadline

    def readline(self, *args: Any) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ValueError("The request head took too long.")
        timeout = self.sock.gettimeout()
        if timeout is None or left < timeout:
            self.sock.settimeout(left)
        try:
            line: bytes = self.rfile.readline(*args)
        except TimeoutError:
            raise ValueError("The request head took too long.") from None
        finally:
            self.sock.settimeout(timeout)
        return line


class _Request(_server.HTTPRequest):  # type: ignore[misc]
    """cheroot's request, with the smuggling rules and the head deadline."""

    def read_request_headers(self) -> bool:
        front: Front = self.server
        self.header_reader = _HeaderReader(
            self.conn.socket, time.monotonic() + front.header_timeout
        )
        if not super().read_request_headers():
            self.close_connection = True
            return False
        headers = self.inheaders
        if b"Content-Length" in headers and b"Transfer-Encoding" in headers:
            self.simple_response(
                "400 Bad Request", "Content-Length and Transfer-Encoding together."
            )
            self.close_connection = True
            return False
        return True


class _Connection(_server.HTTPConnection):  # type: ignore[misc]
    RequestHandlerClass = _Request


class _Gateway(_server.Gateway):  # type: ignore[misc]
    """Hand one parsed request to the :class:`Server` and write its answer."""

    def respond(self) -> None:
        req = self.req
        front: Front = req.server
        owner = front.owner
        try:
            body = req.rfile.read()
        except (_errors.MaxSizeExceeded, OSError, ValueError) as exc:
            if isinstance(exc, OSError) and "Too Large" not in str(exc):
                raise  # the client went away or timed out: cheroot closes the connection
            too_large = not isinstance(exc, ValueError)
            answer = (413, "the request body is too large") if too_large else (400, str(exc))
            self._send(req, HttpResponse.json(answer[0], {"error": answer[1]}))
            req.close_connection = True
            return
        method = req.method.decode(_LATIN)
        target = req.uri.decode(_LATIN)
        if not target.startswith("/"):  # absolute form: http://host/path
            _, _, rest = target.partition("://")
            target = "/" + rest.partition("/")[2]
        path, _, query = target.partition("?")
        headers = [(k.decode(_LATIN), v.decode(_LATIN)) for k, v in req.inheaders.items()]
        request = HttpRequest(
            "GET" if method == "HEAD" else method,  # HEAD: the GET answer without its body
            path,
            query_string=query,
            headers=headers,
            body=body,
            host=req.inheaders.get(b"Host", b"").decode(_LATIN),
            scheme=owner.scheme,
        )
        response = owner.respond(request)
        if owner.log is not None:
            owner.log(request, response)
        if response.fault is not None:  # an injected drop or timeout: hang up, say nothing
            req.close_connection = True
            return
        self._send(req, response, head_only=method == "HEAD")

    @staticmethod
    def _send(req: Any, response: HttpResponse, *, head_only: bool = False) -> None:
        req.status = f"{response.status} {response.reason}".rstrip().encode(_LATIN)
        out = [(k.encode(_LATIN), v.encode(_LATIN)) for k, v in response.headers.items()]
        out.append((b"Content-Length", str(len(response.body)).encode(_LATIN)))
        req.outheaders = out
        req.sent_headers = True
        req.send_headers()
        if response.body and not head_only:
            req.write(response.body)


class _TlsAdapter(_builtin.BuiltinSSLAdapter):  # type: ignore[misc]
    """TLS whose handshake happens on first read, in the connection's worker thread."""

    def wrap(self, sock: socket.socket) -> tuple[ssl.SSLSocket, dict[str, Any]]:
        wrapped = self.context.wrap_socket(sock, do_handshake_on_connect=False, server_side=True)
        return wrapped, {}

    def get_environ(self, sock: Any) -> dict[str, Any]:
        return {}


class _Connections(_connections.ConnectionManager):  # type: ignore[misc]
    """cheroot's connection manager, with a bound on open connections."""

    def _from_server_socket(self, server_socket: Any) -> Any:
        """Accept; a new connection waits in the selector until it sends something (a silent
        client holds no worker), and beyond ``max_connections`` it is answered 503."""
        front: Front = self.server
        conn = super()._from_server_socket(server_socket)
        if conn is None:
            return None
        if self._num_connections + front.busy() >= front.max_connections:
            front.refuse(conn)
            return None
        conn.last_used = time.time()
        self.put(conn)
        return None


class Front(_server.HTTPServer):  # type: ignore[misc]
    """cheroot's server configured for fakeiot (see the module's docstring)."""

    ConnectionClass = _Connection
    owner: Server

    def __init__(
        self,
        owner: Server,
        address: tuple[str, int],
        *,
        threads: int,
        max_request_size: int,
        max_connections: int,
        idle_timeout: float,
        header_timeout: float,
        tls: ssl.SSLContext | None,
    ) -> None:
        super().__init__(
            address, _Gateway, minthreads=threads, maxthreads=threads, server_name=SERVER_NAME
        )
        self.owner = owner
        self.max_request_body_size = max_request_size
        self.max_request_header_size = 64 * 1024
        self.max_connections = max_connections
        self.keep_alive_conn_limit = max_connections
        self.request_queue_size = 1024
        self.timeout = idle_timeout
        self.header_timeout = header_timeout
        self.shutdown_timeout = 2
        self.expiration_interval = 0.1
        if tls is not None:
            adapter = _TlsAdapter.__new__(_TlsAdapter)
            adapter.context = tls
            adapter.certificate = adapter.private_key = adapter.certificate_chain = None
            self.ssl_adapter = adapter

    def prepare(self) -> None:
        self._gate = threading.Lock()
        self._closing = False
        self._refused: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._refuser = threading.Thread(
            target=self._answer_refused, name="fakeiot-503", daemon=True
        )
        self._refuser.start()
        super().prepare()
        plain: Any = self.__dict__["_connections"]
        self._connections = _Connections(self)
        plain._selector.close()

    def put_conn(self, conn: Any) -> None:
        """Back to the selector after a request; closed if the server is stopping (cheroot
        checks ``ready`` without a lock, and a connection registered as the selector closes
        is never closed)."""
        with self._gate:
            if not self._closing:
                self._connections.put(conn)
                return
        conn.close()

    def stop(self) -> None:
        with self._gate:
            self._closing = True
        super().stop()
        self._refused.put(None)
        self._refuser.join(5)
        while True:  # the workers are gone: what is still queued for them was never served
            try:
                conn = self.requests._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(conn, _server.HTTPConnection):
                _close(conn)

    def refuse(self, conn: Any) -> None:
        """Answer ``conn`` 503 and close it (it is beyond ``max_connections``)."""
        self._refused.put(conn)

    #: seconds a connection answered 503 stays open after its answer (the client reads the
    #: answer before the close could reset it)
    refused_linger = 2.0

    def _answer_refused(self) -> None:
        """Answer each refused connection 503, shut its sending side, and close it
        :attr:`refused_linger` seconds later (or when the server stops). (cheroot's own 503
        thread leaves the socket open for the garbage collector.)"""
        lingering: collections.deque[tuple[float, Any]] = collections.deque()
        linger = self.refused_linger
        while True:
            try:  # with sockets lingering, wake up to close them even if nothing new comes
                conn = self._refused.get(timeout=linger / 2 if lingering else None)
            except queue.Empty:
                conn = False
            now = time.monotonic()
            while lingering and (conn is None or lingering[0][0] <= now - linger):
                _close(lingering.popleft()[1])
            if conn is None:
                return
            if conn is False:
                continue
            try:
                _server.HTTPRequest(self, conn).simple_response("503 Service Unavailable")
                conn.socket.shutdown(socket.SHUT_WR)
            except (OSError, _errors.FatalSSLAlert):  # the client is gone already
                _close(conn)
                continue
            lingering.append((now, conn))

    def busy(self) -> int:
        """Connections being served by a worker right now."""
        pool = self.requests
        return int(len(pool._threads) - pool.idle)

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """A client that hangs up or talks nonsense is not the platform's problem: quiet."""


def _close(conn: Any) -> None:
    """Close a connection whose client may be gone (closing a dead socket raises)."""
    with contextlib.suppress(OSError):
        conn.close()
