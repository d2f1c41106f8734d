"""Every transport is a thin translator: the same requests get the same answers through each."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import http.client
import json
import socket
import ssl
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import requests
import requests_mock
import responses
import urllib3
from requests.adapters import HTTPAdapter

import fakeiot
from fakeiot._enos import Organization
from fakeiot._oceanconnect import Application
from tests import enos
from tests.oc import BASE, CREDENTIALS, DEVICE, DEVICES, IMEI, LOGIN, REGISTER


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str | None
    body: bytes


#: ``send(method, url, headers, body)``; ``url`` is a path with an optional query string.
Send = Callable[[str, str, dict[str, str], bytes], Answer]
#: a context manager that carries requests to a platform by one transport.
Via = Callable[[fakeiot.Platform], contextlib.AbstractContextManager[Send]]
Script = Callable[[Send, Application], list[Answer]]


def seeded_platform() -> fakeiot.Platform:
    """Same seed and a clock that stands still: ids, tokens and timestamps all repeat."""
    return fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())


def log_in(send: Send, app: Application) -> tuple[Answer, dict[str, str]]:
    """Log in; the answer, and the headers an authenticated JSON call then carries."""
    form = f"appId={app.app_id}&secret={app.secret}".encode()
    login = send("POST", LOGIN, {"Content-Type": "application/x-www-form-urlencoded"}, form)
    token = json.loads(login.body)["accessToken"]
    headers = {
        "app_key": app.app_id,
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    return login, headers


def run_script(send: Send, app: Application) -> list[Answer]:
    """The scripted conversation every transport must carry identically."""
    login, headers = log_in(send, app)
    answers = [login]
    register = json.dumps({"nodeId": IMEI, "timeout": 0}).encode()
    answers.append(send("POST", REGISTER, headers, register))
    device_id = json.loads(answers[-1].body)["deviceId"]
    answers.append(send("POST", REGISTER, headers, register))  # duplicate nodeId
    answers.append(send("GET", CREDENTIALS.format(device_id), headers, b""))
    modify = json.dumps({"name": "meter-1", "location": "basement"}).encode()
    answers.append(send("PUT", DEVICE.format(device_id), headers, modify))
    answers.append(send("GET", DEVICE.format(device_id), headers, b""))
    answers.append(send("GET", DEVICES + "?&pageNo=0&pageSize=10", headers, b""))
    answers.append(send("DELETE", DEVICE.format(device_id), headers, b""))
    answers.append(send("GET", DEVICE.format(device_id), {"Content-Type": "application/json"}, b""))
    answers.append(send("POST", REGISTER, headers, b'{"nodeId": "8612345'))  # malformed JSON
    return answers


@contextlib.contextmanager
def via_handle(platform: fakeiot.Platform) -> Iterator[Send]:
    def send(method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        request = fakeiot.HttpRequest.from_url(method, BASE + url, headers=headers, body=body)
        response = platform.handle(request)
        return Answer(response.status, response.headers.get("Content-Type"), response.body)

    yield send


def requests_sender(call: Callable[..., requests.Response], base: str) -> Send:
    def send(method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        with call(method, base + url, headers=headers, data=body) as response:
            return Answer(
                response.status_code, response.headers.get("Content-Type"), response.content
            )

    return send


@contextlib.contextmanager
def via_adapter(platform: fakeiot.Platform) -> Iterator[Send]:
    with requests.Session() as session:
        session.mount(BASE, fakeiot.Adapter(platform))
        yield requests_sender(session.request, BASE)


@contextlib.contextmanager
def via_mock(platform: fakeiot.Platform) -> Iterator[Send]:
    with fakeiot.mock(platform):
        yield requests_sender(requests.request, BASE)


@contextlib.contextmanager
def via_server(platform: fakeiot.Platform) -> Iterator[Send]:
    with fakeiot.Server(platform) as server, requests.Session() as session:
        yield requests_sender(session.request, server.url)


@contextlib.contextmanager
def via_server_tls(platform: fakeiot.Platform) -> Iterator[Send]:
    with fakeiot.Server(platform, tls=True) as server, requests.Session() as session:
        # per request: REQUESTS_CA_BUNDLE in the environment would win over session.verify
        trusting = functools.partial(session.request, verify=str(server.ca_file))
        yield requests_sender(trusting, server.url)


def httpx_sender(client: httpx.Client) -> Send:
    def send(method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        response = client.request(method, url, headers=headers, content=body)
        return Answer(response.status_code, response.headers.get("Content-Type"), response.content)

    return send


@contextlib.contextmanager
def via_httpx(platform: fakeiot.Platform) -> Iterator[Send]:
    with httpx.Client(transport=fakeiot.HttpxTransport(platform), base_url=BASE) as client:
        yield httpx_sender(client)


@contextlib.contextmanager
def via_wsgi(platform: fakeiot.Platform) -> Iterator[Send]:
    transport = httpx.WSGITransport(app=fakeiot.wsgi_app(platform))
    with httpx.Client(transport=transport, base_url=BASE) as client:
        yield httpx_sender(client)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One default client context: making one per connection (as urlopen does) loads the
    system's CA store each time, which costs more than the whole request."""
    return ssl.create_default_context()


