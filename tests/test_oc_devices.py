"""OceanConnect device APIs: refresh key, activation status, modify, delete, single and batch
query."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

import fakeiot
from fakeiot._oceanconnect import OcError
from tests.oc import CREDENTIALS, DEVICE, DEVICES, IMEI, OcClient, error_of

REG_BASE = "/iocm/app/reg/v1.1.0/deviceCredentials/"
WIRE_TIME = re.compile(r"\d{8}T\d{6}Z")
INFO_KEYS = [
    "nodeId",
    "name",
    "description",
    "manufacturerId",
    "manufacturerName",
    "mac",
    "location",
    "deviceType",
    "model",
    "swVersion",
    "fwVersion",
    "hwVersion",
    "protocolType",
    "bridgeId",
    "status",
    "statusDetail",
    "mute",
    "supportedSecurity",
    "isSecurity",
    "signalStrength",
    "sigVersion",
    "serialNumber",
    "batteryLevel",
]


def expected(error: OcError) -> tuple[int, str, str]:
    row = error.row
    return row.status, row.code, row.desc


def activated_offline(oc: OcClient, node_id: str = IMEI) -> str:
    """A device that has connected once and is now offline (refresh key's precondition)."""
    device_id = oc.register_ok(node_id, timeout=0)
    oc.platform.oceanconnect.connect_device(node_id)
    oc.platform.oceanconnect.disconnect_device(device_id)
    return device_id


def query(oc: OcClient, device_id: str, suffix: str = "") -> Any:
    response = oc.call("GET", DEVICE.format(device_id) + suffix)
    assert response.status == 200, response.body
    return response.json_body()


def batch(oc: OcClient, params: str) -> Any:
    response = oc.call("GET", f"{DEVICES}?{params}")
    assert response.status == 200, response.body
    return response.json_body()


def node_ids(page: Any) -> list[str]:
    return [d["deviceInfo"]["nodeId"] for d in page["devices"]]


@pytest.fixture
def manual() -> Iterator[fakeiot.Platform]:
    """A platform on a ManualClock starting at 2026-01-01T00:00:00Z; tokens outlive the test."""
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock(), token_ttl=365 * 24 * 3600)
    yield platform
    platform.check_invariants()


@pytest.fixture
def other(platform: fakeiot.Platform) -> OcClient:
    """A second application, logged in, on the same platform."""
    return OcClient(platform)


