"""IoTDA routes one by one through ``Platform.handle``: success shapes and every error row."""

from __future__ import annotations

from typing import Any

import pytest

import fakeiot
from fakeiot._iotda import IotdaError
from fakeiot.iotda import NEVER, fail, later
from tests.iotda import SECRET, IoClient, error_of, expected

E = IotdaError


@pytest.fixture
def io() -> IoClient:
    return IoClient(fakeiot.Platform(seed=0, iotda_command_timeout=5.0))


@pytest.fixture
def product(io: IoClient) -> str:
    return io.product()


def online(io: IoClient, device_id: str) -> fakeiot._iotda.IotdaDevice:
    return io.platform.iotda.simulate(device_id, SECRET).connect()


# =============================================================================================
# Products
# =============================================================================================
def test_create_product_answers_201_with_the_full_product(io: IoClient) -> None:
    response = io.call(
        "POST",
        "/products",
        {
            "name": "Meter",
            "device_type": "Meter",
            "protocol_type": "MQTT",
            "service_capabilities": [{"service_id": "S", "service_type": "S"}],
            "product_id": "p-1",
        },
    )
    assert response.status == 201
    body = response.json_body()
    assert body["product_id"] == "p-1"
    assert body["data_format"] == "json"
    assert body["app_name"] == "DefaultApp"
    assert body["service_capabilities"] == [
        {
            "service_id": "S", "service_type": "S", "properties": [], "commands": [],
            "events": [], "description": None, "option": "Optional",
        }
    ]  # fmt: skip
    assert len(body["create_time"]) == 16


def test_a_generated_product_id_is_24_hex(io: IoClient, product: str) -> None:
    assert len(product) == 24
    int(product, 16)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"name": None}, "missing"),
        ({"protocol_type": "Zigbee"}, "choice"),
        ({"name": "x" * 65}, "length"),
        ({"name": "bad name"}, "pattern"),
        ({"service_capabilities": "no"}, "type"),
        ({"service_capabilities": [{"service_id": "S"}]}, "missing nested"),
        ({"data_format": "xml"}, "choice"),
    ],
)
def test_invalid_products_get_000006(io: IoClient, change: dict[str, Any], why: str) -> None:
    body = {"name": "M", "device_type": "M", "protocol_type": "MQTT", "service_capabilities": []}
    body.update(change)
    assert error_of(io.call("POST", "/products", body)) == expected(E.INVALID_PARAM), why


def test_a_body_that_is_not_json_gets_000008(io: IoClient) -> None:
    response = io.call("POST", "/products", raw_body=b"{nope")
    assert error_of(response) == expected(E.BAD_REQUEST)
    assert error_of(io.call("POST", "/products", raw_body=b"[1]")) == expected(E.BAD_REQUEST)


def test_duplicate_product_id_and_missing_product(io: IoClient, product: str) -> None:
    body = {"name": "M", "device_type": "M", "protocol_type": "MQTT", "service_capabilities": []}
    dup = io.call("POST", "/products", dict(body, product_id=product))
    assert error_of(dup) == expected(E.PRODUCT_EXISTS)
    assert error_of(io.call("GET", "/products/nope")) == expected(E.PRODUCT_NOT_FOUND)


def test_list_show_update_delete_product(io: IoClient, product: str) -> None:
    listed = io.ok("GET", "/products")
    assert [p["product_id"] for p in listed["products"]] == [product]
    assert "service_capabilities" not in listed["products"][0]
    assert listed["page"] == {"count": 1, "marker": listed["page"]["marker"]}
    updated = io.ok("PUT", f"/products/{product}", {"name": "Renamed", "unknown": 1})
    assert updated["name"] == "Renamed"
    assert io.ok("GET", f"/products/{product}")["name"] == "Renamed"
    coap = io.call("PUT", f"/products/{product}", {"protocol_type": "CoAP"})
    assert error_of(coap) == expected(E.INVALID_PARAM)
    response = io.call("DELETE", f"/products/{product}")
    assert (response.status, response.body) == (204, b"")
    assert response.headers["X-Request-Id"]
    assert io.ok("GET", "/products")["products"] == []