def urllib_sender(base: str) -> Send:
    """``urllib.request`` (its HTTPError for 4xx/5xx read as the answer it carries)."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=tls_context())
    )

    def send(method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        request = urllib.request.Request(base + url, data=body, headers=headers, method=method)
        try:
            with opener.open(request, timeout=10) as response:
                return Answer(response.status, response.headers["Content-Type"], response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers["Content-Type"], error.read())

    return send


def http_client_sender(base: str) -> Send:
    parts = urlsplit(base)

    def send(method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=10, context=tls_context()
        )
        try:
            connection.request(method, url, body=body, headers=headers)
            response = connection.getresponse()
            return Answer(response.status, response.getheader("Content-Type"), response.read())
        finally:
            connection.close()

    return send


def urllib3_sender(pool: urllib3.PoolManager, base: str) -> Send:
    def send(method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        response = pool.request(
            method, base + url, body=body, headers=headers, retries=False, redirect=False
        )
        return Answer(response.status, response.headers.get("Content-Type"), response.data)

    return send


@contextlib.contextmanager
def via_mock_urllib(platform: fakeiot.Platform) -> Iterator[Send]:
    with fakeiot.mock(platform):
        yield urllib_sender(BASE)


@contextlib.contextmanager
def via_mock_http_client(platform: fakeiot.Platform) -> Iterator[Send]:
    with fakeiot.mock(platform):
        yield http_client_sender(BASE)


@contextlib.contextmanager
def via_mock_urllib3(platform: fakeiot.Platform) -> Iterator[Send]:
    with fakeiot.mock(platform), urllib3.PoolManager() as pool:
        yield urllib3_sender(pool, BASE)


@contextlib.contextmanager
def via_mock_httpx(platform: fakeiot.Platform) -> Iterator[Send]:
    """httpx's own default transport, patched globally by mock()."""
    with fakeiot.mock(platform), httpx.Client(base_url=BASE) as client:
        yield httpx_sender(client)


TRANSPORTS: dict[str, Via] = {
    "requests-adapter": via_adapter,
    "fakeiot.mock": via_mock,
    "mock-urllib": via_mock_urllib,
    "mock-http.client": via_mock_http_client,
    "mock-urllib3": via_mock_urllib3,
    "mock-httpx": via_mock_httpx,
    "server": via_server,
    "server-tls": via_server_tls,
    "httpx": via_httpx,
    "wsgi": via_wsgi,
}


def script_through(via: Via, script: Script = run_script) -> list[Answer]:
    platform = seeded_platform()
    app = platform.oceanconnect.create_app()
    with via(platform) as send:
        answers = script(send, app)
    platform.check_invariants()
    return answers


def test_script_covers_successes_and_errors() -> None:
    """The reference run through Platform.handle hits every kind of answer the script means to."""
    statuses = [answer.status for answer in script_through(via_handle)]
    assert statuses == [200, 200, 400, 200, 204, 200, 200, 204, 401, 400]


@pytest.mark.parametrize("name", list(TRANSPORTS))
def test_transport_answers_exactly_like_platform_handle(name: str) -> None:
    """Statuses, content types and bodies are byte-identical to Platform.handle's."""
    assert script_through(TRANSPORTS[name]) == script_through(via_handle)