# =============================================================================================
# refresh device key
# =============================================================================================
def test_refresh_key_of_activated_offline_device_answers_code_and_timeout(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    body = {"verifyCode": "NEWVC", "nodeId": "NEWNODE", "timeout": 300}
    response = oc.call("PUT", CREDENTIALS.format(device_id), body)
    assert response.status == 200
    assert response.json_body() == {"verifyCode": "NEWVC", "timeout": 300}


def test_refresh_key_changes_node_id_and_verify_code_keeping_device_id(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    oc.call("PUT", CREDENTIALS.format(device_id), {"verifyCode": "NEWVC", "nodeId": "NEWNODE"})
    view = oc.platform.oceanconnect.device(device_id)
    assert (view.device_id, view.node_id, view.verify_code) == (device_id, "NEWNODE", "NEWVC")
    assert query(oc, device_id)["deviceInfo"]["nodeId"] == "NEWNODE"


def test_refresh_key_defaults_to_node_id_code_and_180_seconds(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    response = oc.call("PUT", CREDENTIALS.format(device_id), {})
    assert response.json_body() == {"verifyCode": IMEI, "timeout": 180}


def test_refresh_key_accepts_python_sdk_body_with_nulls(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    body = {"deviceId": device_id, "nodeId": None, "timeout": None, "verifyCode": None}
    response = oc.call("PUT", CREDENTIALS.format(device_id), body)
    assert response.status == 200


def test_refresh_key_accepts_an_empty_body(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    assert oc.call("PUT", CREDENTIALS.format(device_id)).status == 200


@pytest.mark.parametrize("node_id", [None, ""], ids=["null", "empty"])
def test_refresh_key_with_null_or_empty_node_id_keeps_node_id(
    oc: OcClient, node_id: str | None
) -> None:
    device_id = activated_offline(oc)
    oc.call("PUT", CREDENTIALS.format(device_id), {"nodeId": node_id, "verifyCode": "NEWVC"})
    assert oc.platform.oceanconnect.device(device_id).node_id == IMEI


def test_refresh_key_of_abnormal_device_succeeds(manual: fakeiot.Platform) -> None:
    oc = OcClient(manual)
    device_id = oc.register_ok(IMEI, timeout=0)
    manual.oceanconnect.connect_device(IMEI, connection="short")
    manual.advance(manual.settings.abnormal_after)
    assert manual.oceanconnect.device(device_id).status == "ABNORMAL"
    assert oc.call("PUT", CREDENTIALS.format(device_id), {}).status == 200


def test_refresh_key_of_never_activated_device_is_100610(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, timeout=0)
    response = oc.call("PUT", CREDENTIALS.format(device_id), {})
    assert error_of(response) == expected(OcError.DEVICE_NOT_ACTIVE)


def test_refresh_key_of_online_device_is_100611(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, timeout=0)
    oc.platform.oceanconnect.connect_device(IMEI)
    response = oc.call("PUT", CREDENTIALS.format(device_id), {})
    assert error_of(response) == expected(OcError.DEVICE_ONLINE)


def test_refresh_key_to_a_node_id_in_use_is_100426(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    oc.register_ok("taken-node")
    response = oc.call("PUT", CREDENTIALS.format(device_id), {"nodeId": "taken-node"})
    assert error_of(response) == expected(OcError.NODE_ID_DUPLICATED)


def test_refresh_key_to_a_verify_code_in_use_is_100003(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    oc.register_ok("other-node", verifyCode="TAKEN")
    response = oc.call("PUT", CREDENTIALS.format(device_id), {"verifyCode": "TAKEN"})
    assert error_of(response) == expected(OcError.INVALID_VERIFY_CODE)


@pytest.mark.parametrize("code", ["", 42, "v" * 257], ids=["empty", "int", "long"])
def test_refresh_key_with_invalid_verify_code_is_100003(oc: OcClient, code: Any) -> None:
    device_id = activated_offline(oc)
    response = oc.call("PUT", CREDENTIALS.format(device_id), {"verifyCode": code})
    assert error_of(response) == expected(OcError.INVALID_VERIFY_CODE)


@pytest.mark.parametrize(
    "body",
    [{"timeout": -1}, {"timeout": "180"}, {"timeout": 2147483648}, {"nodeId": 5}],
    ids=str,
)
def test_refresh_key_with_invalid_field_is_50400(oc: OcClient, body: dict[str, Any]) -> None:
    device_id = activated_offline(oc)
    response = oc.call("PUT", CREDENTIALS.format(device_id), body)
    assert error_of(response) == expected(OcError.INPUT_INVALID)


def test_refresh_key_with_empty_device_id_path_is_100007(oc: OcClient) -> None:
    """The Python SDK builds ``.../deviceCredentials/`` + deviceId; an unset id leaves ``/``."""
    activated_offline(oc)
    response = oc.call("PUT", REG_BASE, {})
    assert error_of(response) == expected(OcError.BAD_REQUEST)


@pytest.mark.parametrize("raw", [b"{", b"[1]", b'"x"'], ids=["malformed", "array", "string"])
def test_refresh_key_with_malformed_body_is_100007(oc: OcClient, raw: bytes) -> None:
    device_id = activated_offline(oc)
    response = oc.call("PUT", CREDENTIALS.format(device_id), raw=raw)
    assert error_of(response) == expected(OcError.BAD_REQUEST)


def test_refresh_key_of_unknown_device_is_404_100403(oc: OcClient) -> None:
    response = oc.call("PUT", CREDENTIALS.format("no-such-device"), {})
    assert error_of(response) == expected(OcError.DEVICE_NOT_FOUND)


def test_refresh_key_of_another_apps_device_is_404_100418(oc: OcClient, other: OcClient) -> None:
    device_id = activated_offline(other)
    response = oc.call("PUT", CREDENTIALS.format(device_id), {})
    assert error_of(response) == expected(OcError.DEVICE_DATA_NOT_FOUND)


def test_refresh_key_for_unauthorizing_app_is_403_100217(oc: OcClient, other: OcClient) -> None:
    device_id = activated_offline(other)
    path = f"{CREDENTIALS.format(device_id)}?appId={other.app.app_id}"
    response = oc.call("PUT", path, {})
    assert error_of(response) == expected(OcError.APP_NOT_AUTHORIZED)


def test_refresh_key_100217_is_http_200_with_http200_errors() -> None:
    platform = fakeiot.Platform(seed=0, oceanconnect_http200_errors=True)
    oc, owner = OcClient(platform), OcClient(platform)
    device_id = activated_offline(owner)
    path = f"{CREDENTIALS.format(device_id)}?appId={owner.app.app_id}"
    response = oc.call("PUT", path, {})
    assert response.status == 200
    assert error_of(response)[1:] == expected(OcError.APP_NOT_AUTHORIZED)[1:]


def test_refresh_key_for_authorizing_app_succeeds(oc: OcClient, other: OcClient) -> None:
    device_id = activated_offline(other)
    oc.platform.oceanconnect.authorize(owner=other.app, grantee=oc.app)
    path = f"{CREDENTIALS.format(device_id)}?appId={other.app.app_id}"
    assert oc.call("PUT", path, {}).status == 200


def test_refresh_key_for_unknown_app_is_403_100203(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    response = oc.call("PUT", f"{CREDENTIALS.format(device_id)}?appId=nosuchapp", {})
    assert error_of(response) == expected(OcError.APP_NOT_EXIST)


def test_refreshed_device_reconnects_with_new_node_id_and_code(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    oc.call("PUT", CREDENTIALS.format(device_id), {"nodeId": "NEWNODE", "verifyCode": "NEWVC"})
    view = oc.platform.oceanconnect.connect_device("NEWNODE", "NEWVC")
    assert (view.device_id, view.status) == (device_id, "ONLINE")


def test_refreshed_device_is_refused_under_its_old_node_id(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    oc.call("PUT", CREDENTIALS.format(device_id), {"nodeId": "NEWNODE", "verifyCode": "NEWVC"})
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        oc.platform.oceanconnect.connect_device(IMEI)
    assert refused.value.reason == "unknown"


def test_refreshed_device_is_refused_with_its_old_verify_code(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    oc.call("PUT", CREDENTIALS.format(device_id), {"verifyCode": "NEWVC"})
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        oc.platform.oceanconnect.connect_device(IMEI, IMEI)
    assert refused.value.reason == "wrong_verify_code"


def test_refreshed_device_with_timeout_0_still_needs_the_new_code(oc: OcClient) -> None:
    """timeout 0 means the new code never expires, not that no code is needed."""
    device_id = activated_offline(oc)
    oc.call("PUT", CREDENTIALS.format(device_id), {"verifyCode": "NEWVC", "timeout": 0})
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        oc.platform.oceanconnect.connect_device(IMEI, "WRONG")
    assert refused.value.reason == "wrong_verify_code"


def test_refresh_key_keeps_activation_by_default(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    oc.call("PUT", CREDENTIALS.format(device_id), {})
    assert oc.call("GET", CREDENTIALS.format(device_id)).json_body()["activated"] is True
    assert oc.platform.oceanconnect.device(device_id).status == "OFFLINE"


def test_refresh_resets_activation_setting_deactivates_until_rebind() -> None:
    platform = fakeiot.Platform(seed=0, oceanconnect_refresh_resets_activation=True)
    oc = OcClient(platform)
    device_id = activated_offline(oc)
    oc.call("PUT", CREDENTIALS.format(device_id), {"verifyCode": "NEWVC"})
    before = oc.call("GET", CREDENTIALS.format(device_id)).json_body()["activated"]
    platform.oceanconnect.connect_device(IMEI, "NEWVC")
    after = oc.call("GET", CREDENTIALS.format(device_id)).json_body()["activated"]
    assert (before, after) == (False, True)
    assert [e.kind for e in platform.events][-2:] == ["rekey", "bind"]


# =============================================================================================
# activation status
# =============================================================================================
def test_activation_status_answers_device_id_activated_and_name(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, deviceInfo={"name": "meter"}, timeout=0)
    response = oc.call("GET", CREDENTIALS.format(device_id))
    assert response.status == 200
    assert response.json_body() == {"deviceId": device_id, "activated": False, "name": "meter"}


def test_activation_stays_true_after_disconnect(oc: OcClient) -> None:
    device_id = activated_offline(oc)
    assert oc.call("GET", CREDENTIALS.format(device_id)).json_body()["activated"] is True


def test_activation_status_ignores_php_body(oc: OcClient) -> None:
    """The PHP client sends ``{"appId": ...}`` in the body of this GET."""
    device_id = oc.register_ok(IMEI)
    response = oc.call("GET", CREDENTIALS.format(device_id), {"appId": "whatever"})
    assert response.status == 200


def test_activation_status_for_unknown_app_is_403_100203(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    response = oc.call("GET", f"{CREDENTIALS.format(device_id)}?appId=nosuchapp")
    assert error_of(response) == expected(OcError.APP_NOT_EXIST)


def test_activation_status_for_unauthorizing_app_is_403_100217(
    oc: OcClient, other: OcClient
) -> None:
    device_id = other.register_ok(IMEI)
    response = oc.call("GET", f"{CREDENTIALS.format(device_id)}?appId={other.app.app_id}")
    assert error_of(response) == expected(OcError.APP_NOT_AUTHORIZED)


def test_activation_status_throttled_is_1010009() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, flow_control_limit=1))
    device_id = oc.register_ok(IMEI)
    response = oc.call("GET", CREDENTIALS.format(device_id))
    assert error_of(response) == expected(OcError.THROTTLED)


def test_activation_status_with_bad_token_is_1010005(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    headers = {**oc.headers, "Authorization": "Bearer bad"}
    response = oc.call("GET", CREDENTIALS.format(device_id), headers=headers)
    assert error_of(response) == expected(OcError.TOKEN_INVALID)


def test_activation_status_of_unknown_device_is_404_100403(oc: OcClient) -> None:
    response = oc.call("GET", CREDENTIALS.format("no-such-device"))
    assert error_of(response) == expected(OcError.DEVICE_NOT_FOUND)


def test_activation_status_of_another_apps_device_is_100403(oc: OcClient, other: OcClient) -> None:
    """Seed 003 lists no 100418 for this API."""
    device_id = other.register_ok(IMEI)
    response = oc.call("GET", CREDENTIALS.format(device_id))
    assert error_of(response) == expected(OcError.DEVICE_NOT_FOUND)


def test_activation_status_for_deleted_app_is_500_100203(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.delete_app(oc.app)
    response = oc.call("GET", CREDENTIALS.format(device_id))
    assert error_of(response) == expected(OcError.APP_NOT_EXIST_INTERNAL)


# =============================================================================================
# modify
# =============================================================================================
def test_modify_answers_204_with_empty_body(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    response = oc.call("PUT", DEVICE.format(device_id), {"name": "meter"})
    assert (response.status, response.body) == (204, b"")


def test_modify_changes_show_in_single_query(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    changes = {
        "name": "meter",
        "manufacturerId": "m-1",
        "manufacturerName": "ACME",
        "deviceType": "WaterMeter",
        "model": "WM-2",
        "protocolType": "CoAP",
        "location": "Shenzhen",
        "mute": "TRUE",
    }
    oc.call("PUT", DEVICE.format(device_id), changes)
    info = query(oc, device_id)["deviceInfo"]
    assert {k: info[k] for k in changes} == changes


def test_modify_is_secure_shows_as_is_security(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.call("PUT", DEVICE.format(device_id), {"isSecure": True})
    assert query(oc, device_id)["deviceInfo"]["isSecurity"] == "TRUE"
    assert oc.platform.oceanconnect.device(device_id).is_secure is True


def test_modify_with_python_sdk_nulls_changes_nothing(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, deviceInfo={"name": "meter"})
    before = query(oc, device_id)["deviceInfo"]
    nulls = {"name": None, "mute": None, "isSecure": None, "location": None, "psk": None}
    assert oc.call("PUT", DEVICE.format(device_id), nulls).status == 204
    assert query(oc, device_id)["deviceInfo"] == before


def test_modify_updates_last_modified_time(manual: fakeiot.Platform) -> None:
    oc = OcClient(manual)
    device_id = oc.register_ok(IMEI, timeout=0)
    manual.advance(3661)
    oc.call("PUT", DEVICE.format(device_id), {"name": "meter"})
    body = query(oc, device_id)
    assert (body["createTime"], body["lastModifiedTime"]) == (
        "20260101T000000Z",
        "20260101T010101Z",
    )


@pytest.mark.parametrize("raw", [b"{", b"[]", b"17"], ids=["malformed", "array", "number"])
def test_modify_with_malformed_body_is_100022(oc: OcClient, raw: bytes) -> None:
    device_id = oc.register_ok(IMEI)
    response = oc.call("PUT", DEVICE.format(device_id), raw=raw)
    assert error_of(response) == expected(OcError.MODIFY_INPUT_INVALID)


@pytest.mark.parametrize(
    "body",
    [
        {"mute": "yes"},
        {"mute": "true"},
        {"mute": True},
        {"name": ""},
        {"name": "n" * 257},
        {"name": 5},
        {"location": "l" * 1025},
        {"imsi": "4" * 65},
        {"psk": "not-hex!"},
        {"tags": "a,b"},
        {"deviceConfig": {"dataConfig": {"dataAgingTime": 91}}},
        {"deviceConfig": []},
    ],
    ids=str,
)
def test_modify_with_bad_value_is_50400(oc: OcClient, body: dict[str, Any]) -> None:
    device_id = oc.register_ok(IMEI)
    response = oc.call("PUT", DEVICE.format(device_id), body)
    assert error_of(response) == expected(OcError.INPUT_INVALID)


@pytest.mark.parametrize("value", ["true", 1, "TRUE"], ids=str)
def test_modify_with_non_bool_is_secure_is_100440(oc: OcClient, value: Any) -> None:
    device_id = oc.register_ok(IMEI)
    response = oc.call("PUT", DEVICE.format(device_id), {"isSecure": value})
    assert error_of(response) == expected(OcError.IS_SECURE_INVALID)


def test_rejected_modify_changes_nothing(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, deviceInfo={"name": "meter"})
    before = query(oc, device_id)
    oc.call("PUT", DEVICE.format(device_id), {"name": "renamed", "mute": "maybe"})
    assert query(oc, device_id) == before


def test_modify_of_another_apps_device_is_404_100418(oc: OcClient, other: OcClient) -> None:
    device_id = other.register_ok(IMEI)
    response = oc.call("PUT", DEVICE.format(device_id), {"name": "mine"})
    assert error_of(response) == expected(OcError.DEVICE_DATA_NOT_FOUND)


def test_modify_of_unknown_device_is_404_100403(oc: OcClient) -> None:
    response = oc.call("PUT", DEVICE.format("no-such-device"), {"name": "x"})
    assert error_of(response) == expected(OcError.DEVICE_NOT_FOUND)


def test_modify_for_unknown_app_is_200_100203_with_http200_errors() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_http200_errors=True))
    device_id = oc.register_ok(IMEI)
    response = oc.call("PUT", f"{DEVICE.format(device_id)}?appId=nosuchapp", {"name": "x"})
    assert response.status == 200
    assert error_of(response)[1:] == expected(OcError.APP_NOT_EXIST)[1:]


def test_modify_for_unknown_app_is_403_100203_by_default(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    response = oc.call("PUT", f"{DEVICE.format(device_id)}?appId=nosuchapp", {"name": "x"})
    assert error_of(response) == expected(OcError.APP_NOT_EXIST)


# =============================================================================================
# delete
# =============================================================================================
def test_delete_answers_204_with_empty_body(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    response = oc.call("DELETE", DEVICE.format(device_id))
    assert (response.status, response.body) == (204, b"")


def test_deleted_device_is_not_found_afterwards(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.call("DELETE", DEVICE.format(device_id))
    assert error_of(oc.call("GET", DEVICE.format(device_id))) == expected(OcError.DEVICE_NOT_FOUND)
    assert error_of(oc.call("GET", CREDENTIALS.format(device_id))) == expected(
        OcError.DEVICE_NOT_FOUND
    )
    assert oc.platform.oceanconnect.devices() == []


def test_deleted_node_id_registers_again_as_a_new_device(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.call("DELETE", DEVICE.format(device_id))
    again = oc.register(IMEI)
    assert again.status == 200
    assert again.json_body()["deviceId"] != device_id


def test_delete_accepts_python_sdk_cascade_query_and_php_body(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    response = oc.call("DELETE", DEVICE.format(device_id) + "?&cascade=true", {"appId": "x"})
    assert response.status == 204


def test_delete_of_another_apps_device_is_404_100418(oc: OcClient, other: OcClient) -> None:
    device_id = other.register_ok(IMEI)
    response = oc.call("DELETE", DEVICE.format(device_id))
    assert error_of(response) == expected(OcError.DEVICE_DATA_NOT_FOUND)
    assert other.platform.oceanconnect.device(device_id).node_id == IMEI


def test_delete_of_unknown_device_is_404_100403(oc: OcClient) -> None:
    response = oc.call("DELETE", DEVICE.format("no-such-device"))
    assert error_of(response) == expected(OcError.DEVICE_NOT_FOUND)


def test_delete_twice_is_100403_the_second_time(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.call("DELETE", DEVICE.format(device_id))
    response = oc.call("DELETE", DEVICE.format(device_id))
    assert error_of(response) == expected(OcError.DEVICE_NOT_FOUND)


# =============================================================================================
# single query
# =============================================================================================
def test_single_query_answers_the_documented_top_level_keys(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    body = query(oc, device_id)
    assert list(body) == [
        "deviceId",
        "gatewayId",
        "nodeType",
        "createTime",
        "lastModifiedTime",
        "deviceInfo",
        "services",
        "alarmInfo",
    ]
    assert (body["deviceId"], body["gatewayId"], body["nodeType"]) == (
        device_id,
        device_id,
        "GATEWAY",
    )


def test_single_query_device_info_has_every_key_in_order(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    assert list(query(oc, device_id)["deviceInfo"]) == INFO_KEYS


def test_single_query_times_use_the_compact_utc_format(oc: OcClient) -> None:
    body = query(oc, oc.register_ok(IMEI))
    assert WIRE_TIME.fullmatch(body["createTime"])
    assert WIRE_TIME.fullmatch(body["lastModifiedTime"])


def test_single_query_create_time_is_registration_time(manual: fakeiot.Platform) -> None:
    oc = OcClient(manual)
    manual.advance(24 * 3600 + 2 * 3600 + 3 * 60 + 4)
    device_id = oc.register_ok(IMEI)
    assert query(oc, device_id)["createTime"] == "20260102T020304Z"


def test_never_connected_device_is_offline_not_active(oc: OcClient) -> None:
    info = query(oc, oc.register_ok(IMEI))["deviceInfo"]
    assert (info["status"], info["statusDetail"]) == ("OFFLINE", "NOT_ACTIVE")


def test_connected_device_is_online_none(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI)
    info = query(oc, device_id)["deviceInfo"]
    assert (info["status"], info["statusDetail"]) == ("ONLINE", "NONE")


def test_disconnected_device_is_offline_none(oc: OcClient) -> None:
    info = query(oc, activated_offline(oc))["deviceInfo"]
    assert (info["status"], info["statusDetail"]) == ("OFFLINE", "NONE")


@pytest.mark.parametrize("select", ["imsi", "IMSI"])
def test_select_imsi_adds_the_imsi(oc: OcClient, select: str) -> None:
    device_id = oc.register_ok(IMEI, imsi="460001234567890")
    assert query(oc, device_id, f"?select={select}")["deviceInfo"]["imsi"] == "460001234567890"


def test_without_select_the_imsi_is_left_out(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, imsi="460001234567890")
    assert "imsi" not in query(oc, device_id)["deviceInfo"]


def test_single_query_with_bad_select_is_100405(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    response = oc.call("GET", DEVICE.format(device_id) + "?select=psk")
    assert error_of(response) == expected(OcError.REQUEST_PARAMETER_INVALID)


def test_single_query_of_another_apps_device_is_404_100418(oc: OcClient, other: OcClient) -> None:
    response = oc.call("GET", DEVICE.format(other.register_ok(IMEI)))
    assert error_of(response) == expected(OcError.DEVICE_DATA_NOT_FOUND)


def test_single_query_for_authorizing_app_answers(oc: OcClient, other: OcClient) -> None:
    device_id = other.register_ok(IMEI)
    oc.platform.oceanconnect.authorize(owner=other.app, grantee=oc.app)
    assert query(oc, device_id, f"?appId={other.app.app_id}")["deviceId"] == device_id


# =============================================================================================
# batch query
# =============================================================================================
def test_batch_query_pages_with_total_count(oc: OcClient) -> None:
    for n in range(5):
        oc.register_ok(f"node-{n}")
    pages = [batch(oc, f"pageNo={p}&pageSize=2&sort=ASC") for p in range(4)]
    assert [node_ids(p) for p in pages] == [
        ["node-0", "node-1"],
        ["node-2", "node-3"],
        ["node-4"],
        [],
    ]
    assert {(p["totalCount"], p["pageSize"]) for p in pages} == {(5, 2)}
    assert [p["pageNo"] for p in pages] == [0, 1, 2, 3]


def test_batch_query_answers_the_documented_keys(oc: OcClient) -> None:
    oc.register_ok(IMEI)
    page = batch(oc, "pageNo=0")
    assert list(page) == ["totalCount", "pageNo", "pageSize", "devices"]
    assert list(page["devices"][0]["deviceInfo"]) == INFO_KEYS


def test_batch_query_page_size_defaults_to_25(oc: OcClient) -> None:
    for n in range(26):
        oc.register_ok(f"node-{n}")
    page = batch(oc, "pageNo=0")
    assert (page["pageSize"], len(page["devices"]), page["totalCount"]) == (25, 25, 26)


def test_batch_query_sorts_newest_first_by_default(oc: OcClient) -> None:
    for n in range(3):
        oc.register_ok(f"node-{n}")
    assert node_ids(batch(oc, "pageNo=0")) == ["node-2", "node-1", "node-0"]


def test_batch_query_sort_asc_is_oldest_first(oc: OcClient) -> None:
    for n in range(3):
        oc.register_ok(f"node-{n}")
    assert node_ids(batch(oc, "pageNo=0&sort=ASC")) == ["node-0", "node-1", "node-2"]


def test_batch_query_lists_only_the_callers_devices(oc: OcClient, other: OcClient) -> None:
    oc.register_ok("mine")
    other.register_ok("theirs")
    assert node_ids(batch(oc, "pageNo=0")) == ["mine"]


@pytest.mark.parametrize(
    ("status", "expected_nodes"),
    [
        ("INACTIVE", ["registered"]),
        ("ONLINE", ["online"]),
        ("OFFLINE", ["offline"]),
        ("ABNORMAL", ["abnormal"]),
    ],
)
def test_batch_query_filters_by_status(
    manual: fakeiot.Platform, status: str, expected_nodes: list[str]
) -> None:
    oc = OcClient(manual)
    face = manual.oceanconnect
    for node in ("registered", "online", "offline", "abnormal"):
        oc.register_ok(node, timeout=0)
    face.connect_device("online")
    face.disconnect_device(face.connect_device("offline").device_id)
    face.connect_device("abnormal", connection="short")
    manual.advance(manual.settings.abnormal_after)
    assert node_ids(batch(oc, f"pageNo=0&status={status}")) == expected_nodes


def test_batch_query_filters_by_gateway_id_without_page_no(oc: OcClient) -> None:
    oc.register_ok("node-a")
    wanted = oc.register_ok("node-b")
    page = batch(oc, f"gatewayId={wanted}")
    assert [d["deviceId"] for d in page["devices"]] == [wanted]
    assert page["totalCount"] == 1


def test_batch_query_filters_by_device_type(oc: OcClient) -> None:
    oc.register_ok("meter", deviceInfo={"deviceType": "Meter"})
    oc.register_ok("lamp", deviceInfo={"deviceType": "Lamp"})
    assert node_ids(batch(oc, "pageNo=0&deviceType=Lamp")) == ["lamp"]


def test_batch_query_filters_by_name(oc: OcClient) -> None:
    oc.register_ok("node-a", deviceInfo={"name": "kitchen"})
    oc.register_ok("node-b", deviceInfo={"name": "garage"})
    assert node_ids(batch(oc, "pageNo=0&name=garage")) == ["node-b"]


def test_batch_query_filters_by_registration_time_window(manual: fakeiot.Platform) -> None:
    oc = OcClient(manual)
    for hour in range(4):
        oc.register_ok(f"hour-{hour}", timeout=0)
        manual.advance(3600)
    page = batch(oc, "pageNo=0&sort=ASC&startTime=20260101T010000Z&endTime=20260101T020000Z")
    assert node_ids(page) == ["hour-1", "hour-2"]


def test_batch_query_without_page_no_or_gateway_id_is_100218(oc: OcClient) -> None:
    response = oc.call("GET", f"{DEVICES}?pageSize=10")
    assert error_of(response) == expected(OcError.GATEWAY_AND_PAGE_NULL)


@pytest.mark.parametrize(
    "params",
    [
        "pageNo=0&pageSize=0",
        "pageNo=0&pageSize=251",
        "pageNo=0&pageSize=x",
        "pageNo=0&pageSize=--5",
        "pageNo=-1",
        "pageNo=--1",
        "pageNo=1.5",
        "pageNo=0&status=DELETED",
        "pageNo=0&sort=UP",
        "pageNo=0&startTime=2026-01-01",
        "pageNo=0&select=psk",
    ],
)
def test_batch_query_with_bad_parameter_is_100405(oc: OcClient, params: str) -> None:
    response = oc.call("GET", f"{DEVICES}?{params}")
    assert error_of(response) == expected(OcError.REQUEST_PARAMETER_INVALID)


@pytest.mark.parametrize("size", [1, 250])
def test_batch_query_page_size_bounds_are_accepted(oc: OcClient, size: int) -> None:
    assert batch(oc, f"pageNo=0&pageSize={size}")["pageSize"] == size


def test_batch_query_accepts_python_sdks_leading_ampersand(oc: OcClient) -> None:
    oc.register_ok(IMEI)
    page = batch(oc, "&pageNo=0&pageSize=10")
    assert (page["totalCount"], page["pageSize"], node_ids(page)) == (1, 10, [IMEI])


def test_batch_query_v1_3_0_used_by_php_is_served(oc: OcClient) -> None:
    oc.register_ok(IMEI)
    response = oc.call("GET", DEVICES.replace("v1.4.0", "v1.3.0") + "?pageNo=0")
    assert response.json_body()["totalCount"] == 1


def test_batch_query_for_authorizing_app_lists_its_devices(oc: OcClient, other: OcClient) -> None:
    oc.register_ok("mine")
    other.register_ok("theirs")
    oc.platform.oceanconnect.authorize(owner=other.app, grantee=oc.app)
    assert node_ids(batch(oc, f"pageNo=0&appId={other.app.app_id}")) == ["theirs"]


def test_batch_query_for_unauthorizing_app_is_403_100217(oc: OcClient, other: OcClient) -> None:
    response = oc.call("GET", f"{DEVICES}?pageNo=0&appId={other.app.app_id}")
    assert error_of(response) == expected(OcError.APP_NOT_AUTHORIZED)


def test_device_error_bodies_are_byte_exact(oc: OcClient, other: OcClient) -> None:
    missing = oc.call("GET", DEVICE.format("no-such-device"))
    foreign = oc.call("GET", DEVICE.format(other.register_ok(IMEI)))
    inactive = oc.call("PUT", CREDENTIALS.format(oc.register_ok("mine")), {})
    no_page = oc.call("GET", DEVICES)
    assert (missing.status, missing.body) == (
        404,
        b'{"error_code":"100403","error_desc":"The device is not existed."}',
    )
    assert (foreign.status, foreign.body) == (
        404,
        b'{"error_code":"100418","error_desc":"The deviceData is not existed."}',
    )
    assert (inactive.status, inactive.body) == (
        400,
        b'{"error_code":"100610","error_desc":"Device is not active."}',
    )
    assert (no_page.status, no_page.body) == (
        400,
        b'{"error_code":"100218","error_desc":"The gatewayId and pageNo can\'t be both null."}',
    )
