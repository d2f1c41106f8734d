"""Fuzzing every OceanConnect route with bad input (DESIGN §6).

- Bad input never gets a 500 or an exception: every answer is a success, a documented vendor
  error in the vendor's body shape, or fakeiot's "no such route" 404; the platform's invariants
  hold, and whatever a request stored can be read back.
- A rejected request changes nothing: devices, applications, tokens, subscriptions and the
  event log are the same before and after any non-2xx answer.
- Valid but edgy registrations are accepted and read back unchanged.

Each example builds its own platform (seeded, manual clock, about a millisecond), so nothing is
shared between examples and the ids in ``strategies_oc.Known`` hold in each. The strategies live
in ``tests/strategies_oc.py``; a table test sends each field every kind of bad value once, and
the Hypothesis tests combine them at random.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import assume, currently_in_test_context, given, note, settings
from hypothesis import strategies as st

import fakeiot
from fakeiot._oceanconnect import OcError
from fakeiot._oceanconnect._errors import HTTP200_ONLY
from fakeiot._routes import Route
from tests import budgets
from tests import strategies_oc as so
from tests.oc import CREDENTIALS, DEVICE, DEVICES, LOGIN, REGISTER, OcClient

FACE = "oceanconnect"
SUBSCRIPTIONS = "/iocm/app/sub/v1.2.0/subscriptions"
CALLBACK_URL = "https://127.0.0.1:9/fuzz"


def oceanconnect_routes(platform: fakeiot.Platform) -> list[Route]:
    return [route for route in platform.routes if route.face == FACE]


ROUTES = {route.name: so.Target.of(route) for route in oceanconnect_routes(fakeiot.Platform())}
ROUTE_NAMES = sorted(ROUTES)

#: (HTTP status, code, text) of every error row, per body shape
STANDARD_ROWS = {
    (e.row.status, e.row.code, e.row.desc) for e in OcError if e.row.shape != "gateway"
} | {(200, e.row.code, e.row.desc) for _route, e in HTTP200_ONLY}  # a route's 200-only rows
GATEWAY_ROWS = {(e.row.status, e.row.code, e.row.desc) for e in OcError if e.row.shape == "gateway"}

#: an example builds a platform and sends a dozen requests: Hypothesis's deadline and speed
#: health check would only add noise (nothing here depends on timing)
FUZZ = budgets.FUZZ  # derandomised: the same examples on every run


# =============================================================================================
# The fuzz world: three applications, devices in every state, subscriptions
# =============================================================================================
@dataclass
class World:
    platform: fakeiot.Platform
    known: so.Known
    #: the bodies of the push notifications the platform sent (to an in-process sink)
    pushed: list[bytes]


def build_world() -> World:
    """Apps A (owner), B (authorised for A) and C (frozen). Devices of A: registered (never
    expires), awaiting binding (180 s code), online, offline, abnormal, rekeyed; one of B; one
    deleted. Subscriptions: one of A, one of B, one deleted."""
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    oc = platform.oceanconnect
    pushed: list[bytes] = []

    def sink(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        pushed.append(environ["wsgi.input"].read())
        start_response("200 OK", [])
        return [b""]

    oc.route_pushes("", sink)  # every callback URL: pushes are sent, in-process (no sockets)
    a, b, c = OcClient(platform), OcClient(platform), OcClient(platform)
    oc.authorize(owner=a.app, grantee=b.app)

    abnormal = a.register_ok("fuzz-abnormal", timeout=0, deviceInfo={"protocolType": "CoAP"})
    oc.connect_device("fuzz-abnormal")
    platform.advance(platform.settings.abnormal_after + 1)  # the tokens expire meanwhile
    for client in (a, b, c):
        client.login()
    oc.freeze_app(c.app)

    registered = a.register_ok("fuzz-registered", timeout=0)
    awaiting = a.register_ok("fuzz-awaiting", verifyCode="fuzz-awaiting-code")
    online = a.register_ok("fuzz-online", timeout=0)
    oc.connect_device("fuzz-online")
    offline = a.register_ok("fuzz-offline", timeout=0)
    oc.connect_device("fuzz-offline")
    oc.disconnect_device(offline)
    rekeyed = a.register_ok("fuzz-rekeyed", timeout=0)
    oc.connect_device("fuzz-rekeyed")
    oc.disconnect_device(rekeyed)
    response = a.call(
        "PUT", CREDENTIALS.format(rekeyed), {"verifyCode": "fuzz-rekeyed-code", "timeout": 0}
    )
    assert response.status == 200, response.body
    deleted = a.register_ok("fuzz-deleted")
    assert a.call("DELETE", DEVICE.format(deleted)).status == 204
    foreign = b.register_ok("fuzz-foreign", timeout=0)

    subscriptions = []
    for client, notify_type in ((a, "deviceAdded"), (b, "bindDevice"), (a, "deviceDeleted")):
        body = {"notifyType": notify_type, "callbackUrl": CALLBACK_URL}
        response = client.call("POST", SUBSCRIPTIONS, body)
        assert response.status == 201, response.body
        subscriptions.append(response.json_body()["subscriptionId"])
    response = a.call("DELETE", f"{SUBSCRIPTIONS}/{subscriptions[-1]}")
    assert response.status == 204, response.body

    known = so.Known(
        app_id=a.app.app_id,
        secret=a.app.secret,
        token=a.token,
        refresh_token=a.refresh_token,
        other_app_id=b.app.app_id,
        other_secret=b.app.secret,
        other_token=b.token,
        other_refresh_token=b.refresh_token,
        frozen_app_id=c.app.app_id,
        frozen_secret=c.app.secret,
        frozen_token=c.token,
        frozen_refresh_token=c.refresh_token,
        device_ids=(registered, awaiting, online, offline, abnormal, rekeyed, foreign, deleted),
        node_ids=(
            "fuzz-registered",
            "fuzz-awaiting",
            "fuzz-online",
            "fuzz-offline",
            "fuzz-abnormal",
            "fuzz-rekeyed",
            "fuzz-foreign",
            "fuzz-deleted",
        ),
        verify_codes=("fuzz-awaiting-code", "fuzz-rekeyed-code", "fuzz-online"),
        subscription_ids=tuple(subscriptions),
        callback_urls=(CALLBACK_URL,),
    )
    return World(platform, known, pushed)


KNOWN = build_world().known
OFFLINE_DEVICE = KNOWN.device_ids[3]


_TEMPLATE: list[tuple[World, fakeiot.Snapshot, float]] = []


def fresh_world() -> World:
    """The fuzz world as :func:`build_world` leaves it: built once per process, then put back
    with ``platform.restore`` (building it costs twenty requests; a restore is one copy)."""
    if not _TEMPLATE:
        world = build_world()
        assert world.known == KNOWN, "the fuzz world must be reproducible (seed=0, manual clock)"
        _TEMPLATE.append((world, world.platform.snapshot(), world.platform.clock.now()))
    world, snapshot, now = _TEMPLATE[0]
    world.platform.restore(snapshot)
    world.platform.faults.clear()
    clock = world.platform.clock
    assert isinstance(clock, fakeiot.ManualClock)
    clock.set(now)
    world.pushed.clear()
    return world


# =============================================================================================
# Checks
# =============================================================================================
def describe(request: fakeiot.HttpRequest) -> str:
    body = request.body if len(request.body) <= 300 else request.body[:300] + b"..."
    return (
        f"{request.method} {request.path[:300]!r} query={request.query_string[:300]!r} "
        f"headers={request.headers!r} body={body!r}"
    )


def send(platform: fakeiot.Platform, request: fakeiot.HttpRequest) -> fakeiot.HttpResponse:
    """``platform.handle``, with the request in Hypothesis's report if anything goes wrong."""
    noting = currently_in_test_context()
    if noting:
        note(f"request: {describe(request)}")
    response = platform.handle(request)
    if noting:
        note(f"response: {response.status} {response.body[:300]!r}")
    return response


