"""``requests`` transports: a mountable adapter, and ``mock()`` which patches every adapter."""

from __future__ import annotations

import io
from typing import Any, final

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict

from .._http import HttpRequest, HttpResponse
from .._platform import Platform
from ._intercept import Passthrough, Refusal, add_seam, decide, hostname, mock, outside_faces

__all__ = ["Adapter", "act_out", "mock", "to_platform_request", "to_requests_response"]


def to_platform_request(prepared: requests.PreparedRequest) -> HttpRequest:
    url = prepared.url or "/"
    headers = prepared.headers
    if isinstance(headers, CaseInsensitiveDict):
        lowered = dict(headers.lower_items())
    else:  # a prepared request someone built by hand
        lowered = {k.lower(): v for k, v in headers.items()}
    body = prepared.body
    if body is None:
        data = b""
    elif isinstance(body, bytes):
        data = body
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:  # a file-like or generator body
        data = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
    return HttpRequest._from_client((prepared.method or "GET").upper(), url, lowered, data)


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
        platform_request = to_platform_request(request)
        if self.platform.routes.owner(platform_request.path) is None:
            message = outside_faces(self.platform, platform_request.method, request.url or "")
            raise requests.ConnectionError(message, request=request)
        answer = self.platform.handle(platform_request)
        if answer.fault is not None or answer.latency:
            act_out(answer, request, timeout)
        return to_requests_response(answer, request)

    def close(self) -> None:
        """Nothing to release: there is no connection."""


def _is_real_send(send: object) -> bool:
    """Whether ``send`` is ``HTTPAdapter.send`` as requests defines it, not another mock's."""
    return (
        getattr(send, "__module__", None) == "requests.adapters"
        and getattr(send, "__qualname__", None) == "HTTPAdapter.send"
    )


#: the real ``HTTPAdapter.send``: passthrough goes here, never to a mock. Captured at import, or
#: at the first ``mock()`` if another mock (``responses``) was active when this was imported.
_ORIGINAL_SEND: Any = HTTPAdapter.send if _is_real_send(HTTPAdapter.send) else None


class _CertProbe:
    """Stands in for the connection ``HTTPAdapter.cert_verify`` configures: only its file
    checks matter here (a missing ``cert=`` or ``verify=`` path raises ``OSError``)."""

    cert_reqs = ca_certs = ca_cert_dir = cert_file = key_file = None


def _install_requests() -> list[tuple[Any, str, Any]]:
    """Patch ``HTTPAdapter.send``: every Session, module-level call and SDK-mounted adapter
    (subclasses that call ``super().send``) comes through it."""
    global _ORIGINAL_SEND
    previous = HTTPAdapter.send
    if _ORIGINAL_SEND is None and _is_real_send(previous):
        _ORIGINAL_SEND = previous
    pristine = previous is _ORIGINAL_SEND
    network = _ORIGINAL_SEND if _ORIGINAL_SEND is not None else previous

    def send(
        adapter: HTTPAdapter,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        url = request.url or "/"
        platform_request = to_platform_request(request)
        netloc = platform_request.host
        server = decide(platform_request.method, hostname(netloc), netloc, platform_request.path)
        if server is None:  # every block has left: behave as before
            return previous(adapter, request, stream, timeout, verify, cert, proxies)
        if isinstance(server, Passthrough):
            return network(adapter, request, stream, timeout, verify, cert, proxies)
        if isinstance(server, Refusal):
            if not pristine:  # a mock beneath (responses, requests-mock) may serve it
                return previous(adapter, request, stream, timeout, verify, cert, proxies)
            raise requests.ConnectionError(str(server), request=request)
        if cert or (verify is not True and verify and url[:5].lower() == "https"):
            adapter.cert_verify(_CertProbe(), url, verify, cert)  # type: ignore[no-untyped-call]
        answer = server.handle(platform_request)
        if answer.fault is not None or answer.latency:
            act_out(answer, request, timeout)
        return to_requests_response(answer, request)

    return [(HTTPAdapter, "send", send)]


add_seam(_install_requests)
