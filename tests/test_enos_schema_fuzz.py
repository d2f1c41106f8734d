"""Random values in every declared body field of every EnOS Connect Service route (the
validation paths of fakeiot/_enos/_schemas.py: coercion, checks, nested names, batch items).

Every answer is HTTP 200 with the envelope: a success (after which the face's invariants hold),
or a documented error row with ``data: null`` after which nothing changed. Derandomised and
bounded, so a fresh Hypothesis database cannot fail at random.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fakeiot
from fakeiot._clock import ManualClock
from fakeiot._enos import EnosError
from tests.enos import EnosClient, device_body, product_body

ENVELOPE_ROWS = {(int(e.row.code), e.row.msg) for e in EnosError if e.row.shape == "envelope"}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=80)
    | st.sampled_from(["", " ", "true", "12", "+08:00", "Asia/Shanghai", "a<b", "k" * 65]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def world() -> tuple[EnosClient, str, dict[str, str]]:
    platform = fakeiot.Platform(seed=0, clock=ManualClock(1_700_000_000.0))
    en = EnosClient(platform)
    product_key = en.create_product()
    device = en.create_device(product_key, deviceKey="fuzz_001")
    return en, product_key, device


def bases(
    product_key: str, device: dict[str, str]
) -> dict[str, tuple[str, dict[str, Any], dict[str, str]]]:
    """route name -> (path, a valid body, the query beside action and orgId)"""
    devices, products = "/connect-service/v2.1/devices", "/connect-service/v2.1/products"
    commands = "/connect-service/v2.1/commands"
    measurepoints = "/connect-service/v2.1/measurepoints"
    asset = {"assetId": device["assetId"]}
    return {
        "enos.create_product": (products, product_body(), {}),
        "enos.update_product": (products, {"productDesc": "d"}, {"productKey": product_key}),
        "enos.search_product": (products, {}, {}),
        "enos.create_device": (devices, device_body(product_key), {}),
        "enos.batch_create_devices": (devices, {"deviceList": [device_body(product_key)]}, {}),
        "enos.search_device": (devices, {}, {}),
        "enos.update_device": (devices, {"deviceDesc": "d"}, asset),
        "enos.replace_device": (devices, {"newDeviceKey": "fuzz_002"}, asset),
        "enos.invoke_service": (
            commands,
            {"inputData": {"left": 3}},
            {**asset, "serviceId": "multiply", "pendingTtl": "60"},
        ),
        "enos.set_measurepoint": (
            commands,
            {"value": 21.5},
            {**asset, "measurepointId": "temp", "pendingTtl": "60"},
        ),
        "enos.search_command": (commands, {}, asset),
        "enos.query_latest_measurepoints": (measurepoints, {}, asset),
    }


ACTIONS = {
    "enos.create_product": "create",
    "enos.update_product": "update",
    "enos.search_product": "search",
    "enos.create_device": "create",
    "enos.batch_create_devices": "batchCreate",
    "enos.search_device": "search",
    "enos.update_device": "update",
    "enos.replace_device": "replaceDevice",
    "enos.invoke_service": "invokeService",
    "enos.set_measurepoint": "setMeasurepoint",
    "enos.search_command": "search",
    "enos.query_latest_measurepoints": "queryLatest",
}


def test_every_declared_enos_body_route_is_fuzzed() -> None:
    platform = fakeiot.Platform()
    declared = {
        r.name
        for r in platform.routes
        if r.face == "enos" and r.schema is not None and r.schema.body and "token" not in r.name
    }
    assert declared == set(ACTIONS)


@pytest.mark.parametrize("route_name", sorted(ACTIONS))
@settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_field_values_answer_the_envelope_and_rejections_change_nothing(
    route_name: str, data: st.DataObject
) -> None:
    en, product_key, device = world()
    platform = en.platform
    path, body, query = bases(product_key, device)[route_name]
    route = platform.routes.get(route_name)
    assert route.schema is not None
    names = [f.name for f in route.schema.body]
    if route_name == "enos.batch_create_devices":
        item = dict(device_body(product_key))
        for name in data.draw(
            st.lists(st.sampled_from([*item, "deviceKey", "deviceTags"]), max_size=3)
        ):
            item[name] = data.draw(json_values)
        body = {"deviceList": [item, data.draw(json_values)]}
    else:
        for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)):
            body[name] = data.draw(json_values)
    before = json.dumps(platform.enos.export_state(), sort_keys=True)
    events = len(platform.events)
    response = en.request(
        "POST", path, {"action": ACTIONS[route_name], "orgId": en.org.org_id, **query}, body
    )
    assert response.status == 200, response.body
    reply = response.json_body()
    if reply["code"] == 0:
        platform.enos.check_invariants()
        return
    assert (reply["code"], reply["msg"]) in ENVELOPE_ROWS
    assert reply["data"] is None
    assert json.dumps(platform.enos.export_state(), sort_keys=True) == before
    assert len(platform.events) == events