@pytest.mark.parametrize("name", [name for name in TRANSPORTS if name != "wsgi"])
def test_percent_encoded_slash_stays_inside_its_path_segment(name: str) -> None:
    """The path reaches the platform as sent. (WSGI cannot: PATH_INFO arrives decoded.)"""

    def script(send: Send, app: Application) -> list[Answer]:
        _, headers = log_in(send, app)
        return [send("GET", DEVICE.format("a%2Fb"), headers, b"")]

    assert script_through(TRANSPORTS[name], script) == script_through(via_handle, script)


# -- EnOS routes through every transport ------------------------------------------------------


class EnosSender:
    """Gets an EnOS access token and signs Connect Service calls, sending them through ``send``.

    The signature covers the query as the platform parses it, so the query string is built
    from the same dictionary (``tests.enos.signature`` computes it independently of fakeiot).
    """

    def __init__(self, send: Send, platform: fakeiot.Platform, org: Organization) -> None:
        self.send, self.platform, self.org = send, platform, org
        self.token = ""

    def now_ms(self) -> str:
        return str(int(self.platform.clock.now() * 1000))

    def get_token(self) -> Answer:
        key, secret, stamp = self.org.access_key, self.org.secret_key, self.now_ms()
        body = {
            "appKey": key,
            "encryption": hashlib.sha256((key + stamp + secret).encode()).hexdigest(),
            "timestamp": int(stamp),
        }
        answer = self.send(
            "POST", enos.TOKEN_GET, {"Content-Type": "application/json"}, json.dumps(body).encode()
        )
        if answer.status == 200:
            self.token = json.loads(answer.body)["data"]["accessToken"]
        return answer

    def call(
        self,
        path: str,
        action: str | None,
        body: Any = None,
        *,
        method: str = "POST",
        raw: bytes | None = None,
        secret: str | None = None,
        **extra: str,
    ) -> Answer:
        query = {} if action is None else {"action": action}
        query["orgId"] = self.org.org_id
        query.update(extra)
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        stamp = self.now_ms()
        key = self.org.secret_key if secret is None else secret
        headers = {
            "apim-accesstoken": self.token,
            "apim-timestamp": stamp,
            "apim-signature": enos.signature(self.token, query, data, stamp, key),
            "Content-Type": "application/json;charset=UTF-8",
        }
        return self.send(method, f"{path}?{urlencode(query)}", headers, data)


def data_of(answer: Answer) -> Any:
    return json.loads(answer.body)["data"]


def run_enos_script(send: Send, platform: fakeiot.Platform, org: Organization) -> list[Answer]:
    """Token, products, the whole device lifecycle, and the failures, over one transport."""
    en = EnosSender(send, platform, org)
    products, devices = enos.PRODUCTS, enos.DEVICES
    answers = [en.get_token()]
    answers.append(en.call(products, "create", enos.product_body()))
    product_key = data_of(answers[-1])
    answers.append(en.call(products, "get", method="GET", productKey=product_key))
    answers.append(en.call(products, "search", {"pagination": {"pageNo": 1, "pageSize": 5}}))
    answers.append(en.call(products, "update", {"productDesc": "d"}, productKey=product_key))
    answers.append(en.call(devices, "create", enos.device_body(product_key, deviceKey="turbine-1")))
    asset_id = data_of(answers[-1])["assetId"]
    platform.enos.login_device(product_key, "turbine-1", data_of(answers[-1])["deviceSecret"])
    answers.append(en.call(devices, "get", method="GET", assetId=asset_id))
    answers.append(en.call(devices, "search", {"expression": "deviceKey = 'turbine-1'"}))
    answers.append(en.call(devices, "update", {"deviceDesc": "north"}, assetId=asset_id))
    answers.append(en.call(devices, "disable", method="GET", assetId=asset_id))
    answers.append(en.call(devices, "enable", method="GET", assetId=asset_id))
    answers.append(
        en.call(devices, "replaceDevice", {"newDeviceKey": "turbine-2"}, assetId=asset_id)
    )
    answers.append(en.call(devices, "getStats", method="GET", productKey=product_key))
    answers.append(en.call(devices, "delete", method="GET", assetId=asset_id))
    answers.append(en.call(devices, "get", method="GET", assetId=asset_id))  # deleted
    answers.append(en.call(devices, "getStats", secret="not-the-secret"))  # bad signature
    answers.append(en.call(devices, "fly"))  # unknown action
    answers.append(en.call(devices, None))  # no action
    answers.append(en.call(devices, "create", raw=b'{"productKey": "x'))  # malformed JSON
    answers.append(en.call(products, "create", raw=b"\xff\xfe\x00"))  # not UTF-8
    answers.append(en.call(products, "update", raw=b"[]", productKey=product_key))  # no object
    return answers


