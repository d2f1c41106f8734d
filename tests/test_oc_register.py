"""OceanConnect device registration (verification-code mode): success and every seed-002 row."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import fakeiot
from fakeiot._oceanconnect import OcError
from tests.oc import DEVICE, IMEI, REGISTER, OcClient, error_of

PY_SDK_BODY: dict[str, Any] = {
    "account": None,
    "deviceInfo": None,
    "deviceName": None,
    "endUserId": None,
    "groupId": None,
    "imsi": None,
    "isSecure": None,
    "nodeId": "urn:imei:861234567890123",
    "productId": None,
    "psk": None,
    "timeout": 0,
    "verifyCode": "urn:imei:861234567890123",
}


def expected(error: OcError) -> tuple[int, str, str]:
    row = error.row
    return row.status, row.code, row.desc


# =============================================================================================
# success
# =============================================================================================
def test_register_answers_device_id_verify_code_timeout_psk(oc: OcClient) -> None:
    response = oc.register(IMEI)
    body = response.json_body()
    assert response.status == 200
    assert list(body) == ["deviceId", "verifyCode", "timeout", "psk"]
    assert str(uuid.UUID(body["deviceId"])) == body["deviceId"]


def test_generated_psk_is_32_hex_digits(oc: OcClient) -> None:
    psk = oc.register(IMEI).json_body()["psk"]
    assert re.fullmatch(r"[0-9a-f]{32}", psk)


def test_given_psk_is_used(oc: OcClient) -> None:
    assert oc.register(IMEI, psk="0123456789ABCDEF").json_body()["psk"] == "0123456789ABCDEF"


def test_timeout_defaults_to_180(oc: OcClient) -> None:
    assert oc.register(IMEI).json_body()["timeout"] == 180


def test_timeout_default_follows_register_timeout_default_setting() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, register_timeout_default=42))
    assert oc.register(IMEI).json_body()["timeout"] == 42


@pytest.mark.parametrize("timeout", [0, 1, 2147483647])
def test_given_timeout_is_echoed(oc: OcClient, timeout: int) -> None:
    assert oc.register(IMEI, timeout=timeout).json_body()["timeout"] == timeout


def test_absent_verify_code_is_generated_by_the_platform(oc: OcClient) -> None:
    # spec §4.1 [C]: "If absent the platform generates one" (issue 16 item 1)
    first = oc.register(IMEI).json_body()["verifyCode"]
    second = oc.register("node-2").json_body()["verifyCode"]
    assert first != IMEI
    assert second != "node-2"
    assert first != second
    assert re.fullmatch(r"[0-9A-F]{16}", first)


def test_verify_code_defaults_to_node_id_with_the_node_id_setting() -> None:
    # the NB-IoT practice (verifyCode = IMEI) stays available as a setting (docs/fidelity.md)
    platform = fakeiot.Platform(seed=0, oceanconnect_verify_code_default="node_id")
    assert OcClient(platform).register(IMEI).json_body()["verifyCode"] == IMEI


def test_device_side_presents_the_generated_code_by_default(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    view = oc.platform.oceanconnect.connect_device(IMEI)
    assert (view.device_id, view.activated) == (device_id, True)


def test_register_is_secure_shows_in_device_info_is_security(oc: OcClient) -> None:
    # issue 16 item 6: modify's isSecure shows as deviceInfo.isSecurity; register's does too
    secure = oc.register_ok(IMEI, isSecure=True)
    plain = oc.register_ok("node-2", isSecure=False)
    unset = oc.register_ok("node-3")
    shown = [
        oc.call("GET", DEVICE.format(d)).json_body()["deviceInfo"]["isSecurity"]
        for d in (secure, plain, unset)
    ]
    assert shown == ["TRUE", "FALSE", None]


def test_given_verify_code_is_echoed(oc: OcClient) -> None:
    assert oc.register(IMEI, verifyCode="ABC123").json_body()["verifyCode"] == "ABC123"


def test_registered_device_is_held_offline_and_not_activated(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, verifyCode="VC1", timeout=0)
    view = oc.platform.oceanconnect.device(device_id)
    assert (view.app_id, view.node_id, view.verify_code) == (oc.app.app_id, IMEI, "VC1")
    assert (view.status, view.status_detail, view.activated) == ("OFFLINE", "NOT_ACTIVE", False)


def test_python_sdk_body_with_nulls_registers(oc: OcClient) -> None:
    response = oc.call("POST", REGISTER, PY_SDK_BODY)
    body = response.json_body()
    assert response.status == 200
    assert (body["verifyCode"], body["timeout"]) == ("urn:imei:861234567890123", 0)


@pytest.mark.parametrize(
    "key",
    [
        "account",
        "deviceInfo",
        "deviceName",
        "endUserId",
        "groupId",
        "imsi",
        "isSecure",
        "productId",
        "psk",
        "timeout",
        "verifyCode",
    ],
)
def test_null_optional_field_is_treated_as_absent(oc: OcClient, key: str) -> None:
    response = oc.register(IMEI, **{key: None})
    assert response.status == 200
    assert response.json_body()["timeout"] == 180


def test_unknown_keys_are_ignored(oc: OcClient) -> None:
    response = oc.register(IMEI, account="bob", groupId="g1", whatever={"x": [1, 2]}, tags=[])
    assert response.status == 200


def test_app_id_in_body_is_ignored(oc: OcClient) -> None:
    """The PHP client puts appId in bodies; only the query parameter counts."""
    device_id = oc.register_ok(IMEI, appId="someone-else")
    assert oc.platform.oceanconnect.device(device_id).app_id == oc.app.app_id


def test_own_app_id_in_query_is_accepted(oc: OcClient) -> None:
    """The PHP client always appends ``?appId=<own appId>``."""
    response = oc.call("POST", f"{REGISTER}?appId={oc.app.app_id}", {"nodeId": IMEI})
    assert response.status == 200


def test_register_version_1_2_0_is_served(oc: OcClient) -> None:
    response = oc.call("POST", REGISTER.replace("v1.1.0", "v1.2.0"), {"nodeId": IMEI})
    assert response.status == 200


def test_device_info_is_stored_and_queryable(oc: OcClient) -> None:
    info = {
        "manufacturerName": "ACME",
        "deviceType": "Meter",
        "model": "M1",
        "protocolType": "CoAP",
    }
    device_id = oc.register_ok(IMEI, deviceInfo=info)
    shown = oc.call("GET", DEVICE.format(device_id)).json_body()["deviceInfo"]
    assert {k: shown[k] for k in info} == info


def test_device_name_becomes_the_name(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, deviceName="meter-7")
    assert oc.platform.oceanconnect.device(device_id).name == "meter-7"


def test_urn_imei_and_bare_imei_are_different_node_ids(oc: OcClient) -> None:
    first = oc.register(f"urn:imei:{IMEI}")
    second = oc.register(IMEI)
    assert (first.status, second.status) == (200, 200)
    assert first.json_body()["deviceId"] != second.json_body()["deviceId"]


def test_boundary_lengths_are_accepted(oc: OcClient) -> None:
    response = oc.register("n" * 256, psk="a" * 8, endUserId="u" * 256, imsi="4" * 64)
    assert response.status == 200


def test_32_character_psk_is_accepted(oc: OcClient) -> None:
    assert oc.register(IMEI, psk="F" * 32).status == 200


def test_register_emits_a_register_event_for_the_call(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    event = oc.platform.events[-1]
    assert (event.kind, event.subject, event.data["nodeId"]) == ("register", device_id, IMEI)
    assert event.call == oc.platform.calls[-1].index


# =============================================================================================
# request errors
# =============================================================================================
@pytest.mark.parametrize(
    "raw",
    [b"", b"{nodeId", b"[1, 2]", b'"nodeId"', b"null", b"42"],
    ids=["empty", "malformed", "array", "string", "null", "number"],
)
def test_body_that_is_not_a_json_object_is_100007(oc: OcClient, raw: bytes) -> None:
    assert error_of(oc.call("POST", REGISTER, raw=raw)) == expected(OcError.BAD_REQUEST)


@pytest.mark.parametrize(
    "body", [{}, {"nodeId": None}, {"nodeId": ""}, {"verifyCode": IMEI}], ids=str
)
def test_missing_or_empty_node_id_is_100007(oc: OcClient, body: dict[str, Any]) -> None:
    assert error_of(oc.call("POST", REGISTER, body)) == expected(OcError.BAD_REQUEST)


@pytest.mark.parametrize(
    "verify_code", ["", 123, True, ["a"], "v" * 257], ids=["empty", "int", "bool", "list", "long"]
)
def test_invalid_verify_code_is_100003(oc: OcClient, verify_code: Any) -> None:
    response = oc.register(IMEI, verifyCode=verify_code)
    assert error_of(response) == expected(OcError.INVALID_VERIFY_CODE)


def test_duplicate_verify_code_is_100416(oc: OcClient) -> None:
    oc.register_ok("node-1", verifyCode="SHARED")
    response = oc.register("node-2", verifyCode="SHARED")
    assert error_of(response) == expected(OcError.ALREADY_BOUND)


def test_verify_code_equal_to_an_existing_generated_code_is_100416(oc: OcClient) -> None:
    code = oc.register(IMEI).json_body()["verifyCode"]  # generated (spec §4.1)
    response = oc.register("other-node", verifyCode=code.lower())
    assert error_of(response) == expected(OcError.ALREADY_BOUND)


def test_duplicate_node_id_is_100426(oc: OcClient) -> None:
    oc.register_ok(IMEI)
    assert error_of(oc.register(IMEI, verifyCode="fresh")) == expected(OcError.NODE_ID_DUPLICATED)


def test_node_id_is_unique_across_applications(platform: fakeiot.Platform) -> None:
    OcClient(platform).register_ok(IMEI)
    response = OcClient(platform).register(IMEI, verifyCode="fresh")
    assert error_of(response) == expected(OcError.NODE_ID_DUPLICATED)


def test_duplicate_node_id_is_reported_before_duplicate_verify_code(oc: OcClient) -> None:
    oc.register_ok(IMEI)
    assert error_of(oc.register(IMEI)) == expected(OcError.NODE_ID_DUPLICATED)


@pytest.mark.parametrize(
    "fields",
    [
        {"nodeId": 861234567890123},
        {"nodeId": ["x"]},
        {"nodeId": "n" * 257},
        {"timeout": "180"},
        {"timeout": 1.5},
        {"timeout": True},
        {"timeout": -1},
        {"timeout": 2147483648},
        {"psk": "0123456789abcdeg"},
        {"psk": "1234567"},
        {"psk": "a" * 33},
        {"psk": 12345678},
        {"isSecure": "true"},
        {"isSecure": 1},
        {"endUserId": "u" * 257},
        {"imsi": ""},
        {"imsi": "4" * 65},
        {"productId": 7},
        {"deviceName": "d" * 257},
        {"deviceInfo": "CoAP"},
        {"deviceInfo": [{"model": "M1"}]},
        {"deviceInfo": {"model": 1}},
        {"deviceInfo": {"name": "n" * 257}},
        {"deviceInfo": {"location": "l" * 1025}},
    ],
    ids=[
        "nodeId-int",
        "nodeId-list",
        "nodeId-257",
        "timeout-string",
        "timeout-float",
        "timeout-bool",
        "timeout-negative",
        "timeout-too-big",
        "psk-not-hex",
        "psk-7",
        "psk-33",
        "psk-int",
        "isSecure-string",
        "isSecure-int",
        "endUserId-257",
        "imsi-empty",
        "imsi-65",
        "productId-int",
        "deviceName-257",
        "deviceInfo-string",
        "deviceInfo-list",
        "model-int",
        "name-257",
        "location-1025",
    ],
)
def test_wrong_type_or_limit_is_50400(oc: OcClient, fields: dict[str, Any]) -> None:
    body = {"nodeId": IMEI, **fields}
    assert error_of(oc.call("POST", REGISTER, body)) == expected(OcError.INPUT_INVALID)


# =============================================================================================
# gateway and application errors
# =============================================================================================
def test_missing_app_key_is_401_100025(oc: OcClient) -> None:
    headers = {"Authorization": f"Bearer {oc.token}", "Content-Type": "application/json"}
    response = oc.call("POST", REGISTER, {"nodeId": IMEI}, headers=headers)
    assert error_of(response) == expected(OcError.APP_KEY_MISSING)


def test_x_app_key_registers(oc: OcClient) -> None:
    headers = {"x-app-key": oc.app.app_id, "Authorization": f"Bearer {oc.token}"}
    assert oc.call("POST", REGISTER, {"nodeId": IMEI}, headers=headers).status == 200


def test_bad_token_is_1010005(oc: OcClient) -> None:
    headers = {**oc.headers, "Authorization": "Bearer 0000"}
    response = oc.call("POST", REGISTER, {"nodeId": IMEI}, headers=headers)
    assert error_of(response) == expected(OcError.TOKEN_INVALID)


def test_unknown_app_id_in_query_is_403_100203(oc: OcClient) -> None:
    response = oc.call("POST", f"{REGISTER}?appId=nosuchapp", {"nodeId": IMEI})
    assert error_of(response) == expected(OcError.APP_NOT_EXIST)


def test_app_id_of_unauthorizing_app_is_403_100217(platform: fakeiot.Platform) -> None:
    owner, caller = OcClient(platform), OcClient(platform)
    response = caller.call("POST", f"{REGISTER}?appId={owner.app.app_id}", {"nodeId": IMEI})
    assert error_of(response) == expected(OcError.APP_NOT_AUTHORIZED)


def test_authorized_app_registers_for_the_owner(platform: fakeiot.Platform) -> None:
    owner, caller = OcClient(platform), OcClient(platform)
    platform.oceanconnect.authorize(owner=owner.app, grantee=caller.app)
    response = caller.call("POST", f"{REGISTER}?appId={owner.app.app_id}", {"nodeId": IMEI})
    assert response.status == 200
    device_id = response.json_body()["deviceId"]
    assert platform.oceanconnect.device(device_id).app_id == owner.app.app_id
    assert platform.oceanconnect.devices(caller.app) == []


def test_authorization_is_one_way(platform: fakeiot.Platform) -> None:
    owner, caller = OcClient(platform), OcClient(platform)
    platform.oceanconnect.authorize(owner=owner.app, grantee=caller.app)
    response = owner.call("POST", f"{REGISTER}?appId={caller.app.app_id}", {"nodeId": IMEI})
    assert error_of(response) == expected(OcError.APP_NOT_AUTHORIZED)


def test_throttled_register_is_1010009() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, flow_control_limit=1))
    oc.register_ok("node-1")
    assert error_of(oc.register("node-2")) == expected(OcError.THROTTLED)


def test_unknown_product_with_strict_products_is_403_600002() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_strict_products=True))
    assert error_of(oc.register(IMEI, productId="p1")) == expected(OcError.PRODUCT_NOT_EXIST)


def test_declared_product_with_strict_products_registers() -> None:
    platform = fakeiot.Platform(seed=0, oceanconnect_strict_products=True)
    platform.oceanconnect.create_product("p1")
    device_id = OcClient(platform).register_ok(IMEI, productId="p1")
    assert platform.oceanconnect.device(device_id).product_id == "p1"


def test_unknown_product_without_strict_products_registers(oc: OcClient) -> None:
    assert oc.register(IMEI, productId="p1").status == 200


def test_exhausted_license_pool_is_200_103028() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, license_pool=1))
    oc.register_ok("node-1")
    response = oc.register("node-2")
    assert response.status == 200
    assert error_of(response) == expected(OcError.LICENSE_POOL_EXHAUSTED)


def test_license_pool_counts_devices_of_every_app() -> None:
    platform = fakeiot.Platform(seed=0, license_pool=1)
    OcClient(platform).register_ok("node-1")
    response = OcClient(platform).register("node-2")
    assert error_of(response) == expected(OcError.LICENSE_POOL_EXHAUSTED)


@pytest.mark.parametrize(
    "error",
    [OcError.INTERNAL_SERVER_ERROR, OcError.INTERNAL_ERROR, OcError.LICENSE_NOT_EXIST],
    ids=lambda e: e.row.code,
)
def test_injected_internal_errors_are_500(oc: OcClient, error: OcError) -> None:
    oc.platform.faults.inject("oceanconnect.register_device", error=error)
    response = oc.register(IMEI)
    assert response.status == 500
    assert error_of(response) == expected(error)


def test_fault_by_vendor_code_fails_once(oc: OcClient) -> None:
    oc.platform.faults.inject("oceanconnect.register_device", error="100001")
    first, second = oc.register(IMEI), oc.register(IMEI)
    assert error_of(first) == expected(OcError.INTERNAL_SERVER_ERROR)
    assert second.status == 200


def test_deleted_app_is_500_100203(oc: OcClient) -> None:
    oc.platform.oceanconnect.delete_app(oc.app)
    assert error_of(oc.register(IMEI)) == expected(OcError.APP_NOT_EXIST_INTERNAL)


def test_max_devices_is_500_100412() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, max_devices=2))
    oc.register_ok("node-1")
    oc.register_ok("node-2")
    assert error_of(oc.register("node-3")) == expected(OcError.DEVICE_LIMIT)


def test_max_devices_counts_per_application() -> None:
    platform = fakeiot.Platform(seed=0, max_devices=1)
    OcClient(platform).register_ok("node-1")
    assert OcClient(platform).register("node-2").status == 200


def test_max_non_secure_devices_is_500_100441() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, max_non_secure_devices=1))
    oc.register_ok("node-1")
    assert error_of(oc.register("node-2", isSecure=False)) == expected(OcError.NON_SECURE_LIMIT)


def test_secure_device_registers_past_max_non_secure_devices() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, max_non_secure_devices=1))
    oc.register_ok("node-1")
    assert oc.register("node-2", isSecure=True).status == 200


def test_register_error_bodies_are_byte_exact(oc: OcClient) -> None:
    oc.register_ok(IMEI, verifyCode="VC")
    duplicate = oc.register(IMEI)
    bound = oc.register("other", verifyCode="VC")
    malformed = oc.call("POST", REGISTER, raw=b"{")
    invalid = oc.register("third", timeout=-1)
    assert (duplicate.status, duplicate.body) == (
        400,
        b'{"error_code":"100426","error_desc":"The nodeId is duplicated."}',
    )
    assert (bound.status, bound.body) == (
        400,
        b'{"error_code":"100416","error_desc":"The device has already been bounded."}',
    )
    assert (malformed.status, malformed.body) == (
        400,
        b'{"error_code":"100007","error_desc":"Bad request message."}',
    )
    assert (invalid.status, invalid.body) == (
        400,
        b'{"error_code":"50400","error_desc":"The input is invalid."}',
    )


# =============================================================================================
# rejected requests change nothing
# =============================================================================================
Send = Callable[[OcClient], fakeiot.HttpResponse]


@dataclass(frozen=True)
class Rejection:
    error: OcError
    send: Send
    settings: dict[str, Any] = field(default_factory=dict)


def _inject(error: OcError) -> Send:
    def send(oc: OcClient) -> fakeiot.HttpResponse:
        oc.platform.faults.inject("oceanconnect.register_device", error=error)
        return oc.register("fresh-node")

    return send


def _without_app_key(oc: OcClient) -> fakeiot.HttpResponse:
    headers = {"Authorization": f"Bearer {oc.token}"}
    return oc.call("POST", REGISTER, {"nodeId": "fresh-node"}, headers=headers)


def _bad_token(oc: OcClient) -> fakeiot.HttpResponse:
    headers = {**oc.headers, "Authorization": "Bearer nope"}
    return oc.call("POST", REGISTER, {"nodeId": "fresh-node"}, headers=headers)


def _for_unauthorizing_app(oc: OcClient) -> fakeiot.HttpResponse:
    other = oc.platform.oceanconnect.create_app()
    return oc.call("POST", f"{REGISTER}?appId={other.app_id}", {"nodeId": "fresh-node"})


REJECTIONS = {
    "100007-malformed": Rejection(
        OcError.BAD_REQUEST, lambda oc: oc.call("POST", REGISTER, raw=b"{")
    ),
    "100007-no-nodeId": Rejection(OcError.BAD_REQUEST, lambda oc: oc.call("POST", REGISTER, {})),
    "100003": Rejection(
        OcError.INVALID_VERIFY_CODE, lambda oc: oc.register("fresh", verifyCode="")
    ),
    "100416": Rejection(
        OcError.ALREADY_BOUND, lambda oc: oc.register("fresh", verifyCode="VC-EXISTING")
    ),
    "100426": Rejection(OcError.NODE_ID_DUPLICATED, lambda oc: oc.register("EXISTING")),
    "50400": Rejection(OcError.INPUT_INVALID, lambda oc: oc.register("fresh", psk="xyz")),
    "100025": Rejection(OcError.APP_KEY_MISSING, _without_app_key),
    "1010005": Rejection(OcError.TOKEN_INVALID, _bad_token),
    "100203": Rejection(
        OcError.APP_NOT_EXIST,
        lambda oc: oc.call("POST", f"{REGISTER}?appId=none", {"nodeId": "fresh"}),
    ),
    "100217": Rejection(OcError.APP_NOT_AUTHORIZED, _for_unauthorizing_app),
    "1010009": Rejection(
        OcError.THROTTLED, lambda oc: oc.register("fresh"), {"flow_control_limit": 1}
    ),
    "600002": Rejection(
        OcError.PRODUCT_NOT_EXIST,
        lambda oc: oc.register("fresh", productId="p1"),
        {"oceanconnect_strict_products": True},
    ),
    "103028": Rejection(
        OcError.LICENSE_POOL_EXHAUSTED, lambda oc: oc.register("fresh"), {"license_pool": 1}
    ),
    "100412": Rejection(OcError.DEVICE_LIMIT, lambda oc: oc.register("fresh"), {"max_devices": 1}),
    "100441": Rejection(
        OcError.NON_SECURE_LIMIT, lambda oc: oc.register("fresh"), {"max_non_secure_devices": 1}
    ),
    "100001": Rejection(OcError.INTERNAL_SERVER_ERROR, _inject(OcError.INTERNAL_SERVER_ERROR)),
    "50252": Rejection(OcError.INTERNAL_ERROR, _inject(OcError.INTERNAL_ERROR)),
    "103026": Rejection(OcError.LICENSE_NOT_EXIST, _inject(OcError.LICENSE_NOT_EXIST)),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_rejected_register_leaves_the_platform_unchanged(case: str) -> None:
    rejection = REJECTIONS[case]
    platform = fakeiot.Platform(seed=0, **rejection.settings)
    oc = OcClient(platform)
    oc.register_ok("EXISTING", verifyCode="VC-EXISTING", timeout=0)
    views, events = platform.oceanconnect.devices(), len(platform.events)
    response = rejection.send(oc)
    assert error_of(response) == expected(rejection.error)
    assert len(platform.oceanconnect.devices()) == len(views) == 1
    assert platform.oceanconnect.devices() == views
    assert len(platform.events) == events
    platform.check_invariants()


def test_verify_codes_are_unique_regardless_of_case(oc: OcClient) -> None:
    """The device side compares verify codes case-insensitively, so uniqueness does too."""
    oc.register_ok("node-a", verifyCode="abc")
    assert error_of(oc.register("node-b", verifyCode="ABC"))[1] == "100416"


# =============================================================================================
# the Python-side set-up API (issue 11 item 5)
# =============================================================================================
def test_register_device_from_python_returns_what_the_api_returns(oc: OcClient) -> None:
    face = oc.platform.oceanconnect
    answer = face.register_device(oc.app, IMEI, timeout=0, device_name="meter")
    assert list(answer) == ["deviceId", "verifyCode", "timeout", "psk"]
    assert answer["timeout"] == 0
    view = face.device(answer["deviceId"])
    assert (view.node_id, view.name, view.activated) == (IMEI, "meter", False)
    status = oc.call("GET", f"/iocm/app/reg/v1.1.0/deviceCredentials/{answer['deviceId']}")
    assert status.json_body()["activated"] is False


def test_register_device_from_python_raises_the_api_error(oc: OcClient) -> None:
    face = oc.platform.oceanconnect
    face.register_device(oc.app.app_id, IMEI)
    with pytest.raises(fakeiot.ApiError) as caught:
        face.register_device(oc.app, IMEI)
    assert caught.value.error is OcError.NODE_ID_DUPLICATED


# =============================================================================================
# issue 16 item 4: Jackson coercion, per field (docs/fidelity.md)
# =============================================================================================
@pytest.mark.parametrize(("sent", "kept"), [(10.0, 10), ("100", 100), (" 7 ", 7)])
def test_jackson_coercion_reads_register_timeout_leniently(sent: Any, kept: int) -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_coercion="jackson"))
    assert oc.register(IMEI, timeout=sent).json_body()["timeout"] == kept


@pytest.mark.parametrize("sent", ["true", "TRUE", "True"])
def test_jackson_coercion_reads_the_sdk_string_is_secure(sent: str) -> None:
    # the official SDK's own test sends isSecure="true" (issue 16 item 4)
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_coercion="jackson"))
    device_id = oc.register_ok(IMEI, isSecure=sent)
    assert oc.platform.oceanconnect.device(device_id).is_secure is True


@pytest.mark.parametrize("sent", [10.5, "ten", "1e3", [], {}])
def test_jackson_coercion_still_refuses_what_is_no_integer(sent: Any) -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_coercion="jackson"))
    assert error_of(oc.register(IMEI, timeout=sent)) == expected(OcError.INPUT_INVALID)


@pytest.mark.parametrize(
    ("field", "sent"), [("timeout", 10.0), ("timeout", "100"), ("isSecure", "true")]
)
def test_strict_coercion_refuses_scalars_of_the_wrong_json_type(
    oc: OcClient, field: str, sent: Any
) -> None:
    assert error_of(oc.register(IMEI, **{field: sent})) == expected(OcError.INPUT_INVALID)


# =============================================================================================
# issue 16 item 5: Content-Type (docs/fidelity.md)
# =============================================================================================
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_json_body_is_read_whatever_the_content_type(
    oc: OcClient, content_type: str | None
) -> None:
    headers = {k: v for k, v in oc.headers.items() if k != "Content-Type"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = oc.call("POST", REGISTER, {"nodeId": IMEI}, headers=headers)
    assert response.status == 200


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_strict_content_type_answers_415(content_type: str | None) -> None:
    platform = fakeiot.Platform(seed=0, oceanconnect_strict_content_type=True)
    oc = OcClient(platform)  # login is a form and stays accepted
    headers = {k: v for k, v in oc.headers.items() if k != "Content-Type"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = oc.call("POST", REGISTER, {"nodeId": IMEI}, headers=headers)
    assert error_of(response) == expected(OcError.UNSUPPORTED_MEDIA_TYPE)
    assert platform.oceanconnect.devices() == []
    good = dict(headers, **{"Content-Type": "application/json; charset=UTF-8"})
    assert oc.call("POST", REGISTER, {"nodeId": IMEI}, headers=good).status == 200
