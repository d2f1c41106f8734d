"""A differential state machine: one random history, ten transports, identical answers.

Ten platforms are built with the same seed and a manual clock, one per transport:
``Platform.handle``, ``fakeiot.Adapter`` on a Session, ``fakeiot.mock`` with module-level
``requests``, with ``urllib.request`` (whose seam, ``http.client``'s connection, is the one
plain ``http.client`` goes through: tests/test_transports.py carries its scripts through both),
``urllib3`` and httpx's own default transport, the live ``fakeiot.Server`` over HTTP and
over HTTPS (``tls=True``), ``HttpxTransport`` and ``wsgi_app`` under ``httpx.WSGITransport``.
Each rule sends one
request (valid or not) through all of them, or applies one device-side move or clock advance
to every platform; after each step every transport must have given the same status,
Content-Type and body bytes, and the platforms' states must be equal (fakeredis' real-vs-fake
machine, with nine "reals").

The requests stay within what every client library can carry unchanged: ASCII header values,
unreserved characters in path segments (WSGI decodes ``PATH_INFO``), no HEAD (a server sends
no body to it), and query strings built with percent-encoding.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import httpx
import pytest
import requests
import urllib3
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

import fakeiot
from fakeiot import strategies
from fakeiot._http import is_encodable
from tests import enos
from tests.budgets import DIFFERENTIAL
from tests.oc import CREDENTIALS, DEVICE, DEVICES, LOGIN, REFRESH, REGISTER
from tests.strategies_oc import garbage_bodies
from tests.test_transports import (
    Answer,
    Send,
    httpx_sender,
    requests_sender,
    urllib3_sender,
    urllib_sender,
)

BASE = "https://iot.example:8743"
SUBSCRIPTIONS = "/iocm/app/sub/v1.2.0/subscriptions"
OC_COMMANDS = "/iocm/app/cmd/v1.4.0/deviceCommands"
OC_CANCEL_TASKS = "/iocm/app/cmd/v1.4.0/deviceCommandCancelTasks"
OC_SIGNAL = "/iocm/app/signaltrans/v1.1.0/devices/{}/services/Meter/sendCommand"
OC_HISTORY = "/iocm/app/data/v1.2.0/deviceDataHistory"
OC_DESIRED_HISTORY = "/iocm/app/shadow/v1.5.0/deviceDesiredHistory"
OC_CAPABILITIES = "/iocm/app/data/v1.1.0/deviceCapabilities"
OC_SHADOW = "/iocm/app/shadow/v1.5.0/devices/{}"
OC_GROUPS = "/iocm/app/devgroup/v1.3.0/devGroups"
OC_MEMBERS = "/iocm/app/dm/v1.2.0/devices/ids"
OC_ADD_MEMBERS = "/iocm/app/dm/v1.1.0/devices/addDevGroupTagToDevices"
OC_REMOVE_MEMBERS = "/iocm/app/dm/v1.1.0/devices/deleteDevGroupTagFromDevices"
OC_TASKS = "/iocm/app/batchtask/v1.1.0/tasks/"
OC_TASK_DETAILS = "/iocm/app/batchtask/v1.1.0/taskDetails"
EN_COMMANDS = "/connect-service/v2.1/commands"
EN_MEASUREPOINTS = "/connect-service/v2.1/measurepoints"
JSON = "application/json"
#: ids that name no device, made of characters every transport carries as they are
NO_SUCH_IDS = ("nope", "0", "00000000-0000-0000-0000-000000000000", "DEVICE_1", "x" * 70)
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
#: (method, path) of the OceanConnect routes the garbage rule aims at
OC_ROUTES = (
    ("POST", LOGIN),
    ("POST", REFRESH),
    ("POST", REGISTER),
    ("GET", DEVICE),
    ("PUT", DEVICE),
    ("DELETE", DEVICE),
    ("GET", CREDENTIALS),
    ("PUT", CREDENTIALS),
    ("GET", DEVICES),
    ("POST", SUBSCRIPTIONS),
    ("GET", SUBSCRIPTIONS),
    # the traffic routes (spec device-traffic Part A)
    ("POST", OC_COMMANDS),
    ("GET", OC_COMMANDS),
    ("PUT", OC_COMMANDS + "/{}"),
    ("POST", OC_CANCEL_TASKS),
    ("GET", OC_CANCEL_TASKS),
    ("POST", OC_SIGNAL),
    ("GET", OC_HISTORY),
    ("GET", OC_DESIRED_HISTORY),
    ("GET", OC_CAPABILITIES),
    ("GET", OC_SHADOW),
    ("PUT", OC_SHADOW),
    ("POST", OC_GROUPS),
    ("GET", OC_GROUPS),
    ("PUT", OC_GROUPS + "/{}"),
    ("DELETE", OC_GROUPS + "/{}"),
    ("GET", OC_MEMBERS),
    ("POST", OC_ADD_MEMBERS),
    ("POST", OC_REMOVE_MEMBERS),
    ("POST", OC_TASKS),
    ("GET", OC_TASKS + "{}"),
    ("GET", OC_TASK_DETAILS),
)
#: paths under a face's prefix that no route serves
UNKNOWN_PATHS = (
    "/iocm/app/nowhere",
    "/iocm/app/sec/v9.9.9/login",
    "/iocm/app/dm/v1.4.0/devices/x/y",
    "/iocm/app/reg/v1.1.0/deviceCredentials/a/b",
    "/iodm/app/sub/v1.2.0/unsubscribe",
    "/connect-service/v2.1/nothing",
    "/connect-service/v9.9/devices",
    "/apim-token-service/v2.0/token/nope",
)
NOTIFY_TYPES = ("deviceAdded", "deviceInfoChanged", "deviceDeleted", "bindDevice", "nope")
#: mostly short steps: long ones expire tokens, registrations and the flow-control window
SECONDS = (0.001, 1, 1, 30, 30, 61, 61, 601, 3601, 7201, 86401)
#: a device-side move's outcome on one platform: its result, or the exception it raised
Outcome = tuple[str, str]
Move = Callable[[fakeiot.Platform], object]

#: ``strategies_oc.garbage_bodies`` behind a short repr: its elements hold 100 kB bodies, and
#: Hypothesis formats a rule's repr each time it redraws a rule the run has switched off
garbage = st.deferred(lambda: garbage_bodies)
ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
#: printable ASCII with no leading or trailing space (clients strip or refuse those in headers)
header_values = ascii_text.map(str.strip)
query_values = st.one_of(
    st.text(max_size=30).filter(is_encodable), st.sampled_from(("", "%", "+", "a&b", "=x"))
)


#: one bad value of each EnOS field a rule may spoil (one field at a time, or none)
INVALID: dict[str, st.SearchStrategy[Any]] = {
    "productName": strategies.invalid_i18n_names(),
    "productTags": strategies.invalid_tags(),
    "deviceName": strategies.invalid_i18n_names(),
    "timezone": strategies.invalid_timezones(),
    "deviceTags": strategies.invalid_tags(),
    "deviceKey": strategies.invalid_device_keys(),
    "newDeviceKey": strategies.invalid_device_keys(),
}


def spoil(*fields: str) -> st.SearchStrategy[str | None]:
    """Which field to spoil: none, twice as often as each of ``fields``."""
    return st.sampled_from((None,) * 2 * len(fields) + fields)


def spoiled(data: st.DataObject, body: dict[str, Any], field: str | None) -> bytes:
    """``body`` as JSON, with a bad value for ``field`` (if any) drawn from :data:`INVALID`."""
    if field is not None:
        body[field] = data.draw(INVALID[field], label=field)
    return json.dumps(body).encode()


def accept_pushes(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def new_platform() -> fakeiot.Platform:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    platform.oceanconnect.route_pushes("", accept_pushes)  # pushes delivered in-process
    return platform


def success(answer: Answer) -> Any:
    """The JSON body of a 2xx answer with a body, else None."""
    if not 200 <= answer.status < 300 or not answer.body:
        return None
    return json.loads(answer.body)


def state_of(platform: fakeiot.Platform) -> tuple[Any, ...]:
    """What a state file holds (``_persist.dump``), without its JSON conversion of the id
    generator's state, which would cost more than the rest of a step."""
    with platform.lock:
        faces = {name: face.export_state() for name, face in platform.faces.items()}
        return faces, platform.ids.getstate(), platform.clock.now()


