"""EnOS device management (spec §4): every action's success and its documented errors."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

import fakeiot
from tests.enos import DEVICES, DEVICES_V20, INVALID, EnosClient, device_body, error_of

NOT_FOUND = (11404, "Device cannot be found")


@pytest.fixture
def en(platform: fakeiot.Platform) -> EnosClient:
    return EnosClient(platform)


@pytest.fixture
def product_key(en: EnosClient) -> str:
    return en.create_product()


@pytest.fixture
def device(en: EnosClient, product_key: str) -> dict[str, str]:
    return en.create_device(product_key, deviceKey="turbine-001")


def device_count(en: EnosClient) -> int:
    total: int = en.devices("search", {})["pagination"]["totalSize"]
    return total


def login(en: EnosClient, device: dict[str, str]) -> None:
    en.platform.enos.login_device(device["productKey"], device["deviceKey"], device["deviceSecret"])


# -- create --------------------------------------------------------------------------------------
def test_create_answers_ids_and_a_generated_key_and_secret(
    en: EnosClient, product_key: str
) -> None:
    data = en.create_device(product_key)
    assert list(data) == ["assetId", "productKey", "deviceKey", "deviceSecret"]
    assert re.fullmatch(r"[A-Za-z0-9]{8}", data["assetId"])
    assert re.fullmatch(r"[A-Za-z0-9]{10}", data["deviceKey"])
    assert re.fullmatch(r"[A-Za-z0-9]{20}", data["deviceSecret"])
    assert data["productKey"] == product_key


def test_create_keeps_a_given_device_key(en: EnosClient, product_key: str) -> None:
    assert en.create_device(product_key, deviceKey="a:b.c-d_e")["deviceKey"] == "a:b.c-d_e"


def test_a_new_device_is_inactive_and_never_seen(
    en: EnosClient, device: dict[str, str], product_key: str
) -> None:
    data = en.get_device(device["assetId"])
    assert data["status"] == "inactive"
    assert (data["activeTime"], data["lastOnlineTime"], data["lastOfflineTime"]) == (0, 0, 0)
    assert data["measurepointLastUpdate"] is None
    assert (data["deviceDesc"], data["deviceTags"], data["deviceAttributes"]) == (None, {}, {})
    assert (data["modelId"], data["modelIdPath"]) == ("turbine_model", "/turbine_model")
    assert data["productName"]["defaultValue"] == "Turbine"
    assert data["deviceSecret"] == device["deviceSecret"]


def test_create_stores_every_optional_field(en: EnosClient, product_key: str) -> None:
    created = en.create_device(
        product_key,
        deviceName={"defaultValue": "t", "i18nValue": {"ja_JP": "タ"}},
        timezone="America/Los_Angeles",
        deviceAttributes={"capacity": 2.5},
        deviceTags={"site": "north"},
        deviceDesc="rooftop",
    )
    data = en.get_device(created["assetId"])
    assert data["deviceName"] == {"defaultValue": "t", "i18nValue": {"ja_JP": "タ"}}
    assert data["timezone"] == "America/Los_Angeles"
    assert (data["deviceAttributes"], data["deviceTags"]) == ({"capacity": 2.5}, {"site": "north"})
    assert data["deviceDesc"] == "rooftop"


def test_create_with_an_existing_device_key_is_11702(
    en: EnosClient, device: dict[str, str], product_key: str
) -> None:
    reply = en.devices("create", device_body(product_key, deviceKey=device["deviceKey"]))
    assert error_of(reply) == (11702, "DeviceKey existed")
    assert device_count(en) == 1


def test_create_for_an_unknown_product_is_99400(en: EnosClient) -> None:
    assert error_of(en.devices("create", device_body("nope1234"))) == INVALID


@pytest.mark.parametrize(
    "overrides",
    [
        {"productKey": None},
        {"deviceName": None},
        {"deviceName": "turbine"},
        {"deviceName": {"defaultValue": ""}},
        {"deviceName": {"defaultValue": "t", "i18nValue": {"zh_CN": ["x"]}}},
        {"deviceName": {"defaultValue": "n" * 65}},
        {"timezone": None},
        {"timezone": "Mars/Olympus"},
        {"timezone": "+25:00"},
        {"timezone": "../../etc/passwd"},
        {"timezone": 8},
        {"deviceKey": "abc"},
        {"deviceKey": "k" * 65},
        {"deviceKey": "has space"},
        {"deviceKey": "ключ1234"},
        {"deviceKey": 1234},
        {"deviceTags": {"k": "v" * 201}},
        {"deviceTags": {"k/ok": " lead"}},
        {"deviceTags": {f"t{i}": "v" for i in range(101)}},
        {"deviceAttributes": [1, 2]},
        {"deviceDesc": 5},
    ],
    ids=repr,
)
def test_create_rejects_each_bad_field_and_creates_nothing(
    en: EnosClient, product_key: str, overrides: dict[str, Any]
) -> None:
    reply = en.devices("create", device_body(product_key, **overrides))
    assert error_of(reply) == INVALID
    assert device_count(en) == 0


@pytest.mark.parametrize("raw", [b"garbage", b"[]", b"", b"null", b"{" * 5000], ids=repr)
def test_create_with_a_garbage_body_is_99400(en: EnosClient, raw: bytes) -> None:
    assert error_of(en.call(DEVICES, "create", raw=raw)) == INVALID


def test_create_beyond_the_product_limit_is_11739(en: EnosClient, product_key: str) -> None:
    face = en.platform.enos
    face.limits = dataclasses.replace(face.limits, max_devices_per_product=1)
    en.create_device(product_key)
    reply = en.devices("create", device_body(product_key))
    assert error_of(reply) == (11739, "Exceed max device size")
    assert device_count(en) == 1


# -- batch create --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [DEVICES, DEVICES_V20])
def test_batch_create_reports_each_item(en: EnosClient, product_key: str, path: str) -> None:
    items = [
        device_body(product_key, deviceKey="batch-1"),
        device_body(product_key, deviceKey="batch-1"),
        device_body(product_key, timezone="nowhere"),
    ]
    reply = en.call(path, "batchCreate", {"deviceList": items})
    assert (reply["code"], reply["successSize"], reply["totalSize"]) == (0, 1, 3)
    first, duplicate, invalid = reply["data"]
    assert (first["code"], first["data"]["deviceKey"]) == (0, "batch-1")
    assert (duplicate["code"], duplicate["msg"], duplicate["data"]) == (
        -1,
        "DeviceKey existed",
        None,
    )
    assert (invalid["code"], invalid["msg"]) == (-1, "Invalid arguments")
    assert device_count(en) == 1


def test_batch_create_over_1000_items_is_99400_and_creates_nothing(
    en: EnosClient, product_key: str
) -> None:
    items = [device_body(product_key)] * 1001
    assert error_of(en.devices("batchCreate", {"deviceList": items})) == INVALID
    assert device_count(en) == 0


def test_batch_create_without_a_list_is_99400(en: EnosClient) -> None:
    assert error_of(en.devices("batchCreate", {"deviceList": {"a": 1}})) == INVALID


# -- get -----------------------------------------------------------------------------------------
def test_get_by_product_and_device_key_equals_get_by_asset_id(
    en: EnosClient, device: dict[str, str]
) -> None:
    reply = en.devices(
        "get", method="GET", productKey=device["productKey"], deviceKey=device["deviceKey"]
    )
    assert reply["data"] == en.get_device(device["assetId"])


def test_get_without_device_information_is_99400(en: EnosClient, device: dict[str, str]) -> None:
    reply = en.devices("get", productKey=device["productKey"])
    assert error_of(reply) == (99400, "Invalid arguments: Device information is invalid.")


def test_get_of_an_unknown_device_is_11404(en: EnosClient) -> None:
    assert error_of(en.devices("get", assetId="nope1234")) == NOT_FOUND


def test_get_with_a_key_of_another_product_is_11404(en: EnosClient, device: dict[str, str]) -> None:
    other = en.create_product()
    assert error_of(en.devices("get", productKey=other, deviceKey=device["deviceKey"])) == NOT_FOUND


def test_profile_2_1_answers_99404_for_an_unknown_device() -> None:
    en = EnosClient(fakeiot.Platform(seed=0, enos_error_profile="2.1"))
    assert error_of(en.devices("get", assetId="nope1234")) == (99404, "Not found")


def test_devices_of_another_org_are_invisible(platform: fakeiot.Platform) -> None:
    owner, stranger = EnosClient(platform), EnosClient(platform)
    created = owner.create_device(owner.create_product())
    assert error_of(stranger.devices("get", assetId=created["assetId"])) == NOT_FOUND


# -- search --------------------------------------------------------------------------------------
@pytest.fixture
def fleet(en: EnosClient, product_key: str) -> list[dict[str, str]]:
    """Three devices, created in order: a tagged one, an attributed one, a Chinese-named one."""
    return [
        en.create_device(product_key, deviceTags={"site": "north"}),
        en.create_device(product_key, deviceAttributes={"capacity": 100}),
        en.create_device(
            product_key, deviceName={"defaultValue": "pump", "i18nValue": {"zh_CN": "水泵"}}
        ),
    ]


def found(en: EnosClient, expression: str) -> list[str]:
    reply = en.devices("search", {"expression": expression})
    assert reply["code"] == 0, reply
    return [d["assetId"] for d in reply["data"]]


def test_search_lists_newest_first(en: EnosClient, fleet: list[dict[str, str]]) -> None:
    reply = en.devices("search", {})
    assert [d["assetId"] for d in reply["data"]] == [d["assetId"] for d in fleet[::-1]]
    assert reply["pagination"] == {"sortedBy": None, "pageNo": 1, "pageSize": 10, "totalSize": 3}


def test_search_pages(en: EnosClient, fleet: list[dict[str, str]]) -> None:
    reply = en.devices("search", {"pagination": {"pageNo": 2, "pageSize": 2}})
    assert [d["assetId"] for d in reply["data"]] == [fleet[0]["assetId"]]
    assert reply["pagination"]["totalSize"] == 3


def test_search_by_tag_value(en: EnosClient, fleet: list[dict[str, str]]) -> None:
    assert found(en, "deviceTags.site = 'north'") == [fleet[0]["assetId"]]


def test_search_by_tag_absence(en: EnosClient, fleet: list[dict[str, str]]) -> None:
    assert found(en, "not exists(deviceTags.site)") == [fleet[2]["assetId"], fleet[1]["assetId"]]


def test_search_by_numeric_attribute(en: EnosClient, fleet: list[dict[str, str]]) -> None:
    assert found(en, "deviceAttributes.capacity in (100, 200)") == [fleet[1]["assetId"]]


def test_search_by_localized_name(en: EnosClient, fleet: list[dict[str, str]]) -> None:
    assert found(en, "deviceName like '水'") == [fleet[2]["assetId"]]


def test_search_by_status_after_a_login(en: EnosClient, fleet: list[dict[str, str]]) -> None:
    login(en, fleet[1])
    assert found(en, "status = 'online'") == [fleet[1]["assetId"]]


def test_search_combines_and_or_and_parentheses(
    en: EnosClient, fleet: list[dict[str, str]]
) -> None:
    first, second, third = (d["assetId"] for d in fleet)
    expression = f"(assetId = '{first}' or assetId = '{third}') and status != 'online'"
    assert found(en, expression) == [third, first]
    assert found(en, f"assetId = '{second}' AND deviceName LIKE 'TURB'") == [second]


def test_search_projection_crops_each_device(en: EnosClient, fleet: list[dict[str, str]]) -> None:
    reply = en.devices(
        "search",
        {"projection": ["assetId", "deviceName.defaultValue"], "pagination": {"pageSize": 1}},
    )
    assert reply["data"] == [
        {"assetId": fleet[2]["assetId"], "deviceName": {"defaultValue": "pump"}}
    ]


@pytest.mark.parametrize(
    "body",
    [
        # pageSize 201 is clamped to 200 by default since issue 16 item 7 (spec §4.4 [I]);
        # test_enos_fidelity.py pins the clamp and the strict setting
        {"pagination": {"pageNo": -1}},
        {"expression": "status = 'online' and"},
        {"expression": "status ~ 'online'"},
        {"expression": "'online' = status"},
        {"expression": "exists(status)"},
        {"expression": "color = 'red'"},
        {"expression": "status like 'on'"},
        {"expression": "status = 'unterminated"},
        {"expression": "(" * 100 + "status = 'x'" + ")" * 100},
        {"projection": "assetId"},
    ],
    ids=repr,
)
def test_search_rejects_bad_paging_expressions_and_projections(
    en: EnosClient, body: dict[str, Any]
) -> None:
    assert error_of(en.devices("search", body)) == INVALID


# -- update --------------------------------------------------------------------------------------
def test_patch_update_changes_only_the_fields_given(en: EnosClient, device: dict[str, str]) -> None:
    reply = en.devices("update", {"deviceDesc": "moved"}, assetId=device["assetId"])
    assert (reply["code"], reply["data"]) == (0, None)
    data = en.get_device(device["assetId"])
    assert (data["deviceDesc"], data["deviceName"]["defaultValue"]) == ("moved", "turbine-1")


def test_full_update_resets_absent_fields(en: EnosClient, product_key: str) -> None:
    created = en.create_device(product_key, deviceTags={"a": "1"}, deviceDesc="x")
    body = {"deviceName": {"defaultValue": "renamed"}, "timezone": "Europe/Paris"}
    reply = en.devices("update", body, assetId=created["assetId"], IsPatchUpdate="False")
    assert reply["code"] == 0
    data = en.get_device(created["assetId"])
    assert (data["deviceTags"], data["deviceDesc"], data["timezone"]) == ({}, None, "Europe/Paris")


def test_full_update_without_name_and_timezone_is_99400(
    en: EnosClient, device: dict[str, str]
) -> None:
    reply = en.devices(
        "update", {"deviceDesc": "x"}, assetId=device["assetId"], isPatchUpdate="false"
    )
    assert error_of(reply) == INVALID


def test_update_with_a_bad_patch_flag_is_99400(en: EnosClient, device: dict[str, str]) -> None:
    reply = en.devices("update", {}, assetId=device["assetId"], isPatchUpdate="sometimes")
    assert error_of(reply) == INVALID


def test_rejected_update_changes_nothing(en: EnosClient, device: dict[str, str]) -> None:
    before = en.get_device(device["assetId"])
    reply = en.devices(
        "update", {"deviceDesc": "x", "timezone": "Atlantis/Deep"}, assetId=device["assetId"]
    )
    assert error_of(reply) == INVALID
    assert en.get_device(device["assetId"]) == before


def test_update_of_an_unknown_device_is_11404(en: EnosClient) -> None:
    assert error_of(en.devices("update", {"deviceDesc": "x"}, assetId="nope1234")) == NOT_FOUND


# -- delete --------------------------------------------------------------------------------------
def test_delete_by_get_removes_the_device(en: EnosClient, device: dict[str, str]) -> None:
    reply = en.devices("delete", method="GET", assetId=device["assetId"])
    assert (reply["code"], reply["data"]) == (0, None)
    assert error_of(en.devices("get", assetId=device["assetId"])) == NOT_FOUND


def test_delete_of_an_unknown_device_is_11404(en: EnosClient) -> None:
    assert error_of(en.devices("delete", assetId="nope1234")) == NOT_FOUND


def test_a_deleted_device_key_can_be_created_again(en: EnosClient, device: dict[str, str]) -> None:
    en.devices("delete", assetId=device["assetId"])
    again = en.create_device(device["productKey"], deviceKey=device["deviceKey"])
    assert again["assetId"] != device["assetId"]


# -- enable / disable ----------------------------------------------------------------------------
def test_disable_by_get_sets_status_disable(en: EnosClient, device: dict[str, str]) -> None:
    reply = en.devices("disable", method="GET", assetId=device["assetId"])
    assert (reply["code"], reply["data"]) == (0, None)
    assert en.get_device(device["assetId"])["status"] == "disable"


def test_disabling_twice_is_11723(en: EnosClient, device: dict[str, str]) -> None:
    en.devices("disable", assetId=device["assetId"])
    assert error_of(en.devices("disable", assetId=device["assetId"])) == (
        11723,
        "Device is disabled",
    )


def test_disable_of_an_unknown_device_is_11404(en: EnosClient) -> None:
    assert error_of(en.devices("disable", assetId="nope1234")) == NOT_FOUND


def test_enable_returns_a_never_activated_device_to_inactive(
    en: EnosClient, device: dict[str, str]
) -> None:
    en.devices("disable", assetId=device["assetId"])
    reply = en.devices("enable", method="GET", assetId=device["assetId"])
    assert (reply["code"], reply["data"]) == (0, None)
    assert en.get_device(device["assetId"])["status"] == "inactive"


def test_enable_returns_an_activated_device_to_offline(
    en: EnosClient, device: dict[str, str]
) -> None:
    login(en, device)
    en.devices("disable", assetId=device["assetId"])
    en.devices("enable", assetId=device["assetId"])
    assert en.get_device(device["assetId"])["status"] == "offline"


def test_enable_of_an_enabled_inactive_device_is_11721(
    en: EnosClient, device: dict[str, str]
) -> None:
    reply = en.devices("enable", assetId=device["assetId"])
    assert error_of(reply) == (11721, "Device is inactive")


def test_enable_of_an_online_device_names_its_status_as_documented(
    en: EnosClient, device: dict[str, str]
) -> None:
    login(en, device)
    assert error_of(en.devices("enable", assetId=device["assetId"])) == (11721, "Deivce is online")


def test_enable_of_an_offline_device_is_11721(en: EnosClient, device: dict[str, str]) -> None:
    login(en, device)
    en.platform.enos.logout_device(device["productKey"], device["deviceKey"])
    assert error_of(en.devices("enable", assetId=device["assetId"])) == (11721, "Device is offline")


def test_enable_of_an_unknown_device_is_11721_device_not_found(en: EnosClient) -> None:
    assert error_of(en.devices("enable", assetId="nope1234")) == (11721, "Device not found")


def test_profile_2_1_answers_11794_for_status_conflicts() -> None:
    en = EnosClient(fakeiot.Platform(seed=0, enos_error_profile="2.1"))
    created = en.create_device(en.create_product())
    enabled = en.devices("enable", assetId=created["assetId"])
    en.devices("disable", assetId=created["assetId"])
    disabled = en.devices("disable", assetId=created["assetId"])
    assert error_of(enabled) == error_of(disabled) == (11794, "Device status is invalid")


# -- replace -------------------------------------------------------------------------------------
def test_replace_keeps_the_asset_id_and_issues_a_new_key_and_secret(
    en: EnosClient, device: dict[str, str]
) -> None:
    reply = en.devices("replaceDevice", {"newDeviceKey": "turbine-002"}, assetId=device["assetId"])
    assert reply["code"] == 0
    data = reply["data"]
    assert list(data) == ["assetId", "productKey", "deviceKey", "deviceSecret"]
    assert (data["assetId"], data["deviceKey"]) == (device["assetId"], "turbine-002")
    assert data["deviceSecret"] != device["deviceSecret"]
    assert en.get_device(device["assetId"])["deviceSecret"] == data["deviceSecret"]


def test_replace_resets_an_activated_device_to_inactive(
    en: EnosClient, device: dict[str, str]
) -> None:
    login(en, device)
    en.devices("replaceDevice", {"newDeviceKey": "turbine-002"}, assetId=device["assetId"])
    data = en.get_device(device["assetId"])
    assert (data["status"], data["activeTime"]) == ("inactive", 0)


def test_replace_by_product_and_device_key(en: EnosClient, device: dict[str, str]) -> None:
    reply = en.devices(
        "replaceDevice",
        {"newDeviceKey": "turbine-002"},
        productKey=device["productKey"],
        deviceKey=device["deviceKey"],
    )
    assert reply["data"]["assetId"] == device["assetId"]


def test_the_old_key_no_longer_names_the_device(en: EnosClient, device: dict[str, str]) -> None:
    en.devices("replaceDevice", {"newDeviceKey": "turbine-002"}, assetId=device["assetId"])
    reply = en.devices("get", productKey=device["productKey"], deviceKey=device["deviceKey"])
    assert error_of(reply) == NOT_FOUND


def test_replace_with_the_same_key_is_11704(en: EnosClient, device: dict[str, str]) -> None:
    reply = en.devices(
        "replaceDevice", {"newDeviceKey": device["deviceKey"]}, assetId=device["assetId"]
    )
    assert error_of(reply) == (11704, "DeviceKey is repetitive")


def test_replace_with_a_taken_key_is_11702(
    en: EnosClient, device: dict[str, str], product_key: str
) -> None:
    other = en.create_device(product_key, deviceKey="taken-key")
    before = en.get_device(device["assetId"])
    reply = en.devices("replaceDevice", {"newDeviceKey": "taken-key"}, assetId=device["assetId"])
    assert error_of(reply) == (11702, "DeviceKey existed")
    assert en.get_device(device["assetId"]) == before
    assert en.get_device(other["assetId"])["deviceKey"] == "taken-key"


def test_replace_of_an_unknown_device_is_99400(en: EnosClient) -> None:
    reply = en.devices("replaceDevice", {"newDeviceKey": "turbine-002"}, assetId="nope1234")
    assert error_of(reply) == INVALID


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"newDeviceKey": None},
        {"newDeviceKey": "abc"},
        {"newDeviceKey": "k" * 65},
        # "a-b_c.d:e" (4 special characters) is accepted since issue 16 item 10 (spec §4.9);
        # test_enos_fidelity.py pins both readings
        {"newDeviceKey": "bad key"},
        {"newDeviceKey": "key/slash"},
        {"newDeviceKey": 12345},
        ["newDeviceKey"],
    ],
    ids=repr,
)
def test_replace_rejects_a_bad_new_key_and_changes_nothing(
    en: EnosClient, device: dict[str, str], body: Any
) -> None:
    before = en.get_device(device["assetId"])
    assert error_of(en.devices("replaceDevice", body, assetId=device["assetId"])) == INVALID
    assert en.get_device(device["assetId"]) == before


@pytest.mark.parametrize("key", ["abcd", "k" * 64, "a-b_c.d", "The_NewDeviceKey."])
def test_replace_accepts_keys_at_the_limits(
    en: EnosClient, device: dict[str, str], key: str
) -> None:
    reply = en.devices("replaceDevice", {"newDeviceKey": key}, assetId=device["assetId"])
    assert reply["data"]["deviceKey"] == key


# -- stats ---------------------------------------------------------------------------------------
def test_get_stats_counts_devices_by_status(en: EnosClient, product_key: str) -> None:
    online, _inactive, disabled = (en.create_device(product_key) for _ in range(3))
    login(en, online)
    en.devices("disable", assetId=disabled["assetId"])
    reply = en.devices("getStats", method="GET")
    assert reply["data"] == {
        "totalCount": 3,
        "onlineCount": 1,
        "offlineCount": 0,
        "inactiveCount": 1,
        "disabledCount": 1,
    }


def test_get_stats_of_one_product(en: EnosClient, device: dict[str, str]) -> None:
    other = en.create_product()
    en.create_device(other)
    data = en.devices("getStats", productKey=device["productKey"])["data"]
    assert (data["totalCount"], data["inactiveCount"]) == (1, 1)


def test_get_stats_of_an_unknown_product_is_11611(en: EnosClient) -> None:
    assert error_of(en.devices("getStats", productKey="nope1234")) == (11611, "Not found")


# -- routing -------------------------------------------------------------------------------------
def test_unknown_device_action_is_99400(en: EnosClient) -> None:
    assert error_of(en.devices("reboot"))[0] == 99400


def test_get_device_is_served_by_its_own_route(en: EnosClient, device: dict[str, str]) -> None:
    query = {"action": "get", "orgId": en.org.org_id, "assetId": device["assetId"]}
    assert en.request("GET", DEVICES, query).route == "enos.get_device"


def test_other_http_methods_get_no_route(en: EnosClient) -> None:
    response = en.request("DELETE", DEVICES, {"action": "delete", "orgId": en.org.org_id})
    assert response.status == 404


# -- bad input never breaks the platform ---------------------------------------------------------
GARBAGE: list[bytes] = [
    b"\xff\xfe\x00",
    b"{" * 3000,
    b"[" * 3000 + b"]" * 3000,
    b'{"productKey": {"$gt": ""}}',
    b'{"deviceName": {"defaultValue": "\\ud800"}, "timezone": "+00:00", "productKey": "x"}',
    b'{"newDeviceKey": "ab\\udfffcd"}',
    b'{"expression": "\\ud800 = 1"}',
    b'{"deviceList": [null, 1, "x", [], {"productKey": 1e400}]}',
    b'{"pagination": {"pageNo": 1e400, "pageSize": -0}}',
    b'{"projection": [null]}',
    b'{"productName": {"defaultValue": "x", "i18nValue": {"\\ud800": "y"}}}',
    b'{"deviceTags": {"k": "v"}, "deviceAttributes": {"": 1}}',
    b"null",
    b"1" * 5000,
]


ACTIONS = [
    (r.name, r.pattern.replace("{version}", "v2.1"), dict(r.spec.query))
    for r in fakeiot.Platform(seed=0).routes
    if r.face == "enos" and r.spec.query
]


@pytest.mark.parametrize("raw", GARBAGE, ids=lambda raw: repr(raw[:30]))
@pytest.mark.parametrize(("name", "path", "pin"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_garbage_gets_an_envelope_and_a_rejection_changes_nothing(
    en: EnosClient, device: dict[str, str], raw: bytes, name: str, path: str, pin: dict[str, str]
) -> None:
    before = en.platform.enos.export_state()
    query = {**pin, "orgId": en.org.org_id, "assetId": device["assetId"]}
    response = en.request("POST", path, query, raw=raw)
    assert (response.status, response.route) == (200, name)
    payload = response.json_body()
    assert set(payload) >= {"code", "msg", "requestId", "data"}
    if payload["code"] != 0:
        assert en.platform.enos.export_state() == before


def test_lone_surrogates_in_a_name_are_99400(en: EnosClient, product_key: str) -> None:
    raw = (
        b'{"productKey": "%s", "deviceName": {"defaultValue": "\\ud800"}, "timezone": "+00:00"}'
        % product_key.encode()
    )
    assert error_of(en.call(DEVICES, "create", raw=raw)) == INVALID


def test_valid_surrogate_pairs_are_accepted(en: EnosClient, product_key: str) -> None:
    raw = (
        b'{"productKey": "%s", "deviceName": {"defaultValue": "\\ud83d\\ude00"}, "timezone": "Z"}'
        % product_key.encode()
    )
    assert error_of(en.call(DEVICES, "create", raw=raw)) == INVALID  # "Z" is no timezone
    created = en.call(DEVICES, "create", raw=raw.replace(b'"Z"', b'"UTC"'))
    assert en.get_device(created["data"]["assetId"])["deviceName"]["defaultValue"] == "😀"
