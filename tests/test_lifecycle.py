"""Device lifecycle on the default clock (time moved by freezegun and time-machine): expiry,
binding, ageing, the device side's refusals, the event log, and the transition table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

import fakeiot
from fakeiot._lifecycle import BY_NAME, TRANSITIONS, State, step
from fakeiot._oceanconnect import OcError
from tests.oc import CREDENTIALS, DEVICE, IMEI, OcClient, error_of

START = "2024-05-01 00:00:00"
HOUR = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)


def expected(error: OcError) -> tuple[int, str, str]:
    row = error.row
    return row.status, row.code, row.desc


def make_client(**settings: Any) -> OcClient:
    """A client on a fresh default-clock platform whose token outlives any test here."""
    return OcClient(fakeiot.Platform(seed=0, token_ttl=10 * 365 * 24 * 3600, **settings))


@pytest.fixture
def frozen() -> Iterator[FrozenDateTimeFactory]:
    """Time frozen at START; tests move it with ``.tick()`` and ``.move_to()``."""
    with freeze_time(START) as factory:
        assert isinstance(factory, FrozenDateTimeFactory)
        yield factory


@pytest.fixture
def oc(frozen: FrozenDateTimeFactory) -> Iterator[OcClient]:
    """A client created while time is frozen at START (shadows the conftest fixture)."""
    client = make_client()
    yield client
    client.platform.check_invariants()


def status_of(oc: OcClient, device_id: str) -> str:
    return oc.platform.oceanconnect.device(device_id).status


# =============================================================================================
# verify-code expiry
# =============================================================================================
def test_unbound_registration_survives_until_its_timeout(
    frozen: FrozenDateTimeFactory, oc: OcClient
) -> None:
    device_id = oc.register_ok(IMEI, timeout=180)
    frozen.tick(dt.timedelta(seconds=179))
    assert oc.call("GET", DEVICE.format(device_id)).status == 200


def test_unbound_registration_is_deleted_when_its_timeout_passes(
    frozen: FrozenDateTimeFactory, oc: OcClient
) -> None:
    device_id = oc.register_ok(IMEI, timeout=180)
    frozen.tick(dt.timedelta(seconds=181))
    response = oc.call("GET", DEVICE.format(device_id))
    assert error_of(response) == expected(OcError.DEVICE_NOT_FOUND)
    assert oc.platform.oceanconnect.devices() == []


def test_default_timeout_180_applies_to_expiry(frozen: FrozenDateTimeFactory, oc: OcClient) -> None:
    oc.register_ok(IMEI)
    frozen.tick(dt.timedelta(seconds=181))
    assert oc.platform.oceanconnect.devices() == []


def test_expired_registration_refuses_the_device_as_expired(
    frozen: FrozenDateTimeFactory, oc: OcClient
) -> None:
    oc.register_ok(IMEI, timeout=60)
    frozen.tick(dt.timedelta(seconds=61))
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        oc.platform.oceanconnect.connect_device(IMEI)
    assert refused.value.reason == "expired"


def test_expired_node_id_can_register_again(frozen: FrozenDateTimeFactory, oc: OcClient) -> None:
    oc.register_ok(IMEI, timeout=60)
    frozen.tick(dt.timedelta(seconds=61))
    assert oc.register(IMEI).status == 200


def test_timeout_zero_never_expires(frozen: FrozenDateTimeFactory, oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, timeout=0)
    frozen.move_to("2030-01-01 00:00:00")
    assert oc.call("GET", CREDENTIALS.format(device_id)).json_body()["activated"] is False


def test_bound_device_is_never_auto_deleted(frozen: FrozenDateTimeFactory, oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, timeout=60)
    oc.platform.oceanconnect.connect_device(IMEI)
    frozen.tick(dt.timedelta(days=3))
    oc.platform.oceanconnect.disconnect_device(device_id)
    frozen.tick(dt.timedelta(days=30))
    assert oc.call("GET", DEVICE.format(device_id)).status == 200


def test_expired_refreshed_code_refuses_but_keeps_the_device(
    frozen: FrozenDateTimeFactory, oc: OcClient
) -> None:
    device_id = oc.register_ok(IMEI, timeout=0)
    oc.platform.oceanconnect.connect_device(IMEI)
    oc.platform.oceanconnect.disconnect_device(device_id)
    oc.call("PUT", CREDENTIALS.format(device_id), {"verifyCode": "NEWVC", "timeout": 60})
    frozen.tick(dt.timedelta(seconds=61))
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        oc.platform.oceanconnect.connect_device(IMEI, "NEWVC")
    assert refused.value.reason == "expired"
    assert oc.platform.oceanconnect.device(device_id).activated is True


# =============================================================================================
# binding and connections
# =============================================================================================
def test_first_connection_binds_and_activates(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    view = oc.platform.oceanconnect.connect_device(IMEI)
    assert (view.device_id, view.state, view.activated) == (device_id, State.ONLINE, True)


def test_disconnect_turns_the_device_offline(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI)
    view = oc.platform.oceanconnect.disconnect_device(device_id)
    assert (view.status, view.status_detail, view.activated) == ("OFFLINE", "NONE", True)


def test_disconnect_of_never_connected_device_is_a_usage_error(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    with pytest.raises(fakeiot.UsageError):
        oc.platform.oceanconnect.disconnect_device(device_id)


def test_offline_device_reconnects_online(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI)
    oc.platform.oceanconnect.disconnect_device(device_id)
    assert oc.platform.oceanconnect.connect_device(IMEI).status == "ONLINE"


def test_connect_of_unknown_node_id_is_refused_as_unknown(oc: OcClient) -> None:
    oc.register_ok(f"urn:imei:{IMEI}")
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        oc.platform.oceanconnect.connect_device(IMEI)
    assert refused.value.reason == "unknown"


def test_connect_of_deleted_device_is_refused_as_deleted(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.call("DELETE", DEVICE.format(device_id))
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        oc.platform.oceanconnect.connect_device(IMEI)
    assert refused.value.reason == "deleted"


def test_connect_with_wrong_verify_code_is_refused(oc: OcClient) -> None:
    oc.register_ok(IMEI, verifyCode="RIGHT")
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        oc.platform.oceanconnect.connect_device(IMEI, "WRONG")
    assert refused.value.reason == "wrong_verify_code"


def test_verify_code_defaults_to_the_node_id_on_the_device_side(oc: OcClient) -> None:
    oc.register_ok(IMEI, verifyCode="SOMETHING-ELSE")
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        oc.platform.oceanconnect.connect_device(IMEI)
    assert refused.value.reason == "wrong_verify_code"


def test_refused_connection_leaves_the_registration_waiting(oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, verifyCode="RIGHT")
    with pytest.raises(fakeiot.ConnectRefused):
        oc.platform.oceanconnect.connect_device(IMEI, "WRONG")
    view = oc.platform.oceanconnect.device(device_id)
    assert (view.state, view.activated) == (State.REGISTERED, False)


# =============================================================================================
# ageing of short-connection devices
# =============================================================================================
@pytest.mark.parametrize("protocol", ["CoAP", "LWM2M"])
def test_short_connection_protocol_turns_abnormal_after_25_hours(
    frozen: FrozenDateTimeFactory, oc: OcClient, protocol: str
) -> None:
    device_id = oc.register_ok(IMEI, deviceInfo={"protocolType": protocol})
    oc.platform.oceanconnect.connect_device(IMEI)
    frozen.tick(25 * HOUR - SECOND)
    before = status_of(oc, device_id)
    frozen.tick(SECOND)
    assert (before, status_of(oc, device_id)) == ("ONLINE", "ABNORMAL")


@pytest.mark.parametrize("protocol", ["CoAP", "LWM2M"])
def test_short_connection_protocol_turns_offline_after_49_hours(
    frozen: FrozenDateTimeFactory, oc: OcClient, protocol: str
) -> None:
    device_id = oc.register_ok(IMEI, deviceInfo={"protocolType": protocol})
    oc.platform.oceanconnect.connect_device(IMEI)
    frozen.tick(49 * HOUR - SECOND)
    before = status_of(oc, device_id)
    frozen.tick(SECOND)
    assert (before, status_of(oc, device_id)) == ("ABNORMAL", "OFFLINE")


def test_aged_status_shows_in_the_query_api(frozen: FrozenDateTimeFactory, oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, deviceInfo={"protocolType": "CoAP"})
    oc.platform.oceanconnect.connect_device(IMEI)
    frozen.tick(26 * HOUR)
    info = oc.call("GET", DEVICE.format(device_id)).json_body()["deviceInfo"]
    assert (info["status"], info["statusDetail"]) == ("ABNORMAL", "NONE")


def test_connection_short_ages_a_device_without_protocol(
    frozen: FrozenDateTimeFactory, oc: OcClient
) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI, connection="short")
    frozen.tick(25 * HOUR)
    assert status_of(oc, device_id) == "ABNORMAL"


def test_connection_long_overrides_a_short_protocol(
    frozen: FrozenDateTimeFactory, oc: OcClient
) -> None:
    device_id = oc.register_ok(IMEI, deviceInfo={"protocolType": "CoAP"})
    oc.platform.oceanconnect.connect_device(IMEI, connection="long")
    frozen.tick(100 * HOUR)
    assert status_of(oc, device_id) == "ONLINE"


@pytest.mark.parametrize("protocol", [None, "MQTT", "huaweiM2M"])
def test_long_connection_device_stays_online(
    frozen: FrozenDateTimeFactory, oc: OcClient, protocol: str | None
) -> None:
    device_id = oc.register_ok(IMEI, deviceInfo={"protocolType": protocol})
    oc.platform.oceanconnect.connect_device(IMEI)
    frozen.tick(100 * HOUR)
    assert status_of(oc, device_id) == "ONLINE"


def test_ageing_thresholds_are_settings(frozen: FrozenDateTimeFactory) -> None:
    oc = make_client(abnormal_after=60.0, offline_after=120.0)
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI, connection="short")
    frozen.tick(dt.timedelta(seconds=60))
    first = status_of(oc, device_id)
    frozen.tick(dt.timedelta(seconds=60))
    assert (first, status_of(oc, device_id)) == ("ABNORMAL", "OFFLINE")


def test_reconnecting_resets_ageing(frozen: FrozenDateTimeFactory, oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI, connection="short")
    frozen.tick(24 * HOUR)
    oc.platform.oceanconnect.connect_device(IMEI)
    frozen.tick(2 * HOUR)
    still = status_of(oc, device_id)
    frozen.tick(23 * HOUR)
    assert (still, status_of(oc, device_id)) == ("ONLINE", "ABNORMAL")


def test_abnormal_device_reconnects_online(frozen: FrozenDateTimeFactory, oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI, connection="short")
    frozen.tick(30 * HOUR)
    oc.platform.oceanconnect.connect_device(IMEI)
    assert status_of(oc, device_id) == "ONLINE"


def test_disconnected_short_device_does_not_age_further(
    frozen: FrozenDateTimeFactory, oc: OcClient
) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI, connection="short")
    oc.platform.oceanconnect.disconnect_device(device_id)
    frozen.tick(60 * HOUR)
    kinds = [e.kind for e in oc.platform.events]
    assert "age_abnormal" not in kinds
    assert "age_offline" not in kinds


def test_ageing_with_time_machine() -> None:
    """time-machine moves the default clock as well as freezegun does."""
    start = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    with time_machine.travel(start, tick=False) as traveller:
        oc = make_client()
        device_id = oc.register_ok(IMEI, timeout=60, deviceInfo={"protocolType": "CoAP"})
        oc.platform.oceanconnect.connect_device(IMEI)
        traveller.shift(25 * HOUR)
        abnormal = status_of(oc, device_id)
        traveller.shift(24 * HOUR)
        offline = status_of(oc, device_id)
        oc.platform.check_invariants()
    assert (abnormal, offline) == ("ABNORMAL", "OFFLINE")


def test_expiry_with_time_machine() -> None:
    start = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    with time_machine.travel(start, tick=False) as traveller:
        oc = make_client()
        device_id = oc.register_ok(IMEI, timeout=30)
        traveller.shift(dt.timedelta(seconds=31))
        response = oc.call("GET", DEVICE.format(device_id))
    assert error_of(response) == expected(OcError.DEVICE_NOT_FOUND)


# =============================================================================================
# events
# =============================================================================================
def test_events_record_the_lifecycle_in_order(frozen: FrozenDateTimeFactory, oc: OcClient) -> None:
    face = oc.platform.oceanconnect
    device_id = oc.register_ok(IMEI, timeout=0)
    face.connect_device(IMEI, connection="short")
    face.disconnect_device(device_id)
    face.connect_device(IMEI)
    frozen.tick(49 * HOUR)
    oc.call("PUT", CREDENTIALS.format(device_id), {"timeout": 0})
    oc.call("DELETE", DEVICE.format(device_id))
    events = [(e.kind, e.subject) for e in oc.platform.events]
    assert events == [
        (kind, device_id)
        for kind in (
            "register",
            "bind",
            "disconnect",
            "connect",
            "age_abnormal",
            "age_offline",
            "rekey_keep_active",
            "delete",
        )
    ]


def test_api_caused_events_name_their_call(frozen: FrozenDateTimeFactory, oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, timeout=0)
    register_call = oc.platform.calls[-1].index
    oc.platform.oceanconnect.connect_device(IMEI)
    oc.platform.oceanconnect.disconnect_device(device_id)
    oc.call("PUT", CREDENTIALS.format(device_id), {})
    rekey_call = oc.platform.calls[-1].index
    oc.call("DELETE", DEVICE.format(device_id))
    delete_call = oc.platform.calls[-1].index
    calls = {e.kind: e.call for e in oc.platform.events}
    assert calls == {
        "register": register_call,
        "bind": None,
        "disconnect": None,
        "rekey_keep_active": rekey_call,
        "delete": delete_call,
    }


def test_device_side_and_time_driven_events_have_no_call(
    frozen: FrozenDateTimeFactory, oc: OcClient
) -> None:
    oc.register_ok(IMEI, deviceInfo={"protocolType": "CoAP"})
    oc.platform.oceanconnect.connect_device(IMEI)
    frozen.tick(49 * HOUR)
    oc.register_ok("urn:imei:999", timeout=10)
    frozen.tick(dt.timedelta(seconds=11))
    oc.call("GET", DEVICE.format("anything"))  # the request's tick expires the registration
    calls = {e.kind: e.call for e in oc.platform.events if e.kind != "register"}
    assert calls == {"bind": None, "age_abnormal": None, "age_offline": None, "expire": None}


def test_time_driven_events_carry_their_due_time(
    frozen: FrozenDateTimeFactory, oc: OcClient
) -> None:
    oc.register_ok(IMEI, deviceInfo={"protocolType": "CoAP"})
    bound_at = oc.platform.oceanconnect.connect_device(IMEI).last_seen_at
    assert bound_at is not None
    frozen.tick(100 * HOUR)
    oc.platform.tick()
    times = {e.kind: e.time - bound_at for e in oc.platform.events if e.kind.startswith("age")}
    assert times == {"age_abnormal": 25 * 3600, "age_offline": 49 * 3600}


def test_expire_event_names_the_node_id(frozen: FrozenDateTimeFactory, oc: OcClient) -> None:
    device_id = oc.register_ok(IMEI, timeout=5)
    frozen.tick(dt.timedelta(seconds=6))
    oc.platform.tick()
    last = oc.platform.events[-1]
    assert (last.kind, last.subject, last.data["nodeId"]) == ("expire", device_id, IMEI)


# =============================================================================================
# the transition table and invariants
# =============================================================================================
ILLEGAL = [
    (source, t.name) for t in TRANSITIONS for source in (None, *State) if source not in t.sources
]


@pytest.mark.parametrize(("source", "transition"), ILLEGAL, ids=str)
def test_step_refuses_moves_the_table_does_not_list(source: State | None, transition: str) -> None:
    with pytest.raises(fakeiot.InvariantError):
        step(source, transition)


@pytest.mark.parametrize(
    ("source", "transition", "target"),
    [
        (None, "register", State.REGISTERED),
        (State.REGISTERED, "bind", State.ONLINE),
        (State.ONLINE, "disconnect", State.OFFLINE),
        (State.ONLINE, "age_abnormal", State.ABNORMAL),
        (State.ABNORMAL, "age_offline", State.OFFLINE),
        (State.OFFLINE, "rekey_keep_active", State.OFFLINE),
        (State.REGISTERED, "expire", State.DELETED),
        (State.ABNORMAL, "delete", State.DELETED),
    ],
    ids=str,
)
def test_step_follows_legal_moves(source: State | None, transition: str, target: State) -> None:
    assert step(source, transition) is target


def test_deleted_is_terminal() -> None:
    assert not [t.name for t in TRANSITIONS if State.DELETED in t.sources]


def test_online_device_cannot_be_rekeyed() -> None:
    assert State.ONLINE not in BY_NAME["rekey_keep_active"].sources
    assert State.ONLINE not in BY_NAME["rekey"].sources


def test_check_invariants_detects_a_lost_node_id_index_entry() -> None:
    platform = fakeiot.Platform(seed=0)
    OcClient(platform).register_ok(IMEI)
    platform.check_invariants()
    del platform.oceanconnect.state.by_node[IMEI]
    with pytest.raises(fakeiot.InvariantError):
        platform.check_invariants()


def test_check_invariants_detects_a_verify_code_pointing_elsewhere() -> None:
    platform = fakeiot.Platform(seed=0)
    oc = OcClient(platform)
    oc.register_ok("node-a", verifyCode="A")
    oc.register_ok("node-b", verifyCode="B")
    state = platform.oceanconnect.state
    state.by_code["a"] = state.by_code["b"]  # the index keys are lowercased
    with pytest.raises(fakeiot.InvariantError):
        platform.check_invariants()


def test_check_invariants_detects_activation_out_of_step_with_state() -> None:
    platform = fakeiot.Platform(seed=0)
    device_id = OcClient(platform).register_ok(IMEI)
    platform.oceanconnect.state.devices[device_id].activated = True
    with pytest.raises(fakeiot.InvariantError):
        platform.check_invariants()