def check_wire(response: fakeiot.HttpResponse, matched: str | None) -> str:
    """The answer is one a client can parse: a success, a documented vendor error in the
    vendor's shape, or fakeiot's "no such route". Returns "ok", "error" or "no route".
    (A deformed path may land on another face's route, e.g. the dashboard at "/": then only
    "no 500" is checked here; that face's own tests own its shapes.)"""
    status, body = response.status, response.body
    assert status != 500, f"bad input answered with 500: {body[:300]!r}"
    assert 200 <= status < 600
    if matched is not None and matched not in ROUTES:
        return "other face"
    if status == 204 or not body:
        assert body == b"", "204 must have no body"
        assert 200 <= status < 300, f"an error without a body: {status}"
        return "ok"
    assert response.headers.get("Content-Type", "").startswith("application/json")
    payload = json.loads(body.decode("utf-8"))  # strict UTF-8: what every client decodes
    assert isinstance(payload, dict), f"a JSON body that is not an object: {payload!r}"
    keys = set(payload)
    if keys == {"error_code", "error_desc"}:
        row = (status, payload["error_code"], payload["error_desc"])
        assert row in STANDARD_ROWS, f"undocumented error {row}"
        return "error"
    if keys == {"resultcode", "resultmsg"}:
        row = (status, payload["resultcode"], payload["resultmsg"])
        assert row in GATEWAY_ROWS, f"undocumented gateway error {row}"
        return "error"
    if keys == {"error", "detail"}:
        assert (status, payload["error"]) == (404, "no such route")
        assert isinstance(payload["detail"], str)
        assert response.route is None
        return "no route"
    assert 200 <= status < 300, f"an error body in neither vendor shape: {payload!r}"
    return "ok"


