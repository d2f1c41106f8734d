"""``fakeiot.mock()``: one interception for every client library, thread-safe and scoped.

Every test here runs with a guard on the socket layer: a name lookup or a connection to
anything but loopback is recorded and refused, and the test fails if one was attempted.
"""

from __future__ import annotations

import asyncio
import contextvars
import http.client
import http.server
import json
import logging
import random
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import requests
import urllib3
from requests.adapters import HTTPAdapter

import fakeiot
from fakeiot._oceanconnect import Application
from tests.oc import BASE, CREDENTIALS, LOGIN, REGISTER

pytest_plugins = ["pytester"]

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# -- the guard: no network beyond loopback ---------------------------------------------------


def _loopback(host: object) -> bool:
    return isinstance(host, str) and (host in ("localhost", "::1") or host.startswith("127."))


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Refuse (and record) every lookup of, or connection to, a host that is not loopback."""
    touched: list[Any] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host):
            touched.append(("getaddrinfo", host))
            raise OSError(f"the test looked up {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> None:
        if not (isinstance(address, tuple) and _loopback(address[0])):
            touched.append(("connect", address))
            raise OSError(f"the test connected to {address!r}")
        real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield touched
    assert touched == [], f"the network was touched: {touched}"


# -- what mock() patches, compared by identity -------------------------------------------------


def seams() -> dict[str, object]:
    """Every attribute a mock() block patches, and a few it must leave alone."""
    from urllib3 import connection

    return {
        "requests HTTPAdapter.send": HTTPAdapter.__dict__["send"],
        "http.client HTTPConnection.connect": http.client.HTTPConnection.__dict__["connect"],
        "http.client HTTPSConnection.connect": http.client.HTTPSConnection.__dict__["connect"],
        "urllib3 HTTPConnection.connect": connection.HTTPConnection.__dict__["connect"],
        "urllib3 HTTPSConnection.connect": connection.HTTPSConnection.__dict__["connect"],
        "httpx HTTPTransport.handle_request": httpx.HTTPTransport.__dict__["handle_request"],
        "httpx AsyncHTTPTransport.handle_async_request": httpx.AsyncHTTPTransport.__dict__[
            "handle_async_request"
        ],
        "urllib.request.urlopen": urllib.request.urlopen,
        "urllib.request HTTPSHandler.https_open": urllib.request.HTTPSHandler.__dict__[
            "https_open"
        ],
        "urllib3 PoolManager.urlopen": urllib3.PoolManager.__dict__["urlopen"],
        "socket.create_connection": socket.create_connection,
    }


PATCHED = {
    "requests HTTPAdapter.send",
    "http.client HTTPConnection.connect",
    "http.client HTTPSConnection.connect",
    "urllib3 HTTPConnection.connect",
    "urllib3 HTTPSConnection.connect",
    "httpx HTTPTransport.handle_request",
    "httpx AsyncHTTPTransport.handle_async_request",
}


def test_one_block_patches_each_seam_and_restores_it_exactly() -> None:
    before = seams()
    with fakeiot.mock(fakeiot.Platform(seed=0)):
        during = seams()
    changed = {name for name in before if during[name] is not before[name]}
    assert changed == PATCHED
    after = seams()
    assert all(after[name] is before[name] for name in before)


# -- one login through each client library -----------------------------------------------------

#: ``login(base, app) -> (status, body)`` through one client library
Login = Callable[..., tuple[int, bytes]]


def login_form(app: Application) -> bytes:
    return urlencode({"appId": app.app_id, "secret": app.secret}).encode()


def via_requests(base: str, app: Application, path: str = LOGIN) -> tuple[int, bytes]:
    response = requests.post(base + path, data=login_form(app), headers=FORM, timeout=5)
    return response.status_code, response.content


def via_session(base: str, app: Application, path: str = LOGIN) -> tuple[int, bytes]:
    with requests.Session() as session:
        session.mount("https://", HTTPAdapter(pool_connections=2, max_retries=1))
        response = session.post(base + path, data=login_form(app), headers=FORM, timeout=5)
    return response.status_code, response.content


def via_urllib(base: str, app: Application, path: str = LOGIN) -> tuple[int, bytes]:
    request = urllib.request.Request(base + path, data=login_form(app), headers=FORM)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:  # urllib raises for 4xx and 5xx answers
        return error.code, error.read()


def via_http_client(base: str, app: Application, path: str = LOGIN) -> tuple[int, bytes]:
    parts = urlsplit(base)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.request("POST", path, body=login_form(app), headers=FORM)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def via_urllib3(base: str, app: Application, path: str = LOGIN) -> tuple[int, bytes]:
    with urllib3.PoolManager() as pool:
        response = pool.request("POST", base + path, body=login_form(app), headers=FORM)
        return response.status, response.data


def via_httpx(base: str, app: Application, path: str = LOGIN) -> tuple[int, bytes]:
    response = httpx.post(base + path, content=login_form(app), headers=FORM)
    return response.status_code, response.content


def via_httpx_async(base: str, app: Application, path: str = LOGIN) -> tuple[int, bytes]:
    async def login() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(base + path, content=login_form(app), headers=FORM)

    response = asyncio.run(login())
    return response.status_code, response.content


CLIENTS: dict[str, Login] = {
    "requests": via_requests,
    "requests-session": via_session,
    "urllib": via_urllib,
    "http.client": via_http_client,
    "urllib3": via_urllib3,
    "httpx": via_httpx,
    "httpx-async": via_httpx_async,
}


@pytest.mark.parametrize("client", list(CLIENTS))
def test_every_client_library_reaches_the_platform(client: str) -> None:
    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()
    with fakeiot.mock(platform):
        status, body = CLIENTS[client](BASE, app)
    assert status == 200, body
    assert json.loads(body)["expiresIn"] == platform.settings.token_ttl
    platform.calls.assert_called("oceanconnect.login", times=1)


@pytest.mark.parametrize("client", list(CLIENTS))
def test_every_client_library_gets_the_faces_not_found_answer(client: str) -> None:
    """A wrong version under /iocm/app/: the same vendor-shaped 404 through each library."""
    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()
    with fakeiot.mock(platform):
        status, body = CLIENTS[client](BASE, app, "/iocm/app/sec/v9.9.9/login")
    assert (status, json.loads(body)) == (
        404,
        {"error_code": "100225", "error_desc": "The resource is not found"},
    )
    (call,) = platform.calls
    assert call.face == "oceanconnect"
    assert "takes versions v1.1.0, not 'v9.9.9'" in (call.explanation or "")


# -- 16 threads, random orders -----------------------------------------------------------------


def test_sixteen_threads_entering_and_leaving_blocks_in_random_orders() -> None:
    """Each thread owns two platforms and enters and leaves a block on each in a seeded random
    order (not nested: a block may be left while a later one stays). After every step it logs
    in, by a client library it picks at random, with the credentials of the platform that must
    answer: the innermost block it still has open. A login that reached another platform
    would be refused (401); one that reached the network, caught by the guard."""
    before = seams()
    threads = 16
    platforms = [[fakeiot.Platform(seed=100 * t + k) for k in range(2)] for t in range(threads)]
    apps = [[p.oceanconnect.create_app() for p in pair] for pair in platforms]
    expected = {id(p): 0 for pair in platforms for p in pair}
    counts_lock = threading.Lock()
    failures: list[str] = []
    start = threading.Barrier(threads)

    def run(t: int) -> None:
        rng = random.Random(t)
        start.wait()
        for _round in range(3):
            blocks = [fakeiot.mock(p) for p in platforms[t]]
            open_: list[int] = []  # indexes of this thread's open blocks, in entry order
            steps = [("enter", 0), ("enter", 1), ("leave", 0), ("leave", 1)]
            while steps:  # a random order in which each block is entered before it is left
                ready = [s for s in steps if s[0] == "enter" or s[1] in open_]
                kind, k = rng.choice(ready)
                steps.remove((kind, k))
                if kind == "enter":
                    blocks[k].__enter__()
                    open_.append(k)
                else:
                    blocks[k].__exit__(None, None, None)
                    open_.remove(k)
                if not open_:
                    continue  # no block of its own: another thread's answers
                owner = open_[-1]
                name = rng.choice(list(CLIENTS))
                status, body = CLIENTS[name](BASE, apps[t][owner])
                if status != 200:
                    failures.append(f"thread {t} via {name}: {status} {body[:100]!r}")
                with counts_lock:
                    expected[id(platforms[t][owner])] += 1

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(w.is_alive() for w in workers)
    assert failures == []
    for pair in platforms:
        for platform in pair:
            assert len(platform.calls.of("oceanconnect.login")) == expected[id(platform)]
            assert len(platform.calls) == expected[id(platform)]
    assert sum(expected.values()) > threads * 3
    after = seams()
    assert {name for name in before if after[name] is not before[name]} == set()


def test_blocks_left_out_of_order_in_one_thread_route_to_the_innermost_open_one() -> None:
    first, second = fakeiot.Platform(seed=1), fakeiot.Platform(seed=2)
    apps = first.oceanconnect.create_app(), second.oceanconnect.create_app()
    outer, inner = fakeiot.mock(first), fakeiot.mock(second)
    outer.__enter__()
    inner.__enter__()
    assert via_requests(BASE, apps[1])[0] == 200
    outer.__exit__(None, None, None)  # the outer block leaves first
    assert via_urllib(BASE, apps[1])[0] == 200
    inner.__exit__(None, None, None)
    assert (len(first.calls), len(second.calls)) == (0, 2)


def test_a_thread_pool_without_the_context_gets_the_latest_block_with_it_its_own() -> None:
    """Pool threads do not inherit the context: they get the most recently entered block,
    unless the task runs in a copy of the submitting context."""
    first, second = fakeiot.Platform(seed=1), fakeiot.Platform(seed=2)
    apps = first.oceanconnect.create_app(), second.oceanconnect.create_app()
    with ThreadPoolExecutor(max_workers=2) as pool, fakeiot.mock(first):
        entered = threading.Event()
        leave = threading.Event()

        def hold_second() -> None:
            with fakeiot.mock(second):
                entered.set()
                leave.wait(10)

        holder = threading.Thread(target=hold_second)
        holder.start()
        entered.wait(10)
        latest = pool.submit(via_requests, BASE, apps[1]).result()
        context = contextvars.copy_context()
        own = pool.submit(context.run, via_httpx, BASE, apps[0]).result()
        leave.set()
        holder.join(10)
    assert (latest[0], own[0]) == (200, 200)
    first.calls.assert_called("oceanconnect.login", times=1)
    second.calls.assert_called("oceanconnect.login", times=1)


def test_asyncio_tasks_keep_the_block_they_entered() -> None:
    """Each task runs in its own copy of the context: its block is its own."""
    platforms = [fakeiot.Platform(seed=s) for s in range(4)]
    apps = [p.oceanconnect.create_app() for p in platforms]

    async def task(k: int) -> int:
        with fakeiot.mock(platforms[k]):
            await asyncio.sleep(0.01 * (4 - k))  # the others enter while this one waits
            async with httpx.AsyncClient() as client:
                response = await client.post(BASE + LOGIN, content=login_form(apps[k]))
            return response.status_code

    async def main() -> list[int]:
        return list(await asyncio.gather(*(task(k) for k in range(4))))

    assert asyncio.run(main()) == [200] * 4
    assert [len(p.calls) for p in platforms] == [1] * 4


# -- scoping: hosts=, passthrough=, never the dashboard ----------------------------------------


@pytest.mark.parametrize("client", list(CLIENTS))
def test_hosts_scopes_the_block_and_names_the_hosts_it_serves(client: str) -> None:
    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()
    with fakeiot.mock(platform, hosts=["*.example", "device.example.com:8743"]):
        assert CLIENTS[client](BASE, app)[0] == 200  # iot.example matches *.example
        assert CLIENTS[client]("https://device.example.com:8743", app)[0] == 200
        with pytest.raises(Exception) as raised:  # noqa: PT011 (each library's own type)
            CLIENTS[client]("https://api.example.com", app)
    assert_connection_error(client, raised.value)
    assert "serves only the hosts *.example, device.example.com:8743" in text_of(raised.value)
    assert len(platform.calls) == 2


def text_of(error: BaseException) -> str:
    """The message and every cause's (urllib3 and urllib wrap the connection error)."""
    parts = []
    current: BaseException | None = error
    while current is not None:
        parts.append(str(current))
        reason = getattr(current, "reason", None)
        current = current.__cause__ or current.__context__
        if current is None and isinstance(reason, BaseException):
            current = reason
    return " | ".join(parts)