def enos_through(via: Via) -> list[Answer]:
    platform = seeded_platform()
    org = platform.enos.create_org()
    with via(platform) as send:
        answers = run_enos_script(send, platform, org)
    platform.check_invariants()
    return answers


def envelope_codes(answers: list[Answer]) -> list[tuple[int, Any]]:
    """(HTTP status, envelope code or gateway message) of each answer."""
    codes: list[tuple[int, Any]] = []
    for answer in answers:
        payload = json.loads(answer.body)
        codes.append((answer.status, payload.get("code", payload.get("message"))))
    return codes


def test_enos_script_covers_successes_and_errors() -> None:
    """The reference run through Platform.handle hits every kind of answer the script means to."""
    assert envelope_codes(enos_through(via_handle)) == [
        (200, None),  # the token service's envelope has "status", not "code"
        *[(200, 0)] * 13,
        (200, 11404),
        (401, "Invalid authentication credentials"),
        (200, 99400),
        (200, 99400),
        (200, 99400),
        (200, 99400),
        (200, 99400),
    ]


def test_enos_request_ids_repeat_with_the_seed() -> None:
    """The envelopes' requestId comes from the seeded generator: two runs agree on it."""

    def request_ids() -> list[str]:
        return [json.loads(a.body).get("requestId", "") for a in enos_through(via_handle)]

    first = request_ids()
    assert len(set(first) - {""}) == 19
    assert request_ids() == first


@pytest.mark.parametrize("name", list(TRANSPORTS))
def test_enos_transport_answers_exactly_like_platform_handle(name: str) -> None:
    """EnOS statuses, content types and bodies (requestId included) are byte-identical."""
    assert enos_through(TRANSPORTS[name]) == enos_through(via_handle)


# -- an SDK-like client under mock() ---------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Name lookups and connections are recorded and refused, so a network touch fails loudly."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("the test touched the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


class SdkLikeClient:
    """Sends HTTP the way Huawei's official Python SDK (``NorthApiClient.invokeAPI``) does."""

    def __init__(
        self, app: Application, cert: tuple[str, str], ip: str = "iot.example", port: int = 8743
    ) -> None:
        self.app = app
        self.base = f"https://{ip}:{port}"
        self.cert = cert
        self.token: str | None = None

    def login(self) -> str:
        with requests.Session() as session:
            session.mount("https://", HTTPAdapter(pool_connections=11, pool_maxsize=11))
            text = session.post(
                self.base + LOGIN,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                data={"appId": self.app.app_id, "secret": self.app.secret},
                cert=self.cert,
                verify=False,
                timeout=10,
            ).text
        self.token = json.loads(text)["accessToken"]
        return text

    def invoke_api(self, method: str, path: str, payload: Any) -> str:
        headers = {"Content-Type": "application/json"}
        if self.token is not None:
            headers.update({"app_key": self.app.app_id, "Authorization": f"Bearer {self.token}"})
        url = self.base + path
        with requests.Session() as session:
            session.mount("https://", HTTPAdapter(pool_connections=10, pool_maxsize=10))
            if method == "POST":
                data = json.dumps(payload)
                response = requests.post(
                    url, headers=headers, data=data, cert=self.cert, verify=False
                )
            elif method == "GET":
                response = session.get(
                    url, headers=headers, params=payload, cert=self.cert, verify=False
                )
            else:
                response = session.request(
                    method,
                    url,
                    headers=headers,
                    data=json.dumps(payload),
                    cert=self.cert,
                    verify=False,
                )
        return response.text


def client_cert(directory: Path) -> tuple[str, str]:
    """Client certificate and key files that exist (requests checks only that they do)."""
    cert, key = directory / "outgoing.CertwithKey.pem", directory / "outgoing.Key.pem"
    cert.write_text("not read: nothing goes on the wire\n")
    key.write_text("not read either\n")
    return str(cert), str(key)


