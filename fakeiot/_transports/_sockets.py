"""The seam of ``http.client`` (so ``urllib.request``) and ``urllib3``: a connection's ``connect``.

While a ``mock()`` block is active, a connection to a host no block lets through gets an
in-memory socket instead of a network one. The client library writes its request to it and
reads the platform's answer back as HTTP/1.1 bytes, so everything above the socket is the
library's own code: its request encoding, response parsing, exceptions (a dropped connection
is ``RemoteDisconnected``, a timeout ``TimeoutError``, wrapped by urllib3 as it wraps them),
redirects and streaming. TLS is not negotiated, but the certificate files a client names are
loaded as the library would load them, so a missing one fails the same way.
"""

from __future__ import annotations

import http.client
import io
import ssl
from typing import Any
from urllib.parse import urlsplit

from .._http import HttpRequest
from .._platform import Platform
from ._intercept import Passthrough, add_seam, decide, hostname, lets_through, serves_host


def _dechunk(data: bytes) -> bytes:
    """The body of a ``Transfer-Encoding: chunked`` request (as http.client encodes it)."""
    out = bytearray()
    at = 0
    while True:
        end = data.index(b"\r\n", at)
        size = int(data[at:end].split(b";", 1)[0], 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2 : end + 2 + size]
        at = end + 2 + size + 2