#: the exception type each library raises when it cannot connect
CONNECTION_ERRORS: dict[str, tuple[type[BaseException], ...]] = {
    "requests": (requests.ConnectionError,),
    "requests-session": (requests.ConnectionError,),
    "urllib": (urllib.error.URLError,),
    "http.client": (ConnectionRefusedError,),
    # refused by host when it connects (NewConnectionError), by path once the request line is
    # written ("Connection aborted."); wrapped in MaxRetryError when retries are on
    "urllib3": (
        urllib3.exceptions.MaxRetryError,
        urllib3.exceptions.NewConnectionError,
        urllib3.exceptions.ProtocolError,
    ),
    "httpx": (httpx.ConnectError,),
    "httpx-async": (httpx.ConnectError,),
}


def assert_connection_error(client: str, error: BaseException) -> None:
    assert isinstance(error, CONNECTION_ERRORS[client]), repr(error)
    if client == "urllib3":  # refused by host: when it connects, as a closed port would be
        assert isinstance(error, urllib3.exceptions.MaxRetryError)
        assert isinstance(error.reason, urllib3.exceptions.NewConnectionError)


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("path", ["/", "/_fakeiot/api/overview", "/openapi.json"])
@pytest.mark.parametrize("host", ["iot.example:8743", "127.0.0.1:8080", "localhost"])
def test_the_dashboard_and_control_api_are_never_answered_in_process(
    client: str, path: str, host: str
) -> None:
    """Under mock(), on any host: the client's connection error, and no call on the platform."""
    platform = fakeiot.Platform(seed=0)
    get = GETTERS[client]
    with fakeiot.mock(platform), pytest.raises(Exception) as raised:  # noqa: PT011
        get(f"https://{host}{path}")
    assert isinstance(raised.value, CONNECTION_ERRORS[client]), repr(raised.value)
    assert "only the paths under its faces' prefixes" in text_of(raised.value)
    assert len(platform.calls) == 0


