"""``requests`` transports: a mountable adapter, and ``mock()`` which patches every adapter."""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterable, Iterator
from typing import Any, final
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict

from .._http import HttpRequest, HttpResponse
from .._platform import Platform


def to_platform_request(prepared: requests.PreparedRequest) -> HttpRequest:
    url = prepared.url or "/"
    headers = prepared.headers
    pairs = headers.lower_items() if isinstance(headers, CaseInsensitiveDict) else headers.items()
    body = prepared.body
    if body is None:
        data = b""
    elif isinstance(body, bytes):
        data = body
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:  # a file-like or generator body
        data = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
    return HttpRequest.from_url(prepared.method or "GET", url, headers=pairs, body=data)


def _read_timeout(timeout: Any) -> float | None:
    """The read timeout out of whatever ``requests`` passed (number, tuple, urllib3 Timeout)."""
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else timeout[0]
    read = getattr(timeout, "read_timeout", timeout)
    return float(read) if isinstance(read, int | float) else None


def act_out(answer: HttpResponse, request: requests.PreparedRequest, timeout: Any) -> None:
    """Raise what ``requests`` raises for an injected dropped connection or timeout."""
    if answer.fault == "drop":
        raise requests.ConnectionError(
            ConnectionResetError("fakeiot: injected fault, the connection dropped"),
            request=request,
        )
    read = _read_timeout(timeout)
    if answer.fault == "timeout" or (answer.latency and read is not None and answer.latency > read):
        raise requests.ReadTimeout("fakeiot: injected fault, no answer in time", request=request)


def to_requests_response(
    answer: HttpResponse, prepared: requests.PreparedRequest
) -> requests.Response:
    response = requests.Response()
    response.status_code = answer.status
    response.headers = CaseInsensitiveDict(answer.headers)
    response._content = answer.body
    # consumed already, so iter_content() and close() work with stream=True
    response._content_consumed = True  # type: ignore[attr-defined]
    response.raw = io.BytesIO(answer.body)
    response.url = prepared.url or ""
    response.request = prepared
    response.reason = answer.reason
    response.encoding = "utf-8"
    return response


@final
class Adapter(BaseAdapter):
    """A ``requests`` transport adapter that serves every request from ``platform``.

    ``session.mount("https://iot.example:8743", fakeiot.Adapter(platform))``.
    """

    def __init__(self, platform: Platform) -> None:
        super().__init__()
        self.platform = platform

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        answer = self.platform.handle(to_platform_request(request))
        if answer.fault is not None or answer.latency:
            act_out(answer, request, timeout)
        return to_requests_response(answer, request)

    def close(self) -> None:
        """Nothing to release: there is no connection."""


_patch_lock = threading.Lock()


def _is_real_send(send: object) -> bool:
    """Whether ``send`` is ``HTTPAdapter.send`` as requests defines it, not another mock's."""
    return (
        getattr(send, "__module__", None) == "requests.adapters"
        and getattr(send, "__qualname__", None) == "HTTPAdapter.send"
    )


#: the real ``HTTPAdapter.send``: passthrough goes here, never to a mock. Captured at import, or
#: at the first ``mock()`` if another mock (``responses``) was active when this was imported.
_ORIGINAL_SEND: Any = HTTPAdapter.send if _is_real_send(HTTPAdapter.send) else None


@contextlib.contextmanager
def mock(platform: Platform, *, passthrough: Iterable[str] = ()) -> Iterator[Platform]:
    """Route every ``requests`` call in the process to ``platform`` while the block runs.

    It patches ``requests.adapters.HTTPAdapter.send``, so module-level ``requests.post``, new
    ``Session`` objects and vendor SDKs are all caught. A request no route serves goes to a mock
    active beneath this one (``responses``, or ``requests-mock`` with ``real_http``) if there
    is one, to the network only for hosts in ``passthrough`` (``"host"`` or ``"host:port"``),
    and otherwise raises :class:`requests.ConnectionError` naming the routes that exist.
    """
    global _ORIGINAL_SEND
    hosts = frozenset(passthrough)
    with _patch_lock:
        previous = HTTPAdapter.send
        if _ORIGINAL_SEND is None and _is_real_send(previous):
            _ORIGINAL_SEND = previous
    pristine = previous is _ORIGINAL_SEND
    network = _ORIGINAL_SEND if _ORIGINAL_SEND is not None else previous

    def send(
        adapter: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if hosts:
            parts = urlsplit(request.url or "")
            if parts.hostname in hosts or parts.netloc in hosts:
                return network(adapter, request, *args, **kwargs)
        platform_request = to_platform_request(request)
        matched = platform.routes.match(platform_request)
        if matched is None:
            if not pristine:
                return previous(adapter, request, *args, **kwargs)
            raise requests.ConnectionError(
                platform.routes.explain_miss(platform_request), request=request
            )
        answer = platform.dispatch(platform_request, matched)
        if answer.fault is not None or answer.latency:
            act_out(answer, request, kwargs.get("timeout", args[1] if len(args) > 1 else None))
        return to_requests_response(answer, request)

    with _patch_lock:
        HTTPAdapter.send = send  # type: ignore[method-assign,assignment]
    try:
        yield platform
    finally:
        with _patch_lock:
            HTTPAdapter.send = previous  # type: ignore[method-assign]