class _Stalled(io.RawIOBase):
    """What a socket that never answers reads like: a timeout."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise TimeoutError("timed out")


class FakeSocket:
    """An in-memory socket for one request: what is written is the request, what is read is
    the platform's answer (with ``Connection: close``, so the next request reconnects and is
    decided afresh)."""

    def __init__(self, scheme: str, host: str, port: int | None, timeout: Any) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.timeout = timeout if isinstance(timeout, int | float) else None
        self._sent = bytearray()
        self._head_end = -1
        self._request: HttpRequest | None = None
        self._platform: Platform | None = None

    # -- the socket API the client libraries use ---------------------------------------------
    def settimeout(self, timeout: float | None) -> None:
        self.timeout = timeout

    def gettimeout(self) -> float | None:
        return self.timeout

    def setsockopt(self, *args: Any) -> None:
        """Nothing to tune."""

    def shutdown(self, how: int) -> None:
        """Nothing to shut down."""

    def close(self) -> None:
        """Nothing to release."""

    def sendall(self, data: Any) -> None:
        self._sent += data
        if self._head_end < 0:
            end = self._sent.find(b"\r\n\r\n")
            if end >= 0:
                self._head_end = end
                self._decide()

    def send(self, data: Any) -> int:
        self.sendall(data)
        return len(data)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        if self._request is None or self._platform is None:
            raise ConnectionResetError("fakeiot: the connection was read before a request")
        request, self._request = self._request, None
        sent, self._sent, self._head_end = bytes(self._sent), bytearray(), -1
        request.body = self._body(request, sent)
        answer = self._platform.handle(request)
        if answer.fault == "drop":  # the library sees the server hang up with no answer
            return io.BytesIO(b"")
        timeout = self.timeout
        if answer.fault == "timeout" or (
            answer.latency and timeout is not None and answer.latency > timeout
        ):
            return io.BufferedReader(_Stalled())
        head = [f"HTTP/1.1 {answer.status} {answer.reason}".rstrip()]
        head.extend(f"{name}: {value}" for name, value in answer.headers.items())
        head.append(f"Content-Length: {len(answer.body)}")
        head.append("Connection: close")
        payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        return io.BytesIO(payload if request.method == "HEAD" else payload + answer.body)

    # -- the request ---------------------------------------------------------------------------
    def _decide(self) -> None:
        lines = bytes(self._sent[: self._head_end]).decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        found = {name.lower(): value for name, value in headers}
        netloc = found.get("host") or self._netloc()
        if not target.startswith("/"):  # absolute form (a proxy request)
            parts = urlsplit(target)
            netloc, target = parts.netloc, parts.path + (f"?{parts.query}" if parts.query else "")
        path, _, query = target.partition("?")
        host = hostname(netloc) or self.host
        server = decide(method, host, netloc, path)
        if not isinstance(server, Platform):
            reason = server if isinstance(server, str) else "no fakeiot.mock() block is active"
            if isinstance(server, Passthrough):
                reason = f"{netloc} is let through, but this connection was opened in-process"
            raise ConnectionRefusedError(f"fakeiot: {reason}")
        self._platform = server
        self._request = HttpRequest(
            method, path, query_string=query, headers=headers, host=netloc, scheme=self.scheme
        )

    def _body(self, request: HttpRequest, sent: bytes) -> bytes:
        data = sent[self._head_end_of(sent) :]
        if request.headers.get("transfer-encoding", "").lower() == "chunked":
            return _dechunk(data)
        length = request.headers.get("content-length")
        return data[: int(length)] if length and length.isdigit() else data

    @staticmethod
    def _head_end_of(sent: bytes) -> int:
        return sent.index(b"\r\n\r\n") + 4

    def _netloc(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port in (None, default) else f"{self.host}:{self.port}"


def _target(conn: Any) -> tuple[str, str]:
    """(host, netloc) a connection opens to."""
    host, port = conn.host, conn.port
    default = conn.default_port
    return host, host if port in (None, default) else f"{host}:{port}"


def _install_stdlib() -> list[tuple[Any, str, Any]]:
    """``http.client.HTTPConnection.connect`` and ``HTTPSConnection.connect`` (whose SSL
    context, built when the connection is made, has loaded any certificate files already)."""
    plain_connect = http.client.HTTPConnection.connect
    tls_connect = http.client.HTTPSConnection.connect

    def opener(scheme: str, previous: Any) -> Any:
        def connect(conn: http.client.HTTPConnection) -> None:
            host, netloc = _target(conn)
            through = lets_through(host, netloc)
            if through is None or through:
                previous(conn)
                return
            refusal = serves_host(host, netloc)
            if refusal is not None:
                raise ConnectionRefusedError(f"fakeiot: {refusal}")
            conn.sock = FakeSocket(scheme, host, conn.port, conn.timeout)

        return connect

    return [
        (http.client.HTTPConnection, "connect", opener("http", plain_connect)),
        (http.client.HTTPSConnection, "connect", opener("https", tls_connect)),
    ]


def _install_urllib3() -> list[tuple[Any, str, Any]]:
    """``urllib3.connection.HTTPConnection.connect`` and ``HTTPSConnection.connect``: urllib3
    connects by itself, not through ``http.client``'s ``connect``."""
    from urllib3 import connection
    from urllib3.exceptions import NewConnectionError, SSLError
    from urllib3.util.ssl_ import resolve_cert_reqs

    def load_tls_files(conn: Any) -> None:
        """Load the files urllib3 would load while wrapping the socket (its ssl_wrap_socket)."""
        if not (conn.ca_certs or conn.ca_cert_dir or conn.cert_file):
            return
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if conn.ca_certs or conn.ca_cert_dir:
            try:
                context.load_verify_locations(conn.ca_certs, conn.ca_cert_dir)
            except OSError as error:
                raise SSLError(error) from error
        if conn.cert_file:
            if conn.key_password is None:
                context.load_cert_chain(conn.cert_file, conn.key_file)
            else:
                context.load_cert_chain(conn.cert_file, conn.key_file, conn.key_password)

    def opener(scheme: str, previous: Any) -> Any:
        def connect(conn: Any) -> None:
            host, netloc = _target(conn)
            through = lets_through(host, netloc)
            if through is None or through:
                previous(conn)
                return
            refusal = serves_host(host, netloc)
            if refusal is not None:
                raise NewConnectionError(conn, f"Failed to establish a new connection: {refusal}")
            if scheme == "https":
                load_tls_files(conn)
                conn.is_verified = resolve_cert_reqs(conn.cert_reqs) == ssl.CERT_REQUIRED
            conn.sock = FakeSocket(scheme, host, conn.port, conn.timeout)

        return connect

    return [
        (connection.HTTPConnection, "connect", opener("http", connection.HTTPConnection.connect)),
        (
            connection.HTTPSConnection,
            "connect",
            opener("https", connection.HTTPSConnection.connect),
        ),
    ]


add_seam(_install_stdlib)
add_seam(_install_urllib3)