def _get_urllib(url: str) -> object:
    return urllib.request.urlopen(url, timeout=5).read()


def _get_http_client(url: str) -> object:
    parts = urlsplit(url)
    connection = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=5)
    connection.request("GET", parts.path)
    return connection.getresponse().read()


def _get_urllib3(url: str) -> object:
    with urllib3.PoolManager() as pool:
        return pool.request("GET", url, retries=False).data


def _get_httpx_async(url: str) -> object:
    async def get() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.get(url)

    return asyncio.run(get())


GETTERS: dict[str, Callable[[str], object]] = {
    "requests": lambda url: requests.get(url, timeout=5),
    "requests-session": lambda url: requests.Session().get(url, timeout=5),
    "urllib": _get_urllib,
    "http.client": _get_http_client,
    "urllib3": _get_urllib3,
    "httpx": httpx.get,
    "httpx-async": _get_httpx_async,
}


@pytest.mark.parametrize(
    "transport", ["Adapter", "HttpxTransport", "HttpxTransport-async"], ids=str
)
@pytest.mark.parametrize("path", ["/", "/_fakeiot/api/overview", "/openapi.json"])
def test_explicit_transports_never_answer_the_dashboard_either(transport: str, path: str) -> None:
    platform = fakeiot.Platform(seed=0)
    url = BASE + path
    if transport == "Adapter":
        with requests.Session() as session:
            session.mount("https://", fakeiot.Adapter(platform))
            with pytest.raises(requests.ConnectionError, match="faces' prefixes"):
                session.get(url)
    elif transport == "HttpxTransport":
        with (
            httpx.Client(transport=fakeiot.HttpxTransport(platform)) as client,
            pytest.raises(httpx.ConnectError, match="faces' prefixes"),
        ):
            client.get(url)
    else:

        async def get() -> None:
            transport = fakeiot.HttpxTransport(platform)
            async with httpx.AsyncClient(transport=transport) as client:
                await client.get(url)

        with pytest.raises(httpx.ConnectError, match="faces' prefixes"):
            asyncio.run(get())
    assert len(platform.calls) == 0