APP_KEY_MISSING = (401, {"error_code": "100025", "error_desc": OcError.APP_KEY_MISSING.row.desc})
TOKEN_INVALID = (403, {"resultcode": "1010005", "resultmsg": OcError.TOKEN_INVALID.row.desc})


def check_gateway(response: fakeiot.HttpResponse, expect: so.Expect) -> None:
    """No app_key is 401/100025 and a token that is not the app's own is 403/1010005, whatever
    else is wrong with the request: the gateway answers before the platform looks at it."""
    if expect is not None:
        wanted = APP_KEY_MISSING if expect == "APP_KEY_MISSING" else TOKEN_INVALID
        assert (response.status, response.json_body()) == wanted


def fingerprint(platform: fakeiot.Platform) -> tuple[object, ...]:
    """Everything a rejected request must leave alone: every device as the platform holds it,
    the applications, issued tokens, indexes, tombstones, subscriptions, pushes and the event
    log. (Flow-control windows are left out: the gateway counts rejected calls too.)"""
    oc = platform.oceanconnect
    state = oc.state
    details = tuple(
        (d.device_id, dict(d.info), d.imsi, d.end_user_id, d.extra, d.modified, d.code_deadline)
        for d in state.devices.values()
    )
    apps = tuple(
        (a.app_id, a.frozen, frozenset(a.grantees), tuple(a.devices), a.token, a.refresh_token)
        for a in state.apps.values()
    )
    last_event = platform.events[-1].index if platform.events else -1
    return (
        tuple(oc.devices()),
        details,
        apps,
        tuple(sorted(state.tokens.items())),
        tuple(sorted(state.refresh_tokens.items())),
        tuple(state.by_node),
        tuple(state.by_code),
        tuple(state.tombstones),
        tuple(state.subscriptions.values()),
        len(oc.pushes),
        last_event,
    )


def rejected(response: fakeiot.HttpResponse) -> bool:
    if not 200 <= response.status < 300:
        return True
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return False
    payload = response.json_body() if response.body else None
    return isinstance(payload, dict) and ("error_code" in payload or "resultcode" in payload)


def read_back(platform: fakeiot.Platform, known: so.Known) -> None:
    """Whatever an accepted request stored can be served: list A's and B's devices and
    subscriptions (with their current tokens, or after logging in again)."""
    state = platform.oceanconnect.state
    for app_id, secret in ((known.app_id, known.secret), (known.other_app_id, known.other_secret)):
        token = state.apps[app_id].token
        if token is None or token not in state.tokens:
            form = f"appId={quote(app_id)}&secret={quote(secret)}".encode()
            login = send(platform, fakeiot.HttpRequest("POST", LOGIN, body=form))
            assert login.status == 200, login.body
            token = login.json_body()["accessToken"]
        head = {"app_key": app_id, "Authorization": f"Bearer {token}"}
        for path in (DEVICES, SUBSCRIPTIONS):
            request = fakeiot.HttpRequest(
                "GET", path, query_string="pageNo=0&pageSize=250", headers=head
            )
            response = send(platform, request)
            assert check_wire(response, platform.calls[-1].route) == "ok", response.body
            assert response.status == 200, response.body


