"""OceanConnect authentication: login, refreshToken, logout, and the API gateway's checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import fakeiot
from fakeiot._oceanconnect import Application, OcError
from tests.oc import DEVICES, LOGIN, LOGOUT, REFRESH, OcClient, error_of

#: an authenticated call that succeeds on an empty application (batch device query).
PROBE = DEVICES + "?pageNo=0"


def expected(error: OcError) -> tuple[int, str, str]:
    row = error.row
    return row.status, row.code, row.desc


def expected_standard(error: OcError) -> tuple[int, str, str]:
    """A gateway row rendered with ``oceanconnect_gateway_error_shape="standard"``."""
    row = error.row
    return row.status, row.code, row.standard_desc


def login(
    platform: fakeiot.Platform, form: str, headers: dict[str, str] | None = None
) -> fakeiot.HttpResponse:
    if headers is None:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return platform.handle(fakeiot.HttpRequest("POST", LOGIN, headers=headers, body=form.encode()))


def login_app(platform: fakeiot.Platform, app: Application) -> fakeiot.HttpResponse:
    return login(platform, f"appId={app.app_id}&secret={app.secret}")


def post_json(platform: fakeiot.Platform, path: str, payload: Any) -> fakeiot.HttpResponse:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return platform.handle(
        fakeiot.HttpRequest("POST", path, headers={"Content-Type": "application/json"}, body=body)
    )


def refresh(platform: fakeiot.Platform, app: Application, token: str) -> fakeiot.HttpResponse:
    payload = {"appId": app.app_id, "secret": app.secret, "refreshToken": token}
    return post_json(platform, REFRESH, payload)


def probe(
    oc: OcClient, token: str | None = None, app_key: str | None = None
) -> fakeiot.HttpResponse:
    headers = {
        "app_key": oc.app.app_id if app_key is None else app_key,
        "Authorization": f"Bearer {oc.token if token is None else token}",
        "Content-Type": "application/json",
    }
    return oc.call("GET", PROBE, headers=headers)


@pytest.fixture
def manual() -> Iterator[fakeiot.Platform]:
    """A platform on a ManualClock (2026-01-01T00:00:00Z until advanced)."""
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    yield platform
    platform.check_invariants()


# =============================================================================================
# login
# =============================================================================================
def test_login_answers_the_five_token_fields(platform: fakeiot.Platform) -> None:
    app = platform.oceanconnect.create_app()
    response = login_app(platform, app)
    body = response.json_body()
    assert response.status == 200
    assert list(body) == ["scope", "tokenType", "expiresIn", "accessToken", "refreshToken"]
    assert (body["scope"], body["tokenType"], body["expiresIn"]) == ("default", "bearer", 3600)
    assert len(body["accessToken"]) == 32
    assert body["accessToken"] != body["refreshToken"]


def test_login_token_authorizes_api_calls(oc: OcClient) -> None:
    response = probe(oc)
    assert response.status == 200
    assert response.json_body()["totalCount"] == 0


def test_login_parses_form_body_without_content_type(platform: fakeiot.Platform) -> None:
    """The PHP client sends the form body with no Content-Type header at all."""
    app = platform.oceanconnect.create_app()
    response = login(platform, f"appId={app.app_id}&secret={app.secret}", headers={})
    assert response.status == 200
    assert response.json_body()["tokenType"] == "bearer"


@pytest.mark.parametrize("form", ["appId={a}&Secret={s}", "APPID={a}&SECRET={s}"])
def test_login_field_names_are_case_insensitive(platform: fakeiot.Platform, form: str) -> None:
    """The Go client sends ``Secret`` with a capital S."""
    app = platform.oceanconnect.create_app()
    response = login(platform, form.format(a=app.app_id, s=app.secret))
    assert response.status == 200


def test_expires_in_follows_token_ttl_setting() -> None:
    platform = fakeiot.Platform(seed=0, token_ttl=120)
    app = platform.oceanconnect.create_app()
    assert login_app(platform, app).json_body()["expiresIn"] == 120


def test_access_token_expires_after_token_ttl(manual: fakeiot.Platform) -> None:
    oc = OcClient(manual)
    manual.advance(3599)
    assert probe(oc).status == 200
    manual.advance(1)
    assert error_of(probe(oc)) == expected(OcError.TOKEN_INVALID)


def test_new_login_invalidates_the_previous_token(platform: fakeiot.Platform) -> None:
    first = OcClient(platform)
    second = OcClient(platform, first.app)
    assert error_of(probe(first)) == expected(OcError.TOKEN_INVALID)
    assert probe(second).status == 200


def test_without_single_token_per_app_earlier_tokens_stay_valid() -> None:
    platform = fakeiot.Platform(seed=0, single_token_per_app=False)
    first = OcClient(platform)
    second = OcClient(platform, first.app)
    assert first.token != second.token
    assert (probe(first).status, probe(second).status) == (200, 200)


def test_login_of_one_app_leaves_other_apps_tokens_valid(platform: fakeiot.Platform) -> None:
    one = OcClient(platform)
    OcClient(platform)
    assert probe(one).status == 200


def test_go_clients_access_token_header_is_accepted(oc: OcClient) -> None:
    """The 2017 Go client sends ``access_token: <token>`` instead of Authorization."""
    headers = {"app_key": oc.app.app_id, "access_token": oc.token}
    assert oc.call("GET", PROBE, headers=headers).status == 200


# =============================================================================================
# login errors
# =============================================================================================
def test_login_of_frozen_app_is_100247(platform: fakeiot.Platform) -> None:
    app = platform.oceanconnect.create_app()
    platform.oceanconnect.freeze_app(app)
    assert error_of(login_app(platform, app)) == expected(OcError.APP_FROZEN)


def test_unfrozen_app_logs_in_again(platform: fakeiot.Platform) -> None:
    app = platform.oceanconnect.create_app()
    platform.oceanconnect.freeze_app(app)
    platform.oceanconnect.freeze_app(app, frozen=False)
    assert login_app(platform, app).status == 200


@pytest.mark.parametrize(
    "form",
    ["", "appId={a}", "secret={s}", "appId=&secret={s}", "appId={a}&secret="],
    ids=["empty", "no-secret", "no-appId", "empty-appId", "empty-secret"],
)
def test_login_without_appid_or_secret_is_102202(platform: fakeiot.Platform, form: str) -> None:
    app = platform.oceanconnect.create_app()
    response = login(platform, form.format(a=app.app_id, s=app.secret))
    assert error_of(response) == expected(OcError.REQUIRED_PARAMETER_MISSING)


def test_login_with_wrong_secret_is_100208(platform: fakeiot.Platform) -> None:
    app = platform.oceanconnect.create_app()
    response = login(platform, f"appId={app.app_id}&secret=not-{app.secret}")
    assert error_of(response) == expected(OcError.APP_OR_SECRET_WRONG)


def test_login_of_unknown_app_is_100208(platform: fakeiot.Platform) -> None:
    response = login(platform, "appId=nosuchapp&secret=whatever")
    assert error_of(response) == expected(OcError.APP_OR_SECRET_WRONG)


def test_frozen_app_with_wrong_secret_is_100208_not_100247(platform: fakeiot.Platform) -> None:
    """The secret is checked before the frozen flag, so strangers learn nothing."""
    app = platform.oceanconnect.create_app()
    platform.oceanconnect.freeze_app(app)
    response = login(platform, f"appId={app.app_id}&secret=wrong")
    assert error_of(response) == expected(OcError.APP_OR_SECRET_WRONG)


# =============================================================================================
# refreshToken
# =============================================================================================
def test_refresh_token_answers_new_working_tokens(oc: OcClient) -> None:
    response = refresh(oc.platform, oc.app, oc.refresh_token)
    body = response.json_body()
    assert response.status == 200
    assert list(body) == ["scope", "tokenType", "expiresIn", "accessToken", "refreshToken"]
    assert body["accessToken"] != oc.token
    assert body["refreshToken"] != oc.refresh_token
    assert probe(oc, token=body["accessToken"]).status == 200


def test_refresh_invalidates_the_previous_access_token(oc: OcClient) -> None:
    refresh(oc.platform, oc.app, oc.refresh_token)
    assert error_of(probe(oc)) == expected(OcError.TOKEN_INVALID)


def test_refresh_token_is_single_use(oc: OcClient) -> None:
    assert refresh(oc.platform, oc.app, oc.refresh_token).status == 200
    again = refresh(oc.platform, oc.app, oc.refresh_token)
    assert error_of(again) == expected(OcError.APP_OR_SECRET_WRONG)


def test_refresh_token_outlives_the_access_token(manual: fakeiot.Platform) -> None:
    oc = OcClient(manual)
    manual.advance(3600 * 24)
    assert error_of(probe(oc)) == expected(OcError.TOKEN_INVALID)
    assert refresh(manual, oc.app, oc.refresh_token).status == 200


def test_refresh_token_expires_after_refresh_token_ttl() -> None:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock(), refresh_token_ttl=600)
    oc = OcClient(platform)
    platform.advance(600)
    response = refresh(platform, oc.app, oc.refresh_token)
    assert error_of(response) == expected(OcError.APP_OR_SECRET_WRONG)


def test_refresh_token_works_until_its_ttl() -> None:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock(), refresh_token_ttl=600)
    oc = OcClient(platform)
    platform.advance(599)
    assert refresh(platform, oc.app, oc.refresh_token).status == 200


def test_refresh_with_unknown_refresh_token_is_100208(oc: OcClient) -> None:
    response = refresh(oc.platform, oc.app, "0" * 32)
    assert error_of(response) == expected(OcError.APP_OR_SECRET_WRONG)


def test_refresh_with_another_apps_refresh_token_is_100208(platform: fakeiot.Platform) -> None:
    mine, theirs = OcClient(platform), OcClient(platform)
    response = refresh(platform, mine.app, theirs.refresh_token)
    assert error_of(response) == expected(OcError.APP_OR_SECRET_WRONG)


def test_refresh_with_wrong_secret_is_100208(oc: OcClient) -> None:
    payload = {"appId": oc.app.app_id, "secret": "wrong", "refreshToken": oc.refresh_token}
    response = post_json(oc.platform, REFRESH, payload)
    assert error_of(response) == expected(OcError.APP_OR_SECRET_WRONG)


def test_refresh_of_frozen_app_is_100247(oc: OcClient) -> None:
    oc.platform.oceanconnect.freeze_app(oc.app)
    response = refresh(oc.platform, oc.app, oc.refresh_token)
    assert error_of(response) == expected(OcError.APP_FROZEN)


def test_refused_refresh_of_frozen_app_keeps_the_refresh_token(oc: OcClient) -> None:
    oc.platform.oceanconnect.freeze_app(oc.app)
    refresh(oc.platform, oc.app, oc.refresh_token)
    oc.platform.oceanconnect.freeze_app(oc.app, frozen=False)
    assert refresh(oc.platform, oc.app, oc.refresh_token).status == 200


@pytest.mark.parametrize("missing", ["appId", "secret", "refreshToken"])
@pytest.mark.parametrize("blank", [None, ""], ids=["null", "empty"])
def test_refresh_without_a_field_is_102202(oc: OcClient, missing: str, blank: str | None) -> None:
    payload: dict[str, str | None] = {
        "appId": oc.app.app_id,
        "secret": oc.app.secret,
        "refreshToken": oc.refresh_token,
    }
    payload[missing] = blank
    response = post_json(oc.platform, REFRESH, payload)
    assert error_of(response) == expected(OcError.REQUIRED_PARAMETER_MISSING)


@pytest.mark.parametrize(
    "body",
    [b"", b"{not json", b"[1, 2]", b'"text"'],
    ids=["empty", "malformed", "array", "string"],
)
def test_refresh_with_a_body_that_is_not_a_json_object_is_50400(oc: OcClient, body: bytes) -> None:
    response = post_json(oc.platform, REFRESH, body)
    assert error_of(response) == expected(OcError.INPUT_INVALID)


@pytest.mark.parametrize(
    "value", [12345, True, ["x"], "x" * 257], ids=["int", "bool", "list", "long"]
)
def test_refresh_with_a_field_of_wrong_type_or_length_is_50400(oc: OcClient, value: Any) -> None:
    payload = {"appId": oc.app.app_id, "secret": oc.app.secret, "refreshToken": value}
    response = post_json(oc.platform, REFRESH, payload)
    assert error_of(response) == expected(OcError.INPUT_INVALID)


# =============================================================================================
# logout
# =============================================================================================
def test_logout_answers_200_with_no_body(oc: OcClient) -> None:
    response = oc.call("POST", LOGOUT, {"accessToken": oc.token})
    assert (response.status, response.body) == (200, b"")


def test_logout_invalidates_the_access_token(oc: OcClient) -> None:
    oc.call("POST", LOGOUT, {"accessToken": oc.token})
    assert error_of(probe(oc)) == expected(OcError.TOKEN_INVALID)


def test_logout_of_unknown_token_is_accepted(oc: OcClient) -> None:
    response = oc.call("POST", LOGOUT, {"accessToken": "f" * 32})
    assert response.status == 200
    assert probe(oc).status == 200


@pytest.mark.parametrize("body", [{}, {"accessToken": None}, {"accessToken": ""}])
def test_logout_without_access_token_is_102202(oc: OcClient, body: dict[str, Any]) -> None:
    response = oc.call("POST", LOGOUT, body)
    assert error_of(response) == expected(OcError.REQUIRED_PARAMETER_MISSING)


@pytest.mark.parametrize("raw", [b"{oops", b"[]", b'{"accessToken": 5}'])
def test_logout_with_invalid_body_is_50400(oc: OcClient, raw: bytes) -> None:
    response = oc.call("POST", LOGOUT, raw=raw)
    assert error_of(response) == expected(OcError.INPUT_INVALID)


# =============================================================================================
# the API gateway: app_key, token, application, flow control
# =============================================================================================
def test_missing_app_key_is_401_100025(oc: OcClient) -> None:
    headers = {"Authorization": f"Bearer {oc.token}", "Content-Type": "application/json"}
    response = oc.call("GET", PROBE, headers=headers)
    assert error_of(response) == expected(OcError.APP_KEY_MISSING)


def test_empty_app_key_is_401_100025(oc: OcClient) -> None:
    response = probe(oc, app_key="")
    assert error_of(response) == expected(OcError.APP_KEY_MISSING)


def test_x_app_key_header_is_accepted_instead_of_app_key(oc: OcClient) -> None:
    headers = {"x-app-key": oc.app.app_id, "Authorization": f"Bearer {oc.token}"}
    assert oc.call("GET", PROBE, headers=headers).status == 200


def test_unknown_token_is_403_1010005_in_gateway_shape(oc: OcClient) -> None:
    response = probe(oc, token="0" * 32)
    assert response.status == 403
    assert response.json_body() == {
        "resultcode": OcError.TOKEN_INVALID.row.code,
        "resultmsg": OcError.TOKEN_INVALID.row.desc,
    }


def test_expired_token_is_1010005(manual: fakeiot.Platform) -> None:
    oc = OcClient(manual)
    manual.advance(3601)
    assert error_of(probe(oc)) == expected(OcError.TOKEN_INVALID)


def test_token_of_another_app_is_1010005(platform: fakeiot.Platform) -> None:
    mine, theirs = OcClient(platform), OcClient(platform)
    assert error_of(probe(mine, token=theirs.token)) == expected(OcError.TOKEN_INVALID)


def test_missing_authorization_is_1010005(oc: OcClient) -> None:
    headers = {"app_key": oc.app.app_id, "Content-Type": "application/json"}
    response = oc.call("GET", PROBE, headers=headers)
    assert error_of(response) == expected(OcError.TOKEN_INVALID)


def test_authorization_without_bearer_scheme_is_1010005(oc: OcClient) -> None:
    headers = {"app_key": oc.app.app_id, "Authorization": f"Basic {oc.token}"}
    response = oc.call("GET", PROBE, headers=headers)
    assert error_of(response) == expected(OcError.TOKEN_INVALID)


def test_missing_app_key_is_reported_before_a_bad_token(oc: OcClient) -> None:
    response = oc.call("GET", PROBE, headers={"Authorization": "Bearer nonsense"})
    assert error_of(response) == expected(OcError.APP_KEY_MISSING)


def test_standard_shape_setting_renders_1010005_as_error_code() -> None:
    platform = fakeiot.Platform(seed=0, oceanconnect_gateway_error_shape="standard")
    oc = OcClient(platform)
    response = probe(oc, token="0" * 32)
    assert set(response.json_body()) == {"error_code", "error_desc"}
    assert error_of(response) == expected_standard(OcError.TOKEN_INVALID)


def test_token_of_deleted_app_is_500_100203(oc: OcClient) -> None:
    oc.platform.oceanconnect.delete_app(oc.app)
    assert error_of(probe(oc)) == expected(OcError.APP_NOT_EXIST_INTERNAL)


def test_hundredth_call_passes_and_the_next_is_throttled(manual: fakeiot.Platform) -> None:
    oc = OcClient(manual)
    statuses = {probe(oc).status for _ in range(100)}
    response = probe(oc)
    assert statuses == {200}
    assert response.status == 403
    assert response.json_body() == {
        "resultcode": OcError.THROTTLED.row.code,
        "resultmsg": OcError.THROTTLED.row.desc,
    }


def test_flow_control_window_slides(manual: fakeiot.Platform) -> None:
    """Calls older than 60 s leave the window; younger ones still count."""
    oc = OcClient(manual)
    for _ in range(50):
        probe(oc)
    manual.advance(30)
    for _ in range(50):
        probe(oc)
    assert error_of(probe(oc)) == expected(OcError.THROTTLED)
    manual.advance(31)  # the first 50 are now more than 60 s old
    assert [probe(oc).status for _ in range(50)] == [200] * 50
    assert error_of(probe(oc)) == expected(OcError.THROTTLED)


def test_throttled_app_recovers_after_the_window(manual: fakeiot.Platform) -> None:
    oc = OcClient(manual)
    for _ in range(101):
        probe(oc)
    manual.advance(61)
    assert probe(oc).status == 200


def test_flow_control_is_per_application(manual: fakeiot.Platform) -> None:
    busy, quiet = OcClient(manual), OcClient(manual)
    for _ in range(101):
        probe(busy)
    assert error_of(probe(busy)) == expected(OcError.THROTTLED)
    assert probe(quiet).status == 200


def test_flow_control_limit_none_disables_throttling() -> None:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock(), flow_control_limit=None)
    oc = OcClient(platform)
    assert {probe(oc).status for _ in range(250)} == {200}


def test_flow_control_limit_and_window_are_settings() -> None:
    platform = fakeiot.Platform(
        seed=0, clock=fakeiot.ManualClock(), flow_control_limit=3, flow_control_window=10
    )
    oc = OcClient(platform)
    first = [probe(oc).status for _ in range(4)]
    platform.advance(10)
    assert first == [200, 200, 200, 403]
    assert probe(oc).status == 200


def test_standard_shape_setting_renders_1010009_as_error_code() -> None:
    platform = fakeiot.Platform(
        seed=0, oceanconnect_gateway_error_shape="standard", flow_control_limit=0
    )
    oc = OcClient(platform)
    response = probe(oc)
    assert set(response.json_body()) == {"error_code", "error_desc"}
    assert error_of(response) == expected_standard(OcError.THROTTLED)


def test_auth_error_bodies_are_byte_exact(platform: fakeiot.Platform) -> None:
    app = platform.oceanconnect.create_app()
    wrong = login(platform, f"appId={app.app_id}&secret=nope")
    oc = OcClient(platform, app)
    bad_token = probe(oc, token="0" * 32)
    no_key = oc.call("GET", PROBE, headers={"Authorization": f"Bearer {oc.token}"})
    platform.oceanconnect.freeze_app(app)
    frozen = login_app(platform, app)
    assert (wrong.status, wrong.body) == (
        401,
        b'{"error_code":"100208","error_desc":"AppId or secret is not right."}',
    )
    assert (bad_token.status, bad_token.body) == (
        403,
        b'{"resultcode":"1010005","resultmsg":"Invalid access token or appId."}',
    )
    assert (no_key.status, no_key.body) == (
        401,
        b'{"error_code":"100025","error_desc":"AppId for auth not exist."}',
    )
    assert (frozen.status, frozen.body) == (
        400,
        b'{"error_code":"100247","error_desc":'
        b'"Operation not allowed. The application has been frozen."}',
    )
    assert bad_token.headers["Content-Type"].startswith("application/json")


def test_logout_without_credentials_is_refused_by_the_gateway(oc: OcClient) -> None:
    # spec §1.2: app_key and Authorization on every API but login and refreshToken (item 6)
    headers = {"Content-Type": "application/json"}
    response = oc.call("POST", LOGOUT, {"accessToken": oc.token}, headers=headers)
    assert error_of(response) == expected(OcError.APP_KEY_MISSING)
    assert probe(oc).status == 200  # the token still works


def test_logout_without_credentials_is_accepted_with_the_setting_off() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_logout_needs_auth=False))
    response = oc.call("POST", LOGOUT, {"accessToken": oc.token}, headers={})
    assert (response.status, response.body) == (200, b"")
    assert error_of(probe(oc)) == expected(OcError.TOKEN_INVALID)
