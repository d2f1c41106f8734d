"""An httpx transport (sync and async) that serves every request from a platform."""

from __future__ import annotations

from typing import Any, final

from .._extras import missing

try:
    import httpx
except ModuleNotFoundError as exc:
    raise missing(exc, "fakeiot.HttpxTransport") from None

from .._http import HttpRequest, HttpResponse
from .._platform import Platform
from ._intercept import Passthrough, Refusal, add_seam, decide, outside_faces


def _to_platform(request: httpx.Request, body: bytes) -> HttpRequest:
    url = request.url
    # the path as sent (``url.path`` is percent-decoded), as every other transport passes it
    path = url.raw_path.partition(b"?")[0].decode("ascii", "replace")
    return HttpRequest(
        request.method,
        path,
        query_string=url.query.decode("ascii", "replace"),
        headers=request.headers.multi_items(),
        body=body,
        host=url.netloc.decode("ascii", "replace"),
        scheme=url.scheme,
    )


def _to_httpx(answer: HttpResponse, request: httpx.Request) -> httpx.Response:
    if answer.fault == "drop":
        raise httpx.RemoteProtocolError(
            "fakeiot: injected fault, the server disconnected without a response", request=request
        )
    read = request.extensions.get("timeout", {}).get("read")
    if answer.fault == "timeout" or (answer.latency and read is not None and answer.latency > read):
        raise httpx.ReadTimeout("fakeiot: injected fault, no answer in time", request=request)
    return httpx.Response(
        answer.status, headers=answer.headers, content=answer.body, request=request
    )


@final
class HttpxTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """``httpx.Client(transport=fakeiot.HttpxTransport(platform))``, or ``AsyncClient``."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        return _to_httpx(self._handle(_to_platform(request, body), request), request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        return _to_httpx(self._handle(_to_platform(request, body), request), request)

    def _handle(self, platform_request: HttpRequest, request: httpx.Request) -> HttpResponse:
        if self.platform.routes.owner(platform_request.path) is None:
            message = outside_faces(self.platform, request.method, str(request.url))
            raise httpx.ConnectError(message, request=request)
        return self.platform.handle(platform_request)


def _served(request: httpx.Request) -> Platform | Passthrough | None:
    """The platform serving ``request``, PASSTHROUGH, or ``None`` (no block: unpatched);
    raises ``httpx.ConnectError`` for a request no block serves."""
    url = request.url
    netloc = url.netloc.decode("ascii", "replace")
    server = decide(request.method, url.host, netloc, url.path)
    if isinstance(server, Refusal):
        raise httpx.ConnectError(str(server), request=request)
    return server


def _install_httpx() -> list[tuple[Any, str, Any]]:
    """Patch the transports every ``httpx.Client`` and ``AsyncClient`` makes by default
    (``HTTPTransport``, ``AsyncHTTPTransport``), as respx patches the layer beneath them; the
    SSL context (``verify=``, ``cert=``) is built, and its files checked, when a client is."""
    previous_sync = httpx.HTTPTransport.handle_request
    previous_async = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        server = _served(request)
        if not isinstance(server, Platform):
            return previous_sync(transport, request)
        body = request.read()
        return _to_httpx(server.handle(_to_platform(request, body)), request)

    async def handle_async_request(
        transport: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        server = _served(request)
        if not isinstance(server, Platform):
            return await previous_async(transport, request)
        body = await request.aread()
        return _to_httpx(server.handle(_to_platform(request, body)), request)

    return [
        (httpx.HTTPTransport, "handle_request", handle_request),
        (httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request),
    ]


add_seam(_install_httpx)
