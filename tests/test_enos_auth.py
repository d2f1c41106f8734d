"""EnOS's API gateway (spec §6): the token service, apim-signature, Poseidon tokens, org scope."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import fakeiot
from fakeiot._enos._auth import poseidon_pin, sign
from fakeiot._enos._face import Organization
from tests.enos import AUTH_FAILED, DEVICES, TOKEN_GET, TOKEN_REFRESH, EnosClient, error_of

START = 1_700_000_000.0


@pytest.fixture
def platform() -> Iterator[fakeiot.Platform]:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock(START))
    yield platform
    platform.check_invariants()


@pytest.fixture
def en(platform: fakeiot.Platform) -> EnosClient:
    return EnosClient(platform)


def search_query(en: EnosClient) -> dict[str, str]:
    return {"action": "search", "orgId": en.org.org_id}


def token_status(response: fakeiot.HttpResponse) -> tuple[int, str]:
    body = response.json_body()
    assert response.status == 200
    assert (body["business"], body["data"]) == ("apim-token-service", None)
    return body["status"], body["msg"]


# -- the signature (spec §6.3) -------------------------------------------------------------------
def test_signature_reproduces_the_documented_test_vector() -> None:
    body = '{\n  "count": 20,\n  "page": 1,\n  "desc": "描述"\n}'.encode()
    query = {"k3": "v3", "k1": "v1", "k2": "v2"}
    assert (
        sign("xxxxaaaxxxx", query, body, "1572574909697", "xxxappSecretxxx")
        == "59828328f6c1f9771015dc74e4929ae30f518a35a3d2353972c2ea46556fc981"
    )


def test_the_test_clients_signature_agrees_with_the_platforms() -> None:
    from tests.enos import signature

    query = {"orgId": "o1", "action": "get", "assetId": "a b"}
    assert signature("t", query, b"{}", "1", "s") == sign("t", query, b"{}", "1", "s")


def test_a_signed_call_is_served(en: EnosClient) -> None:
    response = en.request("POST", DEVICES, search_query(en), {})
    assert (response.status, response.json_body()["code"]) == (200, 0)


# -- the token service ---------------------------------------------------------------------------
def test_token_get_answers_a_token_valid_for_7200_seconds(en: EnosClient) -> None:
    body = en.token_call(TOKEN_GET).json_body()
    assert (body["status"], body["msg"], body["business"]) == (0, "SUCCESS", "apim-token-service")
    assert body["data"] == {"accessToken": en.token, "expire": 7200}


def test_token_get_again_gives_the_same_token_and_its_remaining_life(
    en: EnosClient, platform: fakeiot.Platform
) -> None:
    platform.advance(100)
    data = en.token_call(TOKEN_GET).json_body()["data"]
    assert data == {"accessToken": en.token, "expire": 7100}


def test_token_get_after_expiry_gives_a_new_token(
    en: EnosClient, platform: fakeiot.Platform
) -> None:
    platform.advance(7200)
    assert en.token_call(TOKEN_GET).json_body()["data"]["accessToken"] != en.token


def test_refresh_issues_a_new_token_and_retires_the_old(en: EnosClient) -> None:
    old = en.token
    body = en.token_call(TOKEN_REFRESH, accessToken=old).json_body()
    assert (body["status"], body["data"]["expire"]) == (0, 7200)
    en.token = body["data"]["accessToken"]
    assert en.token != old
    assert en.request("POST", DEVICES, search_query(en), {}).json_body()["code"] == 0
    en.token = old
    assert en.request("POST", DEVICES, search_query(en), {}).status == 401


def test_refresh_of_an_unknown_token_is_1204(en: EnosClient) -> None:
    response = en.token_call(TOKEN_REFRESH, accessToken="not-a-token")
    assert token_status(response) == (1204, "Failed to refresh access token")


def test_refresh_of_an_expired_token_is_1203(en: EnosClient, platform: fakeiot.Platform) -> None:
    platform.advance(7201)
    response = en.token_call(TOKEN_REFRESH, accessToken=en.token)
    assert token_status(response) == (1203, "The access token has expired")


def test_token_get_with_an_unknown_app_key_is_1002(platform: fakeiot.Platform) -> None:
    ts = str(int(START * 1000))
    body = {"appKey": "ghost", "encryption": "0" * 64, "timestamp": ts}
    response = platform.handle(
        fakeiot.HttpRequest("POST", TOKEN_GET, body=json.dumps(body).encode())
    )
    assert token_status(response) == (1002, "The appKey does not exist")


def test_token_get_with_a_wrong_encryption_is_1003(en: EnosClient) -> None:
    ts = en.now_ms()
    body = {"appKey": en.org.access_key, "encryption": "0" * 64, "timestamp": int(ts)}
    response = en.platform.handle(
        fakeiot.HttpRequest("POST", TOKEN_GET, body=json.dumps(body).encode())
    )
    assert token_status(response) == (1003, "The encryption is not valid")


def test_a_replayed_encryption_is_1001(en: EnosClient, platform: fakeiot.Platform) -> None:
    ts = str(int(START * 1000) + 1)
    assert en.token_call(TOKEN_GET, timestamp=ts).json_body()["status"] == 0
    response = en.token_call(TOKEN_GET, timestamp=ts)
    assert token_status(response) == (1001, "Repeated requests with duplicated encryption")


def test_a_stale_token_timestamp_is_1004(en: EnosClient) -> None:
    stale = str(int(START * 1000) - 301_000)
    response = en.token_call(TOKEN_GET, timestamp=stale)
    assert token_status(response) == (1004, "Invalid parameter")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", 1202),
        (b"{}", 1202),
        (b'{"appKey": "", "encryption": "x", "timestamp": 1}', 1202),
        (b"not json", 1004),
        (b"[1]", 1004),
        (b'{"appKey": 5, "encryption": "x", "timestamp": 1}', 1004),
        (b'{"appKey": "k", "encryption": "x", "timestamp": "soon"}', 1004),
        (b'{"appKey": "k", "encryption": "x", "timestamp": true}', 1004),
    ],
    ids=repr,
)
def test_token_get_rejects_bad_bodies(platform: fakeiot.Platform, raw: bytes, code: int) -> None:
    response = platform.handle(fakeiot.HttpRequest("POST", TOKEN_GET, body=raw))
    assert token_status(response)[0] == code


# -- signature failures --------------------------------------------------------------------------
def signed_headers(en: EnosClient, query: dict[str, str], body: bytes, **changes: str) -> Any:
    ts = en.now_ms()
    headers = {
        "apim-accesstoken": en.token,
        "apim-timestamp": ts,
        "apim-signature": sign(en.token, query, body, ts, en.org.secret_key),
    }
    headers.update(changes)
    return {k: v for k, v in headers.items() if v != "-"}


@pytest.mark.parametrize(
    "changes",
    [
        {"apim-signature": "0" * 64},
        {"apim-signature": "-"},
        {"apim-signature": "é" * 64},
        {"apim-accesstoken": "-"},
        {"apim-accesstoken": "unknown-token"},
        {"apim-timestamp": "-"},
        {"apim-timestamp": "yesterday"},
        {"apim-timestamp": "9" * 40},
    ],
    ids=repr,
)
def test_a_bad_signature_header_is_401(en: EnosClient, changes: dict[str, str]) -> None:
    query = search_query(en)
    response = en.request(
        "POST", DEVICES, query, raw=b"{}", headers=signed_headers(en, query, b"{}", **changes)
    )
    assert (response.status, response.json_body()) == (401, AUTH_FAILED)


def test_a_body_changed_after_signing_is_401(en: EnosClient) -> None:
    query = search_query(en)
    headers = signed_headers(en, query, b"{}")
    response = en.request("POST", DEVICES, query, raw=b'{"x": 1}', headers=headers)
    assert response.status == 401


def test_a_query_changed_after_signing_is_401(en: EnosClient) -> None:
    query = search_query(en)
    headers = signed_headers(en, query, b"{}")
    response = en.request("POST", DEVICES, {**query, "extra": "1"}, raw=b"{}", headers=headers)
    assert response.status == 401


def test_an_expired_access_token_is_401(en: EnosClient, platform: fakeiot.Platform) -> None:
    platform.advance(7200)
    assert en.request("POST", DEVICES, search_query(en), {}).status == 401


def test_a_timestamp_outside_the_window_is_401(en: EnosClient) -> None:
    query = search_query(en)
    old = str(int(START * 1000) - 301_000)
    headers = {
        "apim-accesstoken": en.token,
        "apim-timestamp": old,
        "apim-signature": sign(en.token, query, b"{}", old, en.org.secret_key),
    }
    assert en.request("POST", DEVICES, query, raw=b"{}", headers=headers).status == 401


def test_the_timestamp_window_is_a_setting() -> None:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock(START), enos_timestamp_window=600)
    en = EnosClient(platform)
    query = search_query(en)
    old = str(int(START * 1000) - 400_000)
    headers = {
        "apim-accesstoken": en.token,
        "apim-timestamp": old,
        "apim-signature": sign(en.token, query, b"{}", old, en.org.secret_key),
    }
    assert en.request("POST", DEVICES, query, raw=b"{}", headers=headers).status == 200


def test_a_missing_token_header_is_401_even_for_unknown_actions(en: EnosClient) -> None:
    response = en.request("POST", DEVICES, {"orgId": en.org.org_id}, raw=b"", headers={})
    assert (response.status, response.json_body()) == (401, AUTH_FAILED)


def test_a_rejected_call_changes_nothing(en: EnosClient) -> None:
    product_key = en.create_product()
    query = {"action": "create", "orgId": en.org.org_id}
    body = json.dumps(
        {"productKey": product_key, "deviceName": {"defaultValue": "x"}, "timezone": "+00:00"}
    ).encode()
    headers = signed_headers(en, query, body, **{"apim-signature": "f" * 64})
    assert en.request("POST", DEVICES, query, raw=body, headers=headers).status == 401
    assert en.devices("search", {})["pagination"]["totalSize"] == 0


# -- org scope -----------------------------------------------------------------------------------
def test_keys_of_one_org_cannot_touch_another(platform: fakeiot.Platform) -> None:
    owner, stranger = EnosClient(platform), EnosClient(platform)
    created = owner.create_device(owner.create_product())
    reply = stranger.devices("delete", assetId=created["assetId"], org_id=owner.org.org_id)
    assert error_of(reply) == (99403, f"Denied resource:  orgId {owner.org.org_id}")
    assert owner.get_device(created["assetId"])["assetId"] == created["assetId"]


# -- Poseidon tokens (spec §6.1), built the way enos-poseidon builds them --------------------
def poseidon_header(
    platform: fakeiot.Platform, org: Organization, *, secret: str | None = None, refresh: str = ""
) -> str:
    secret = org.secret_key if secret is None else secret
    pin = poseidon_pin(org.access_key, secret)
    assert pin is not None
    tok1 = hashlib.sha256(b"short").hexdigest()
    tok2 = refresh or hashlib.sha256(b"long").hexdigest()
    plain = f"{pin}${org.access_key}${secret}${tok1}${tok2}".encode()
    key = serialization.load_der_public_key(base64.b64decode(platform.enos.poseidon_public_key))
    assert isinstance(key, rsa.RSAPublicKey)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    return base64.b64encode(key.encrypt(plain, oaep)).decode()


def poseidon_call(
    platform: fakeiot.Platform, org: Organization, header: str
) -> fakeiot.HttpResponse:
    return platform.handle(
        fakeiot.HttpRequest(
            "GET",
            DEVICES,
            query_string=f"action=getStats&orgId={org.org_id}",
            headers={"apim-accesstoken": header},
        )
    )


def test_a_poseidon_token_authenticates(platform: fakeiot.Platform) -> None:
    org = platform.enos.create_org()
    response = poseidon_call(platform, org, poseidon_header(platform, org))
    assert (response.status, response.json_body()["code"]) == (200, 0)


def test_a_poseidon_token_with_a_wrong_secret_is_401(platform: fakeiot.Platform) -> None:
    org = platform.enos.create_org()
    header = poseidon_header(platform, org, secret="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    response = poseidon_call(platform, org, header)
    assert (response.status, response.json_body()) == (401, AUTH_FAILED)


def test_an_undecryptable_token_is_401_by_default(platform: fakeiot.Platform) -> None:
    org = platform.enos.create_org()
    garbage = base64.b64encode(bytes(256)).decode()
    assert poseidon_call(platform, org, garbage).status == 401


#: a ciphertext of another RSA-2048 key: base64 of 256 bytes. Since issue 16 item 12 the lenient
#: mode needs this shape (spec §6.1); "bm90IGEgdG9rZW4=" ("not a token") is 401 now.
FOREIGN_CIPHERTEXT = base64.b64encode(bytes(range(256))).decode()


def test_lenient_mode_maps_an_undecryptable_token_to_the_only_org() -> None:
    platform = fakeiot.Platform(seed=0, enos_poseidon_lenient=True)
    org = platform.enos.create_org()
    response = poseidon_call(platform, org, FOREIGN_CIPHERTEXT)
    assert (response.status, response.json_body()["code"]) == (200, 0)


def test_lenient_mode_refuses_when_several_orgs_exist() -> None:
    platform = fakeiot.Platform(seed=0, enos_poseidon_lenient=True)
    org = platform.enos.create_org()
    platform.enos.create_org()
    assert poseidon_call(platform, org, FOREIGN_CIPHERTEXT).status == 401


def test_signature_mode_refuses_poseidon_tokens() -> None:
    platform = fakeiot.Platform(seed=0, enos_auth_mode="signature")
    org = platform.enos.create_org()
    assert poseidon_call(platform, org, poseidon_header(platform, org)).status == 401


def test_poseidon_mode_refuses_signed_calls() -> None:
    # since issue 16 item 12 the token service itself is 401 in this mode (docs/enos.md), so
    # the token is fetched before the gateway switches to Poseidon only
    platform = fakeiot.Platform(seed=0)
    en = EnosClient(platform)
    platform.settings = platform.settings.replace(enos_auth_mode="poseidon")
    assert en.request("POST", DEVICES, search_query(en), {}).status == 401


def test_an_access_token_without_a_signature_is_401_even_when_lenient() -> None:
    en = EnosClient(fakeiot.Platform(seed=0, enos_poseidon_lenient=True))
    headers = {"apim-accesstoken": en.token}
    assert en.request("POST", DEVICES, search_query(en), raw=b"{}", headers=headers).status == 401


def test_expired_poseidon_token_answers_4011_until_the_refresh_token_comes_back(
    platform: fakeiot.Platform,
) -> None:
    org = platform.enos.create_org()
    refresh = platform.enos.expire_poseidon_token(org)
    signal = poseidon_call(platform, org, poseidon_header(platform, org))
    assert (signal.status, signal.json_body()) == (
        200,
        {"apim_status": 4011, "apim_refreshtoken": refresh},
    )
    retry = poseidon_call(platform, org, poseidon_header(platform, org, refresh=refresh))
    assert retry.json_body()["code"] == 0


def test_expired_poseidon_refresh_token_answers_4012_once(platform: fakeiot.Platform) -> None:
    org = platform.enos.create_org()
    platform.enos.expire_poseidon_token(org, refresh_expired=True)
    header = poseidon_header(platform, org)
    assert poseidon_call(platform, org, header).json_body() == {"apim_status": 4012}
    assert poseidon_call(platform, org, header).json_body()["code"] == 0


def test_org_keys_are_uuid_like_so_the_poseidon_pin_derives(platform: fakeiot.Platform) -> None:
    org = platform.enos.create_org()
    pin = poseidon_pin(org.access_key, org.secret_key)
    assert pin is not None
    assert len(pin) == 6
    assert org.org_id.startswith("o")
    assert len(org.org_id) == 15


# -- gateway errors reachable through faults -----------------------------------------------------
def test_an_injected_rate_limit_is_429_with_the_gateway_message(en: EnosClient) -> None:
    en.platform.faults.inject("enos.search_device", error="RATE_LIMITED")
    response = en.request("POST", DEVICES, search_query(en), {})
    assert (response.status, response.json_body()) == (429, {"message": "API rate limit exceeded"})


def test_an_injected_token_service_failure_is_1005(en: EnosClient) -> None:
    en.platform.faults.inject("enos.token_get", error="1005")
    response = en.token_call(TOKEN_GET)
    assert token_status(response) == (1005, "Internal service exception")


def test_an_injected_internal_error_is_99500_in_the_envelope(en: EnosClient) -> None:
    en.platform.faults.inject("enos.search_device", error="99500")
    reply = en.devices("search", {})
    assert error_of(reply) == (99500, " Internal Server Error")


def test_token_lifetime_follows_the_enos_token_ttl_setting() -> None:
    """The token service's lifetime is a setting (the docs give 7200 s)."""
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock(), enos_token_ttl=60)
    response = EnosClient(platform).token_call(TOKEN_GET)
    assert response.json_body()["data"]["expire"] == 60
