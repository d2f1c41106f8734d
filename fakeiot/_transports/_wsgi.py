"""A WSGI application that serves a platform: ``fakeiot.wsgi_app(platform)``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .._http import HttpRequest, HttpResponse
from .._platform import Platform

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def request_from_environ(environ: dict[str, Any]) -> HttpRequest:
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
            headers.append((name.replace("_", "-"), value))
            if "_" in name:  # the environ cannot tell app_key from app-key: give both spellings
                headers.append((name, value))
    if environ.get("CONTENT_TYPE"):
        headers.append(("content-type", environ["CONTENT_TYPE"]))
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    path = environ.get("PATH_INFO", "/")
    if isinstance(path, str):  # PEP 3333: latin-1 decoded bytes
        path = path.encode("latin-1").decode("utf-8", "replace")
    # the server percent-decoded PATH_INFO already; route matching decodes once more (as
    # every other transport hands it the path as sent), so a literal "%" is re-encoded
    path = path.replace("%", "%25")
    return HttpRequest(
        environ.get("REQUEST_METHOD", "GET"),
        path,
        query_string=environ.get("QUERY_STRING", ""),
        headers=headers,
        body=body,
        host=environ.get("HTTP_HOST", ""),
        scheme=environ.get("wsgi.url_scheme", "http"),
    )


def status_line(response: HttpResponse) -> str:
    return f"{response.status} {response.reason}".rstrip()


def wsgi_app(platform: Platform) -> WsgiApp:
    """A WSGI callable serving ``platform``, for any WSGI server or test client."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        response = platform.handle(request_from_environ(environ))
        if response.fault is not None:  # an injected drop or timeout: abort the connection
            raise ConnectionAbortedError(f"fakeiot: injected fault ({response.fault})")
        headers = list(response.headers.items())
        headers.append(("Content-Length", str(len(response.body))))
        start_response(status_line(response), headers)
        return [response.body]

    return app
