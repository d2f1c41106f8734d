"""EnOS products (spec §3), the envelope (§2.3-§2.4) and the request checks every call shares."""

from __future__ import annotations

import re
from typing import Any

import pytest

import fakeiot
from tests.enos import INVALID, PRODUCTS, EnosClient, error_of, product_body

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def en(platform: fakeiot.Platform) -> EnosClient:
    return EnosClient(platform)


def product_count(en: EnosClient) -> int:
    total: int = en.products("search", {})["pagination"]["totalSize"]
    return total


# -- envelope ------------------------------------------------------------------------------------
def test_create_answers_the_product_key_in_the_success_envelope(en: EnosClient) -> None:
    reply = en.products("create", product_body())
    assert list(reply) == ["code", "msg", "requestId", "data"]
    assert (reply["code"], reply["msg"]) == (0, "OK")
    assert UUID4.fullmatch(reply["requestId"])
    assert re.fullmatch(r"[A-Za-z0-9]{8}", reply["data"])


def test_business_errors_are_http_200_with_a_null_data_envelope(en: EnosClient) -> None:
    response = en.request("POST", PRODUCTS, {"action": "get", "orgId": en.org.org_id})
    assert response.status == 200
    assert error_of(response.json_body())[0] == 99400


def test_request_ids_differ_between_calls(en: EnosClient) -> None:
    first, second = en.products("search", {}), en.products("search", {})
    assert first["requestId"] != second["requestId"]


# -- create --------------------------------------------------------------------------------------
def test_get_returns_the_product_as_created(en: EnosClient) -> None:
    product_key = en.create_product(productDesc="wind", productTags={"site": "north"})
    data = en.products("get", method="GET", productKey=product_key)["data"]
    assert data["productKey"] == product_key
    assert data["orgId"] == en.org.org_id
    assert data["productName"] == {"defaultValue": "Turbine", "i18nValue": {"zh_CN": "风机"}}
    assert (data["productDesc"], data["productTags"]) == ("wind", {"site": "north"})
    assert (data["modelId"], data["dataFormat"], data["productType"]) == (
        "turbine_model",
        "Json",
        "Device",
    )
    assert re.fullmatch(r"[A-Za-z0-9]{16}", data["productSecret"])
    assert data["updateTime"] == data["createTime"]
    assert (data["dynamicActivateEnabled"], data["biDirectionalAuth"]) == (False, False)


def test_create_coerces_string_booleans_and_numbers(en: EnosClient) -> None:
    """The vendor's samples send ``"false"`` and ``"730"`` (spec §3.1, §9.7)."""
    product_key = en.create_product(
        dynamicActivateEnabled="true", biDirectionalAuth="false", defaultValidDay="730"
    )
    data = en.products("get", productKey=product_key)["data"]
    assert (data["dynamicActivateEnabled"], data["biDirectionalAuth"]) == (True, False)
    assert data["defaultValidDay"] == 730


def test_name_i18n_value_defaults_to_an_empty_object(en: EnosClient) -> None:
    product_key = en.create_product(productName={"defaultValue": "Meter"})
    data = en.products("get", productKey=product_key)["data"]
    assert data["productName"] == {"defaultValue": "Meter", "i18nValue": {}}


@pytest.mark.parametrize(
    "overrides",
    [
        {"productName": None},
        {"productName": "Turbine"},
        {"productName": {"i18nValue": {"en_US": "x"}}},
        {"productName": {"defaultValue": 7}},
        {"productName": {"defaultValue": "T", "i18nValue": {"zh_CN": 5}}},
        {"productName": {"defaultValue": "T", "i18nValue": ["zh_CN"]}},
        {"productName": {"defaultValue": "x" * 65}},
        {"productName": {"defaultValue": "a<b"}},
        {"productName": {"defaultValue": "50%"}},
        {"productDesc": "d" * 513},
        {"modelId": None},
        {"modelId": 5},
        {"dataFormat": "XML"},
        {"dataFormat": None},
        {"productType": "Sensor"},
        {"biDirectionalAuth": None},
        {"biDirectionalAuth": "maybe"},
        {"defaultValidDay": "soon"},
        {"productTags": {"k" * 51: "v"}},
        {"productTags": {"bad key": "v"}},
        {"productTags": {"k": "v" * 201}},
        {"productTags": {"k": " padded"}},
        {"productTags": {"k": 1}},
        {"productTags": {f"k{i}": "v" for i in range(101)}},
        {"productTags": ["k"]},
    ],
    ids=repr,
)
def test_create_rejects_each_bad_field_and_creates_nothing(
    en: EnosClient, overrides: dict[str, Any]
) -> None:
    reply = en.products("create", product_body(**overrides))
    assert error_of(reply) == INVALID
    assert product_count(en) == 0