def test_a_product_with_devices_cannot_be_deleted(io: IoClient, product: str) -> None:
    io.device(product)
    assert error_of(io.call("DELETE", f"/products/{product}")) == expected(E.PRODUCT_HAS_DEVICES)


# =============================================================================================
# Devices: add
# =============================================================================================
def test_add_device_defaults(io: IoClient, product: str) -> None:
    response = io.call(
        "POST", "/devices", {"node_id": "node-1", "product_id": product, "extra": None}
    )
    assert response.status == 201
    body = response.json_body()
    assert body["device_id"] == f"{product}_node-1"
    assert body["gateway_id"] == body["device_id"]
    assert body["node_type"] == "GATEWAY"
    assert body["status"] == "INACTIVE"
    assert body["device_name"] == "node-1"
    assert body["active_time"] is None
    secret = body["auth_info"]["secret"]
    assert len(secret) == 32, "a generated secret is returned by add_device"
    assert body["auth_info"]["secure_access"] is True
    shown = io.ok("GET", f"/devices/{body['device_id']}")
    assert shown["auth_info"]["secret"] == "********"
    assert io.platform.iotda.device(body["device_id"]).secret == secret


def test_add_device_seeds_desired_from_product_defaults_and_the_body(
    io: IoClient, product: str
) -> None:
    device = io.device(product, shadow=[{"service_id": "Other", "desired": {"a": 1}}])
    shadow = io.ok("GET", f"/devices/{device['device_id']}/shadow")["shadow"]
    desired = {s["service_id"]: s["desired"]["properties"] for s in shadow}
    assert desired == {"Temp": {"target": 20}, "Other": {"a": 1}}


@pytest.mark.parametrize(
    "change",
    [
        {"node_id": None},
        {"node_id": ""},
        {"node_id": "a" * 65},
        {"node_id": "bad id"},
        {"product_id": None},
        {"device_id": "x" * 129},
        {"device_name": "n" * 257},
        {"description": "d" * 2049},
        {"auth_info": {"secret": "short"}},
        {"auth_info": {"secret": "x" * 33}},
        {"auth_info": {"auth_type": "TOKEN"}},
        {"auth_info": {"timeout": -1}},
        {"auth_info": {"secure_access": "yes"}},
        {"auth_info": {"fingerprint": "abc"}},
        {"extension_info": [1]},
        {"shadow": [{"service_id": "S"}]},
        {"shadow": [{"service_id": "S", "desired": {"a.b": 1}}]},
    ],
)
def test_invalid_devices_get_000006(io: IoClient, product: str, change: dict[str, Any]) -> None:
    body: dict[str, Any] = {"node_id": "n1", "product_id": product}
    body.update(change)
    assert error_of(io.call("POST", "/devices", body)) == expected(E.INVALID_PARAM)
    assert io.ok("GET", "/devices")["devices"] == [], "a refused request changes nothing"


def test_add_device_refusals(io: IoClient, product: str) -> None:
    io.device(product, "n1")
    assert error_of(io.call("POST", "/devices", {"node_id": "n1", "product_id": product})) == (
        expected(E.DEVICE_EXISTS)
    )
    same_id = {"node_id": "n2", "product_id": product, "device_id": f"{product}_n1"}
    assert error_of(io.call("POST", "/devices", same_id)) == expected(E.DEVICE_EXISTS)
    missing = {"node_id": "n3", "product_id": "nope"}
    assert error_of(io.call("POST", "/devices", missing)) == expected(E.PRODUCT_NOT_FOUND)
    orphan = {"node_id": "n4", "product_id": product, "gateway_id": "ghost"}
    assert error_of(io.call("POST", "/devices", orphan)) == expected(E.GATEWAY_NOT_FOUND)
    space = {"node_id": "n5", "product_id": product, "app_id": "nope"}
    assert error_of(io.call("POST", "/devices", space)) == expected(E.APP_NOT_FOUND)
    renamed = {"node_id": "n1", "product_id": product, "device_id": "another-id"}
    assert error_of(io.call("POST", "/devices", renamed)) == expected(E.DEVICE_EXISTS)


