"""IoTDA device search (spec §5.8), groups, tags, resource spaces and HTTP pushes."""

from __future__ import annotations

from typing import Any

import pytest

import fakeiot
from fakeiot._iotda import IotdaError
from fakeiot._iotda._search import SearchError, parse
from tests.iotda import SECRET, IoClient, error_of, expected

E = IotdaError


@pytest.fixture
def io() -> IoClient:
    return IoClient(fakeiot.Platform(seed=0))


@pytest.fixture
def fleet(io: IoClient) -> list[str]:
    """Four devices: two online, one with tags, one child."""
    product = io.product()
    ids = [io.device(product, f"meter-{i}")["device_id"] for i in range(3)]
    ids.append(io.device(product, "child-1", gateway_id=ids[0])["device_id"])
    for device_id in ids[:2]:
        io.platform.iotda.simulate(device_id, SECRET).connect()
    io.ok(
        "POST",
        "/tags/bind-resource",
        {
            "resource_type": "device",
            "resource_id": ids[2],
            "tags": [{"tag_key": "site", "tag_value": "north"}],
        },
    )
    return ids


def search(io: IoClient, sql: str) -> Any:
    return io.ok("POST", "/search/query-devices", {"sql": sql})


def ids_of(result: Any) -> set[str]:
    return {d["device_id"] for d in result["devices"]}


def test_search_by_status_node_type_and_like(io: IoClient, fleet: list[str]) -> None:
    assert ids_of(search(io, "select * from device where status = 'ONLINE'")) == set(fleet[:2])
    assert ids_of(search(io, "SELECT * FROM device WHERE node_type = 'ENDPOINT'")) == {fleet[3]}
    like = search(io, "select * from device where node_id like 'mete%'")
    assert ids_of(like) == set(fleet[:3])
    assert ids_of(search(io, "select * from device where tag_value = 'north'")) == {fleet[2]}
    listed = search(io, f"select * from device where device_id in ('{fleet[1]}', 'x')")
    assert ids_of(listed) == {fleet[1]}
    negated = search(io, "select * from device where status not in ('ONLINE')")
    assert ids_of(negated) == set(fleet[2:])


def test_and_binds_tighter_than_or(io: IoClient, fleet: list[str]) -> None:
    sql = (
        "select * from device where status = 'ONLINE' and node_id = 'meter-0' "
        "or node_id = 'meter-2'"
    )
    assert ids_of(search(io, sql)) == {fleet[0], fleet[2]}


def test_count_columns_order_and_limit(io: IoClient, fleet: list[str]) -> None:
    assert search(io, "select count(*) from device") == {"devices": [], "count": 4}
    rows = search(io, "select device_id, status from device order by marker desc limit 1, 2")
    assert rows["devices"] == [
        {"device_id": fleet[2], "status": "INACTIVE"},
        {"device_id": fleet[1], "status": "ONLINE"},
    ]
    full = search(io, "select * from device limit 1")["devices"][0]
    assert set(full) == {
        "app_id", "app_name", "device_id", "node_id", "gateway_id", "device_name", "node_type",
        "fw_version", "sw_version", "device_sdk_version", "product_id", "product_name",
        "groups", "status", "tags", "modules", "marker",
    }  # fmt: skip


@pytest.mark.parametrize(
    "sql",
    [
        "select * from devices",
        "delete from device",
        "select * from device where (status = 'ONLINE')",
        "select * from device where nope = 'x'",
        "select * from device where status > 'ONLINE'",
        "select * from device where device_name like 'ab%'",
        "select * from device where device_name like '%abcd'",
        "select * from device where status like 'ONLI%'",
        "select * from device where tag_key in ('a')",
        "select * from device where status = ''",
        "select * from device where status = null",
        "select max(marker) from device",
        "select * from device limit 51",
        "select * from device limit 501, 10",
        "select * from device order by device_id",
        "select * from device where a = 'b' and c = 'd'",
        "select * from device where status = 'A' or status = 'B' or status = 'C' or "
        "status = 'D' or status = 'E' or status = 'F'",
        "select * from device where create_time > '2025-01-01'",
        "select * from device;",
        "select * from device " + "x" * 400,
    ],
)
def test_what_the_platform_refuses(io: IoClient, sql: str) -> None:
    assert error_of(io.call("POST", "/search/query-devices", {"sql": sql})) == expected(
        E.INVALID_PARAM
    )


