"""The control API under /_fakeiot/: device side, tenants, clock, reset, state, calls, faults,
the overview, the dashboard page and the OpenAPI document."""

from __future__ import annotations

import json
import weakref
from typing import Any

import pytest

import fakeiot
from fakeiot.serve import _state as _persist
from fakeiot.serve._control import Control
from tests.oc import IMEI, OcClient

API = "/_fakeiot/api"
_CONTROLS: weakref.WeakKeyDictionary[fakeiot.Platform, Control] = weakref.WeakKeyDictionary()


def controller(platform: fakeiot.Platform) -> Control:
    """The control API in front of ``platform`` (one per platform, as a server holds one)."""
    found = _CONTROLS.get(platform)
    if found is None:
        found = _CONTROLS[platform] = Control(platform)
    return found


def serve(platform: fakeiot.Platform, request: fakeiot.HttpRequest) -> fakeiot.HttpResponse:
    """What ``fakeiot.Server`` answers: the control API first, then the faces."""
    return controller(platform).handle(request) or platform.handle(request)


def control(
    platform: fakeiot.Platform,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> fakeiot.HttpResponse:
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    sent = {"Content-Type": "application/json", **(headers or {})}
    return serve(
        platform, fakeiot.HttpRequest.from_url(method, f"{API}/{path}", headers=sent, body=data)
    )


@pytest.fixture
def manual() -> fakeiot.Platform:
    return fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())


def test_connect_and_disconnect_drive_the_device_side(manual: fakeiot.Platform) -> None:
    device_id = OcClient(manual).register_ok(IMEI)
    connected = control(manual, "POST", "oceanconnect/devices/connect", {"nodeId": IMEI})
    disconnected = control(
        manual, "POST", "oceanconnect/devices/disconnect", {"deviceId": device_id}
    )
    assert (connected.status, connected.json_body()["status"]) == (200, "ONLINE")
    assert disconnected.json_body()["status"] == "OFFLINE"


def test_refused_connection_says_why(manual: fakeiot.Platform) -> None:
    response = control(manual, "POST", "oceanconnect/devices/connect", {"nodeId": "nobody"})
    assert response.status == 409
    assert response.json_body()["reason"] == "unknown"
    assert "no device is registered" in response.json_body()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("oceanconnect/devices/connect", {}),
        ("oceanconnect/devices/connect", {"nodeId": 5}),
        ("oceanconnect/devices/connect", {"nodeId": "x" * 300}),
        ("oceanconnect/devices/connect", {"nodeId": "n", "connection": "medium"}),
        ("oceanconnect/devices/disconnect", [1]),
        ("clock/advance", {"seconds": "soon"}),
        ("clock/advance", {"seconds": -1}),
        ("faults", {"error": "424242"}),
        ("faults", {"error": "100001", "times": -2}),
        ("oceanconnect/apps", {"appId": 7}),
        ("oceanconnect/devices/report", {"deviceId": "d", "serviceId": "s", "data": [1]}),
    ],
)
def test_malformed_input_gets_a_clear_json_error(
    manual: fakeiot.Platform, path: str, body: Any
) -> None:
    before = _persist.dump(manual)
    response = control(manual, "POST", path, body)
    assert response.status == 400
    assert response.json_body()["error"] == "bad_request"
    assert _persist.dump(manual)["faces"] == before["faces"]


def test_garbage_body_is_a_bad_request(manual: fakeiot.Platform) -> None:
    response = control(manual, "POST", "oceanconnect/apps", raw=b"\xff{")
    assert (response.status, response.json_body()["error"]) == (400, "bad_request")


def test_create_app_and_list_apps(manual: fakeiot.Platform) -> None:
    created = control(manual, "POST", "oceanconnect/apps", {"appId": "mine", "secret": "s"})
    listed = control(manual, "GET", "oceanconnect/apps").json_body()
    again = control(manual, "POST", "oceanconnect/apps", {"appId": "mine"})
    assert created.status == 201
    assert {"appId": "mine", "secret": "s", "name": "mine"} in listed
    assert again.status == 409


def test_advance_moves_a_manual_clock_and_expires_registrations(
    manual: fakeiot.Platform,
) -> None:
    OcClient(manual).register_ok(IMEI, timeout=60)
    response = control(manual, "POST", "clock/advance", {"seconds": 61})
    assert response.status == 200
    assert manual.oceanconnect.devices() == []