def test_a_node_id_is_unique_in_its_product_only_while_its_device_exists(
    io: IoClient, product: str
) -> None:
    first = io.device(product, "n1")["device_id"]
    other = io.product(name="Other")
    assert io.device(other, "n1")["node_id"] == "n1"  # another product: allowed
    io.ok("DELETE", f"/devices/{first}")
    assert io.device(product, "n1", device_id="n1-again")["device_id"] == "n1-again"
    io.platform.check_invariants()


def test_children_two_levels_deep_and_the_delete_rule(io: IoClient, product: str) -> None:
    gateway = io.device(product, "gw")["device_id"]
    child = io.device(product, "c1", gateway_id=gateway)
    assert (child["node_type"], child["gateway_id"]) == ("ENDPOINT", gateway)
    grandchild = io.device(product, "c2", gateway_id=child["device_id"])["device_id"]
    too_deep = {"node_id": "c3", "product_id": product, "gateway_id": grandchild}
    assert error_of(io.call("POST", "/devices", too_deep)) == expected(E.GATEWAY_TOO_DEEP)
    assert error_of(io.call("DELETE", f"/devices/{gateway}")) == expected(E.DEVICE_HAS_CHILDREN)
    one_level = io.ok("GET", "/devices", query={"gateway_id": gateway})["devices"]
    assert [d["device_id"] for d in one_level] == [child["device_id"]]
    cascade = io.ok("GET", "/devices", query={"gateway_id": gateway, "is_cascade_query": True})
    assert {d["device_id"] for d in cascade["devices"]} == {child["device_id"], grandchild}
    assert error_of(io.call("POST", f"/devices/{child['device_id']}/freeze")) == expected(
        E.FREEZE_CHILD
    )
    io.call("DELETE", f"/devices/{grandchild}")
    io.call("DELETE", f"/devices/{child['device_id']}")
    assert io.call("DELETE", f"/devices/{gateway}").status == 204


# =============================================================================================
# Devices: show, list, update, delete
# =============================================================================================
def test_unknown_device_gets_014000_on_every_device_route(io: IoClient) -> None:
    cases: list[tuple[str, str, Any]] = [
        ("GET", "/devices/ghost", None),
        ("PUT", "/devices/ghost", {}),
        ("DELETE", "/devices/ghost", None),
        ("POST", "/devices/ghost/freeze", None),
        ("GET", "/devices/ghost/shadow", None),
        ("POST", "/devices/ghost/commands", {"paras": {}}),
        ("POST", "/devices/ghost/messages", {"message": "m"}),
        ("GET", "/devices/ghost/messages", None),
    ]
    for method, path, body in cases:
        assert error_of(io.call(method, path, body)) == expected(E.DEVICE_NOT_FOUND), path


