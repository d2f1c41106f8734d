"""The HTTP/1.1 front of fakeiot.Server and `fakeiot serve` (cheroot): chunked bodies through
every route family, smuggling refused, 413, slow and silent clients losing their slot, a bound on
connections, keep-alive and pipelining, Date and Server, HEAD and OPTIONS."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests

import fakeiot
from tests.enos import DEVICES, EnosClient, device_body, signature
from tests.oc import IMEI, LOGIN, REGISTER, OcClient

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
def platform() -> fakeiot.Platform:
    return fakeiot.Platform(seed=4, clock=fakeiot.ManualClock(), flow_control_limit=None)


@pytest.fixture
def server(platform: fakeiot.Platform) -> Iterator[fakeiot.Server]:
    with fakeiot.Server(platform, max_request_size=64 * 1024, header_timeout=1.0) as served:
        yield served


def chunks(body: bytes) -> Iterator[bytes]:
    """A generator body: requests sends it with Transfer-Encoding: chunked."""
    for start in range(0, len(body), 7):
        yield body[start : start + 7]


def raw(server: fakeiot.Server, payload: bytes, *, wait: float = 2.0) -> bytes:
    """Send ``payload`` on a fresh connection; everything the server answers until it closes
    or goes quiet for ``wait`` seconds."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
        sock.sendall(payload)
        got = b""
        try:
            while chunk := sock.recv(65536):
                got += chunk
        except TimeoutError:
            pass
    return got


