"""IoTDA authentication: the spec's signing vectors, and every way a signature can be wrong."""

from __future__ import annotations

import hashlib

import pytest

import fakeiot
from fakeiot._iotda import IotdaError
from fakeiot._iotda._auth import (
    BASIC,
    DERIVED,
    Authorization,
    SignatureError,
    Verifier,
    canonical_request,
    derive_key,
    parse_authorization,
    parse_sdk_date,
    sign,
    string_to_sign,
)
from tests.iotda import IoClient, error_of, expected

E = IotdaError
AK = "HPUAEXAMPLEAK0000001"
SK = "exampleSecretKey0123456789abcdefghijABCD"
PID = "0123456789abcdef0123456789abcdef"
DATE = "20250102T030405Z"
HEADERS = {
    "content-type": "application/json",
    "host": "iotda.cn-north-4.myhuaweicloud.com",
    "user-agent": "test-agent/1.0",
    "x-project-id": PID,
    "x-sdk-date": DATE,
}
SIGNED = ("content-type", "host", "user-agent", "x-project-id", "x-sdk-date")
QUERY_A = "device_name=my%20dev&is_cascade_query=true&limit=10&product_id=p1"
BODY_B = b'{"node_id": "node-1", "product_id": "p1", "auth_info": {"secret": "12345678"}}'


