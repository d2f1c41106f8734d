"""The pure core: settings, clocks, ids, HTTP values, routes, faults, snapshots, records."""

from __future__ import annotations

import pytest

import fakeiot
from fakeiot._http import parse_query
from fakeiot._ids import IdGenerator
from fakeiot._oceanconnect import OcError
from tests.oc import CREDENTIALS, IMEI, OcClient, error_of


# -- settings ------------------------------------------------------------------------------------
def test_unknown_setting_names_the_closest_field() -> None:
    with pytest.raises(fakeiot.UnknownSettingError, match="flow_control_limit"):
        fakeiot.Platform(flow_control_limt=5)


def test_setting_of_the_wrong_type_is_a_usage_error() -> None:
    with pytest.raises(fakeiot.UsageError, match="token_ttl"):
        fakeiot.Settings(token_ttl="soon")  # type: ignore[arg-type]


def test_negative_quota_is_refused() -> None:
    with pytest.raises(fakeiot.UsageError, match="max_devices"):
        fakeiot.Settings(max_devices=-1)


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("flow_control_limit", "none", None),
        ("flow_control_limit", "7", 7),
        ("single_token_per_app", "off", False),
        ("abnormal_after", "1.5", 1.5),
        ("oceanconnect_gateway_error_shape", "standard", "standard"),
    ],
)
def test_settings_parse_text_values(name: str, text: str, value: object) -> None:
    assert fakeiot.Settings.parse(name, text) == value


def test_settings_parse_rejects_a_value_outside_the_literal() -> None:
    with pytest.raises(fakeiot.UsageError, match="'gateway' or 'standard'"):
        fakeiot.Settings.parse("oceanconnect_gateway_error_shape", "loud")


def test_platform_fields_override_given_settings() -> None:
    base = fakeiot.Settings(token_ttl=10)
    platform = fakeiot.Platform(settings=base, max_devices=3)
    assert (platform.settings.token_ttl, platform.settings.max_devices) == (10, 3)


# -- clocks and ids ------------------------------------------------------------------------------
def test_manual_clock_only_moves_forward() -> None:
    clock = fakeiot.ManualClock(100)
    clock.advance(5)
    with pytest.raises(fakeiot.UsageError):
        clock.advance(-1)
    with pytest.raises(fakeiot.UsageError):
        clock.set(50)
    assert clock.now() == 105


def test_advance_needs_a_manual_clock() -> None:
    with pytest.raises(fakeiot.UsageError, match="ManualClock"):
        fakeiot.Platform().advance(1)


def test_same_seed_gives_same_ids_and_other_seed_differs() -> None:
    a, b, c = IdGenerator(1), IdGenerator(1), IdGenerator(2)
    assert [a.uuid(), a.hex(32), a.alnum(28)] == [b.uuid(), b.hex(32), b.alnum(28)]
    assert IdGenerator(1).uuid() != c.uuid()


def test_same_seed_gives_byte_identical_responses() -> None:
    bodies = []
    for _ in range(2):
        oc = OcClient(fakeiot.Platform(seed=3))
        bodies.append(oc.register(IMEI).body)
    assert bodies[0] == bodies[1]


# -- HTTP values ---------------------------------------------------------------------------------
def test_query_parsing_is_lenient() -> None:
    assert parse_query("&pageNo=0&&pageSize=10&flag") == {
        "pageNo": "0",
        "pageSize": "10",
        "flag": "",
    }


def test_raw_url_inside_a_query_value_is_not_taken_for_the_scheme() -> None:
    request = fakeiot.HttpRequest.from_url("DELETE", "/sub?callbackUrl=https://1.2.3.4:443/cb")
    assert (request.path, request.query["callbackUrl"]) == ("/sub", "https://1.2.3.4:443/cb")


def test_absolute_url_splits_into_host_path_and_query() -> None:
    request = fakeiot.HttpRequest.from_url("get", "https://iot.example:8743/a/b?x=1#frag")
    assert (request.method, request.host, request.path, request.query_string) == (
        "GET",
        "iot.example:8743",
        "/a/b",
        "x=1",
    )