def pick(values: Sequence[str], index: int, fallback: str) -> str:
    """``values[index]`` wrapped around, or ``fallback`` when there are none (or odd indexes
    ask for a miss one time in five)."""
    if not values or index % 5 == 4:
        return fallback
    return values[index % len(values)]


# -- the transports, each an opener of a ``Send`` for one platform ----------------------------


@contextlib.contextmanager
def via_handle(platform: fakeiot.Platform, rig: Rig) -> Iterator[Send]:
    def send(method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        request = fakeiot.HttpRequest.from_url(method, BASE + url, headers=headers, body=body)
        response = platform.handle(request)
        return Answer(response.status, response.headers.get("Content-Type"), response.body)

    yield send


@contextlib.contextmanager
def via_adapter(platform: fakeiot.Platform, rig: Rig) -> Iterator[Send]:
    with requests.Session() as session:
        session.mount(BASE, fakeiot.Adapter(platform))
        yield requests_sender(session.request, BASE)


def under_mock(platform: fakeiot.Platform, inner: Send) -> Send:
    """``inner`` with ``fakeiot.mock(platform)`` entered per request: the blocks of the other
    mock transports (and the live servers' own traffic) never overlap it."""

    def send(method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        with fakeiot.mock(platform):
            return inner(method, url, headers, body)

    return send


@contextlib.contextmanager
def via_mock(platform: fakeiot.Platform, rig: Rig) -> Iterator[Send]:
    """Module-level ``requests`` calls under ``fakeiot.mock``."""
    yield under_mock(platform, requests_sender(requests.request, BASE))


@contextlib.contextmanager
def via_mock_urllib(platform: fakeiot.Platform, rig: Rig) -> Iterator[Send]:
    yield under_mock(platform, urllib_sender(BASE))


@contextlib.contextmanager
def via_mock_urllib3(platform: fakeiot.Platform, rig: Rig) -> Iterator[Send]:
    with urllib3.PoolManager() as pool:
        yield under_mock(platform, urllib3_sender(pool, BASE))


@contextlib.contextmanager
def via_mock_httpx(platform: fakeiot.Platform, rig: Rig) -> Iterator[Send]:
    """httpx's own default transport (no ``transport=``), patched by ``mock()``."""
    with httpx.Client(base_url=BASE) as client:
        yield under_mock(platform, httpx_sender(client))


def server_sender(server: fakeiot.Server, call: Callable[..., requests.Response]) -> Send:
    inner = requests_sender(call, server.url)

    def send(method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        answer = inner(method, url, headers, body)
        server.check()  # an exception inside the server fails the step that caused it
        return answer

    return send


@contextlib.contextmanager
def via_server(platform: fakeiot.Platform, rig: Rig) -> Iterator[Send]:
    rig.server.platform = platform
    yield server_sender(rig.server, rig.session.request)


@contextlib.contextmanager
def via_server_tls(platform: fakeiot.Platform, rig: Rig) -> Iterator[Send]:
    server = rig.tls_server
    server.platform = platform
    # per request: REQUESTS_CA_BUNDLE in the environment would win over session.verify
    yield server_sender(server, functools.partial(rig.session.request, verify=str(server.ca_file)))


@contextlib.contextmanager
def via_httpx(platform: fakeiot.Platform, rig: Rig) -> Iterator[Send]:
    with httpx.Client(transport=fakeiot.HttpxTransport(platform), base_url=BASE) as client:
        yield httpx_sender(client)


@contextlib.contextmanager
def via_wsgi(platform: fakeiot.Platform, rig: Rig) -> Iterator[Send]:
    transport = httpx.WSGITransport(app=fakeiot.wsgi_app(platform))
    with httpx.Client(transport=transport, base_url=BASE) as client:
        yield httpx_sender(client)


class Rig:
    """What lives for the whole test: the live servers (HTTP, HTTPS) and a Session for them."""

    def __init__(
        self, server: fakeiot.Server, tls_server: fakeiot.Server, session: requests.Session
    ) -> None:
        self.server, self.tls_server, self.session = server, tls_server, session


Opener = Callable[[fakeiot.Platform, Rig], contextlib.AbstractContextManager[Send]]
#: the reference first: every other transport is compared with it
TRANSPORTS: dict[str, Opener] = {
    "handle": via_handle,
    "requests-adapter": via_adapter,
    "fakeiot.mock": via_mock,
    "mock-urllib": via_mock_urllib,
    "mock-urllib3": via_mock_urllib3,
    "mock-httpx": via_mock_httpx,
    "server": via_server,
    "server-tls": via_server_tls,
    "httpx": via_httpx,
    "wsgi": via_wsgi,
}


# -- the machine ----------------------------------------------------------------------------


class TransportsAgree(RuleBasedStateMachine):
    """Random OceanConnect and EnOS histories, carried by every transport at once."""

    #: set by the test: the live server and its Session
    shared: ClassVar[Rig]

    def __init__(self) -> None:
        super().__init__()
        rig = self.shared
        self.platforms = {name: new_platform() for name in TRANSPORTS}
        apps = {p.oceanconnect.create_app() for p in self.platforms.values()}
        orgs = {p.enos.create_org() for p in self.platforms.values()}
        assert len(apps) == len(orgs) == 1, (apps, orgs)
        (self.app,), (self.org,) = apps, orgs
        with contextlib.ExitStack() as opening:
            self.senders = {
                name: opening.enter_context(opener(self.platforms[name], rig))
                for name, opener in TRANSPORTS.items()
            }
            self.stack = opening.pop_all()
        # what the answers told so far (the same on every platform, as the machine checks)
        self.oc_token = self.oc_refresh = ""
        self.oc_devices: dict[str, tuple[str, str]] = {}  # deviceId -> (nodeId, verifyCode)
        self.subscriptions: list[str] = []
        self.oc_commands: list[str] = []
        self.oc_groups: list[str] = []
        self.oc_tasks: list[str] = []
        self.en_token = ""
        self.products: list[str] = []
        self.en_devices: dict[str, tuple[str, str, str]] = {}  # assetId -> (pk, dk, secret)
        self.en_commands: list[tuple[str, str]] = []  # (assetId, commandId)
        # start logged in to both faces, with one product: most steps then get past the gateway
        try:
            self.oc_login(secret_ok=True)
            self.en_get_token(encryption_ok=True)
            self.create_product(json.dumps(enos.product_body()).encode())
        except BaseException:
            self.stack.close()  # Hypothesis calls teardown only on a machine it got
            raise

    def teardown(self) -> None:
        self.stack.close()

    # -- carrying -------------------------------------------------------------------------------
    def exchange(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        """Send through every transport and demand identical answers."""
        answers = {name: send(method, url, headers, body) for name, send in self.senders.items()}
        reference = answers["handle"]
        for name, answer in answers.items():
            assert answer == reference, (
                f"{name} disagrees with Platform.handle on {method} {url} {body[:200]!r}:\n"
                f"  {name}: {answer}\n  handle: {reference}"
            )
        return reference

    def on_every_platform(self, move: Move) -> Outcome:
        """Apply a device-side move or a clock change to every platform; same outcome on each."""
        outcomes: dict[str, Outcome] = {}
        for name, platform in self.platforms.items():
            try:
                outcomes[name] = ("ok", repr(move(platform)))
            except (fakeiot.ConnectRefused, fakeiot.UsageError) as exc:
                outcomes[name] = (type(exc).__name__, str(exc))
        assert len(set(outcomes.values())) == 1, outcomes
        return outcomes["handle"]

    @invariant()
    def platforms_hold_the_same_state(self) -> None:
        """Faces alike (``_persist.dump(p)["faces"]``), and the id generators and clocks too."""
        states = {name: state_of(p) for name, p in self.platforms.items()}
        reference = states["handle"]
        for name, state in states.items():
            assert state == reference, f"the state behind {name} drifted from Platform.handle's"

    @invariant()
    def platform_invariants_hold(self) -> None:
        self.platforms["handle"].check_invariants()  # the others hold the same state

    # -- OceanConnect: the application's moves --------------------------------------------------
    @property
    def oc_headers(self) -> dict[str, str]:
        return {
            "app_key": self.app.app_id,
            "Authorization": f"Bearer {self.oc_token}",
            "Content-Type": JSON,
        }

    @rule(secret_ok=st.booleans())
    def oc_login(self, secret_ok: bool) -> None:
        secret = self.app.secret if secret_ok else self.app.secret[::-1]
        form = urlencode({"appId": self.app.app_id, "secret": secret}).encode()
        reply = success(
            self.exchange(
                "POST", LOGIN, {"Content-Type": "application/x-www-form-urlencoded"}, form
            )
        )
        if isinstance(reply, dict) and "accessToken" in reply:
            self.oc_token, self.oc_refresh = reply["accessToken"], reply["refreshToken"]

    @rule()
    def oc_refresh_token(self) -> None:
        body = {
            "appId": self.app.app_id,
            "secret": self.app.secret,
            "refreshToken": self.oc_refresh,
        }
        reply = success(
            self.exchange("POST", REFRESH, {"Content-Type": JSON}, json.dumps(body).encode())
        )
        if isinstance(reply, dict) and "accessToken" in reply:
            self.oc_token, self.oc_refresh = reply["accessToken"], reply["refreshToken"]

    @rule(
        node_id=strategies.node_ids(),
        verify_code=st.one_of(st.none(), strategies.verify_codes()),
        timeout=st.sampled_from((None, 0, 60, 600)),
    )
    def oc_register(self, node_id: str, verify_code: str | None, timeout: int | None) -> None:
        body: dict[str, Any] = {"nodeId": node_id}
        if verify_code is not None:
            body["verifyCode"] = verify_code
        if timeout is not None:
            body["timeout"] = timeout
        reply = success(self.exchange("POST", REGISTER, self.oc_headers, json.dumps(body).encode()))
        if isinstance(reply, dict) and "deviceId" in reply:
            self.oc_devices[reply["deviceId"]] = (node_id, reply["verifyCode"])

    @rule(spoiled=strategies.invalid_register_bodies())
    def oc_register_invalid(self, spoiled: tuple[Any, str]) -> None:
        self.exchange("POST", REGISTER, self.oc_headers, json.dumps(spoiled[0]).encode())

    def oc_device(self, index: int) -> str:
        return pick(list(self.oc_devices), index, NO_SUCH_IDS[index % len(NO_SUCH_IDS)])

    @rule(index=st.integers(0, 20), how=st.sampled_from(("query", "credentials", "delete")))
    def oc_device_call(self, index: int, how: str) -> None:
        device_id = self.oc_device(index)
        if how == "query":
            self.exchange("GET", DEVICE.format(device_id), self.oc_headers, b"")
        elif how == "credentials":
            self.exchange("GET", CREDENTIALS.format(device_id), self.oc_headers, b"")
        else:
            answer = self.exchange("DELETE", DEVICE.format(device_id), self.oc_headers, b"")
            if answer.status == 204:
                self.oc_devices.pop(device_id, None)

    @rule(index=st.integers(0, 20), name=st.one_of(ascii_text, st.text(max_size=20)))
    def oc_modify(self, index: int, name: str) -> None:
        body = json.dumps({"name": name, "location": "basement"}).encode()
        self.exchange("PUT", DEVICE.format(self.oc_device(index)), self.oc_headers, body)

    @rule(
        page_no=st.sampled_from(("0", "1", "-1", "x", "")),
        page_size=st.sampled_from(("1", "10", "250", "251", "0")),
        extra=st.dictionaries(st.sampled_from(("nodeType", "status", "sort")), query_values),
    )
    def oc_query_devices(self, page_no: str, page_size: str, extra: dict[str, str]) -> None:
        query = urlencode({"pageNo": page_no, "pageSize": page_size, **extra}, quote_via=quote)
        self.exchange("GET", f"{DEVICES}?&{query}", self.oc_headers, b"")

    @rule(notify_type=st.sampled_from(NOTIFY_TYPES))
    def oc_subscribe(self, notify_type: str) -> None:
        body = {"notifyType": notify_type, "callbackUrl": "https://app.example:8443/callback"}
        reply = success(
            self.exchange("POST", SUBSCRIPTIONS, self.oc_headers, json.dumps(body).encode())
        )
        if isinstance(reply, dict) and "subscriptionId" in reply:
            self.subscriptions.append(reply["subscriptionId"])

    @rule(index=st.integers(0, 20), delete=st.booleans())
    def oc_subscription_call(self, index: int, delete: bool) -> None:
        subscription_id = pick(self.subscriptions, index, NO_SUCH_IDS[index % len(NO_SUCH_IDS)])
        url = f"{SUBSCRIPTIONS}/{subscription_id}"
        answer = self.exchange("DELETE" if delete else "GET", url, self.oc_headers, b"")
        if delete and answer.status == 204:
            self.subscriptions.remove(subscription_id)

    @rule(
        target_=st.sampled_from(OC_ROUTES),
        method=st.sampled_from((None,) * 5 + METHODS),
        body=garbage,
        content_type=st.sampled_from((JSON, "application/x-www-form-urlencoded", "text/plain")),
        token=st.one_of(st.none(), header_values),
    )
    def oc_garbage(
        self,
        target_: tuple[str, str],
        method: str | None,
        body: bytes,
        content_type: str,
        token: str | None,
    ) -> None:
        """Garbage bodies, forged or missing credentials at the routes; now and then a method
        the route does not take (``None``: the route's own)."""
        headers = {**self.oc_headers, "Content-Type": content_type}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        own, path = target_
        url = path.format(self.oc_device(0)) if "{}" in path else path
        self.exchange(method or own, url, headers, body)

    @rule(
        path=st.sampled_from(UNKNOWN_PATHS),
        method=st.sampled_from(METHODS),
        query=st.sampled_from(("", "?action=get", "?action=fly&orgId=o")),
    )
    def unknown_route(self, path: str, method: str, query: str) -> None:
        """Paths under a face's prefix that no route serves (a wrong version, segment or
        method): the face's own not-found answer, through every transport alike."""
        body = b"{}" if method in ("POST", "PUT", "PATCH") else b""
        self.exchange(method, path + query, self.oc_headers, body)

    @rule(index=st.integers(0, 20), how=st.sampled_from(("query", "credentials")))
    def oc_device_call_encoded(self, index: int, how: str) -> None:
        """The deviceId with its dashes percent-encoded, as a Java client may send it: decoded
        once before matching, it names the same device."""
        device_id = self.oc_device(index).replace("-", "%2D")
        path = DEVICE if how == "query" else CREDENTIALS
        self.exchange("GET", path.format(device_id), self.oc_headers, b"")

    # -- OceanConnect: the device side ----------------------------------------------------------
    @rule(index=st.integers(0, 20), right_code=st.booleans())
    def oc_device_connects(self, index: int, right_code: bool) -> None:
        device_id = self.oc_device(index)
        node_id, code = self.oc_devices.get(device_id, (device_id, ""))
        presented = code if right_code else code + "0"
        self.on_every_platform(lambda p: p.oceanconnect.connect_device(node_id, presented))

    @rule(index=st.integers(0, 20))
    def oc_device_disconnects(self, index: int) -> None:
        device_id = self.oc_device(index)
        self.on_every_platform(lambda p: p.oceanconnect.disconnect_device(device_id))

    # -- OceanConnect: commands and reports ------------------------------------------------------
    @rule(
        index=st.integers(0, 20),
        expire=st.sampled_from((None, 0, 60, 600)),
        method=st.sampled_from(("SET_VALUE", "")),
        retransmit=st.sampled_from((None, 0, 3, 4)),
    )
    def oc_command(
        self, index: int, expire: int | None, method: str, retransmit: int | None
    ) -> None:
        body: dict[str, Any] = {
            "deviceId": self.oc_device(index),
            "command": {"serviceId": "Meter", "method": method, "paras": {"value": index}},
        }
        if expire is not None:
            body["expireTime"] = expire
        if retransmit is not None:
            body["maxRetransmit"] = retransmit
        reply = success(
            self.exchange("POST", OC_COMMANDS, self.oc_headers, json.dumps(body).encode())
        )
        if isinstance(reply, dict) and "commandId" in reply:
            self.oc_commands.append(reply["commandId"])

    @rule(index=st.integers(0, 20), how=st.sampled_from(("query", "cancel")))
    def oc_command_call(self, index: int, how: str) -> None:
        if how == "query":  # as the SDK builds it: "?" then "&k=v" pairs
            url = f"{OC_COMMANDS}?&deviceId={self.oc_device(index)}&pageSize=5"
            self.exchange("GET", url, self.oc_headers, b"")
        else:
            command_id = pick(self.oc_commands, index, NO_SUCH_IDS[index % len(NO_SUCH_IDS)])
            body = json.dumps({"status": "CANCELED"}).encode()
            self.exchange("PUT", f"{OC_COMMANDS}/{command_id}", self.oc_headers, body)

    @rule(index=st.integers(0, 20), value=st.integers(-5, 5))
    def oc_device_reports(self, index: int, value: int) -> None:
        device_id = self.oc_device(index)
        self.on_every_platform(
            lambda p: p.oceanconnect.report_data(device_id, "Meter", {"value": value})
        )

    # -- OceanConnect: cancel tasks, signaltrans, data, shadow, groups, batch tasks ------------
    def oc_send(self, method: str, url: str, body: Any = None, *, slash: bool = False) -> Any:
        """One OceanConnect call (``slash``: the path with the trailing ``/`` the spec's
        routing rule accepts); the JSON body of a 2xx answer, else None."""
        if slash:
            path, mark, query = url.partition("?")
            url = f"{path}/{mark}{query}"
        data = b"" if body is None else json.dumps(body).encode()
        return success(self.exchange(method, url, self.oc_headers, data))

    @rule(index=st.integers(0, 20), create=st.booleans(), slash=st.booleans())
    def oc_cancel_task(self, index: int, create: bool, slash: bool) -> None:
        device_id = self.oc_device(index)
        if create:  # the SDK sends {"appId": null, "deviceId": ...}
            self.oc_send("POST", OC_CANCEL_TASKS, {"appId": None, "deviceId": device_id})
        else:
            url = f"{OC_CANCEL_TASKS}?&pageNo=0&pageSize=5&deviceId={device_id}"
            self.oc_send("GET", url, slash=slash)

    @rule(
        index=st.integers(0, 20),
        mode=st.sampled_from((None, "ACK", "NOACK")),
        callback=st.booleans(),
    )
    def oc_signal(self, index: int, mode: str | None, callback: bool) -> None:
        header: dict[str, Any] = {"method": "SET_VALUE", "mode": mode}
        if callback:
            header["callbackURL"] = "https://app.example:8443/signal"
        body = {"header": header, "body": {"value": index}}
        self.oc_send("POST", OC_SIGNAL.format(self.oc_device(index)), body)

    @rule(
        index=st.integers(0, 20),
        desired=st.booleans(),
        page_no=st.sampled_from((None, "0", "1", "x")),
        repeat=st.booleans(),
        slash=st.booleans(),
    )
    def oc_history(
        self, index: int, desired: bool, page_no: str | None, repeat: bool, slash: bool
    ) -> None:
        device_id = self.oc_device(index)
        ids = f"deviceId={device_id}&gatewayId={device_id}"
        query = f"{ids}&{ids}&appId={self.app.app_id}" if repeat else ids  # the SDK repeats
        if page_no is not None:
            query += f"&pageNo={page_no}&pageSize=5"
        path = OC_DESIRED_HISTORY if desired else OC_HISTORY
        self.oc_send("GET", f"{path}?{query}", slash=slash)

    @rule(index=st.integers(0, 20))
    def oc_capabilities(self, index: int) -> None:
        device_id = self.oc_device(index)
        self.oc_send("GET", f"{OC_CAPABILITIES}?&gatewayId={device_id}&deviceId={device_id}")

    @rule(
        index=st.integers(0, 20),
        put=st.booleans(),
        value=st.integers(-5, 5),
        slash=st.booleans(),
    )
    def oc_shadow(self, index: int, put: bool, value: int, slash: bool) -> None:
        url = OC_SHADOW.format(self.oc_device(index))
        if put:
            body = {"serviceDesireds": [{"serviceId": "Meter", "desired": {"value": value}}]}
            self.oc_send("PUT", url, body, slash=slash)
        else:
            self.oc_send("GET", url, slash=slash)

    @rule(
        name=st.sampled_from(("Floor1", "Floor2", "Floor3", "bad name", "")),
        max_dev_num=st.sampled_from((None, 0, 1, 2)),
        indexes=st.lists(st.integers(0, 20), max_size=3),
    )
    def oc_create_group(self, name: str, max_dev_num: int | None, indexes: list[int]) -> None:
        body = {
            "appId": None,
            "name": name,
            "maxDevNum": max_dev_num,
            "deviceIds": [self.oc_device(i) for i in indexes],
        }
        reply = self.oc_send("POST", OC_GROUPS, body)
        if isinstance(reply, dict) and "id" in reply:
            self.oc_groups.append(reply["id"])

    @rule(
        index=st.integers(0, 20),
        how=st.sampled_from(("list", "get", "rename", "delete", "members", "add", "remove")),
        device_index=st.integers(0, 20),
    )
    def oc_group_call(self, index: int, how: str, device_index: int) -> None:
        group_id = pick(self.oc_groups, index, NO_SUCH_IDS[index % len(NO_SUCH_IDS)])
        one = f"{OC_GROUPS}/{group_id}"
        members = {"devGroupId": group_id, "deviceIds": [self.oc_device(device_index)]}
        if how == "list":
            self.oc_send("GET", f"{OC_GROUPS}?&pageNo=0&pageSize=5")
        elif how == "get":
            self.oc_send("GET", f"{one}?accessAppId={self.app.app_id}")
        elif how == "rename":
            self.oc_send("PUT", one, {"name": f"Renamed{index}", "maxDevNum": None})
        elif how == "delete":
            answer = self.exchange("DELETE", one, self.oc_headers, b"")
            if answer.status == 204:
                self.oc_groups.remove(group_id)
        elif how == "members":
            self.oc_send("GET", f"{OC_MEMBERS}?devGroupId={group_id}&pageNo=0&pageSize=5")
        else:
            path = OC_ADD_MEMBERS if how == "add" else OC_REMOVE_MEMBERS
            self.oc_send("POST", path, {**members, "accessAppId": None})

    @rule(
        index=st.integers(0, 20),
        by_group=st.booleans(),
        expire=st.sampled_from((None, 0, 600)),
    )
    def oc_batch_task(self, index: int, by_group: bool, expire: int | None) -> None:
        param: dict[str, Any] = {
            "command": {"serviceId": "Meter", "method": "SET_VALUE", "paras": {"value": index}},
            "expireTime": expire,
        }
        if by_group:
            param.update(type="GroupList", groupList=[pick(self.oc_groups, index, "nope")])
        else:
            param.update(type="DeviceList", deviceList=[self.oc_device(index)])
        body = {
            "appId": self.app.app_id,
            "taskName": f"task{index}",
            "taskType": "DeviceCmd",
            "param": param,
            "timeout": 300,
        }
        reply = self.oc_send("POST", OC_TASKS, body)
        if isinstance(reply, dict) and "taskID" in reply:
            self.oc_tasks.append(reply["taskID"])

    @rule(index=st.integers(0, 20), details=st.booleans(), slash=st.booleans())
    def oc_batch_task_query(self, index: int, details: bool, slash: bool) -> None:
        task_id = pick(self.oc_tasks, index, NO_SUCH_IDS[index % len(NO_SUCH_IDS)])
        if details:  # the SDK's test: taskId=None and the id under taskID
            url = f"{OC_TASK_DETAILS}?taskId=None&taskID={task_id}&pageNo=0&pageSize=5"
            self.oc_send("GET", url, slash=slash)
        else:
            self.oc_send("GET", f"{OC_TASKS}{task_id}?appId={self.app.app_id}")

    # -- EnOS: the application's moves ----------------------------------------------------------
    def now_ms(self) -> str:
        return str(int(self.platforms["handle"].clock.now() * 1000))

    @rule(encryption_ok=st.booleans())
    def en_get_token(self, encryption_ok: bool) -> None:
        # a fresh millisecond: the same encryption twice is refused as a replay
        self.on_every_platform(lambda p: p.advance(0.001))
        key, secret, stamp = self.org.access_key, self.org.secret_key, self.now_ms()
        digest = hashlib.sha256((key + stamp + secret).encode()).hexdigest()
        body = {
            "appKey": key,
            "encryption": digest if encryption_ok else digest[:-1],
            "timestamp": int(stamp),
        }
        reply = success(
            self.exchange("POST", enos.TOKEN_GET, {"Content-Type": JSON}, json.dumps(body).encode())
        )
        if isinstance(reply, dict) and reply.get("status") == 0:
            self.en_token = reply["data"]["accessToken"]

    def en_call(
        self,
        path: str,
        action: str | None,
        data: bytes = b"",
        *,
        method: str = "POST",
        signed: bool = True,
        extra: dict[str, str] | None = None,
    ) -> Any:
        """A signed Connect Service call (``signed=False``: signed with the wrong secret)."""
        query = {} if action is None else {"action": action}
        query["orgId"] = self.org.org_id
        query.update(extra or {})
        stamp = self.now_ms()
        secret = self.org.secret_key if signed else self.org.access_key
        headers = {
            "apim-accesstoken": self.en_token,
            "apim-timestamp": stamp,
            "apim-signature": enos.signature(self.en_token, query, data, stamp, secret),
            "Content-Type": "application/json;charset=UTF-8",
        }
        url = f"{path}?{urlencode(query, quote_via=quote)}"
        return success(self.exchange(method, url, headers, data))

    @rule(
        data=st.data(),
        name=strategies.i18n_names(),
        tags=strategies.tags(),
        bad=spoil("productName", "productTags"),
    )
    def en_create_product(
        self, data: st.DataObject, name: dict[str, Any], tags: dict[str, str], bad: str | None
    ) -> None:
        body = enos.product_body(productName=name, productTags=tags)
        self.create_product(spoiled(data, body, bad))

    def create_product(self, body: bytes) -> None:
        reply = self.en_call(enos.PRODUCTS, "create", body)
        if isinstance(reply, dict) and reply.get("code") == 0:
            self.products.append(reply["data"])

    def en_product(self, index: int) -> str:
        return pick(self.products, index, "NoSuchPk")

    @rule(
        index=st.integers(0, 20),
        action=st.sampled_from(("get", "update", "delete", "search")),
        desc=st.one_of(st.none(), st.text(max_size=20), st.integers()),
        method=st.sampled_from(("GET", "POST")),
    )
    def en_product_call(self, index: int, action: str, desc: Any, method: str) -> None:
        product_key = self.en_product(index)
        data = b"" if desc is None else json.dumps({"productDesc": desc}).encode()
        reply = self.en_call(
            enos.PRODUCTS, action, data, method=method, extra={"productKey": product_key}
        )
        if action == "delete" and isinstance(reply, dict) and reply.get("code") == 0:
            self.products.remove(product_key)

    @rule(
        data=st.data(),
        index=st.integers(0, 20),
        device_key=st.one_of(st.none(), strategies.device_keys()),
        name=strategies.i18n_names(),
        timezone=strategies.timezones(),
        tags=strategies.tags(),
        bad=spoil("deviceName", "timezone", "deviceTags", "deviceKey"),
    )
    def en_create_device(
        self,
        data: st.DataObject,
        index: int,
        device_key: str | None,
        name: dict[str, Any],
        timezone: str,
        tags: dict[str, str],
        bad: str | None,
    ) -> None:
        body = enos.device_body(
            self.en_product(index), deviceName=name, timezone=timezone, deviceTags=tags
        )
        if device_key is not None:
            body["deviceKey"] = device_key
        reply = self.en_call(enos.DEVICES, "create", spoiled(data, body, bad))
        if isinstance(reply, dict) and reply.get("code") == 0:
            made = reply["data"]
            self.en_devices[made["assetId"]] = (
                made["productKey"],
                made["deviceKey"],
                made["deviceSecret"],
            )

    def en_device(self, index: int) -> str:
        return pick(list(self.en_devices), index, "NoSuchAs")

    @rule(
        index=st.integers(0, 20),
        action=st.sampled_from(("get", "disable", "enable", "delete", "getStats")),
        method=st.sampled_from(("GET", "POST")),
        by_key=st.booleans(),
    )
    def en_device_call(self, index: int, action: str, method: str, by_key: bool) -> None:
        asset_id = self.en_device(index)
        if by_key and asset_id in self.en_devices:
            product_key, device_key, _ = self.en_devices[asset_id]
            where = {"productKey": product_key, "deviceKey": device_key}
        else:
            where = {"assetId": asset_id}
        reply = self.en_call(enos.DEVICES, action, method=method, extra=where)
        if action == "delete" and isinstance(reply, dict) and reply.get("code") == 0:
            del self.en_devices[asset_id]

    # -- EnOS: commands and reports --------------------------------------------------------------
    @initialize()
    def en_first_device_online(self) -> None:
        """One device, online, so that the command rules get past 11404 and 11888."""
        body = json.dumps(enos.device_body(self.en_product(0))).encode()
        reply = self.en_call(enos.DEVICES, "create", body)
        made = reply["data"]
        pk, dk, secret = made["productKey"], made["deviceKey"], made["deviceSecret"]
        self.en_devices[made["assetId"]] = (pk, dk, secret)
        self.on_every_platform(lambda p: p.enos.login_device(pk, dk, secret))

    @rule(
        index=st.integers(0, 20),
        timeout=st.sampled_from(("1", "30", "61")),
        pending_ttl=st.sampled_from((None, "0", "600")),
    )
    def en_invoke_service(self, index: int, timeout: str, pending_ttl: str | None) -> None:
        extra = {"assetId": self.en_device(index), "serviceId": "multiply", "timeout": timeout}
        if pending_ttl is not None:
            extra["pendingTtl"] = pending_ttl
        body = json.dumps({"inputData": {"left": index, "right": 2}}).encode()
        self.en_note_command(
            extra["assetId"], self.en_call(EN_COMMANDS, "invokeService", body, extra=extra)
        )

    def en_note_command(self, asset_id: str, reply: Any) -> None:
        if isinstance(reply, dict) and reply.get("code") == 0:
            self.en_commands.append((asset_id, reply["data"]["commandId"]))

    def en_command(self, index: int) -> tuple[str, str]:
        """A known (assetId, commandId), or a miss one time in five."""
        if not self.en_commands or index % 5 == 4:
            return self.en_device(index), NO_SUCH_IDS[index % len(NO_SUCH_IDS)]
        return self.en_commands[index % len(self.en_commands)]

    @rule(
        index=st.integers(0, 20),
        value=st.one_of(st.integers(-5, 5), st.text(max_size=4), st.none()),
        point=st.sampled_from(("temp", "temp", "")),
        pending_ttl=st.sampled_from((None, "0", "600", "-1")),
    )
    def en_set_measurepoint(
        self, index: int, value: Any, point: str, pending_ttl: str | None
    ) -> None:
        extra = {"assetId": self.en_device(index), "measurepointId": point, "timeout": "5"}
        if pending_ttl is not None:
            extra["pendingTtl"] = pending_ttl
        body = json.dumps({"value": value}).encode()
        reply = self.en_call(EN_COMMANDS, "setMeasurepoint", body, extra=extra)
        self.en_note_command(extra["assetId"], reply)

    @rule(index=st.integers(0, 20), method=st.sampled_from(("GET", "POST")))
    def en_get_command(self, index: int, method: str) -> None:
        asset_id, command_id = self.en_command(index)
        extra = {"assetId": asset_id, "commandId": command_id}
        self.en_call(EN_COMMANDS, "get", method=method, extra=extra)

    @rule(index=st.integers(0, 20), every=st.booleans())
    def en_cancel_commands(self, index: int, every: bool) -> None:
        asset_id, command_id = self.en_command(index)
        extra = {"assetId": asset_id} if every else {"assetId": asset_id, "commandId": command_id}
        self.en_call(EN_COMMANDS, "cancel", extra=extra)

    @rule(
        index=st.integers(0, 20),
        ids=st.one_of(st.none(), st.lists(st.sampled_from(("power", "temp", "")), max_size=3)),
    )
    def en_query_latest(self, index: int, ids: list[str] | None) -> None:
        body = {} if ids is None else {"measurepointIds": ids}
        extra = {"assetId": self.en_device(index)}
        self.en_call(EN_MEASUREPOINTS, "queryLatest", json.dumps(body).encode(), extra=extra)

    @rule(index=st.integers(0, 20), state=st.sampled_from(("1", "5", "x")))
    def en_search_commands(self, index: int, state: str) -> None:
        body = json.dumps({"expression": f"state = {state}"}).encode()
        self.en_call(EN_COMMANDS, "search", body, extra={"assetId": self.en_device(index)})

    @rule(index=st.integers(0, 20), value=st.integers(-5, 5))
    def en_device_reports(self, index: int, value: int) -> None:
        asset_id = self.en_device(index)
        product_key, device_key, secret = self.en_devices.get(asset_id, ("NoSuchPk", "x", "x"))
        self.on_every_platform(
            lambda p: p.enos.simulate(product_key, device_key, secret).report({"power": value})
        )

    @rule(
        index=st.integers(0, 20),
        new_key=strategies.device_keys(),
        data=st.data(),
        bad=spoil("newDeviceKey"),
    )
    def en_replace_device(
        self, index: int, new_key: str, data: st.DataObject, bad: str | None
    ) -> None:
        asset_id = self.en_device(index)
        body = spoiled(data, {"newDeviceKey": new_key}, bad)
        reply = self.en_call(enos.DEVICES, "replaceDevice", body, extra={"assetId": asset_id})
        if isinstance(reply, dict) and reply.get("code") == 0:
            made = reply["data"]
            self.en_devices[asset_id] = (
                made["productKey"],
                made["deviceKey"],
                made["deviceSecret"],
            )

    @rule(
        index=st.integers(0, 20),
        body=st.fixed_dictionaries(
            {},
            optional={
                "deviceName": strategies.i18n_names(),
                "timezone": strategies.timezones(),
                "deviceTags": strategies.tags(),
                "deviceDesc": st.one_of(st.text(max_size=20), st.integers()),
            },
        ),
        patch=st.sampled_from((None, "true", "false", "maybe")),
        data=st.data(),
        bad=spoil("deviceName", "timezone", "deviceTags"),
    )
    def en_update_device(
        self,
        index: int,
        body: dict[str, Any],
        patch: str | None,
        data: st.DataObject,
        bad: str | None,
    ) -> None:
        query = {"assetId": self.en_device(index)}
        if patch is not None:
            query["isPatchUpdate"] = patch
        self.en_call(enos.DEVICES, "update", spoiled(data, body, bad), extra=query)

    @rule(
        expression=st.sampled_from(
            (
                None,
                "",
                "status = 'online'",
                "deviceKey in ('a', 'b')",
                "deviceName.default like 'turb%'",
                "status = ",
                "((",
                "deviceTags.k = 'v' and status != 'disable'",
            )
        ),
        page=st.one_of(
            st.none(),
            st.fixed_dictionaries({"pageNo": st.integers(0, 3), "pageSize": st.integers(0, 201)}),
        ),
        projection=st.sampled_from((None, ["assetId", "status"], [], [""], "assetId")),
    )
    def en_search_devices(self, expression: str | None, page: Any, projection: Any) -> None:
        body: dict[str, Any] = {}
        for key, value in (
            ("expression", expression),
            ("pagination", page),
            ("projection", projection),
        ):
            if value is not None:
                body[key] = value
        self.en_call(enos.DEVICES, "search", json.dumps(body).encode())

    @rule(
        path=st.sampled_from((enos.DEVICES, enos.PRODUCTS, enos.DEVICES_V20, enos.TOKEN_GET)),
        action=st.one_of(
            st.none(),
            st.sampled_from(("create", "get", "fly", "", "batchCreate")),
            st.text(max_size=10).filter(is_encodable),
        ),
        body=garbage,
        signed=st.booleans(),
        method=st.sampled_from(("GET", "POST", "POST", "POST", "PUT", "DELETE")),
        extra=st.dictionaries(st.sampled_from(("assetId", "productKey", "orgId")), query_values),
    )
    def en_garbage(
        self,
        path: str,
        action: str | None,
        body: bytes,
        signed: bool,
        method: str,
        extra: dict[str, str],
    ) -> None:
        """Garbage bodies, unknown or missing actions, wrong signatures, odd query values."""
        self.en_call(path, action, body, method=method, signed=signed, extra=extra)

    # -- EnOS: the device side ------------------------------------------------------------------
    @rule(index=st.integers(0, 20), right_secret=st.booleans())
    def en_device_logs_in(self, index: int, right_secret: bool) -> None:
        product_key, device_key, secret = self.en_devices.get(
            self.en_device(index), ("NoSuchPk", "no-such-key", "")
        )
        presented = secret if right_secret else secret + "x"
        self.on_every_platform(lambda p: p.enos.login_device(product_key, device_key, presented))

    @rule(index=st.integers(0, 20))
    def en_device_logs_out(self, index: int) -> None:
        product_key, device_key, _ = self.en_devices.get(
            self.en_device(index), ("NoSuchPk", "no-such-key", "")
        )
        self.on_every_platform(lambda p: p.enos.logout_device(product_key, device_key))

    # -- time -----------------------------------------------------------------------------------
    @rule(seconds=st.sampled_from(SECONDS))
    def time_passes(self, seconds: float) -> None:
        self.on_every_platform(lambda p: p.advance(seconds))


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    """The live servers (and a Session) for the whole module; each machine points them at
    its own platforms."""
    with (
        fakeiot.Server(fakeiot.Platform(seed=0)) as server,
        fakeiot.Server(fakeiot.Platform(seed=0), tls=True) as tls_server,
        requests.Session() as session,
    ):
        session.trust_env = False  # loopback only: no proxy or CA bundle from the environment
        yield Rig(server, tls_server, session)


def test_every_transport_gives_the_same_answers_and_states(rig: Rig) -> None:
    class Machine(TransportsAgree):
        shared = rig

    run_state_machine_as_test(
        Machine,
        settings=settings(
            DIFFERENTIAL, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
        ),
    )