def test_mock_serves_an_sdk_like_client_through_register_connect_activated(
    platform: fakeiot.Platform, no_network: list[Any], tmp_path: Path
) -> None:
    """Module-level requests.post and new Sessions with their own HTTPAdapter are all caught."""
    client = SdkLikeClient(platform.oceanconnect.create_app(), client_cert(tmp_path))
    with fakeiot.mock(platform):
        client.login()
        registered = json.loads(client.invoke_api("POST", REGISTER, {"nodeId": IMEI}))
        device_id = registered["deviceId"]
        before = json.loads(client.invoke_api("GET", CREDENTIALS.format(device_id), None))
        platform.oceanconnect.connect_device(IMEI, registered["verifyCode"])
        after = json.loads(client.invoke_api("GET", CREDENTIALS.format(device_id), None))
        listed = json.loads(client.invoke_api("GET", DEVICES + "?&pageNo=0&pageSize=10", None))
    assert (before["activated"], after["activated"]) == (False, True)
    assert [(d["deviceId"], d["deviceInfo"]["status"]) for d in listed["devices"]] == [
        (device_id, "ONLINE")
    ]


@pytest.mark.parametrize(
    ("cert", "verify", "missing"),
    [
        (("/missing.crt", "/missing.key"), False, "certificate file, invalid path: /missing.crt"),
        ("/missing.pem", True, "certificate file, invalid path: /missing.pem"),
        (None, "/missing-ca.pem", "CA certificate bundle, invalid path: /missing-ca.pem"),
    ],
)
def test_mock_keeps_requests_checks_of_missing_tls_files(
    platform: fakeiot.Platform,
    no_network: list[Any],
    cert: Any,
    verify: Any,
    missing: str,
) -> None:
    """What the real transport refuses before connecting, mock() refuses too: OSError."""
    app = platform.oceanconnect.create_app()
    form = {"appId": app.app_id, "secret": app.secret}
    with fakeiot.mock(platform), pytest.raises(OSError, match=missing):
        requests.post(BASE + LOGIN, data=form, cert=cert, verify=verify)
    assert len(platform.calls) == 0
    assert no_network == []


# -- mock(): misses, passthrough, restoring, chaining -----------------------------------------


def test_mock_answers_an_unknown_path_under_a_prefix_with_the_faces_not_found(
    platform: fakeiot.Platform, no_network: list[Any]
) -> None:
    """The vendor-shaped 404 goes on the wire; why no route matched stays in platform.calls."""
    with fakeiot.mock(platform):
        response = requests.get("https://iot.example:8743/iocm/app/nowhere/v1.1.0/thing")
    assert response.status_code == 404
    assert response.json() == {"error_code": "100225", "error_desc": "The resource is not found"}
    (call,) = platform.calls
    assert (call.route, call.face) == (None, "oceanconnect")
    assert call.explanation is not None
    assert call.explanation.startswith("fakeiot has no route for GET /iocm/app/nowhere/v1.1.0/")
    assert no_network == []


def test_mock_refuses_a_path_outside_every_face_naming_the_prefixes(
    platform: fakeiot.Platform, no_network: list[Any]
) -> None:
    with fakeiot.mock(platform), pytest.raises(requests.ConnectionError) as raised:
        requests.get("https://api.github.com/repos")
    message = str(raised.value)
    assert "only the paths under its faces' prefixes" in message
    assert "/iocm/app/" in message
    assert "/connect-service/" in message
    assert "GET api.github.com/repos" in message
    assert len(platform.calls) == 0
    assert no_network == []


def test_mock_passthrough_reaches_a_real_local_server(platform: fakeiot.Platform) -> None:
    """The other platform's app exists only behind the server, so only a real call logs in."""
    other = fakeiot.Platform(seed=1)
    app = other.oceanconnect.create_app()
    with (
        fakeiot.Server(other) as server,
        fakeiot.mock(platform, passthrough=[f"127.0.0.1:{server.port}"]),
    ):
        response = requests.post(
            server.url + LOGIN, data={"appId": app.app_id, "secret": app.secret}
        )
    assert response.status_code == 200
    assert [call.route for call in other.calls] == ["oceanconnect.login"]
    assert len(platform.calls) == 0


def test_mock_restores_httpadapter_send_exactly(platform: fakeiot.Platform) -> None:
    before = HTTPAdapter.__dict__["send"]
    with fakeiot.mock(platform):
        during = HTTPAdapter.__dict__["send"]
    assert during is not before
    assert HTTPAdapter.__dict__["send"] is before