def test_create_time_and_marker_comparisons(io: IoClient, fleet: list[str]) -> None:
    markers = sorted(d["marker"] for d in search(io, "select * from device limit 10")["devices"])
    newer = search(io, f"select * from device where marker > '{markers[1]}'")
    assert len(newer["devices"]) == 2
    late = search(io, "select * from device where create_time > '2000-01-01T00:00:00.000Z'")
    assert len(late["devices"]) == 4


def test_the_parser_is_a_real_parser() -> None:
    query = parse("select node_id from device where status != 'ONLINE' limit 5")
    assert (query.columns, query.rows, query.offset) == (("node_id",), 5, 0)
    assert query.predicate is not None
    assert query.predicate({"status": "OFFLINE"})
    assert not query.predicate({"status": "ONLINE"})
    with pytest.raises(SearchError, match="expected 'from'"):
        parse("select * device")


# =============================================================================================
# Groups, tags, resource spaces
# =============================================================================================
def test_static_group_membership(io: IoClient, fleet: list[str]) -> None:
    group = io.ok("POST", "/device-group", {"name": "north", "description": "d"})
    assert group["group_type"] == "STATIC"
    path = f"/device-group/{group['group_id']}"
    io.call("POST", f"{path}/action", query={"action_id": "addDevice", "device_id": fleet[0]})
    members = io.ok("GET", f"{path}/devices")
    assert [d["device_id"] for d in members["devices"]] == [fleet[0]]
    in_group = search(io, f"select * from device where group_id = '{group['group_id']}'")
    assert ids_of(in_group) == {fleet[0]}
    bad = io.call("POST", f"{path}/action", query={"action_id": "move", "device_id": fleet[0]})
    assert error_of(bad) == expected(E.INVALID_PARAM)
    ghost = io.call("POST", f"{path}/action", query={"action_id": "addDevice", "device_id": "g"})
    assert error_of(ghost) == expected(E.DEVICE_NOT_FOUND)
    dup = io.call("POST", "/device-group", {"name": "north"})
    assert error_of(dup) == expected(E.GROUP_EXISTS)
    io.call("POST", f"{path}/action", query={"action_id": "removeDevice", "device_id": fleet[0]})
    assert io.ok("GET", f"{path}/devices")["devices"] == []
    assert io.ok("PUT", path, {"name": "south"})["name"] == "south"
    assert io.ok("GET", "/device-group")["page"]["count"] == 1
    assert io.call("DELETE", path).status == 204
    assert error_of(io.call("GET", path)) == expected(E.GROUP_NOT_FOUND)


def test_a_device_is_in_at_most_10_groups(io: IoClient, fleet: list[str]) -> None:
    for i in range(11):
        group = io.ok("POST", "/device-group", {"name": f"g{i}"})
        response = io.call(
            "POST",
            f"/device-group/{group['group_id']}/action",
            query={"action_id": "addDevice", "device_id": fleet[0]},
        )
    assert error_of(response) == expected(E.GROUP_LIMIT)


def test_dynamic_group_follows_its_rule(io: IoClient, fleet: list[str]) -> None:
    body = {"name": "live", "group_type": "DYNAMIC", "dynamic_group_rule": "status = 'ONLINE'"}
    group = io.ok("POST", "/device-group", body)
    members = io.ok("GET", f"/device-group/{group['group_id']}/devices")["devices"]
    assert {d["device_id"] for d in members} == set(fleet[:2])
    broken = dict(body, name="broken", dynamic_group_rule="status ~ 'x'")
    assert error_of(io.call("POST", "/device-group", broken)) == expected(E.INVALID_PARAM)


def test_tags_bind_unbind_and_query(io: IoClient, fleet: list[str]) -> None:
    shown = io.ok("GET", f"/devices/{fleet[2]}")
    assert shown["tags"] == [{"tag_key": "site", "tag_value": "north"}]
    found = io.ok(
        "POST",
        "/tags/query-resources",
        {"resource_type": "device", "tags": [{"tag_key": "site", "tag_value": "north"}]},
    )
    assert found["resources"] == [{"resource_id": fleet[2]}]
    missing = {"resource_type": "device", "resource_id": fleet[2], "tag_keys": ["nope"]}
    assert error_of(io.call("POST", "/tags/unbind-resource", missing)) == expected(E.TAG_NOT_FOUND)
    io.ok("POST", "/tags/unbind-resource", dict(missing, tag_keys=["site"]))
    assert io.ok("GET", f"/devices/{fleet[2]}")["tags"] == []
    many = [{"tag_key": f"k{i}", "tag_value": "v"} for i in range(11)]
    bind = {"resource_type": "device", "resource_id": fleet[2], "tags": many}
    assert error_of(io.call("POST", "/tags/bind-resource", bind)) == expected(E.INVALID_PARAM)