def test_list_devices_pages_by_marker_and_offset(io: IoClient, product: str) -> None:
    ids = [io.device(product, f"node-{i}")["device_id"] for i in range(5)]
    newest_first = list(reversed(ids))
    first = io.ok("GET", "/devices", query={"limit": 2})
    assert [d["device_id"] for d in first["devices"]] == newest_first[:2]
    assert first["page"]["count"] == 5
    second = io.ok("GET", "/devices", query={"limit": 2, "marker": first["page"]["marker"]})
    assert [d["device_id"] for d in second["devices"]] == newest_first[2:4]
    skipped = io.ok("GET", "/devices", query={"limit": 2, "offset": 3})
    assert [d["device_id"] for d in skipped["devices"]] == newest_first[3:5]
    assert "auth_info" not in first["devices"][0]
    by_node = io.ok("GET", "/devices", query={"node_id": "node-3"})["devices"]
    assert [d["device_id"] for d in by_node] == [ids[3]]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"limit": 0}, E.LIMIT_RANGE),
        ({"limit": 51}, E.LIMIT_RANGE),
        ({"limit": "x"}, E.LIMIT_RANGE),
        ({"offset": 501}, E.INVALID_PARAM),
        ({"marker": "zz"}, E.INVALID_PARAM),
        ({"is_cascade_query": "maybe"}, E.INVALID_PARAM),
        ({"start_time": "2025-01-01"}, E.INVALID_TIME),
        ({"start_time": "20251399T000000Z"}, E.INVALID_TIME),
        ({"start_time": "20250102T000000Z", "end_time": "20250101T000000Z"}, E.TIME_ORDER),
    ],
)
def test_bad_list_queries(io: IoClient, query: dict[str, Any], error: IotdaError) -> None:
    assert error_of(io.call("GET", "/devices", query=query)) == expected(error)