def exchange(world: World, request: fakeiot.HttpRequest) -> tuple[fakeiot.HttpResponse, str | None]:
    """Send one request and check all that holds for any request: a parseable, documented
    answer; invariants; nothing changed if rejected; anything stored can be read back.
    Returns the response and the name of the route that served it (None: no route)."""
    platform = world.platform
    before = fingerprint(platform)
    pushes = len(world.pushed)
    response = send(platform, request)
    matched = platform.calls[-1].route
    check_wire(response, matched)
    platform.check_invariants()
    for body in world.pushed[pushes:]:  # what the application's callback server receives
        assert isinstance(json.loads(body.decode("utf-8")), dict), body[:300]
    if rejected(response):
        assert fingerprint(platform) == before, "a rejected request changed the state"
    elif matched is not None:
        try:
            read_back(platform, world.known)
        except Exception as exc:
            raise AssertionError(
                f"accepted ({response.status}), but serving back what it stored raised "
                f"{type(exc).__name__}: {str(exc)[-160:]}"
            ) from exc
    return response, matched


# =============================================================================================
# Coverage and the world
# =============================================================================================
def test_every_route_has_a_fuzz_description() -> None:
    """A new OceanConnect route must be described in strategies_oc.ROUTES (body kind, fields,
    query), or the fuzzer only throws generic garbage at it; a removed one must go too."""
    assert set(ROUTE_NAMES) - set(so.ROUTES) == set(), "routes with no fuzz description"
    assert set(so.ROUTES) - set(ROUTE_NAMES) == set(), "fuzz descriptions of no route"


def test_the_fuzz_world_has_devices_in_every_state() -> None:
    world = fresh_world()
    oc = world.platform.oceanconnect
    seen = {(d.node_id, d.status, d.status_detail, d.activated) for d in oc.devices()}
    assert seen == {
        ("fuzz-abnormal", "ABNORMAL", "NONE", True),
        ("fuzz-registered", "OFFLINE", "NOT_ACTIVE", False),
        ("fuzz-awaiting", "OFFLINE", "NOT_ACTIVE", False),
        ("fuzz-online", "ONLINE", "NONE", True),
        ("fuzz-offline", "OFFLINE", "NONE", True),
        ("fuzz-rekeyed", "OFFLINE", "NONE", True),
        ("fuzz-foreign", "OFFLINE", "NOT_ACTIVE", False),
    }
    world.platform.check_invariants()


# =============================================================================================
# 1a. The table: each documented field gets each kind of bad value, once, deterministically
# =============================================================================================
def field_paths(
    fields: tuple[so.Field, ...], prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], so.Field]]:
    out = []
    for field in fields:
        out.append(((*prefix, field.name), field))
        out += field_paths(field.children, (*prefix, field.name))
    return out


