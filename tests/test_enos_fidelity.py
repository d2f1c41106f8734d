"""The EnOS part of the fidelity sweep (issue 16 items 7-14): each behaviour follows the spec's
[C] fact or [I] recommendation, with the earlier behaviour kept as a setting where a team may
rely on it. Section numbers refer to shared/spec/enos.md."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

import fakeiot
from fakeiot._clock import ManualClock
from tests.enos import (
    AUTH_FAILED,
    DEVICES,
    INVALID,
    PRODUCTS,
    TOKEN_GET,
    EnosClient,
    error_of,
    product_body,
)


def client(**settings: Any) -> EnosClient:
    return EnosClient(fakeiot.Platform(seed=0, clock=ManualClock(1_700_000_000.0), **settings))


# -- item 7: pageSize above 200 (spec §4.4 [I]) ---------------------------------------------------
@pytest.mark.parametrize("path", [DEVICES, PRODUCTS])
def test_page_size_above_200_is_clamped_to_200_by_default(path: str) -> None:
    en = client()
    product_key = en.create_product()
    if path == DEVICES:
        en.devices(
            "batchCreate",
            {
                "deviceList": [
                    {
                        "productKey": product_key,
                        "deviceName": {"defaultValue": "d"},
                        "timezone": "+08:00",
                    }
                ]
                * 205
            },
        )
    else:
        for _ in range(204):
            en.create_product()
    reply = en.call(path, "search", {"pagination": {"pageNo": 1, "pageSize": 1000}})
    assert reply["code"] == 0
    assert len(reply["data"]) == 200
    assert reply["pagination"] == {"sortedBy": None, "pageNo": 1, "pageSize": 200, "totalSize": 205}


@pytest.mark.parametrize("path", [DEVICES, PRODUCTS])
def test_page_size_above_200_is_99400_with_the_strict_setting(path: str) -> None:
    en = client(enos_page_size_above_max="strict")
    reply = en.call(path, "search", {"pagination": {"pageSize": 201}})
    assert error_of(reply) == INVALID
    assert en.call(path, "search", {"pagination": {"pageSize": 200}})["code"] == 0


# -- item 8: a patch update changes only the fields present (spec §4.5) ---------------------------
def test_patching_only_the_default_name_keeps_the_device_i18n_values() -> None:
    en = client()
    product_key = en.create_product()
    device = en.create_device(
        product_key, deviceName={"defaultValue": "pump", "i18nValue": {"zh_CN": "水泵"}}
    )
    reply = en.devices(
        "update", {"deviceName": {"defaultValue": "pump-2"}}, assetId=device["assetId"]
    )
    assert reply["code"] == 0
    assert en.get_device(device["assetId"])["deviceName"] == {
        "defaultValue": "pump-2",
        "i18nValue": {"zh_CN": "水泵"},
    }
    # an explicit i18nValue still replaces them; a full update replaces everything
    en.devices(
        "update", {"deviceName": {"defaultValue": "p", "i18nValue": {}}}, assetId=device["assetId"]
    )
    assert en.get_device(device["assetId"])["deviceName"]["i18nValue"] == {}


def test_full_update_without_i18n_values_clears_them() -> None:
    en = client()
    product_key = en.create_product()
    device = en.create_device(
        product_key, deviceName={"defaultValue": "pump", "i18nValue": {"zh_CN": "水泵"}}
    )
    body = {"deviceName": {"defaultValue": "pump-3"}, "timezone": "+01:00"}
    en.devices("update", body, assetId=device["assetId"], isPatchUpdate="false")
    assert en.get_device(device["assetId"])["deviceName"] == {
        "defaultValue": "pump-3",
        "i18nValue": {},
    }


def test_patching_only_the_default_name_keeps_the_product_i18n_values() -> None:
    en = client()
    product_key = en.create_product()  # productName has zh_CN
    en.products("update", {"productName": {"defaultValue": "Turbine 2"}}, productKey=product_key)
    name = en.products("get", productKey=product_key)["data"]["productName"]
    assert name == {"defaultValue": "Turbine 2", "i18nValue": {"zh_CN": "风机"}}


# -- item 9: replace resets the device to non-activated (seed, spec §4.9) -------------------------
def test_replace_resets_the_online_and_offline_times_of_the_device() -> None:
    en = client()
    product_key = en.create_product()
    device = en.create_device(product_key, deviceKey="old_key1")
    enos = en.platform.enos
    enos.login_device(product_key, "old_key1", device["deviceSecret"])
    en.platform.clock.advance(60)  # type: ignore[attr-defined]
    enos.logout_device(product_key, "old_key1")
    enos.login_device(product_key, "old_key1", device["deviceSecret"])
    reply = en.devices("replaceDevice", {"newDeviceKey": "new_key1"}, assetId=device["assetId"])
    assert reply["code"] == 0
    data = en.get_device(device["assetId"])
    assert data["status"] == "inactive"
    assert (data["activeTime"], data["lastOnlineTime"], data["lastOfflineTime"]) == (0, 0, 0)


# -- item 10: newDeviceKey follows the create pattern (spec §4.9 [I]) ----------------------------
def test_new_device_key_may_hold_more_than_3_special_characters() -> None:
    en = client()
    product_key = en.create_product()
    device = en.create_device(product_key, deviceKey="a:b.c-d_e")
    reply = en.devices("replaceDevice", {"newDeviceKey": "a-b_c.d:e"}, assetId=device["assetId"])
    assert reply["data"]["deviceKey"] == "a-b_c.d:e"
    # and back to the key scheme it was created with
    back = en.devices("replaceDevice", {"newDeviceKey": "a:b.c-d_e"}, assetId=device["assetId"])
    assert back["data"]["deviceKey"] == "a:b.c-d_e"


def test_strict_new_device_key_refuses_more_than_3_special_characters() -> None:
    en = client(enos_strict_new_device_key=True)
    product_key = en.create_product()
    device = en.create_device(product_key)
    before = en.get_device(device["assetId"])
    reply = en.devices("replaceDevice", {"newDeviceKey": "a-b_c.d:e"}, assetId=device["assetId"])
    assert error_of(reply) == INVALID
    assert en.get_device(device["assetId"]) == before
    ok = en.devices("replaceDevice", {"newDeviceKey": "a-b_c.d"}, assetId=device["assetId"])
    assert ok["data"]["deviceKey"] == "a-b_c.d"


# -- item 11: thing models belong to an organization (spec §3.1) ---------------------------------
def test_a_model_of_one_org_is_unknown_to_another() -> None:
    en = client(enos_strict_models=True)
    enos = en.platform.enos
    other = EnosClient(en.platform, enos.create_org())
    assert enos.create_model("meter_model", org=en.org) == "/meter_model"
    assert en.products("create", product_body(modelId="meter_model"))["code"] == 0
    reply = other.products("create", product_body(modelId="meter_model"))
    assert error_of(reply) == (11699, "modelId does not exist")


def test_a_model_declared_without_an_org_is_shared_by_every_org() -> None:
    en = client(enos_strict_models=True)
    enos = en.platform.enos
    other = EnosClient(en.platform, enos.create_org())
    enos.create_model("shared_model")
    path = enos.create_model("child_model", org=other.org, parent="shared_model")
    assert path == "/shared_model/child_model"
    assert en.products("create", product_body(modelId="shared_model"))["code"] == 0
    assert other.products("create", product_body(modelId="child_model"))["code"] == 0
    assert error_of(en.products("create", product_body(modelId="child_model")))[0] == 11699


def test_org_models_survive_export_and_import() -> None:
    en = client(enos_strict_models=True)
    enos = en.platform.enos
    enos.create_model("meter_model", org=en.org)
    state = json.loads(json.dumps(enos.export_state()))
    enos.import_state(state)
    assert en.products("create", product_body(modelId="meter_model"))["code"] == 0


# -- item 13: a fault renders in the shape of the route's family (spec §2.3-§2.5, §6.3) ----------
def test_a_token_service_error_injected_on_a_connect_service_route_uses_the_envelope() -> None:
    en = client()
    en.platform.faults.inject("enos.search_device", error="TOKEN_INTERNAL")
    response = en.request("POST", DEVICES, {"action": "search", "orgId": en.org.org_id}, {})
    assert response.status == 200
    assert error_of(response.json_body()) == (1005, "Internal service exception")


def test_a_connect_service_error_injected_on_the_token_service_uses_its_body() -> None:
    en = client()
    en.platform.faults.inject("enos.token_get", error="11404")
    response = en.token_call(TOKEN_GET)
    assert response.status == 200
    assert response.json_body() == {
        "status": 11404,
        "msg": "Device cannot be found",
        "business": "apim-token-service",
        "data": None,
    }


def test_gateway_errors_keep_the_gateway_body_on_every_family() -> None:
    en = client()
    en.platform.faults.inject("enos.token_get", error="RATE_LIMITED")
    response = en.token_call(TOKEN_GET)
    assert (response.status, response.json_body()) == (429, {"message": "API rate limit exceeded"})


# -- item 12: the Poseidon-only gateway and the lenient mode (spec §6.1) --------------------------
def _encrypt(platform: fakeiot.Platform, text: str) -> str:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = serialization.load_der_public_key(base64.b64decode(platform.enos.poseidon_public_key))
    sealed = key.encrypt(  # type: ignore[union-attr]
        text.encode(),
        padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
    )
    return base64.b64encode(sealed).decode()


def _poseidon_call(platform: fakeiot.Platform, org_id: str, header: str) -> fakeiot.HttpResponse:
    return platform.handle(
        fakeiot.HttpRequest(
            "GET",
            DEVICES,
            query_string=f"action=getStats&orgId={org_id}",
            headers={"apim-accesstoken": header},
        )
    )


def test_poseidon_only_gateway_hands_out_no_access_tokens() -> None:
    platform = fakeiot.Platform(seed=0, enos_auth_mode="poseidon")
    org = platform.enos.create_org()
    stamp = str(int(platform.clock.now() * 1000))
    digest = hashlib.sha256((org.access_key + stamp + org.secret_key).encode()).hexdigest()
    body = {"appKey": org.access_key, "encryption": digest, "timestamp": stamp}
    response = platform.handle(
        fakeiot.HttpRequest("POST", TOKEN_GET, body=json.dumps(body).encode())
    )
    assert (response.status, response.json_body()) == (401, AUTH_FAILED)
    assert platform.enos.state.tokens == {}


def test_lenient_poseidon_needs_a_base64_rsa_ciphertext() -> None:
    platform = fakeiot.Platform(seed=0, enos_poseidon_lenient=True)
    org = platform.enos.create_org()
    foreign = base64.b64encode(bytes(range(256))).decode()  # another key's ciphertext
    assert _poseidon_call(platform, org.org_id, foreign).json_body()["code"] == 0
    for header in ("not base64 at all", base64.b64encode(b"short").decode()):
        response = _poseidon_call(platform, org.org_id, header)
        assert (response.status, response.json_body()) == (401, AUTH_FAILED)


@pytest.mark.parametrize("fields", [4, 6])
def test_a_token_without_five_fields_is_refused_even_when_lenient(fields: int) -> None:
    platform = fakeiot.Platform(seed=0, enos_poseidon_lenient=True)
    org = platform.enos.create_org()
    parts = ["123456", org.access_key, org.secret_key, "a" * 64, "b" * 64, "x"][:fields]
    response = _poseidon_call(platform, org.org_id, _encrypt(platform, "$".join(parts)))
    assert (response.status, response.json_body()) == (401, AUTH_FAILED)


# -- item 14: encodings and limits (spec §2.2, §2.5, §2.6) ---------------------------------------
def test_a_body_over_the_gateway_limit_is_413_before_anything_else() -> None:
    en = client(enos_max_body=1000)
    product_key = en.create_product()
    big = {"productKey": product_key, "deviceName": {"defaultValue": "d"}, "timezone": "+08:00"}
    big["deviceDesc"] = "x" * 1000
    response = en.request("POST", DEVICES, {"action": "create", "orgId": en.org.org_id}, big)
    assert (response.status, response.json_body()) == (
        413,
        {"message": "Request size limit exceeded"},
    )
    token = en.platform.handle(fakeiot.HttpRequest("POST", TOKEN_GET, body=b" " * 1001))
    assert token.status == 413
    assert en.devices("search", {})["pagination"]["totalSize"] == 0


def test_the_default_gateway_limit_is_10_mib() -> None:
    assert fakeiot.Settings().enos_max_body == 10 * 1024 * 1024
    en = client()
    raw = b'{"pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = en.request("POST", DEVICES, {"action": "search", "orgId": en.org.org_id}, raw=raw)
    assert response.status == 413


@pytest.mark.parametrize(
    "raw",
    [
        '{"productKey": "k"}'.encode("utf-16"),
        b"\xef\xbb\xbf{}",
        b'{"pagination": {"pageNo": NaN}}',
    ],
    ids=["utf-16", "utf-8 BOM", "NaN"],
)
def test_bodies_are_utf8_json_without_bom_or_nan(raw: bytes) -> None:
    en = client()
    reply = en.call(DEVICES, "search", raw=raw)
    assert error_of(reply) == INVALID


def test_a_lone_surrogate_under_an_unknown_key_is_ignored_like_any_unknown_key() -> None:
    en = client()
    reply = en.call(DEVICES, "search", raw=b'{"note": "\\ud800"}')
    assert reply["code"] == 0