def test_only_the_server_serves_the_dashboard(platform: fakeiot.Platform) -> None:
    """The dashboard belongs to the serve layer (fakeiot serve, Server): ``wsgi_app`` serves
    the faces only, and answers fakeiot's own 404 outside their prefixes."""
    transport = httpx.WSGITransport(app=fakeiot.wsgi_app(platform))
    with httpx.Client(transport=transport, base_url="http://fakeiot.local") as client:
        assert client.get("/").status_code == 404
        missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json()["error"] == "no such route"
    with fakeiot.Server(platform) as server:
        session = requests.Session()
        session.trust_env = False
        assert session.get(server.url + "/").status_code == 200


class _Handler(http.server.BaseHTTPRequestHandler):
    """A loopback server: answers every GET with its path, or redirects ``/hop`` into the
    platform's activation-status query named in the ``to`` query parameter."""

    def do_GET(self) -> None:
        if self.path.startswith("/hop?to="):
            self.send_response(302)
            self.send_header("Location", self.path.partition("?to=")[2])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        type(self).posted.append((self.path, self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    posted: list[tuple[str, bytes]] = []

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def local_server() -> Iterator[str]:
    """A plain ``http.server`` on loopback; its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    # a short poll: shutdown() waits for the loop's next poll (0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("client", list(GETTERS))
def test_passthrough_reaches_a_real_local_server_and_nothing_else_does(
    client: str, local_server: str
) -> None:
    platform = fakeiot.Platform(seed=0)
    url = local_server + "/iocm/app/sec/v1.1.0/anything"  # a face prefix, but let through
    netloc = urlsplit(local_server).netloc
    with fakeiot.mock(platform, passthrough=[netloc]):
        answer = fetch_json(client, url)
    assert answer == {"path": "/iocm/app/sec/v1.1.0/anything"}
    assert len(platform.calls) == 0


def fetch_json(client: str, url: str) -> Any:
    if client in ("requests", "requests-session"):
        session = requests.Session()
        session.trust_env = False
        return session.get(url, timeout=5).json()
    if client == "urllib":
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        return json.loads(opener.open(url, timeout=5).read())
    if client == "http.client":
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
        connection.request("GET", parts.path)
        return json.loads(connection.getresponse().read())
    if client == "urllib3":
        with urllib3.PoolManager() as pool:
            return json.loads(pool.request("GET", url).data)
    if client == "httpx":
        return httpx.get(url, trust_env=False).json()

    async def get() -> Any:
        async with httpx.AsyncClient(trust_env=False) as session:
            return (await session.get(url)).json()

    return asyncio.run(get())


def test_pytest_httpserver_is_let_through(httpserver: Any) -> None:
    httpserver.expect_request("/connect-service/v2.1/devices").respond_with_json({"real": True})
    platform = fakeiot.Platform(seed=0)
    with fakeiot.mock(platform, passthrough=["localhost", "127.0.0.1"]):
        session = requests.Session()
        session.trust_env = False
        answer = session.get(httpserver.url_for("/connect-service/v2.1/devices")).json()
    assert answer == {"real": True}
    assert len(platform.calls) == 0


@pytest.mark.parametrize("client", ["requests", "urllib", "urllib3", "httpx"])
def test_a_redirect_from_a_let_through_server_into_the_platform_is_followed(
    client: str, local_server: str
) -> None:
    """Each library follows the redirect by its own rules (requests, urllib3 and httpx drop
    the Authorization header on the way to another host, urllib keeps it); the second hop is
    intercepted and answered by the platform."""
    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()
    token = platform.handle(
        fakeiot.HttpRequest("POST", LOGIN, headers=FORM, body=login_form(app))
    ).json_body()["accessToken"]
    headers = {"app_key": app.app_id, "Authorization": f"Bearer {token}"}
    registered = platform.handle(
        fakeiot.HttpRequest(
            "POST",
            REGISTER,
            headers={**headers, "Content-Type": "application/json"},
            body=json.dumps({"nodeId": "861234567890123"}).encode(),
        )
    ).json_body()
    url = f"{local_server}/hop?to={BASE + CREDENTIALS.format(registered['deviceId'])}"
    with fakeiot.mock(platform, passthrough=[urlsplit(local_server).netloc]):
        if client == "requests":
            session = requests.Session()
            session.trust_env = False
            body = session.get(url, headers=headers, timeout=5).content
        elif client == "urllib":
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            body = opener.open(urllib.request.Request(url, headers=headers), timeout=5).read()
        elif client == "urllib3":
            with urllib3.PoolManager() as pool:
                body = pool.request("GET", url, headers=headers).data
        else:
            body = httpx.get(url, headers=headers, follow_redirects=True, trust_env=False).content
    (call,) = platform.calls.assert_called("oceanconnect.query_activation_status", times=1)
    assert json.loads(body) == call.response.json_body()
    assert ("authorization" in call.request.headers) is (client == "urllib")


def test_the_platforms_own_pushes_are_not_intercepted(local_server: str) -> None:
    """Push delivery is the platform calling the application's callback server: it goes out
    even while a block that does not let that host through is active."""
    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()
    _Handler.posted.clear()
    with fakeiot.mock(platform):
        token = json.loads(via_requests(BASE, app)[1])["accessToken"]
        headers = {"app_key": app.app_id, "Authorization": f"Bearer {token}"}
        subscribed = requests.post(
            BASE + "/iocm/app/sub/v1.2.0/subscriptions",
            json={"notifyType": "deviceAdded", "callbackUrl": local_server + "/cb"},
            headers=headers,
        )
        assert subscribed.status_code == 201, subscribed.text
        requests.post(BASE + REGISTER, json={"nodeId": "861234567890123"}, headers=headers)
        with pytest.raises(requests.ConnectionError):  # the test's own requests stay caught
            requests.get(local_server + "/cb", timeout=5)
    (push,) = platform.oceanconnect.pushes
    assert (push.result, push.via) == ("delivered", "http")
    assert [(path, json.loads(body)["notifyType"]) for path, body in _Handler.posted] == [
        ("/cb", "deviceAdded")
    ]


def test_mock_works_as_a_decorator_with_a_fresh_block_per_call() -> None:
    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()

    @fakeiot.mock(platform)
    def log_in() -> int:
        return via_urllib(BASE, app)[0]

    before = seams()
    assert [log_in(), log_in()] == [200, 200]
    assert len(platform.calls) == 2
    after = seams()  # no block is left active
    assert all(after[name] is before[name] for name in before)


# -- each library's own behaviour: faults, certificate files, streaming ------------------------


def test_urllib_and_http_client_see_dropped_connections_and_timeouts_as_they_would() -> None:
    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()
    with fakeiot.mock(platform):
        platform.faults.inject("oceanconnect.login", drop=True, times=1)
        with pytest.raises(http.client.RemoteDisconnected):
            via_http_client(BASE, app)
        platform.faults.inject("oceanconnect.login", timeout=True, times=1)
        with pytest.raises(TimeoutError):
            via_urllib(BASE, app)
        assert via_urllib(BASE, app)[0] == 200


def test_urllib3_wraps_faults_and_missing_ca_files_as_it_does_for_a_real_server(
    tmp_path: Path,
) -> None:
    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()
    form = login_form(app)
    with fakeiot.mock(platform), urllib3.PoolManager() as pool:
        platform.faults.inject("oceanconnect.login", drop=True, times=1)
        with pytest.raises(urllib3.exceptions.ProtocolError):
            pool.request("POST", BASE + LOGIN, body=form, headers=FORM, retries=False)
        platform.faults.inject("oceanconnect.login", timeout=True, times=1)
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            pool.request("POST", BASE + LOGIN, body=form, headers=FORM, retries=False, timeout=5)
        with (
            urllib3.PoolManager(ca_certs=str(tmp_path / "missing-ca.pem")) as strict,
            pytest.raises(urllib3.exceptions.SSLError),
        ):
            strict.request("POST", BASE + LOGIN, body=form, headers=FORM, retries=False)
        assert pool.request("POST", BASE + LOGIN, body=form, headers=FORM).status == 200


def test_httpx_global_patch_keeps_httpx_faults() -> None:
    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()
    with fakeiot.mock(platform):
        platform.faults.inject("oceanconnect.login", drop=True, times=1)
        with pytest.raises(httpx.RemoteProtocolError):
            via_httpx(BASE, app)
        platform.faults.inject("oceanconnect.login", timeout=True, times=1)
        with pytest.raises(httpx.ReadTimeout):
            via_httpx_async(BASE, app)
        assert via_httpx(BASE, app)[0] == 200


@pytest.mark.parametrize("client", ["requests", "urllib", "urllib3", "httpx"])
def test_responses_stream(client: str) -> None:
    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()
    form = login_form(app)
    with fakeiot.mock(platform):
        if client == "requests":
            with requests.post(BASE + LOGIN, data=form, headers=FORM, stream=True) as response:
                chunks = list(response.iter_content(7))
        elif client == "urllib":
            with urllib.request.urlopen(urllib.request.Request(BASE + LOGIN, form, FORM)) as r:
                chunks = list(iter(lambda: r.read(7), b""))
        elif client == "urllib3":
            with urllib3.PoolManager() as pool:
                raw = pool.request(
                    "POST", BASE + LOGIN, body=form, headers=FORM, preload_content=False
                )
                chunks = list(raw.stream(7))
        else:
            with (
                httpx.Client() as session,
                session.stream("POST", BASE + LOGIN, content=form, headers=FORM) as response,
            ):
                chunks = list(response.iter_bytes(7))
    assert len(chunks) > 3
    assert json.loads(b"".join(chunks))["tokenType"] == "bearer"


# -- real SDKs ---------------------------------------------------------------------------------


def test_huaweicloudsdkcore_http_client_reaches_the_platform_through_its_own_adapter() -> None:
    """The SDK mounts its own HTTPAdapter (with a Retry) on its Session, sync and through its
    thread pool (FutureSession): both reach the platform."""
    from huaweicloudsdkcore.exceptions.exception_handler import DefaultExceptionHandler
    from huaweicloudsdkcore.http.http_client import HttpClient
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcore.sdk_request import SdkRequest

    platform = fakeiot.Platform(seed=0)
    app = platform.oceanconnect.create_app()
    client = HttpClient(
        HttpConfig.get_default_config(), None, DefaultExceptionHandler(), logging.getLogger()
    )
    mounted = client._session.get_adapter(BASE)
    assert type(mounted) is HTTPAdapter
    request = SdkRequest(
        method="POST",
        schema="https",
        host="iot.example:8743",
        resource_path=LOGIN,
        uri=LOGIN,
        header_params=dict(FORM),
        body=login_form(app),
    )
    with fakeiot.mock(platform):
        response = client.do_request_sync(request)
        later = client.do_request_async(request, []).result(timeout=30)
    assert (response.status_code, later.status_code) == (200, 200)
    assert response.json()["tokenType"] == "bearer"
    platform.calls.assert_called("oceanconnect.login", times=2)


def test_enos_poseidon_urlopen_runs_unchanged_under_the_fakeiot_fixture(
    fakeiot: fakeiot.Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No server: the client's urllib.request.urlopen is served in-process."""
    from tests.test_enos_poseidon import poseidon_module

    client = poseidon_module()
    monkeypatch.setattr(client, "pubkey", fakeiot.enos.poseidon_public_key)
    org = fakeiot.enos.create_org()
    query = urlencode({"action": "getStats", "orgId": org.org_id})
    url = f"https://apim.enos.example/connect-service/v2.1/devices?{query}"
    reply = client.urlopen(org.access_key, org.secret_key, url)
    assert (reply["code"], reply["data"]["totalCount"]) == (0, 0)
    fakeiot.calls.assert_called("enos.get_device_stats", times=1)


# -- platform.calls --------------------------------------------------------------------------


def test_calls_filter_by_route_method_and_face(platform: fakeiot.Platform) -> None:
    app = platform.oceanconnect.create_app()
    with fakeiot.mock(platform):
        via_requests(BASE, app)
        via_requests(BASE, app)
        requests.get(BASE + "/iocm/app/nowhere")
    calls = platform.calls
    assert len(calls.of("oceanconnect.login")) == 2
    assert len(calls.of(method="get")) == 1
    assert len(calls.of(face="oceanconnect")) == 3
    assert calls.of(face="enos") == []
    assert calls[-1].route is None
    assert [c.index for c in calls[:2]] == [0, 1]
    calls.assert_called("oceanconnect.login")
    calls.assert_called("oceanconnect.login", times=2, method="POST")


def test_assert_called_lists_the_calls_made(platform: fakeiot.Platform) -> None:
    app = platform.oceanconnect.create_app()
    with fakeiot.mock(platform):
        via_requests(BASE, app)
    with pytest.raises(fakeiot.FakeiotAssertionError) as raised:
        platform.calls.assert_called("oceanconnect.register_device")
    assert str(raised.value) == (
        "expected 'oceanconnect.register_device' to be called at least once, it was called "
        "0 times; calls made (1):\n  #0 POST /iocm/app/sec/v1.1.0/login -> 200  "
        "[oceanconnect.login]"
    )
    with pytest.raises(AssertionError, match="called 2 times, it was called 1 time;"):
        platform.calls.assert_called("oceanconnect.login", times=2)


def test_calls_stay_bounded_by_the_setting() -> None:
    platform = fakeiot.Platform(seed=0, call_log_limit=3)
    for _ in range(5):
        platform.handle(fakeiot.HttpRequest("GET", "/iocm/app/nowhere"))
    assert [c.index for c in platform.calls] == [2, 3, 4]
    assert platform.calls.maxlen == 3


# -- percent-decoding ------------------------------------------------------------------------


def test_a_percent_encoded_device_id_matches_once_decoded(platform: fakeiot.Platform) -> None:
    """A Java-style client encodes the deviceId's dashes: %2D matches "-", decoded once."""
    app = platform.oceanconnect.create_app()
    with fakeiot.mock(platform):
        token = json.loads(via_requests(BASE, app)[1])["accessToken"]
        headers = {"app_key": app.app_id, "Authorization": f"Bearer {token}"}
        device_id = requests.post(
            BASE + REGISTER, json={"nodeId": "861234567890123"}, headers=headers
        ).json()["deviceId"]
        encoded = device_id.replace("-", "%2D")
        answer = requests.get(BASE + CREDENTIALS.format(encoded), headers=headers)
        twice = requests.get(
            BASE + CREDENTIALS.format(encoded.replace("%", "%25")), headers=headers
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["activated"] is False
    assert twice.status_code == 404  # "%252D" decodes once to "%2D": no such device
    assert twice.json()["error_code"] == "100403"


# -- the pytest plugin: marker and ini -----------------------------------------------------------


def test_the_marker_scopes_the_fakeiot_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, requests

        @pytest.mark.fakeiot(hosts=["iot.example"], token_ttl=77)
        def test_scoped(fakeiot):
            app = fakeiot.oceanconnect.create_app()
            form = {"appId": app.app_id, "secret": app.secret}
            ok = requests.post("https://iot.example/iocm/app/sec/v1.1.0/login", data=form)
            assert ok.json()["expiresIn"] == 77
            with pytest.raises(requests.ConnectionError, match="serves only the hosts"):
                requests.post("https://other.example/iocm/app/sec/v1.1.0/login", data=form)
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_ini_options_scope_every_fakeiot_fixture(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        fakeiot_hosts =
            *.example
        fakeiot_passthrough =
            127.0.0.1
        """
    )
    pytester.makepyfile(
        """
        import pytest, requests

        def test_scoped(fakeiot):
            with pytest.raises(requests.ConnectionError, match=r"serves only the hosts \\*"):
                requests.get("https://iot.example.com/iocm/app/sec/v1.1.0/login")

        def test_let_through(fakeiot):
            # port 9 on loopback is closed: the operating system refuses, not fakeiot
            with pytest.raises(requests.ConnectionError) as raised:
                requests.get("http://127.0.0.1:9/anything", timeout=2)
            assert "fakeiot" not in str(raised.value)
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