def spoiled(base: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body = dict(base)
    for key in reversed(path[1:]):
        value = {key: value}
    body[path[0]] = value
    return body


def good_path(route: so.Target) -> str:
    """The route's path for A's offline device, A's subscription, the first version."""
    fill = {
        "{version}": route.versions[0] if route.versions else "v1.1.0",
        "{deviceId}": OFFLINE_DEVICE,
        "{subscriptionId}": KNOWN.subscription_ids[0],
    }
    return "/".join(fill.get(part, part) for part in route.pattern.split("/"))


def table_requests(name: str) -> list[tuple[str, fakeiot.HttpRequest]]:
    route, fuzz = ROUTES[name], so.fuzz_of(name)
    head = {"app_key": KNOWN.app_id, "Authorization": f"Bearer {KNOWN.token}"}
    path, method = good_path(route), route.methods[0]
    base_body = so.base_body(name, KNOWN, CALLBACK_URL) or {}
    base_query = so.base_query(name)

    def render(body: dict[str, Any]) -> bytes:
        return so.render_body(name, body)

    def request(body: bytes, query: dict[str, str]) -> fakeiot.HttpRequest:
        return fakeiot.HttpRequest(
            method, path, query_string=so.form_text(query), headers=head, body=body
        )

    out = []
    for field_path, field in field_paths(fuzz.fields):
        if field.required and len(field_path) == 1:
            missing = {k: v for k, v in base_body.items() if k != field.name}
            out.append((f"{field.name} absent", request(render(missing), base_query)))
            for empty in (None, ""):
                body = spoiled(base_body, field_path, empty)
                out.append((f"{field.name}={empty!r}", request(render(body), base_query)))
        for value in so.catalogue(field):
            body = spoiled(base_body, field_path, value)
            label = f"{'.'.join(field_path)}={value!r:.60}"
            out.append((label, request(render(body), base_query)))
    for example in so.known_bodies(name, KNOWN):
        out.append((f"known body {example}", request(render(example), base_query)))
    good_body = render(base_body) if base_body else b""
    for field in fuzz.query:
        for value in so.catalogue(field):
            query = {**base_query, field.name: so.query_text(value)}
            label = f"?{field.name}={value!r:.60}"
            out.append((label, request(good_body, query)))
    for garbage in so.GARBAGE_BODIES:
        out.append((f"body {garbage[:30]!r}", request(garbage, base_query)))
    if route.pattern.endswith("}"):  # every device (every state, foreign, deleted), and junk
        real = KNOWN.subscription_ids if "subscription" in route.pattern else KNOWN.device_ids
        for segment in (*real, *(i.upper() for i in real), *so.BAD_IDS, "x" * 5000, "\u00e9"):
            target = "/".join([*path.split("/")[:-1], segment])
            label = f"id {segment[:40]!r}"
            out.append(
                (
                    label,
                    fakeiot.HttpRequest(
                        method,
                        target,
                        query_string=so.form_text(base_query),
                        headers=head,
                        body=good_body,
                    ),
                )
            )
    return out


@pytest.mark.parametrize("route_name", ROUTE_NAMES)
def test_each_field_gets_each_kind_of_bad_value(route_name: str) -> None:
    """Each documented body field and query parameter, one at a time, gets one value of each
    kind of wrongness (strategies_oc.catalogue); then each garbage body, each device of the
    world (every state, foreign, deleted) and junk ids. Valid credentials, a fresh world each
    time; every failure is listed, not just the first."""
    failures = []
    for label, request in table_requests(route_name):
        world = fresh_world()
        try:
            _, matched = exchange(world, request)
            assert matched == route_name, f"reached {matched} instead"
        except Exception as exc:
            failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
    shown = "\n".join(failures[:25])
    assert not failures, f"{len(failures)} bad values broke {route_name}, e.g.:\n{shown}"


GATEWAY_CASES: list[tuple[dict[str, str], so.Expect]] = [
    ({}, "APP_KEY_MISSING"),
    ({"Authorization": f"Bearer {KNOWN.token}"}, "APP_KEY_MISSING"),
    ({"app_key": "", "Authorization": f"Bearer {KNOWN.token}"}, "APP_KEY_MISSING"),
    ({"x-app-key": "", "access_token": KNOWN.token}, "APP_KEY_MISSING"),
    ({"app_key": KNOWN.app_id}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.app_id, "Authorization": ""}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.app_id, "Authorization": "Bearer"}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.app_id, "Authorization": "Basic x"}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.app_id, "Authorization": f"Basic {KNOWN.token}"}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.app_id, "Authorization": f"Bearer {KNOWN.refresh_token}"}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.app_id, "Authorization": f"Bearer {KNOWN.other_token}"}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.other_app_id, "Authorization": f"Bearer {KNOWN.token}"}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.app_id, "Authorization": "Bearer \u00e9\u202e\x00"}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.app_id, "Authorization": "Bearer " + "a" * 5000}, "TOKEN_INVALID"),
    ({"app_key": "\u00e9" * 300, "Authorization": f"Bearer {KNOWN.token}"}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.app_id, "access_token": KNOWN.other_token}, "TOKEN_INVALID"),
    ({"app_key": KNOWN.app_id, "Authorization": f"Bearer {KNOWN.token}x"}, "TOKEN_INVALID"),
]


@pytest.mark.parametrize(
    "route_name", [name for name in ROUTE_NAMES if so.fuzz_of(name).authenticated]
)
def test_gateway_rejects_bad_credentials_first(route_name: str) -> None:
    route = ROUTES[route_name]
    for head, expect in GATEWAY_CASES:
        world = fresh_world()
        body = b'{"nodeId": 1' if route.methods[0] in ("POST", "PUT") else b""
        request = fakeiot.HttpRequest(
            route.methods[0], good_path(route), query_string="appId=nobody", headers=head, body=body
        )
        response, matched = exchange(world, request)
        assert matched == route_name
        check_gateway(response, expect)


# =============================================================================================
# 1b. Every route answers generated bad input with a documented error
# =============================================================================================
@pytest.mark.parametrize("route_name", ROUTE_NAMES)
@settings(FUZZ, max_examples=6)
@given(data=st.data())
def test_bad_input_gets_a_documented_error(route_name: str, data: st.DataObject) -> None:
    """Bad bodies, queries, headers, ids and methods aimed at one route. The first request
    always reaches it; the others may miss (wrong method, deformed path)."""
    world = fresh_world()
    reached = 0
    for probe in data.draw(so.probes(ROUTES[route_name], world.known), label="probes"):
        response, matched = exchange(world, probe.request())
        if probe.aim is not None:
            assert matched == probe.aim, f"the probe missed {probe.aim}: it reached {matched}"
            reached += 1
        if matched in ROUTES and so.fuzz_of(matched).authenticated:
            check_gateway(response, probe.expect)
    assert reached, f"no request reached {route_name}"