def test_advance_refuses_a_real_clock() -> None:
    response = control(fakeiot.Platform(seed=0), "POST", "clock/advance", {"seconds": 1})
    assert response.status == 409


def test_reset_returns_to_the_recorded_state(manual: fakeiot.Platform) -> None:
    controller(manual).remember_initial_state()
    OcClient(manual).register_ok(IMEI)
    response = control(manual, "POST", "reset")
    assert response.status == 200
    assert manual.oceanconnect.devices() == []


def test_state_round_trips_and_a_bad_state_changes_nothing(manual: fakeiot.Platform) -> None:
    OcClient(manual).register_ok(IMEI)
    state = control(manual, "GET", "state").json_body()
    other = fakeiot.Platform(seed=5, clock=fakeiot.ManualClock())
    loaded = control(other, "PUT", "state", state)
    broken = control(other, "PUT", "state", {"format": "fakeiot-state", "version": 7})
    assert (loaded.status, broken.status) == (200, 400)
    assert "version 7" in broken.json_body()["detail"]
    assert [d.node_id for d in other.oceanconnect.devices()] == [IMEI]


def test_calls_lists_recent_vendor_calls(manual: fakeiot.Platform) -> None:
    OcClient(manual).register_ok(IMEI)
    calls = control(manual, "GET", "calls?limit=1").json_body()
    assert [c["route"] for c in calls] == ["oceanconnect.register_device"]
    assert control(manual, "GET", "calls?limit=0").status == 400


def test_faults_can_be_added_listed_and_cleared(manual: fakeiot.Platform) -> None:
    added = control(
        manual, "POST", "faults", {"route": "oceanconnect.register_device", "error": "100001"}
    )
    listed = control(manual, "GET", "faults").json_body()
    failed = OcClient(manual).register(IMEI)
    control(manual, "DELETE", "faults")
    assert added.status == 201
    assert listed[0]["fault"] == "error INTERNAL_SERVER_ERROR"
    assert failed.status == 500
    assert len(manual.faults) == 0


def test_overview_shows_tenants_devices_and_countdown(manual: fakeiot.Platform) -> None:
    client = OcClient(manual)
    client.register_ok(IMEI, timeout=120)
    manual.clock.advance(20)  # type: ignore[attr-defined]
    overview = control(manual, "GET", "overview").json_body()
    faces = {face["name"]: face for face in overview["faces"]}
    apps, devices, _commands = faces["oceanconnect"]["tables"]
    [device] = devices["rows"]
    assert device["cells"][1] == IMEI
    assert device["cells"][4] == {"countdown": 100}
    assert device["actions"][0]["action"] == "connect_device"
    # the code the platform generated for the registration (seed 000, issue 16 item 1)
    code = manual.oceanconnect.devices()[0].verify_code
    assert device["actions"][0]["args"] == {"nodeId": IMEI, "verifyCode": code}
    assert apps["rows"][0]["cells"][0] == client.app.app_id
    assert any("deviceCredentials -> 200" in c["line"] for c in overview["calls"])


def test_every_face_with_an_overview_appears(manual: fakeiot.Platform) -> None:
    org = manual.enos.create_org()
    overview = control(manual, "GET", "overview").json_body()
    faces = {face["name"]: face for face in overview["faces"]}
    assert set(faces) == {"oceanconnect", "enos", "iotda"}
    assert faces["enos"]["tables"][0]["rows"][0]["cells"][0] == org.org_id


def test_face_actions_drive_the_device_side_and_refuse_the_rest(
    manual: fakeiot.Platform,
) -> None:
    device_id = OcClient(manual).register_ok(IMEI)
    code = manual.oceanconnect.device(device_id).verify_code
    connect = control(
        manual,
        "POST",
        "faces/oceanconnect/actions/connect_device",
        {"nodeId": IMEI, "verifyCode": code},
    )
    disconnect = control(
        manual, "POST", "faces/oceanconnect/actions/disconnect_device", {"deviceId": device_id}
    )
    unknown = control(manual, "POST", "faces/oceanconnect/actions/create_app", {})
    wrong = control(manual, "POST", "faces/oceanconnect/actions/connect_device", {"nope": "x"})
    assert (connect.status, connect.json_body()["status"]) == (200, "ONLINE")
    assert disconnect.json_body()["status"] == "OFFLINE"
    assert (unknown.status, wrong.status) == (404, 400)