def test_mock_restores_httpadapter_send_when_the_block_raises(platform: fakeiot.Platform) -> None:
    before = HTTPAdapter.__dict__["send"]
    with pytest.raises(ZeroDivisionError), fakeiot.mock(platform):
        1 / 0  # noqa: B018
    assert HTTPAdapter.__dict__["send"] is before


def login_status(app: Application) -> int:
    form = {"appId": app.app_id, "secret": app.secret}
    return requests.post(BASE + LOGIN, data=form).status_code


def test_mock_inside_responses_serves_both(platform: fakeiot.Platform) -> None:
    """responses activated first: its URLs stay its own, fakeiot routes go to the platform."""
    app = platform.oceanconnect.create_app()
    with responses.RequestsMock() as rsps:
        rsps.get("https://weather.example/today", json={"sky": "clear"})
        with fakeiot.mock(platform):
            weather = requests.get("https://weather.example/today").json()
            status = login_status(app)
    assert (weather, status) == ({"sky": "clear"}, 200)
    assert [call.route for call in platform.calls] == ["oceanconnect.login"]


def test_responses_inside_mock_serves_both(platform: fakeiot.Platform) -> None:
    """fakeiot activated first: responses passes fakeiot's URLs to the send it found active."""
    app = platform.oceanconnect.create_app()
    # HTTPAdapter.send is read once fakeiot.mock is active: responses' "real" send is fakeiot's.
    with (
        fakeiot.mock(platform),
        responses.RequestsMock(real_adapter_send=HTTPAdapter.send) as rsps,
    ):
        rsps.add_passthru(BASE)
        rsps.get("https://weather.example/today", json={"sky": "clear"})
        weather = requests.get("https://weather.example/today").json()
        status = login_status(app)
    assert (weather, status) == ({"sky": "clear"}, 200)
    assert [call.route for call in platform.calls] == ["oceanconnect.login"]


def test_mock_chains_with_responses_when_first_imported_under_it(tmp_path: Path) -> None:
    """fakeiot's requests transport imported while responses is active still chains to it."""
    script = textwrap.dedent(
        """
        import requests, responses, fakeiot
        platform = fakeiot.Platform(seed=0)
        with responses.RequestsMock() as rsps:
            rsps.get("https://weather.example/today", body="clear")
            with fakeiot.mock(platform):
                print(requests.get("https://weather.example/today").text)
        """
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "clear\n", "")


@pytest.mark.parametrize("fakeiot_first", [True, False], ids=["fakeiot-outer", "fakeiot-inner"])
def test_requests_mock_with_real_http_falls_through_to_mock(
    platform: fakeiot.Platform, fakeiot_first: bool
) -> None:
    app = platform.oceanconnect.create_app()
    with contextlib.ExitStack() as stack:
        if fakeiot_first:
            stack.enter_context(fakeiot.mock(platform))
        mocker = stack.enter_context(requests_mock.Mocker(real_http=True))
        mocker.get("https://weather.example/today", text="clear")
        if not fakeiot_first:
            stack.enter_context(fakeiot.mock(platform))
        weather = requests.get("https://weather.example/today").text
        status = login_status(app)
    assert (weather, status) == ("clear", 200)
    assert [call.route for call in platform.calls] == ["oceanconnect.login"]


def test_adapter_response_streams_and_closes(platform: fakeiot.Platform) -> None:
    """``stream=True`` and ``with response:`` work although no socket backs the response."""
    app = platform.oceanconnect.create_app()
    with requests.Session() as session:
        session.mount(BASE, fakeiot.Adapter(platform))
        form = {"appId": app.app_id, "secret": app.secret}
        with session.post(BASE + LOGIN, data=form, stream=True) as response:
            body = b"".join(response.iter_content(16))
    assert json.loads(body)["tokenType"] == "bearer"


# -- httpx async ------------------------------------------------------------------------------


def test_httpx_async_client_is_served(platform: fakeiot.Platform) -> None:
    app = platform.oceanconnect.create_app()

    async def login() -> httpx.Response:
        transport = fakeiot.HttpxTransport(platform)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            form = {"appId": app.app_id, "secret": app.secret}
            return await client.post(LOGIN, data=form)

    response = asyncio.run(login())
    assert response.status_code == 200
    assert response.json()["expiresIn"] == platform.settings.token_ttl