# =============================================================================================
# 2. A rejected request changes nothing, wherever it comes in a history
# =============================================================================================
any_probe = st.sampled_from(ROUTE_NAMES).flatmap(
    lambda name: st.one_of(
        so.probe(ROUTES[name], KNOWN), so.probe(ROUTES[name], KNOWN, on_route=False)
    )
)


@settings(FUZZ, max_examples=40)
@given(sequence=st.lists(any_probe, min_size=1, max_size=8))
def test_rejected_requests_change_nothing(sequence: list[so.Probe]) -> None:
    """Bad requests to any route, mixed with the good ones the fuzzer stumbles on (deletes,
    rekeys, logins, logouts): each rejection leaves the state as it found it."""
    world = fresh_world()
    for probe in sequence:
        exchange(world, probe.request())


# =============================================================================================
# 3. Valid but edgy registrations are accepted
# =============================================================================================
def registration(oc: OcClient, body: dict[str, Any], ascii_only: bool) -> fakeiot.HttpRequest:
    text = so.dump(body, ascii_only=ascii_only)
    return fakeiot.HttpRequest("POST", REGISTER, headers=oc.headers, body=text.encode("utf-8"))


@settings(FUZZ, max_examples=25)
@given(body=so.valid_register_body(), ascii_only=st.booleans())
def test_valid_edgy_registration_is_accepted(body: dict[str, Any], ascii_only: bool) -> None:
    """nodeId of 1-256 printable characters, limits hit exactly, null in every optional field,
    unknown keys: 200, and the device reads back with the same nodeId and information."""
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    oc = OcClient(platform)
    response = send(platform, registration(oc, body, ascii_only))
    assert response.status == 200, response.body
    payload = response.json_body()
    node_id = body["nodeId"]
    verify_code = body.get("verifyCode")
    if verify_code is None:
        # spec §4.1 [C]: "If absent the platform generates one" (docs/fidelity.md, issue 16)
        assert re.fullmatch(r"[0-9A-F]{16}", payload["verifyCode"])
    else:
        assert payload["verifyCode"] == verify_code
    assert payload["timeout"] == (180 if body.get("timeout") is None else body["timeout"])
    if body.get("psk") is not None:
        assert payload["psk"] == body["psk"]

    device_id = payload["deviceId"]
    single = send(
        platform, fakeiot.HttpRequest("GET", DEVICE.format(device_id), headers=oc.headers)
    )
    assert single.status == 200, single.body
    info = single.json_body()["deviceInfo"]
    assert info["nodeId"] == node_id
    given_info = body.get("deviceInfo") or {}
    name = given_info.get("name")
    if name is None:
        name = body.get("deviceName")
    assert info["name"] == name
    for key, value in given_info.items():
        if value is not None:
            assert info[key] == value, key

    status = send(
        platform, fakeiot.HttpRequest("GET", CREDENTIALS.format(device_id), headers=oc.headers)
    )
    assert status.json_body() == {"deviceId": device_id, "activated": False, "name": name}
    assert platform.oceanconnect.device(device_id).node_id == node_id
    platform.check_invariants()


@settings(FUZZ, max_examples=25)
@given(first=so.valid_register_body(), second=so.valid_register_body())
def test_two_edgy_registrations_stay_apart(first: dict[str, Any], second: dict[str, Any]) -> None:
    """nodeIds are compared exactly: no trimming, case folding or normalisation."""
    assume(first["nodeId"] != second["nodeId"])
    first_code = (first.get("verifyCode") or first["nodeId"]).lower()  # codes ignore case
    second_code = second.get("verifyCode")
    assume(second_code is None or second_code.lower() != first_code)
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    oc = OcClient(platform)
    ids = []
    for body in (first, second):
        response = send(platform, registration(oc, body, ascii_only=False))
        assert response.status == 200, response.body
        ids.append(response.json_body()["deviceId"])
    views = [platform.oceanconnect.device(device_id) for device_id in ids]
    assert [v.node_id for v in views] == [first["nodeId"], second["nodeId"]]
    platform.check_invariants()
