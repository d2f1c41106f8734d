"""OceanConnect device data (spec A.9-A.12, A.16): the shadow, data and desired history,
capabilities, and what a device's report changes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from freezegun import freeze_time

import fakeiot
from fakeiot._oceanconnect import OcError
from tests.oc import OcClient, error_of

SHADOW = "/iocm/app/shadow/v1.5.0/devices/{}"
HISTORY = "/iocm/app/data/v1.2.0/deviceDataHistory"
DESIRED = "/iocm/app/shadow/v1.5.0/deviceDesiredHistory"
CAPABILITIES = "/iocm/app/data/v1.1.0/deviceCapabilities"
CMDS = "/iocm/app/cmd/v1.4.0/deviceCommands"
NODE = "861234567890123"
PROFILE = [
    {
        "serviceId": "Switch",
        "serviceType": "SwitchType",
        "option": "Master",
        "description": "a switch",
        "commands": [{"commandName": "SET", "paras": [], "responses": []}],
        "properties": [
            {"propertyName": "state", "dataType": "int", "required": True, "method": "RW"},
            {"propertyName": "model", "dataType": "string", "required": False, "method": "R"},
        ],
    },
    {"serviceId": "Empty", "serviceType": "Empty", "properties": []},
]


def expected(error: OcError) -> tuple[int, str, str]:
    row = error.row
    return row.status, row.code, row.desc


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.bodies.append(json.loads(environ["wsgi.input"].read(length)))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def subscribe(oc: OcClient, *types: str) -> Receiver:
    receiver = Receiver()
    oc.platform.oceanconnect.route_pushes("http://127.0.0.1:9999/", receiver)
    for notify_type in types:
        body = {"notifyType": notify_type, "callbackUrl": "http://127.0.0.1:9999/cb"}
        assert oc.call("POST", "/iocm/app/sub/v1.2.0/subscriptions", body).status == 201
    return receiver


def profiled(oc: OcClient) -> str:
    product = oc.platform.oceanconnect.create_product(serviceCapabilities=PROFILE)
    return oc.register_ok(NODE, verifyCode=NODE, productId=product)


# =============================================================================================
# A report (spec A.16) and the shadow (spec A.12)
# =============================================================================================
def test_a_report_updates_shadow_history_pushes_and_releases_commands(oc: OcClient) -> None:
    receiver = subscribe(oc, "deviceDataChanged")
    device_id = oc.register_ok(NODE, verifyCode=NODE)
    dev = oc.platform.oceanconnect.simulate(NODE, connection="short")
    dev.connect()
    dev.sleep()
    cached = oc.call(
        "POST", CMDS, {"deviceId": device_id, "command": {"serviceId": "S", "method": "M"}}
    )
    assert cached.json_body()["status"] == "PENDING"
    dev.report("Switch", {"state": 1, "model": "x"})
    dev.report("Switch", {"state": 0})
    shadow = oc.call("GET", SHADOW.format(device_id)).json_body()
    assert list(shadow) == [
        "deviceId",
        "gatewayId",
        "nodeType",
        "createTime",
        "lastModifiedTime",
        "deviceInfo",
        "services",
    ]
    assert shadow["deviceInfo"]["status"] == "ONLINE"
    (service,) = shadow["services"]
    # reported properties merge (spec A.16 step 1)
    assert service["reportedProps"] == {"state": 0, "model": "x"}
    assert service["desiredProps"] == {}
    assert set(service) == {
        "serviceId",
        "serviceType",
        "reportedProps",
        "desiredProps",
        "eventTime",
    }
    history = oc.call("GET", f"{HISTORY}?deviceId={device_id}&gatewayId={device_id}").json_body()
    assert [h["data"] for h in history["deviceDataHistoryDTOs"]] == [
        {"state": 0},
        {"state": 1, "model": "x"},
    ]
    assert [b["service"]["data"] for b in receiver.bodies] == [
        {"state": 1, "model": "x"},
        {"state": 0},
    ]
    assert [c.command_name for c in dev.commands] == ["M"]
    assert (
        oc.platform.oceanconnect.command(cached.json_body()["commandId"])["status"] == "SUCCESSFUL"
    )


def test_the_sdk_shadow_put_and_desired_delivery(oc: OcClient) -> None:
    receiver = subscribe(oc, "deviceDesiredPropertiesModifyStatusChanged")
    device_id = oc.register_ok(NODE, verifyCode=NODE)
    dev = oc.platform.oceanconnect.simulate(NODE)
    # the SDK's own test sends an empty desired object
    sdk = {"serviceDesireds": [{"desired": {}, "serviceId": "Temperature"}]}
    answer = oc.call("PUT", SHADOW.format(device_id), sdk)
    assert (answer.status, answer.body) == (200, b"")
    body = {"serviceDesireds": [{"serviceId": "Temperature", "desired": {"targetTemp": 22}}]}
    assert oc.call("PUT", SHADOW.format(device_id), body).status == 200
    shadow = oc.call("GET", SHADOW.format(device_id)).json_body()
    assert shadow["services"][0]["desiredProps"] == {"targetTemp": 22}
    assert receiver.bodies == []  # the device is not connected: the values wait
    dev.connect()
    assert dev.messages == [{"serviceId": "Temperature", "desired": {"targetTemp": 22}}]
    assert receiver.bodies == [
        {
            "notifyType": "deviceDesiredPropertiesModifyStatusChanged",
            "deviceId": device_id,
            "serviceId": "Temperature",
            "properties": {"targetTemp": 22},
            "status": "DELIVERED",
        }
    ]
    # the device reports the value it was asked for: it leaves desiredProps
    dev.report("Temperature", {"targetTemp": 22})
    shadow = oc.call("GET", SHADOW.format(device_id)).json_body()
    assert shadow["services"][0]["desiredProps"] == {}
    # desired history: the SDK repeats deviceId and gatewayId
    ids = f"deviceId={device_id}&gatewayId={device_id}"
    url = f"{DESIRED}?{ids}&{ids}"
    desired = oc.call("GET", url).json_body()
    assert desired["totalCount"] == 2
    assert [d["desired"] for d in desired["deviceDesiredHistoryDTOs"]] == [{"targetTemp": 22}, {}]


def test_shadow_put_errors(oc: OcClient) -> None:
    device_id = profiled(oc)
    other = OcClient(oc.platform).register_ok("other-node")

    def put(target: str, service: str, desired: dict[str, Any]) -> tuple[int, str, str]:
        body = {"serviceDesireds": [{"serviceId": service, "desired": desired}]}
        answer = oc.call("PUT", SHADOW.format(target), body)
        return error_of(answer) if answer.body else (answer.status, "", "")

    assert put(device_id, "Nope", {"state": 1}) == expected(OcError.SERVICE_TYPE_NOT_EXIST)
    assert put(device_id, "Empty", {"state": 1}) == expected(OcError.PROPERTIES_EMPTY)
    assert put(device_id, "Switch", {"colour": 1}) == expected(OcError.PROPERTIES_UNKNOWN)
    assert put(device_id, "Switch", {"model": "y"}) == expected(OcError.PROPERTY_NOT_WRITABLE)
    assert put("nope", "Switch", {"state": 1}) == expected(OcError.DEVICE_NOT_FOUND)
    assert put(other, "Switch", {"state": 1}) == expected(OcError.DEVICE_DATA_NOT_FOUND)
    bad = oc.call("PUT", SHADOW.format(device_id), {"serviceDesireds": []})
    assert error_of(bad) == expected(OcError.INPUT_INVALID)
    # nothing changed: every check runs before any state change
    assert oc.call("GET", SHADOW.format(device_id)).json_body()["services"] == []
    assert put(device_id, "Switch", {"state": 1}) == (200, "", "")
    no_services = oc.platform.oceanconnect.create_product(serviceCapabilities=[])
    bare = oc.register_ok("bare-node", productId=no_services)
    assert put(bare, "Switch", {"state": 1}) == expected(OcError.CAPABILITY_NOT_EXIST)


# =============================================================================================
# Data history (spec A.9), capabilities (spec A.11)
# =============================================================================================
def test_data_history_paging_filters_and_retention() -> None:
    with freeze_time("2024-05-01 00:00:00") as frozen:
        oc = OcClient(fakeiot.Platform(seed=0, token_ttl=10**8))
        device_id = oc.register_ok(NODE, verifyCode=NODE)
        dev = oc.platform.oceanconnect.simulate(NODE)
        dev.connect()
        for value in range(3):
            dev.report("Battery", {"batteryLevel": value, "temp": 20})
            frozen.tick(dt.timedelta(minutes=1))
        dev.report("Meter", {"kwh": 5})
        base = f"{HISTORY}?deviceId={device_id}&gatewayId={device_id}"
        # what the SDK's requests params= sends (None values dropped)
        page = oc.call("GET", f"{base}&pageNo=0").json_body()
        assert (page["totalCount"], page["pageNo"], page["pageSize"]) == (4, 0, 1)
        assert page["deviceDataHistoryDTOs"][0] == {
            "deviceId": device_id,
            "gatewayId": device_id,
            "appId": oc.app.app_id,
            "serviceId": "Meter",
            "data": {"kwh": 5},
            "timestamp": "20240501T000300Z",
        }
        everything = oc.call("GET", base).json_body()
        assert len(everything["deviceDataHistoryDTOs"]) == 4
        battery = oc.call(
            "GET", f"{base}&serviceId=Battery&property=batteryLevel&pageNo=1&pageSize=2"
        )
        assert [h["data"] for h in battery.json_body()["deviceDataHistoryDTOs"]] == [
            {"batteryLevel": 0}
        ]
        window = oc.call("GET", f"{base}&startTime=20240501T000100Z&endTime=20240501T000200Z")
        assert len(window.json_body()["deviceDataHistoryDTOs"]) == 2
        frozen.tick(dt.timedelta(days=7, seconds=1))
        assert oc.call("GET", base).json_body()["totalCount"] == 0
        assert error_of(oc.call("GET", f"{HISTORY}?deviceId={device_id}")) == expected(
            OcError.MODIFY_INPUT_INVALID
        )
        assert error_of(oc.call("GET", f"{HISTORY}?deviceId={device_id}&gatewayId=other")) == (
            expected(OcError.COMMAND_DEVICE_NOT_FOUND)
        )
        assert error_of(oc.call("GET", f"{base}&startTime=nope")) == expected(
            OcError.MODIFY_INPUT_INVALID
        )


def test_capabilities_come_from_the_profile(oc: OcClient) -> None:
    device_id = profiled(oc)
    plain = oc.register_ok("plain-node")
    # the SDK's query: "?&gatewayId=..&deviceId=.." with the appId dropped when null
    answer = oc.call("GET", f"{CAPABILITIES}?&gatewayId={device_id}&deviceId={device_id}")
    assert answer.json_body() == {
        "deviceCapabilities": [{"deviceId": device_id, "serviceCapabilities": PROFILE}]
    }
    bare = oc.call("GET", f"{CAPABILITIES}?&deviceId={plain}").json_body()
    assert bare["deviceCapabilities"][0]["serviceCapabilities"] == []
    assert error_of(oc.call("GET", CAPABILITIES)) == expected(OcError.MODIFY_INPUT_INVALID)
    assert error_of(oc.call("GET", f"{CAPABILITIES}?deviceId=nope")) == expected(
        OcError.COMMAND_DEVICE_NOT_FOUND
    )


@pytest.mark.parametrize("version", ["v1.1.0", "v1.2.0"])
def test_both_data_history_versions_route(oc: OcClient, version: str) -> None:
    device_id = oc.register_ok()
    url = f"/iocm/app/data/{version}/deviceDataHistory?deviceId={device_id}&gatewayId={device_id}"
    assert oc.call("GET", url).json_body()["totalCount"] == 0


# =============================================================================================
# The profile's serviceType (spec A.11), per-device retention (A.9, OC §4.4), the unknown-
# device answer of history (A.9 [?]), a multi-service report (A.8, A.16 step 3, OC §6.6)
# =============================================================================================
def test_a_profiled_device_reports_under_the_profiles_service_type(oc: OcClient) -> None:
    receiver = subscribe(oc, "deviceDataChanged")
    device_id = profiled(oc)
    dev = oc.platform.oceanconnect.simulate(NODE)
    dev.connect()
    dev.report("Switch", {"state": 1})
    assert receiver.bodies[0]["service"]["serviceType"] == "SwitchType"
    shadow = oc.call("GET", SHADOW.format(device_id)).json_body()
    assert shadow["services"][0]["serviceType"] == "SwitchType"
    one = oc.call("GET", f"/iocm/app/dm/v1.4.0/devices/{device_id}").json_body()
    assert one["services"][0]["serviceType"] == "SwitchType"
    # a service the profile lacks keeps its serviceId as its type
    dev.report("Other", {"v": 1})
    assert receiver.bodies[1]["service"]["serviceType"] == "Other"


def test_a_devices_data_aging_time_sets_its_history_retention() -> None:
    with freeze_time("2024-05-01 00:00:00") as frozen:
        oc = OcClient(fakeiot.Platform(seed=0, token_ttl=10**8))
        kept_long = oc.register_ok(NODE, verifyCode=NODE)
        default = oc.register_ok("other-node", verifyCode="other-node")
        config = {"deviceConfig": {"dataConfig": {"dataAgingTime": 30}}}
        assert oc.call("PUT", f"/iocm/app/dm/v1.4.0/devices/{kept_long}", config).status == 204
        face = oc.platform.oceanconnect
        for node in (NODE, "other-node"):
            dev = face.simulate(node)
            dev.connect()
            dev.report("Meter", {"kwh": 1})

        def total(device_id: str) -> int:
            url = f"{HISTORY}?deviceId={device_id}&gatewayId={device_id}"
            count: int = oc.call("GET", url).json_body()["totalCount"]
            return count

        frozen.tick(dt.timedelta(days=8))
        assert (total(kept_long), total(default)) == (1, 0)
        frozen.tick(dt.timedelta(days=22, seconds=1))
        assert total(kept_long) == 0
        too_long = {"deviceConfig": {"dataConfig": {"dataAgingTime": 91}}}
        answer = oc.call("PUT", f"/iocm/app/dm/v1.4.0/devices/{kept_long}", too_long)
        assert error_of(answer)[:2] == (400, "50400")


@pytest.mark.parametrize("route", [HISTORY, DESIRED])
def test_the_unknown_device_answer_of_history_is_a_setting(route: str) -> None:
    default = OcClient(fakeiot.Platform(seed=0))
    answer = default.call("GET", f"{route}?deviceId=nope&gatewayId=nope")
    assert error_of(answer) == expected(OcError.COMMAND_DEVICE_NOT_FOUND)
    assert answer.status == 200
    platform = fakeiot.Platform(seed=0, oceanconnect_history_unknown_device="100403")
    oc, other = OcClient(platform), OcClient(platform)
    answer = oc.call("GET", f"{route}?deviceId=nope&gatewayId=nope")
    assert error_of(answer) == expected(OcError.DEVICE_NOT_FOUND)
    foreign = other.register_ok("foreign-node")
    answer = oc.call("GET", f"{route}?deviceId={foreign}&gatewayId={foreign}")
    assert error_of(answer) == expected(OcError.DEVICE_DATA_NOT_FOUND)
    with pytest.raises(fakeiot.UsageError, match="100403"):
        fakeiot.Platform(seed=0, oceanconnect_history_unknown_device="404")


def test_a_multi_service_report_pushes_device_datas_changed(oc: OcClient) -> None:
    receiver = subscribe(oc, "deviceDataChanged", "deviceDatasChanged")
    device_id = profiled(oc)
    dev = oc.platform.oceanconnect.simulate(NODE)
    dev.connect()
    dev.report({"Switch": {"state": 1}, "Meter": {"kwh": 5}})
    kinds = [b["notifyType"] for b in receiver.bodies]
    assert kinds == ["deviceDataChanged", "deviceDataChanged", "deviceDatasChanged"]
    datas = receiver.bodies[2]
    assert list(datas) == ["notifyType", "deviceId", "gatewayId", "requestId", "services"]
    assert [(s["serviceId"], s["serviceType"], s["data"]) for s in datas["services"]] == [
        ("Switch", "SwitchType", {"state": 1}),
        ("Meter", "Meter", {"kwh": 5}),
    ]
    assert set(datas["services"][0]) == {"serviceId", "serviceType", "data", "eventTime"}
    history = oc.call("GET", f"{HISTORY}?deviceId={device_id}&gatewayId={device_id}")
    assert history.json_body()["totalCount"] == 2
    # a single-service report is deviceDataChanged alone
    dev.report("Switch", {"state": 0})
    assert receiver.bodies[-1]["notifyType"] == "deviceDataChanged"
    assert len(receiver.bodies) == 4
    with pytest.raises(fakeiot.UsageError):
        dev.report({})
    with pytest.raises(fakeiot.UsageError):
        dev.report("Switch")