# =============================================================================================
# The spec's vectors (§1.5), computed by the SDK's own signer
# =============================================================================================
def test_vector_a_canonical_request_and_signature() -> None:
    creq = canonical_request("GET", f"/v5/iot/{PID}/devices", QUERY_A, HEADERS, SIGNED, b"")
    assert creq == (
        f"GET\n/v5/iot/{PID}/devices/\n{QUERY_A}\n"
        "content-type:application/json\nhost:iotda.cn-north-4.myhuaweicloud.com\n"
        f"user-agent:test-agent/1.0\nx-project-id:{PID}\nx-sdk-date:{DATE}\n\n"
        "content-type;host;user-agent;x-project-id;x-sdk-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    sts = string_to_sign(BASIC, DATE, "", creq)
    assert sts.endswith("56e7d01ecc5f7e3f40d771b63f5c019914215ed28954907f45a10304a3316885")
    assert sign(SK, sts) == "2c63515af7470b8931b43002d5381a4acd4ee994e2dcc7d7801ca091b312e39c"


def test_vector_b_post_body_hash_and_signature() -> None:
    assert hashlib.sha256(BODY_B).hexdigest() == (
        "00acd8ab5ef424de69160f580ef62a57e6c4b93c73bcbeb2b6a5f9f5261a3a78"
    )
    creq = canonical_request("POST", f"/v5/iot/{PID}/devices", "", HEADERS, SIGNED, BODY_B)
    sts = string_to_sign(BASIC, DATE, "", creq)
    assert sts.endswith("0fbafd3501b65178b615879153f007bfc695c56d25d8a9fdd3f018a2b8a5d30c")
    assert sign(SK, sts) == "dfc66960cdb8476a588a4e74634cca411e8a24e3fe80640ac354b64eb98faa61"


def test_vector_c_derived_key_and_v11_signature() -> None:
    headers = dict(HEADERS, **{"instance-id": "inst-1"})
    signed = ("content-type", "host", "instance-id", "user-agent", "x-project-id", "x-sdk-date")
    path = f"/v5/iot/{PID}/devices/p1_node-1"
    creq = canonical_request("GET", path, "", headers, signed, b"")
    info = "20250102/cn-north-4/iotdm"
    key = derive_key(AK, SK, info)
    assert key == "597d092b532aa9c17ebfd5e489c970222a892ad46b1a04de2be4525cc09d0dfd"
    sts = string_to_sign(DERIVED, DATE, info, creq)
    assert sts == (
        f"V11-HMAC-SHA256\n{DATE}\n{info}\n"
        "baf7779d8cb2c8e6d0b06c8a9ff6c6bbd18a3cf775e89fdd04f359be1c941a48"
    )
    assert sign(key, sts) == "fcb9f60f703b53038b929d4c7d58ea3d7feb2b48202583caf16ac6c621e11429"


@pytest.mark.parametrize(
    ("header", "path", "query", "body", "extra"),
    [
        (
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;"
            "user-agent;x-project-id;x-sdk-date, Signature=2c63515af7470b8931b43002d5381a4acd4"
            "ee994e2dcc7d7801ca091b312e39c",
            f"/v5/iot/{PID}/devices",
            QUERY_A,
            b"",
            {},
        ),
        (
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=content-type;host;"
            "user-agent;x-project-id;x-sdk-date, Signature=dfc66960cdb8476a588a4e74634cca411e8a"
            "24e3fe80640ac354b64eb98faa61",
            f"/v5/iot/{PID}/devices",
            "",
            BODY_B,
            {},
        ),
        (
            "V11-HMAC-SHA256 Credential=HPUAEXAMPLEAK0000001/20250102/cn-north-4/iotdm, "
            "SignedHeaders=content-type;host;instance-id;user-agent;x-project-id;x-sdk-date, "
            "Signature=fcb9f60f703b53038b929d4c7d58ea3d7feb2b48202583caf16ac6c621e11429",
            f"/v5/iot/{PID}/devices/p1_node-1",
            "",
            b"",
            {"instance-id": "inst-1"},
        ),
    ],
    ids=["A", "B", "C"],
)
def test_verifier_accepts_each_vector(
    header: str, path: str, query: str, body: bytes, extra: dict[str, str]
) -> None:
    auth = parse_authorization(header)
    method = "POST" if body else "GET"
    headers = dict(HEADERS, **extra)
    verifier = Verifier()
    for _ in range(2):  # the second time from the derived-key cache
        verifier.verify(
            auth, SK, method=method, path=path, query_string=query, headers=headers, body=body
        )
    with pytest.raises(SignatureError):
        verifier.verify(
            auth, SK + "x", method=method, path=path, query_string=query, headers=headers,
            body=body,
        )  # fmt: skip


def test_authorization_header_is_parsed_for_both_schemes() -> None:
    basic = parse_authorization("SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=ff")
    assert basic == Authorization(BASIC, "AK", "", ("a", "b"), "ff")
    v11 = parse_authorization(
        "V11-HMAC-SHA256 Credential=AK/20250102/cn-north-4/iotdm, SignedHeaders=a, Signature=ff"
    )
    assert v11 == Authorization(DERIVED, "AK", "20250102/cn-north-4/iotdm", ("a",), "ff")


@pytest.mark.parametrize(
    "value",
    [
        "AWS4-HMAC-SHA256 Access=AK, SignedHeaders=a, Signature=ff",
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a",
        "SDK-HMAC-SHA256 Access=AK SignedHeaders=a Signature=ff",
        "SDK-HMAC-SHA256 Access=AK, Access=AK, SignedHeaders=a, Signature=ff",
        "V11-HMAC-SHA256 Credential=AK, SignedHeaders=a, Signature=ff",
        "",
    ],
)
def test_malformed_authorization_headers_are_refused(value: str) -> None:
    with pytest.raises(SignatureError):
        parse_authorization(value)


@pytest.mark.parametrize("text", ["20250102T030405", "2025-01-02T03:04:05Z", "20251302T030405Z",
                                  "2025010xT030405Z", "20250102T250405Z"])  # fmt: skip
def test_bad_sdk_dates_are_refused(text: str) -> None:
    with pytest.raises(SignatureError):
        parse_sdk_date(text)


def test_sdk_date_parses_to_posix_seconds() -> None:
    assert parse_sdk_date(DATE) == 1735787045.0


# =============================================================================================
# Through Platform.handle: every way a signature can be wrong gets 401 IOTDA.000002
# =============================================================================================
@pytest.fixture
def io() -> IoClient:
    return IoClient(fakeiot.Platform(seed=0))


@pytest.mark.parametrize("algorithm", [BASIC, DERIVED])
def test_a_correct_signature_is_accepted(io: IoClient, algorithm: str) -> None:
    assert io.call("GET", "/products", algorithm=algorithm).status == 200


def _tamper(io: IoClient, how: str) -> fakeiot.HttpResponse:
    request = io.request("POST", "/products", {"name": "x"}, query={"a": "1"})
    if how == "body":
        request.body = b'{"name": "y"}'
    elif how == "query":
        request.query_string = "a=2"
    elif how == "path":
        request.path = request.path + "x"
    elif how == "method":
        request.method = "GET"
    elif how == "signed_header":
        request.headers["user-agent"] = "other"
    elif how == "signature":
        auth = request.headers["authorization"]
        request.headers["authorization"] = auth[:-1] + ("0" if auth[-1] != "0" else "1")
    elif how == "no_authorization":
        del request.headers["authorization"]
    elif how == "no_date":
        del request.headers["x-sdk-date"]
    return io.platform.handle(request)


@pytest.mark.parametrize(
    "how",
    ["body", "query", "method", "signed_header", "signature", "no_authorization", "no_date"],
)
def test_a_tampered_request_gets_401(io: IoClient, how: str) -> None:
    response = _tamper(io, how)
    assert error_of(response) == expected(E.UNAUTHORIZED)
    assert response.headers["X-Request-Id"]


def test_a_tampered_path_is_not_served(io: IoClient) -> None:
    assert _tamper(io, "path").status in (401, 404)


def test_wrong_secret_key_gets_401(io: IoClient) -> None:
    assert error_of(io.call("GET", "/products", sk="wrong" * 8)) == expected(E.UNAUTHORIZED)


def test_wrong_secret_key_gets_401_with_v11(io: IoClient) -> None:
    response = io.call("GET", "/products", sk="wrong" * 8, algorithm=DERIVED)
    assert error_of(response) == expected(E.UNAUTHORIZED)


def test_unknown_access_key_gets_401() -> None:
    platform = fakeiot.Platform(seed=0)
    keys = platform.iotda.create_project()
    stranger = type(keys)(keys.project_id, "UNKNOWNAK", keys.sk, keys.instance_id, "")
    response = IoClient(platform, stranger).call("GET", "/products")
    assert error_of(response) == expected(E.UNAUTHORIZED)


@pytest.mark.parametrize("offset", [-901, 901, 86400])
def test_a_stale_or_future_date_gets_401(io: IoClient, offset: int) -> None:
    from tests.iotda import sdk_date

    date = sdk_date(io.platform.clock.now() + offset)
    assert error_of(io.call("GET", "/products", date=date)) == expected(E.UNAUTHORIZED)


def test_the_skew_window_is_a_setting() -> None:
    from tests.iotda import sdk_date

    io = IoClient(fakeiot.Platform(seed=0, iotda_date_skew=3600))
    assert io.call("GET", "/products", date=sdk_date(io.platform.clock.now() - 3000)).status == 200


def test_an_unsigned_date_gets_401(io: IoClient) -> None:
    signed = ("content-type", "host", "user-agent", "x-project-id")
    response = io.call("GET", "/products", sign_headers=signed)
    assert error_of(response) == expected(E.UNAUTHORIZED)


def test_a_signed_header_that_is_absent_gets_401(io: IoClient) -> None:
    request = io.request("GET", "/products", headers={"X-Extra": "1"})
    del request.headers["x-extra"]
    assert error_of(io.platform.handle(request)) == expected(E.UNAUTHORIZED)


@pytest.mark.parametrize(("setting", "refused"), [("basic", DERIVED), ("derived", BASIC)])
def test_auth_schemes_setting_refuses_the_other_scheme(setting: str, refused: str) -> None:
    io = IoClient(fakeiot.Platform(seed=0, iotda_auth_schemes=setting))
    assert error_of(io.call("GET", "/products", algorithm=refused)) == expected(E.UNAUTHORIZED)
    other = BASIC if refused == DERIVED else DERIVED
    assert io.call("GET", "/products", algorithm=other).status == 200


# =============================================================================================
# Projects and Instance-Id
# =============================================================================================
def test_keys_of_one_project_cannot_reach_another(io: IoClient) -> None:
    other = io.platform.iotda.create_project()
    response = io.call("GET", "/products", project_id=other.project_id)
    assert error_of(response) == expected(E.FORBIDDEN)


def test_a_foreign_x_project_id_header_is_refused(io: IoClient) -> None:
    response = io.call("GET", "/products", headers={"X-Project-Id": "someoneelse"})
    assert error_of(response) == expected(E.FORBIDDEN)


def test_the_projects_instance_id_is_accepted_and_another_refused(io: IoClient) -> None:
    instance = io.project.instance_id
    ok = io.call("GET", "/products", headers={"Instance-Id": instance}, algorithm=DERIVED)
    assert ok.status == 200
    bad = io.call("GET", "/products", headers={"Instance-Id": "not-mine"}, algorithm=DERIVED)
    assert error_of(bad) == expected(E.INSTANCE_UNKNOWN)


def test_require_instance_id_setting() -> None:
    io = IoClient(fakeiot.Platform(seed=0, iotda_require_instance_id=True))
    assert error_of(io.call("GET", "/products")) == expected(E.INSTANCE_UNKNOWN)
    instance = io.project.instance_id
    assert io.call("GET", "/products", headers={"Instance-Id": instance}).status == 200


def test_create_project_takes_fixed_keys() -> None:
    io = fakeiot.Platform(seed=0).iotda
    keys = io.create_project(project_id="p" * 32, ak="MYAK", sk="mysk", instance_id="inst")
    assert (keys.project_id, keys.ak, keys.sk, keys.instance_id) == (
        "p" * 32,
        "MYAK",
        "mysk",
        "inst",
    )
    with pytest.raises(fakeiot.UsageError):
        io.create_project(ak="MYAK")
    with pytest.raises(fakeiot.UsageError):
        io.create_project(project_id="p" * 32)
