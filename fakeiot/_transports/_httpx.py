"""An httpx transport (sync and async) that serves every request from a platform."""

from __future__ import annotations

from typing import final

from .._extras import missing

try:
    import httpx
except ModuleNotFoundError as exc:
    raise missing(exc, "fakeiot.HttpxTransport") from None

from .._http import HttpRequest, HttpResponse
from .._platform import Platform


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
        return _to_httpx(self.platform.handle(_to_platform(request, body)), request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        return _to_httpx(self.platform.handle(_to_platform(request, body)), request)