def test_create_accepts_limits_at_their_edge(en: EnosClient) -> None:
    product_key = en.create_product(
        productName={"defaultValue": "x" * 64},
        productDesc="d" * 512,
        productTags={f"k{i}": "v" * 200 for i in range(100)},
    )
    assert len(en.products("get", productKey=product_key)["data"]["productTags"]) == 100


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b"\xff\xfe", b'"text"'], ids=repr)
def test_garbage_bodies_answer_99400(en: EnosClient, raw: bytes) -> None:
    reply = en.call(PRODUCTS, "create", raw=raw)
    assert error_of(reply) == INVALID
    assert product_count(en) == 0


def test_any_model_id_is_accepted_by_default(en: EnosClient) -> None:
    assert en.create_product(modelId="never_declared")


def test_strict_models_refuse_an_undeclared_model_with_11699() -> None:
    platform = fakeiot.Platform(seed=0, enos_strict_models=True)
    en = EnosClient(platform)
    reply = en.products("create", product_body(modelId="ghost"))
    assert error_of(reply) == (11699, "modelId does not exist")
    assert product_count(en) == 0


def test_strict_models_accept_a_declared_model_and_report_its_path() -> None:
    platform = fakeiot.Platform(seed=0, enos_strict_models=True)
    platform.enos.create_model("root_model")
    platform.enos.create_model("child_model", parent="root_model")
    en = EnosClient(platform)
    product_key = en.create_product(modelId="child_model")
    device = en.create_device(product_key)
    assert en.get_device(device["assetId"])["modelIdPath"] == "/root_model/child_model"


# -- get -----------------------------------------------------------------------------------------
def test_get_of_an_unknown_product_is_11611(en: EnosClient) -> None:
    assert error_of(en.products("get", productKey="nope1234")) == (11611, "Not found")


def test_get_without_a_product_key_is_99400(en: EnosClient) -> None:
    assert error_of(en.products("get")) == INVALID


# -- update --------------------------------------------------------------------------------------
def test_update_patches_only_the_fields_given(en: EnosClient) -> None:
    product_key = en.create_product()
    reply = en.products("update", {"productDesc": "new"}, productKey=product_key)
    assert (reply["code"], reply["data"]) == (0, product_key)
    data = en.products("get", productKey=product_key)["data"]
    assert (data["productDesc"], data["productName"]["defaultValue"]) == ("new", "Turbine")


def test_update_moves_update_time_only(en: EnosClient) -> None:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    en = EnosClient(platform)
    product_key = en.create_product()
    platform.advance(5)
    en.products("update", {"dynamicActivateEnabled": True}, productKey=product_key)
    data = en.products("get", productKey=product_key)["data"]
    assert data["updateTime"] - data["createTime"] == 5000
    assert data["dynamicActivateEnabled"] is True


def test_update_tags_replace_the_whole_map(en: EnosClient) -> None:
    product_key = en.create_product(productTags={"a": "1", "b": "2"})
    en.products("update", {"productTags": {"c": "3"}}, productKey=product_key)
    assert en.products("get", productKey=product_key)["data"]["productTags"] == {"c": "3"}


def test_update_of_an_unknown_product_is_11611(en: EnosClient) -> None:
    reply = en.products("update", {"productDesc": "x"}, productKey="nope1234")
    assert error_of(reply) == (11611, "Not found")


def test_rejected_update_changes_nothing(en: EnosClient) -> None:
    product_key = en.create_product()
    before = en.products("get", productKey=product_key)["data"]
    reply = en.products(
        "update",
        {"productDesc": "changed", "productName": {"defaultValue": "a;b"}},
        productKey=product_key,
    )
    assert error_of(reply) == INVALID
    assert en.products("get", productKey=product_key)["data"] == before


# -- delete --------------------------------------------------------------------------------------
def test_delete_answers_the_key_and_removes_the_product(en: EnosClient) -> None:
    product_key = en.create_product()
    reply = en.products("delete", method="GET", productKey=product_key)
    assert (reply["code"], reply["data"]) == (0, product_key)
    assert error_of(en.products("get", productKey=product_key))[0] == 11611


def test_delete_of_an_unknown_product_is_99404(en: EnosClient) -> None:
    assert error_of(en.products("delete", productKey="nope1234")) == (99404, "Not found")