def test_chunked_bodies_reach_every_route_family(
    server: fakeiot.Server, platform: fakeiot.Platform
) -> None:
    oc = OcClient(platform)
    form = f"appId={oc.app.app_id}&secret={oc.app.secret}".encode()
    login = requests.post(
        server.url + LOGIN,
        data=chunks(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert login.status_code == 200, login.text
    token = login.json()["accessToken"]
    headers = {
        "app_key": oc.app.app_id,
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    body = json.dumps({"nodeId": IMEI, "timeout": 0}).encode()
    register = requests.post(server.url + REGISTER, data=chunks(body), headers=headers, timeout=5)
    assert register.status_code == 200, register.text

    enos = EnosClient(platform)
    product = enos.create_product()
    query = {"action": "create", "orgId": enos.org.org_id}
    data = json.dumps(device_body(product)).encode()
    stamp = enos.now_ms()
    signed = {
        "apim-accesstoken": enos.token,
        "apim-timestamp": stamp,
        "apim-signature": signature(enos.token, query, data, stamp, enos.org.secret_key),
        "Content-Type": "application/json;charset=UTF-8",
    }
    created = requests.post(
        f"{server.url}{DEVICES}?{urlencode(query)}", data=chunks(data), headers=signed, timeout=5
    )
    assert created.status_code == 200
    assert created.json()["code"] == 0, created.text

    connect = requests.post(
        server.url + "/_fakeiot/api/oceanconnect/devices/connect",
        data=chunks(json.dumps({"nodeId": IMEI}).encode()),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert connect.status_code == 200, connect.text
    assert connect.json()["status"] == "ONLINE"


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: chunked\r\nContent-Length: 64\r\n",
        b"Content-Length: 0\r\nContent-Length: 64\r\n",
    ],
    ids=["CL+TE", "TE+CL", "two CLs"],
)
def test_smuggling_attempts_are_refused_and_the_hidden_request_never_runs(
    server: fakeiot.Server, platform: fakeiot.Platform, head: bytes
) -> None:
    hidden = (
        b"POST /_fakeiot/api/clock/advance HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 16\r\n\r\n"
        b'{"seconds": 999}'
    )
    smuggled = b"%x\r\n%s\r\n0\r\n\r\n" % (len(hidden), hidden)
    before = platform.clock.now()
    answer = raw(
        server,
        b"POST /iocm/app/sec/v1.1.0/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + head
        + b"\r\n"
        + smuggled,
    )
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.count(b"HTTP/1.1 ") == 1  # and the connection was closed
    assert platform.clock.now() == before
    assert len(platform.calls) == 0


def test_a_body_over_the_limit_is_answered_413(server: fakeiot.Server) -> None:
    big = b"x" * (64 * 1024 + 1)
    plain = requests.post(server.url + REGISTER, data=big, timeout=5)
    chunked = requests.post(server.url + REGISTER, data=chunks(big[:70_000]), timeout=10)
    assert (plain.status_code, chunked.status_code) == (413, 413)
    assert requests.get(server.url + "/_fakeiot/api/clock", timeout=5).status_code == 200


def test_slow_and_silent_clients_lose_their_slot_and_a_new_client_is_served() -> None:
    platform = fakeiot.Platform(seed=0)
    with fakeiot.Server(platform, header_timeout=1.0, idle_timeout=1.5, threads=4) as server:
        slow = []
        for _ in range(3):  # fewer than the worker threads: each holds one for header_timeout
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /_fakeiot/api/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(sock)
        silent = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(40)]
        started = time.monotonic()
        for _ in range(3):  # slowloris: a byte now and then, never the end of the head
            for sock in slow:
                sock.sendall(b"a")
            time.sleep(0.3)
        answer = requests.get(server.url + "/_fakeiot/api/clock", timeout=5)
        assert answer.status_code == 200
        assert time.monotonic() - started < 4
        time.sleep(1.5)
        for sock in slow + silent:  # every slot was taken back: the server hung up
            sock.settimeout(3)
            try:
                rest = sock.recv(4096)
                while rest and b"HTTP/1.1" not in rest and sock.recv(4096):
                    pass
            except OSError:
                pass
            sock.close()
        assert requests.get(server.url + "/_fakeiot/api/clock", timeout=5).status_code == 200


def test_a_bound_on_connections_answers_503_beyond_it() -> None:
    with fakeiot.Server(fakeiot.Platform(seed=0), max_connections=4) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(4)]
        time.sleep(0.3)
        refused = raw(server, b"GET /_fakeiot/api/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for sock in held:
            sock.close()
        time.sleep(0.3)
        served = requests.get(server.url + "/_fakeiot/api/clock", timeout=5)
    assert refused.startswith(b"HTTP/1.1 503 ")
    assert served.status_code == 200


def test_keep_alive_and_pipelining(server: fakeiot.Server) -> None:
    one = b"GET /_fakeiot/api/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    answer = raw(server, one * 3, wait=1.0)
    assert answer.count(b"HTTP/1.1 200 OK") == 3
    with requests.Session() as session:
        first = session.get(server.url + "/_fakeiot/api/clock", timeout=5)
        second = session.get(server.url + "/_fakeiot/api/clock", timeout=5)
    assert first.headers.get("Connection") != "close"
    assert second.status_code == 200


def test_date_server_head_and_options(server: fakeiot.Server, platform: fakeiot.Platform) -> None:
    get = requests.get(server.url + "/_fakeiot/api/clock", timeout=5)
    head = requests.head(server.url + "/_fakeiot/api/clock", timeout=5)
    assert get.headers["Server"] == "fakeiot"
    assert get.headers["Date"].endswith(" GMT")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    options = requests.options(
        server.url + REGISTER, headers={"Origin": "https://evil.example"}, timeout=5
    )
    assert options.status_code == 204
    assert options.headers["Allow"] == "POST, OPTIONS"
    assert not [h for h in options.headers if h.lower().startswith("access-control-")]
    nothing = requests.options(server.url + "/nowhere", timeout=5)
    assert nothing.status_code == 404


def test_a_refused_connection_is_closed_after_its_linger_with_no_other_traffic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fakeiot.serve._front import Front

    monkeypatch.setattr(Front, "refused_linger", 0.2)
    with fakeiot.Server(fakeiot.Platform(seed=0), max_connections=2) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
        time.sleep(0.3)
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            answer = b""
            while chunk := sock.recv(65536):  # the 503, then the server's end of sending
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 503 ")
            reset = False
            deadline = time.monotonic() + 5
            while not reset and time.monotonic() < deadline:
                time.sleep(0.1)
                try:  # data for a closed socket is answered with a reset
                    sock.sendall(b"x")
                    sock.recv(1)
                except (ConnectionResetError, BrokenPipeError):
                    reset = True
            assert reset, "the refused connection was never closed"
        for other in held:
            other.close()


def test_a_refused_connection_that_cannot_be_answered_is_closed_quietly() -> None:
    from cheroot.server import HTTPConnection

    with fakeiot.Server(fakeiot.Platform(seed=0), max_connections=4) as server:
        front = server._httpd
        assert front is not None
        ours, theirs = socket.socketpair()
        conn = HTTPConnection(front, ours)
        ours.close()  # the 503 cannot be written
        front.refuse(conn)
        theirs.close()
        time.sleep(0.2)
        assert front._refuser.is_alive()
        # and the refusals still work
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(4)]
        time.sleep(0.3)
        refused = raw(server, b"GET /_fakeiot/api/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for sock in held:
            sock.close()
    assert refused.startswith(b"HTTP/1.1 503 ")


def test_the_installed_cheroot_has_the_private_api_the_front_uses() -> None:
    """Fails when cheroot changes underneath: re-check fakeiot/serve/_front.py."""
    import inspect
    import queue

    from cheroot import connections, server
    from cheroot.ssl import builtin

    def params(function: object) -> list[str]:
        return list(inspect.signature(function).parameters)  # type: ignore[arg-type]

    assert params(server.HeaderReader.__call__) == ["self", "rfile", "hdict"]
    assert params(server.HTTPRequest.read_request_headers) == ["self"]
    assert params(server.HTTPRequest.simple_response) == ["self", "status", "msg"]
    assert params(server.HTTPServer.put_conn) == ["self", "conn"]
    manager = vars(connections.ConnectionManager)
    assert params(manager["_from_server_socket"]) == ["self", "server_socket"]
    assert isinstance(manager["_num_connections"], property)
    assert params(builtin.BuiltinSSLAdapter.wrap) == ["self", "sock"]
    with fakeiot.Server(fakeiot.Platform(seed=0)) as served:
        front = served._httpd
        assert front is not None
        assert isinstance(front.requests._queue, queue.Queue)
        assert isinstance(front.requests._threads, list)
        assert isinstance(front.requests.idle, int)
        assert type(front._connections).__name__ == "_Connections"
        assert front._connections._selector is not None