def test_headers_are_case_insensitive() -> None:
    request = fakeiot.HttpRequest("GET", "/", headers={"App_Key": "a"})
    assert request.headers["app_key"] == "a"


# -- routes and faults ---------------------------------------------------------------------------
def test_wrong_version_does_not_match(platform: fakeiot.Platform) -> None:
    response = platform.handle(fakeiot.HttpRequest("POST", "/iocm/app/sec/v9.9.9/login"))
    assert (response.status, response.route) == (404, None)
    assert response.json_body() == {
        "error_code": "100225",
        "error_desc": "The resource is not found",
    }
    explanation = platform.calls[-1].explanation or ""
    assert "oceanconnect.login takes versions v1.1.0, not 'v9.9.9'" in explanation


def test_fault_fires_after_skip_then_stops(oc: OcClient) -> None:
    oc.platform.faults.inject("oceanconnect.register_device", error="100001", skip=1, times=1)
    statuses = [oc.register(f"86123456789012{i}").status for i in range(3)]
    assert statuses == [200, 500, 200]


def test_fault_used_as_context_manager_is_removed(oc: OcClient) -> None:
    with oc.platform.faults.inject(error=OcError.INTERNAL_ERROR, times=None) as fault:
        failed = oc.register(IMEI)
    assert error_of(failed) == (500, "50252", "Internal server error.")
    assert (fault.fired, len(oc.platform.faults), oc.register(IMEI).status) == (1, 0, 200)


def test_fault_with_unknown_error_is_a_usage_error(platform: fakeiot.Platform) -> None:
    with pytest.raises(fakeiot.UsageError):
        platform.faults.inject("oceanconnect.login", error="424242")


def test_fault_predicate_selects_requests(oc: OcClient) -> None:
    oc.platform.faults.inject(
        error="100001", times=None, when=lambda request: "bad" in request.body.decode()
    )
    assert (oc.register("bad-one").status, oc.register("good-one").status) == (500, 200)


# -- snapshots, records --------------------------------------------------------------------------
def test_restore_brings_back_the_snapshot(oc: OcClient) -> None:
    snapshot = oc.platform.snapshot()
    device_id = oc.register_ok(IMEI)
    oc.platform.restore(snapshot)
    assert error_of(oc.call("GET", CREDENTIALS.format(device_id)))[1] == "100403"


def test_a_snapshot_is_a_copy_whether_or_not_the_state_pickles(oc: OcClient) -> None:
    """Pickled when it can be (restoring is then five times cheaper), deep-copied when not."""
    face = oc.platform.face("oceanconnect")

    class Local:  # defined in a function: pickle cannot find it again
        pass

    for extra in ([1], Local()):
        face.state.apps["extra"] = extra
        snapshot = oc.platform.snapshot()
        del face.state.apps["extra"]
        oc.platform.restore(snapshot)
        restored = face.state.apps.pop("extra")
        assert type(restored) is type(extra)
        assert restored is not extra


def test_fork_is_independent(oc: OcClient) -> None:
    oc.register_ok(IMEI)
    fork = oc.platform.fork()
    fork.oceanconnect.connect_device(IMEI)
    assert oc.platform.oceanconnect.devices()[0].activated is False
    assert fork.oceanconnect.devices()[0].activated is True


def test_calls_and_events_record_cause(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI)
    register_call = oc.platform.calls[-1]
    kinds = [(e.kind, e.call) for e in oc.platform.events]
    assert register_call.route == "oceanconnect.register_device"
    assert kinds == [("register", register_call.index), ("bind", None)]
    assert oc.platform.events[0].subject == device_id


def test_transcript_redacts_secrets(oc: OcClient) -> None:
    oc.register_ok(IMEI, psk="0123456789abcdef0123456789abcdef")
    transcript = oc.platform.transcript()
    assert "POST /iocm/app/reg/v1.1.0/deviceCredentials -> 200" in transcript
    assert oc.token not in transcript
    assert "0123456789abcdef" not in transcript


def test_call_log_is_bounded() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, call_log_limit=3, flow_control_limit=None))
    for i in range(5):
        oc.register(f"node-{i}")
    assert [c.index for c in oc.platform.calls] == [3, 4, 5]