def test_delete_of_a_product_with_devices_is_11619(en: EnosClient) -> None:
    product_key = en.create_product()
    en.create_device(product_key)
    reply = en.products("delete", productKey=product_key)
    assert error_of(reply) == (11619, "Existing Device Restrictions")
    assert en.products("get", productKey=product_key)["code"] == 0


# -- search --------------------------------------------------------------------------------------
def test_search_lists_newest_first_with_pagination(en: EnosClient) -> None:
    keys = [en.create_product() for _ in range(3)]
    reply = en.products("search", {"pagination": {"pageNo": 1, "pageSize": 2}})
    assert [p["productKey"] for p in reply["data"]] == keys[::-1][:2]
    assert reply["pagination"] == {"sortedBy": None, "pageNo": 1, "pageSize": 2, "totalSize": 3}


def test_search_second_page(en: EnosClient) -> None:
    keys = [en.create_product() for _ in range(3)]
    reply = en.products("search", {"pagination": {"pageNo": 2, "pageSize": 2}})
    assert [p["productKey"] for p in reply["data"]] == [keys[0]]


def test_search_by_model_id_accepts_double_quotes(en: EnosClient) -> None:
    wanted = en.create_product(modelId="AlterTest0615")
    en.create_product(modelId="other")
    reply = en.products("search", {"expression": 'modelId="AlterTest0615"'})
    assert [p["productKey"] for p in reply["data"]] == [wanted]


def test_search_by_tag_existence(en: EnosClient) -> None:
    tagged = en.create_product(productTags={"site": "north"})
    plain = en.create_product()
    found = en.products("search", {"expression": "exists(productTags.site)"})["data"]
    missing = en.products("search", {"expression": "not exists(productTags.site)"})["data"]
    assert [p["productKey"] for p in found] == [tagged]
    assert [p["productKey"] for p in missing] == [plain]


def test_search_by_name_like_matches_localized_names(en: EnosClient) -> None:
    wanted = en.create_product()
    en.create_product(productName={"defaultValue": "Meter"})
    reply = en.products("search", {"expression": "productName like '风'"})
    assert [p["productKey"] for p in reply["data"]] == [wanted]


def test_search_product_key_in(en: EnosClient) -> None:
    first, second, _third = (en.create_product() for _ in range(3))
    reply = en.products("search", {"expression": f"productKey in ('{first}', '{second}')"})
    assert {p["productKey"] for p in reply["data"]} == {first, second}


@pytest.mark.parametrize(
    "body",
    [
        # pageSize 201: clamped by default (issue 16 item 7, spec §4.4 [I]; see
        # test_enos_fidelity.py)
        {"pagination": {"pageSize": 0}},
        {"pagination": {"pageNo": 0}},
        {"pagination": "all"},
        {"expression": "modelId = "},
        {"expression": "modelId == 'x'"},
        {"expression": "(modelId = 'x'"},
        {"expression": "color = 'red'"},
        {"expression": 42},
    ],
    ids=repr,
)
def test_search_rejects_bad_paging_and_expressions(en: EnosClient, body: dict[str, Any]) -> None:
    assert error_of(en.products("search", body)) == INVALID


# -- shared request checks -----------------------------------------------------------------------
def test_missing_action_is_99400_with_the_documented_text(en: EnosClient) -> None:
    reply = en.products(None)
    assert error_of(reply) == (99400, "Invalid Argument action:action is missing")


def test_unknown_action_is_99400(en: EnosClient) -> None:
    code, msg = error_of(en.products("explode"))
    assert code == 99400
    assert "explode" in msg


def test_missing_org_id_is_99400(en: EnosClient) -> None:
    response = en.request("POST", PRODUCTS, {"action": "search"}, {})
    assert error_of(response.json_body()) == (99400, "Invalid Argument orgId:orgId is missing")


def test_unknown_org_id_is_99400_with_the_documented_text(en: EnosClient) -> None:
    reply = en.products("search", {}, org_id="o00000000000000")
    assert error_of(reply) == (99400, "Invalid Argument orgId:  orgId does not exist")


def test_foreign_org_id_is_99403(en: EnosClient, platform: fakeiot.Platform) -> None:
    other = platform.enos.create_org()
    reply = en.products("search", {}, org_id=other.org_id)
    assert error_of(reply) == (99403, f"Denied resource:  orgId {other.org_id}")


def test_an_org_sees_only_its_own_products(platform: fakeiot.Platform) -> None:
    first, second = EnosClient(platform), EnosClient(platform)
    product_key = first.create_product()
    assert error_of(second.products("get", productKey=product_key))[0] == 11611
    assert product_count(second) == 0
