"""Fuzzing the state import (OceanConnect, EnOS and IoTDA): a stored state with one value
replaced by arbitrary JSON is either refused with a 400 naming the field, or accepted and then
served without a single 500."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fakeiot
from fakeiot.iotda import ProjectKeys
from fakeiot.serve import _state
from tests.enos import EnosClient
from tests.iotda import IoClient
from tests.oc import IMEI, OcClient

#: examples per run (derandomised: the same every run, whatever the Hypothesis database holds)
EXAMPLES = 200


def _reference() -> dict[str, Any]:
    """A state with every kind of stored thing in it."""
    platform = fakeiot.Platform(seed=11, clock=fakeiot.ManualClock(), flow_control_limit=None)
    oc = OcClient(platform)
    first = oc.register_ok(IMEI, timeout=600)
    second = oc.register_ok("861234567890124")
    oc.register_ok("861234567890125", timeout=0)
    platform.oceanconnect.connect_device(IMEI)
    platform.oceanconnect.report_data(first, "Battery", {"level": 7})
    assert oc.call("DELETE", f"/iocm/app/dm/v1.4.0/devices/{second}").status == 204
    oc.call(
        "POST",
        "/iocm/app/sub/v1.2.0/subscriptions",
        {"notifyType": "deviceAdded", "callbackUrl": "https://127.0.0.1:9/cb"},
    )
    enos = EnosClient(platform)
    product = enos.create_product()
    device = enos.create_device(product)
    enos.create_device(product)
    platform.enos.login_device(product, device["deviceKey"], device["deviceSecret"])
    io = IoClient(platform, platform.iotda.create_project(project_id="fuzz", ak="FUZZAK"))
    meter = io.product()
    gateway = io.device(meter, "gw", auth_info={"secret": "s3cret-gw", "timeout": 600})
    gid = gateway["device_id"]
    io.device(meter, "child", gateway_id=gid)
    shadow = {"shadow": [{"service_id": "Temp", "desired": {"target": 21}}]}
    io.ok("PUT", f"/devices/{gid}/shadow", shadow)
    tags = {"resource_type": "device", "resource_id": gid, "tags": [{"tag_key": "site"}]}
    io.ok("POST", "/tags/bind-resource", tags)
    group = io.ok("POST", "/device-group", {"name": "north"})["group_id"]
    io.call(
        "POST", f"/device-group/{group}/action", query={"action_id": "addDevice", "device_id": gid}
    )
    io.ok("POST", f"/devices/{gid}/async-commands", {"paras": {"n": 1}, "send_strategy": "delay"})
    io.ok("POST", f"/devices/{gid}/messages", {"message": "hi", "message_id": "m1"})
    platform.iotda.simulate(gid, "s3cret-gw").connect()
    return _state.dump(platform)


REFERENCE = _reference()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


#: every value of the reference state (the id generator's 625 numbers count as one)
PATHS = [p for p in _paths(REFERENCE) if p and (p[0] != "ids" or len(p) < 3)]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def broken_states(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(REFERENCE)
    path = draw(st.sampled_from(PATHS))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    old = parent[path[-1]]
    how = draw(st.sampled_from(["delete", "any", "same type", "same type"]))
    if how == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif how == "same type" and not isinstance(old, list | dict):
        parent[path[-1]] = draw(_like(old))
    else:
        parent[path[-1]] = draw(JSON)
    return document


def _like(value: Any) -> st.SearchStrategy[Any]:
    """Another value of the same JSON type: what passes a type check and may still be wrong."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(-(2**70), 2**70) | st.sampled_from([0, -1, 1])
    if isinstance(value, float):
        return st.floats(-1e300, 1e300, allow_nan=False) | st.sampled_from([0.0, -1.0])
    if isinstance(value, str):
        return st.text(max_size=8) | st.sampled_from(["", "online", "long", "deleted", value * 2])
    return st.none()


def _serve(server: fakeiot.Server, method: str, target: str, body: Any = None) -> Any:
    data = b"" if body is None else json.dumps(body).encode()
    response = server.respond(
        fakeiot.HttpRequest.from_url(
            method, target, headers={"Content-Type": "application/json"}, body=data
        )
    )
    assert response.status < 500, (method, target, response.body[:300])
    return response


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(document=broken_states())
def test_malformed_stored_state_never_yields_a_500(document: dict[str, Any]) -> None:
    platform = fakeiot.Platform(seed=1, clock=fakeiot.ManualClock(), flow_control_limit=None)
    server = fakeiot.Server(platform)
    loaded = _serve(server, "PUT", "/_fakeiot/api/state", document)
    if loaded.status != 200:
        assert loaded.status == 400
        assert loaded.json_body()["detail"]
        return
    for target in (
        "/_fakeiot/api/overview",
        "/_fakeiot/api/oceanconnect/devices",
        "/_fakeiot/api/oceanconnect/apps",
        "/_fakeiot/api/state",
        "/_fakeiot/api/calls",
        "/",
    ):
        _serve(server, "GET", target)
    for app in platform.oceanconnect.apps():
        login = server.respond(
            fakeiot.HttpRequest(
                "POST",
                "/iocm/app/sec/v1.1.0/login",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=f"appId={app.app_id}&secret={app.secret}".encode(),
            )
        )
        assert login.status < 500
        if login.status != 200:
            continue
        headers = {
            "app_key": app.app_id,
            "Authorization": "Bearer " + login.json_body()["accessToken"],
        }
        for target in ("/iocm/app/dm/v1.4.0/devices?pageNo=0&pageSize=100",):
            response = server.respond(fakeiot.HttpRequest.from_url("GET", target, headers=headers))
            assert response.status < 500, response.body[:300]
        for device in platform.oceanconnect.devices(app.app_id):
            target = f"/iocm/app/dm/v1.4.0/devices/{device.device_id}"
            response = server.respond(fakeiot.HttpRequest.from_url("GET", target, headers=headers))
            assert response.status < 500, response.body[:300]
    _iotda_reads(server, platform)
    platform.advance(3 * 86400)  # expiries and ageing over the loaded devices
    _serve(server, "GET", "/_fakeiot/api/overview")
    platform.check_invariants()
    server.check()


def _iotda_reads(server: fakeiot.Server, platform: fakeiot.Platform) -> None:
    """Every IoTDA read of every loaded project's devices, signed with the loaded keys."""
    for project in list(platform.iotda.state.projects.values()):
        keys = ProjectKeys(
            project.project_id, project.ak, project.sk, project.instance_id, project.default_app
        )
        io = IoClient(platform, keys)
        paths = ["/devices", "/products", "/device-group", "/apps"]
        for device_id in list(project.devices):
            base = f"/devices/{device_id}"
            paths += [base, f"{base}/shadow", f"{base}/async-commands", f"{base}/messages"]
        for path in paths:
            response = server.respond(io.request("GET", path))
            assert response.status < 500, (path, response.body[:300])
        search = io.request("POST", "/search/query-devices", {"sql": "select * from device"})
        assert server.respond(search).status < 500