def test_recent_calls_are_filtered_before_they_are_limited(manual: fakeiot.Platform) -> None:
    client = OcClient(manual)
    for i in range(8):
        client.register_ok(f"node-{i}")
    for _ in range(40):  # the dashboard polls, and asks for its icon
        control(manual, "GET", "overview")
        serve(manual, fakeiot.HttpRequest("GET", "/favicon.ico"))
    calls = control(manual, "GET", "calls?limit=3").json_body()
    assert [c["route"] for c in calls] == ["oceanconnect.register_device"] * 3
    overview = control(manual, "GET", "overview").json_body()
    assert len(overview["calls"]) == 9  # the login and the eight registrations


def test_token_guards_the_control_api(manual: fakeiot.Platform) -> None:
    controller(manual).token = "s3cret"
    denied = control(manual, "GET", "clock")
    allowed = control(manual, "GET", "clock", headers={"X-Fakeiot-Token": "s3cret"})
    bearer = control(manual, "GET", "clock", headers={"Authorization": "Bearer s3cret"})
    assert (denied.status, allowed.status, bearer.status) == (401, 200, 200)


def test_dashboard_page_is_self_contained_html(manual: fakeiot.Platform) -> None:
    page = serve(manual, fakeiot.HttpRequest("GET", "/"))
    assert page.headers["Content-Type"].startswith("text/html")
    assert b'"/_fakeiot/api/"' in page.body
    assert b'api("overview")' in page.body
    assert b"http://" not in page.body.replace(b"http://www.w3.org", b"")
    assert b"<script src" not in page.body


def test_openapi_lists_every_route(manual: fakeiot.Platform) -> None:
    document = serve(manual, fakeiot.HttpRequest("GET", "/_fakeiot/openapi.json")).json_body()
    listed = {
        name
        for item in document["paths"].values()
        for op in item.values()
        for name in op["x-fakeiot-routes"]
    }
    assert document["openapi"] == "3.1.0"
    assert listed == {route.name for route in manual.routes} | {
        route.name for route in controller(manual).routes
    }


@pytest.mark.parametrize("target", ["/", "/_fakeiot/api/overview", "/_fakeiot/openapi.json"])
def test_the_platform_alone_answers_no_serve_layer_route(target: str) -> None:
    """Under mock(), Adapter, HttpxTransport and wsgi_app only the faces answer."""
    platform = fakeiot.Platform(seed=0)
    for method in ("GET", "POST"):
        request = fakeiot.HttpRequest.from_url(method, f"https://any.host{target}")
        assert platform.handle(request).status == 404
    assert not [r for r in platform.routes if r.name.startswith("control.")]


def test_a_fault_with_another_faces_error_leaves_this_faces_routes_alone(
    manual: fakeiot.Platform,
) -> None:
    added = control(manual, "POST", "faults", {"error": "11404", "times": None})
    clock = control(manual, "GET", "clock")
    login = OcClient(manual).register(IMEI)
    assert (added.status, clock.status, login.status) == (201, 200, 200)


def test_an_iotda_project_is_created_through_the_control_api(platform: fakeiot.Platform) -> None:
    response = control(platform, "POST", "iotda/projects", {"projectId": "p1", "ak": "AK1"})
    assert response.status == 201
    created = response.json_body()
    assert (created["projectId"], created["ak"]) == ("p1", "AK1")
    assert created["sk"]
    assert [p.project_id for p in platform.iotda.projects()] == ["p1"]
    again = control(platform, "POST", "iotda/projects", {"projectId": "p1"})
    assert again.status == 409
    assert control(platform, "POST", "iotda/projects", {"ak": 7}).status == 400
    assert len(platform.iotda.projects()) == 1


@pytest.mark.parametrize(("face", "path"), [("iotda", "iotda/projects"), ("enos", "enos/orgs")])
def test_a_tenant_route_of_a_face_the_platform_lacks_is_404(
    platform: fakeiot.Platform, face: str, path: str
) -> None:
    del platform.faces[face]
    response = control(platform, "POST", path, {})
    assert response.status == 404
    assert response.json_body() == {
        "error": "not_found",
        "detail": f"this platform has no face {face!r}",
    }