def test_update_device_changes_only_what_is_given(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    body: dict[str, Any] = {
        "device_name": "Kitchen",
        "auth_info": {"secure_access": False},
        "description": None,
    }
    updated = io.ok("PUT", f"/devices/{device_id}", body)
    assert updated["device_name"] == "Kitchen"
    assert updated["auth_info"]["secure_access"] is False
    assert updated["auth_info"]["secret"] == "********"
    assert io.platform.iotda.device(device_id).secret == SECRET, "update cannot change a secret"
    bad = io.call("PUT", f"/devices/{device_id}", {"device_name": "x" * 257})
    assert error_of(bad) == expected(E.INVALID_PARAM)


def test_deleting_an_online_device_disconnects_it(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    device = online(io, device_id)
    assert io.call("DELETE", f"/devices/{device_id}").status == 204
    with pytest.raises(fakeiot.ConnectRefused):
        device.connect()
    with pytest.raises(fakeiot.NotFoundError):
        io.platform.iotda.device(device_id)


# =============================================================================================
# Secrets, freeze
# =============================================================================================
def test_reset_secret_without_force_keeps_the_session(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    online(io, device_id)
    body = io.ok("POST", f"/devices/{device_id}/action", {}, query={"action_id": "resetSecret"})
    assert body["secret_type"] == "PRIMARY"
    assert len(body["secret"]) == 32
    assert io.platform.iotda.device(device_id).status == "ONLINE"
    with pytest.raises(fakeiot.ConnectRefused):
        io.platform.iotda.simulate(device_id, SECRET).connect()
    io.platform.iotda.simulate(device_id, body["secret"]).connect()


def test_a_secondary_secret_also_connects(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    io.ok(
        "POST",
        f"/devices/{device_id}/action",
        {"secret": "second-01", "secret_type": "SECONDARY"},
        query={"action_id": "resetSecret"},
    )
    io.platform.iotda.simulate(device_id, "second-01").connect()
    io.platform.iotda.simulate(device_id, SECRET).connect()
    assert io.ok("GET", f"/devices/{device_id}")["auth_info"]["secondary_secret"] == "********"


def test_reset_secret_refusals(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    path = f"/devices/{device_id}/action"
    assert error_of(io.call("POST", path, {}, query={"action_id": "other"})) == expected(
        E.INVALID_PARAM
    )
    assert error_of(io.call("POST", path, {})) == expected(E.INVALID_PARAM)
    short = io.call("POST", path, {"secret": "x"}, query={"action_id": "resetSecret"})
    assert error_of(short) == expected(E.INVALID_PARAM)


def test_freeze_and_unfreeze(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    assert error_of(io.call("POST", f"/devices/{device_id}/unfreeze")) == expected(E.NOT_FROZEN)
    assert io.call("POST", f"/devices/{device_id}/freeze").status == 204
    assert io.ok("GET", f"/devices/{device_id}")["status"] == "FROZEN"
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        online(io, device_id)
    assert refused.value.reason == "not_authorized"
    io.call("POST", f"/devices/{device_id}/unfreeze")
    assert io.ok("GET", f"/devices/{device_id}")["status"] == "INACTIVE", "it never connected"
    online(io, device_id)
    io.call("POST", f"/devices/{device_id}/freeze")
    io.call("POST", f"/devices/{device_id}/unfreeze")
    assert io.ok("GET", f"/devices/{device_id}")["status"] == "OFFLINE"


# =============================================================================================
# Device side (spec §5.10)
# =============================================================================================
def test_the_mqtt_password_of_the_doc_vector() -> None:
    from fakeiot._iotda._service import mqtt_password

    assert mqtt_password("12345678", "2025041401") == (
        "c75150e6cb841417396819e4d2ee4358a416344a03a083e3a8567074ddec820a"
    )


def test_mqtt_connect_checks_client_id_username_and_password(io: IoClient, product: str) -> None:
    from fakeiot._iotda._service import mqtt_password

    face = io.platform.iotda
    device_id = io.device(product)["device_id"]
    with pytest.raises(fakeiot.ConnectRefused) as bad_id:
        face.mqtt_connect("nonsense", device_id, "x")
    assert bad_id.value.reason == "bad_client_id"
    stamp = "2025041401"
    password = mqtt_password(SECRET, stamp)
    with pytest.raises(fakeiot.ConnectRefused) as user:
        face.mqtt_connect(f"{device_id}_0_0_{stamp}", "someone", password)
    assert user.value.reason == "bad_credentials"
    with pytest.raises(fakeiot.ConnectRefused) as stale:
        face.mqtt_connect(f"{device_id}_0_1_{stamp}", device_id, password)
    assert "timestamp" in str(stale.value)
    view = face.mqtt_connect(f"{device_id}_0_0_{stamp}", device_id, password)
    assert view.status == "ONLINE"


def test_report_needs_a_connection_and_reaches_the_shadow(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    device = io.platform.iotda.simulate(device_id, SECRET)
    with pytest.raises(fakeiot.UsageError):
        device.report("Temp", {"t": 1})
    device.connect()
    device.report("Temp", {"t": 1})
    device.report("Temp", {"u": 2})
    shadow = io.ok("GET", f"/devices/{device_id}/shadow")["shadow"]
    temp = next(s for s in shadow if s["service_id"] == "Temp")
    assert temp["reported"]["properties"] == {"t": 1, "u": 2}
    device.disconnect()
    assert io.platform.iotda.device(device_id).status == "OFFLINE"


# =============================================================================================
# Shadow
# =============================================================================================
def test_desired_merges_deletes_nulls_and_checks_versions(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    path = f"/devices/{device_id}/shadow"
    first = io.ok("PUT", path, {"shadow": [{"service_id": "S", "desired": {"a": 1, "b": 2}}]})
    entry = next(s for s in first["shadow"] if s["service_id"] == "S")
    assert (entry["desired"]["properties"], entry["version"]) == ({"a": 1, "b": 2}, 1)
    second = io.ok(
        "PUT", path, {"shadow": [{"service_id": "S", "desired": {"a": None, "c": 3}, "version": 1}]}
    )
    entry = next(s for s in second["shadow"] if s["service_id"] == "S")
    assert (entry["desired"]["properties"], entry["version"]) == ({"b": 2, "c": 3}, 2)
    stale = io.call("PUT", path, {"shadow": [{"service_id": "S", "desired": {}, "version": 1}]})
    assert error_of(stale) == expected(E.SHADOW_VERSION)
    cleared = io.ok("PUT", path, {"shadow": [{"service_id": "S", "desired": {}}]})
    entry = next(s for s in cleared["shadow"] if s["service_id"] == "S")
    assert entry["desired"]["properties"] == {}
    assert error_of(io.call("PUT", path, {"shadow": []})) == expected(E.INVALID_PARAM)
    bad_key = {"shadow": [{"service_id": "S", "desired": {"$x": 1}}]}
    assert error_of(io.call("PUT", path, bad_key)) == expected(E.INVALID_PARAM)
    assert io.call("DELETE", path).status == 204
    assert io.ok("GET", path)["shadow"] == []


# =============================================================================================
# Commands and properties
# =============================================================================================
def test_sync_command_answers_and_timeouts(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    path = f"/devices/{device_id}/commands"
    offline = io.call("POST", path, {"paras": {}})
    assert error_of(offline) == expected(E.DEVICE_NOT_ONLINE)
    device = online(io, device_id)
    assert io.ok("POST", path, {"paras": {}})["response"] == {"result_code": 0}
    device.on_command(lambda cmd: later(4.9, {"late": True}))
    assert io.ok("POST", path, {"paras": {}})["response"] == {"late": True}
    for reply in (later(5.1), NEVER):
        device.on_command(lambda cmd, reply=reply: reply)  # type: ignore[misc]
        assert error_of(io.call("POST", path, {"paras": {}})) == expected(E.COMMAND_TIMEOUT)
    device.on_command(lambda cmd: fail())
    assert io.ok("POST", path, {"paras": {}})["response"] == {"result_code": 1}
    device.sleep()
    assert error_of(io.call("POST", path, {"paras": {}})) == expected(E.COMMAND_TIMEOUT)
    assert error_of(io.call("POST", path, {"paras": 1})) == expected(E.INVALID_PARAM)
    assert error_of(io.call("POST", path, {})) == expected(E.INVALID_PARAM)


def test_a_handler_that_raises_answers_failed_and_is_kept(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    device = online(io, device_id)

    def broken(cmd: Any) -> None:
        raise RuntimeError("boom")

    device.on_command(broken)
    body = io.ok("POST", f"/devices/{device_id}/commands", {"paras": {}})
    assert body["response"]["result_code"] == 1
    assert [repr(e) for e in device.errors] == ["RuntimeError('boom')"]


def test_strict_products_checks_command_names(product: str) -> None:
    io = IoClient(fakeiot.Platform(seed=0, iotda_strict_products=True))
    product = io.product()
    device_id = io.device(product)["device_id"]
    online(io, device_id)
    path = f"/devices/{device_id}/commands"
    ok = {"service_id": "Temp", "command_name": "reboot", "paras": {}}
    assert io.call("POST", path, ok).status == 200
    for bad in ({"service_id": "Nope"}, {"service_id": "Temp", "command_name": "nope"}):
        response = io.call("POST", path, dict(bad, paras={}))
        assert error_of(response) == expected(E.INVALID_PARAM)


def test_properties_through_the_device(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    path = f"/devices/{device_id}/properties"
    offline = io.call("PUT", path, {"services": [{"service_id": "Temp", "properties": {"t": 1}}]})
    assert error_of(offline) == expected(E.DEVICE_NOT_ONLINE)
    device = online(io, device_id)
    io.ok("PUT", path, {"services": [{"service_id": "Temp", "properties": {"t": 5}}]})
    assert device.commands[-1].command_name == "$properties.set"
    listed = io.ok("GET", path, query={"service_id": "Temp"})["response"]["services"]
    assert listed[0]["properties"] == {"t": 5}
    bad = io.call("PUT", path, {"services": [{"service_id": "Temp"}]})
    assert error_of(bad) == expected(E.INVALID_PARAM)


def test_async_commands_status_machine(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    path = f"/devices/{device_id}/async-commands"
    refused = io.ok("POST", path, {"paras": {}, "send_strategy": "immediately"})
    assert refused["status"] == "FAILED", "immediately + offline fails (fake's choice)"
    queued = io.ok("POST", path, {"paras": {"n": 1}, "send_strategy": "delay"})
    assert queued["status"] == "PENDING"
    assert queued["expire_time"] == 86400
    device = online(io, device_id)
    shown = io.ok("GET", f"{path}/{queued['command_id']}")
    assert shown["status"] == "SUCCESSFUL"
    assert shown["sent_time"] is not None
    device.on_command(lambda cmd: fail({"result_code": 7}))
    failed = io.ok("POST", path, {"paras": {}, "send_strategy": "immediately"})
    assert io.ok("GET", f"{path}/{failed['command_id']}")["result"] == {"result_code": 7}
    history = io.ok("GET", f"/devices/{device_id}/async-commands-history")
    assert history["page"]["count"] == 3
    count = io.ok("POST", f"/devices/{device_id}/async-commands-history/count", None)
    assert count == {"count": 3}
    by_status = io.ok(
        "GET", f"/devices/{device_id}/async-commands-history", query={"status": "FAILED"}
    )
    assert by_status["page"]["count"] == 2
    missing = io.call("GET", f"{path}/nope")
    assert error_of(missing) == expected(E.COMMAND_NOT_FOUND)
    bad = io.call("POST", path, {"paras": {}, "send_strategy": "soon"})
    assert error_of(bad) == expected(E.INVALID_PARAM)
    too_late = io.call("POST", path, {"paras": {}, "send_strategy": "delay", "expire_time": 172801})
    assert error_of(too_late) == expected(E.INVALID_PARAM)


def test_at_most_20_pending_commands(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    path = f"/devices/{device_id}/async-commands"
    for _ in range(20):
        io.ok("POST", path, {"paras": {}, "send_strategy": "delay"})
    full = io.call("POST", path, {"paras": {}, "send_strategy": "delay"})
    assert error_of(full) == expected(E.COMMAND_QUEUE_FULL)
    assert io.ok("GET", path)["page"]["count"] == 20


# =============================================================================================
# Messages
# =============================================================================================
def test_messages_offline_cached_then_delivered_on_connect(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    path = f"/devices/{device_id}/messages"
    cached = io.ok("POST", path, {"message": "hi", "message_id": "m1", "topic": "t"})
    assert cached == {
        "message_id": "m1",
        "result": {
            "status": "PENDING",
            "created_time": cached["result"]["created_time"],
            "finished_time": None,
        },
    }
    lost = io.ok("POST", path, {"message": "x", "ttl": 0})
    assert lost["result"]["status"] == "FAILED"
    shown_lost = io.ok("GET", f"{path}/{lost['message_id']}")
    assert shown_lost["error_info"]["error_code"] == "IOTDA.014016"
    device = online(io, device_id)
    assert device.messages == ["hi"]
    shown = io.ok("GET", f"{path}/m1")
    assert (shown["status"], shown["topic"]) == ("DELIVERED", f"$oc/devices/{device_id}/user/t")
    assert error_of(io.call("POST", path, {"message": "again", "message_id": "m1"})) == expected(
        E.MESSAGE_EXISTS
    )
    assert error_of(io.call("GET", f"{path}/nope")) == expected(E.MESSAGE_NOT_FOUND)
    assert io.call("DELETE", f"{path}/m1").status == 204


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message": "m", "ttl": 7},
        {"message": "m", "ttl": 1445},
        {"message": "m", "topic": "a", "topic_full_name": "b"},
        {"message": "m", "encoding": "hex"},
        {"message": "m", "message_id": "bad id"},
        {"message": "m", "properties": {"user_properties": [{"prop_key": "k"}] * 21}},
    ],
)
def test_invalid_messages(io: IoClient, product: str, body: dict[str, Any]) -> None:
    device_id = io.device(product)["device_id"]
    response = io.call("POST", f"/devices/{device_id}/messages", body)
    assert error_of(response) == expected(E.INVALID_PARAM)


def test_a_device_keeps_its_last_20_messages(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    for i in range(22):
        io.ok("POST", f"/devices/{device_id}/messages", {"message": i, "message_id": f"m{i}"})
    listed = io.ok("GET", f"/devices/{device_id}/messages")["messages"]
    assert [m["message_id"] for m in listed] == [f"m{i}" for i in range(2, 22)]


# =============================================================================================
# Isolation between projects
# =============================================================================================
def test_projects_see_only_their_own_devices_and_products(io: IoClient, product: str) -> None:
    device_id = io.device(product)["device_id"]
    other = IoClient(io.platform)
    assert other.ok("GET", "/devices")["devices"] == []
    assert other.ok("GET", "/products")["products"] == []
    assert error_of(other.call("GET", f"/devices/{device_id}")) == expected(E.DEVICE_NOT_FOUND)
    assert error_of(other.call("DELETE", f"/devices/{device_id}")) == expected(E.DEVICE_NOT_FOUND)
    stolen = other.call("POST", "/devices", {"node_id": "n9", "product_id": product})
    assert error_of(stolen) == expected(E.PRODUCT_NOT_FOUND)
    search = other.ok("POST", "/search/query-devices", {"sql": "select * from device"})
    assert search["devices"] == []
    assert io.ok("GET", f"/devices/{device_id}")["device_id"] == device_id


def test_strict_products_checks_property_names_and_methods() -> None:
    io = IoClient(fakeiot.Platform(seed=0, iotda_strict_products=True))
    product = io.product(
        service_capabilities=[
            {
                "service_id": "Temp",
                "service_type": "Temp",
                "properties": [
                    {"property_name": "target", "data_type": "int", "method": "RW"},
                    {"property_name": "reading", "data_type": "int", "method": "R"},
                ],
            }
        ]
    )
    device_id = io.device(product)["device_id"]
    path = f"/devices/{device_id}/shadow"
    assert io.call("PUT", path, {"shadow": [{"service_id": "Temp", "desired": {"target": 1}}]})
    for desired in ({"reading": 1}, {"nope": 1}):
        response = io.call("PUT", path, {"shadow": [{"service_id": "Temp", "desired": desired}]})
        assert error_of(response) == expected(E.INVALID_PARAM)
    other = io.call("PUT", path, {"shadow": [{"service_id": "Other", "desired": {"a": 1}}]})
    assert error_of(other) == expected(E.INVALID_PARAM)
    online(io, device_id)
    props = f"/devices/{device_id}/properties"
    bad = {"services": [{"service_id": "Temp", "properties": {"reading": 3}}]}
    assert error_of(io.call("PUT", props, bad)) == expected(E.INVALID_PARAM)


def test_an_abnormal_device_refuses_commands_until_it_reconnects(
    io: IoClient, product: str
) -> None:
    device_id = io.device(product)["device_id"]
    device = online(io, device_id)
    device.abnormal()
    assert io.ok("GET", f"/devices/{device_id}")["status"] == "ABNORMAL"
    response = io.call("POST", f"/devices/{device_id}/commands", {"paras": {}})
    assert error_of(response) == expected(E.DEVICE_NOT_ONLINE)
    with pytest.raises(fakeiot.UsageError):
        device.abnormal()
    device.connect()
    assert io.ok("GET", f"/devices/{device_id}")["status"] == "ONLINE"
    device.abnormal()
    device.disconnect()
    assert io.ok("GET", f"/devices/{device_id}")["status"] == "OFFLINE"


def test_the_public_module_doctest() -> None:
    import doctest

    import fakeiot.iotda

    assert doctest.testmod(fakeiot.iotda).failed == 0
    assert all(hasattr(fakeiot.iotda, name) for name in fakeiot.iotda.__all__)