def test_resource_spaces(io: IoClient) -> None:
    apps = io.ok("GET", "/apps")["applications"]
    assert [a["default_app"] for a in apps] == [True]
    app = io.ok("POST", "/apps", {"app_name": "Second"})
    assert app["default_app"] is False
    assert io.ok("GET", "/apps", query={"default_app": False})["applications"] == [app]
    product = io.product(app_id=app["app_id"])
    device = io.device(product, app_id=app["app_id"])
    assert device["app_name"] == "Second"
    default = io.call("DELETE", f"/apps/{apps[0]['app_id']}")
    assert error_of(default) == expected(E.APP_DEFAULT)
    assert error_of(io.call("GET", "/apps/nope")) == expected(E.APP_NOT_FOUND)
    space = f"/apps/{app['app_id']}"
    assert error_of(io.call("DELETE", space)) == expected(E.FORBIDDEN)  # it has a device
    io.ok("DELETE", f"/devices/{device['device_id']}")
    assert error_of(io.call("DELETE", space)) == expected(E.FORBIDDEN)  # and a product
    assert io.ok("GET", "/products")["products"][0]["app_name"] == "Second"
    io.ok("DELETE", f"/products/{product}")
    assert io.call("DELETE", space).status == 204
    io.platform.check_invariants()


# =============================================================================================
# Data forwarding: HTTP pushes
# =============================================================================================
def test_forwarding_rules_push_status_changes_and_reports(io: IoClient) -> None:
    received: list[Any] = []
    io.platform.iotda.on_push(lambda push: received.append(push.body))

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b""]

    io.platform.iotda.route_pushes("http://receiver.test/", app)
    rules = {}
    for resource, event in (("device.status", "update"), ("device.property", "report")):
        rule = io.ok(
            "POST", "/routing-rule/rules", {"subject": {"resource": resource, "event": event}}
        )
        assert rule["active"] is False
        io.ok("PUT", f"/routing-rule/rules/{rule['rule_id']}", {"active": True})
        io.ok(
            "POST",
            "/routing-rule/actions",
            {
                "rule_id": rule["rule_id"],
                "channel": "HTTP_FORWARDING",
                "channel_detail": {"http_forwarding": {"url": "http://receiver.test/iot"}},
            },
        )
        rules[resource] = rule["rule_id"]
    device_id = io.device(io.product())["device_id"]
    device = io.platform.iotda.simulate(device_id, SECRET).connect()
    device.report("Temp", {"t": 21})
    assert [(b["resource"], b["event"]) for b in received] == [
        ("device.status", "update"),
        ("device.property", "report"),
    ]
    status = received[0]["notify_data"]
    assert status["header"]["device_id"] == device_id
    assert status["body"]["status"] == "ONLINE"
    report = received[1]["notify_data"]["body"]["services"][0]
    assert (report["service_id"], report["properties"]) == ("Temp", {"t": 21})
    assert [p.result for p in io.platform.iotda.pushes] == ["delivered", "delivered"]
    io.call("DELETE", f"/routing-rule/rules/{rules['device.status']}")
    device.disconnect()
    assert len(received) == 2, "a deleted rule pushes nothing"


def test_rule_and_action_errors(io: IoClient) -> None:
    assert error_of(io.call("GET", "/routing-rule/rules/nope")) == expected(E.RULE_NOT_FOUND)
    orphan = {"rule_id": "nope", "channel": "HTTP_FORWARDING", "channel_detail": {}}
    assert error_of(io.call("POST", "/routing-rule/actions", orphan)) == expected(E.RULE_NOT_FOUND)
    rule = io.ok(
        "POST", "/routing-rule/rules", {"subject": {"resource": "device", "event": "create"}}
    )
    no_url = dict(orphan, rule_id=rule["rule_id"])
    assert error_of(io.call("POST", "/routing-rule/actions", no_url)) == expected(E.INVALID_PARAM)
    assert error_of(io.call("GET", "/routing-rule/actions/nope")) == expected(E.ACTION_NOT_FOUND)
