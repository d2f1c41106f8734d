"""IoTDA time-driven behaviour on the default clock, moved by freezegun and time-machine:
registration timeouts, async command expiry, late answers and timeouts, message ttl; and the
lifecycle tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

import fakeiot
from fakeiot._iotda import IotdaError
from fakeiot._iotda._lifecycle import (
    COMMAND_TRANSITIONS,
    DEVICE_TRANSITIONS,
    CommandStatus,
    Status,
    markdown,
    step,
    step_command,
)
from fakeiot.iotda import NEVER, later
from tests.iotda import SECRET, IoClient, error_of, expected

E = IotdaError
START = "2025-01-02 03:04:05"


@pytest.fixture
def frozen() -> Iterator[FrozenDateTimeFactory]:
    with freeze_time(START) as factory:
        assert isinstance(factory, FrozenDateTimeFactory)
        yield factory


@pytest.fixture
def io(frozen: FrozenDateTimeFactory) -> Iterator[IoClient]:
    client = IoClient(fakeiot.Platform(seed=0))
    yield client
    client.platform.check_invariants()


def test_an_unconnected_device_is_deleted_when_its_timeout_passes(
    frozen: FrozenDateTimeFactory, io: IoClient
) -> None:
    product = io.product()
    device_id = io.device(product, auth_info={"secret": SECRET, "timeout": 300})["device_id"]
    frozen.tick(dt.timedelta(seconds=299))
    assert io.call("GET", f"/devices/{device_id}").status == 200
    frozen.tick(dt.timedelta(seconds=2))
    assert error_of(io.call("GET", f"/devices/{device_id}")) == expected(E.DEVICE_NOT_FOUND)
    assert [e.kind for e in io.platform.events][-1] == "expire"


def test_a_device_that_connected_in_time_is_kept(
    frozen: FrozenDateTimeFactory, io: IoClient
) -> None:
    product = io.product()
    device_id = io.device(product, auth_info={"secret": SECRET, "timeout": 300})["device_id"]
    frozen.tick(dt.timedelta(seconds=100))
    io.platform.iotda.simulate(device_id, SECRET).connect()
    frozen.tick(dt.timedelta(days=2))
    assert io.ok("GET", f"/devices/{device_id}")["status"] == "ONLINE"


def test_timeout_zero_never_expires(frozen: FrozenDateTimeFactory, io: IoClient) -> None:
    device_id = io.device(io.product())["device_id"]
    frozen.tick(dt.timedelta(days=365))
    assert io.ok("GET", f"/devices/{device_id}")["status"] == "INACTIVE"


def test_active_time_and_status_times_follow_the_clock(
    frozen: FrozenDateTimeFactory, io: IoClient
) -> None:
    device_id = io.device(io.product())["device_id"]
    frozen.tick(dt.timedelta(seconds=10))
    device = io.platform.iotda.simulate(device_id, SECRET).connect()
    frozen.tick(dt.timedelta(seconds=5))
    device.disconnect()
    shown = io.ok("GET", f"/devices/{device_id}")
    assert shown["active_time"] == "2025-01-02T03:04:15.000Z"
    assert shown["connection_status_update_time"] == "2025-01-02T03:04:20.000Z"
    assert shown["create_time"] == "20250102T030405Z"


def test_a_delayed_command_expires(frozen: FrozenDateTimeFactory, io: IoClient) -> None:
    device_id = io.device(io.product())["device_id"]
    path = f"/devices/{device_id}/async-commands"
    command = io.ok("POST", path, {"paras": {}, "send_strategy": "delay", "expire_time": 60})
    frozen.tick(dt.timedelta(seconds=61))
    shown = io.ok("GET", f"{path}/{command['command_id']}")
    assert shown["status"] == "EXPIRED"
    io.platform.iotda.simulate(device_id, SECRET).connect()
    assert io.ok("GET", f"{path}/{command['command_id']}")["status"] == "EXPIRED"


def test_a_late_answer_completes_an_async_command_in_virtual_time(
    frozen: FrozenDateTimeFactory, io: IoClient
) -> None:
    device_id = io.device(io.product())["device_id"]
    device = io.platform.iotda.simulate(device_id, SECRET).connect()
    device.on_command(lambda cmd: later(30, {"done": 1}))
    path = f"/devices/{device_id}/async-commands"
    command = io.ok("POST", path, {"paras": {}, "send_strategy": "immediately"})
    assert io.ok("GET", f"{path}/{command['command_id']}")["status"] == "DELIVERED"
    frozen.tick(dt.timedelta(seconds=31))
    shown = io.ok("GET", f"{path}/{command['command_id']}")
    assert (shown["status"], shown["result"]) == ("SUCCESSFUL", {"done": 1})
    assert shown["response_time"] == "20250102T030435Z"


def test_a_silent_device_times_the_async_command_out(
    frozen: FrozenDateTimeFactory, io: IoClient
) -> None:
    device_id = io.device(io.product())["device_id"]
    device = io.platform.iotda.simulate(device_id, SECRET).connect()
    device.on_command(lambda cmd: NEVER)
    path = f"/devices/{device_id}/async-commands"
    command = io.ok("POST", path, {"paras": {}, "send_strategy": "immediately"})
    frozen.tick(dt.timedelta(seconds=3601))
    assert io.ok("GET", f"{path}/{command['command_id']}")["status"] == "TIMEOUT"


def test_a_cached_message_times_out_after_its_ttl(
    frozen: FrozenDateTimeFactory, io: IoClient
) -> None:
    device_id = io.device(io.product())["device_id"]
    path = f"/devices/{device_id}/messages"
    io.ok("POST", path, {"message": "m", "message_id": "m1", "ttl": 5})
    frozen.tick(dt.timedelta(minutes=4))
    assert io.ok("GET", f"{path}/m1")["status"] == "PENDING"
    frozen.tick(dt.timedelta(minutes=2))
    assert io.ok("GET", f"{path}/m1")["status"] == "TIMEOUT"
    device = io.platform.iotda.simulate(device_id, SECRET).connect()
    assert device.messages == []


def test_a_sign_type_1_login_needs_the_current_hour(frozen: FrozenDateTimeFactory) -> None:
    from fakeiot._iotda._service import mqtt_password

    io = IoClient(fakeiot.Platform(seed=0))
    device_id = io.device(io.product())["device_id"]
    face = io.platform.iotda
    password = mqtt_password(SECRET, "2025010203")
    face.mqtt_connect(f"{device_id}_0_1_2025010203", device_id, password)
    frozen.tick(dt.timedelta(hours=3))
    with pytest.raises(fakeiot.ConnectRefused):
        face.mqtt_connect(f"{device_id}_0_1_2025010203", device_id, password)


def test_expiry_under_time_machine() -> None:
    with time_machine.travel(dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)) as traveller:
        io = IoClient(fakeiot.Platform(seed=0))
        device_id = io.device(io.product(), auth_info={"secret": SECRET, "timeout": 60})[
            "device_id"
        ]
        traveller.shift(dt.timedelta(seconds=61))
        with pytest.raises(fakeiot.NotFoundError):
            io.platform.iotda.device(device_id)


def test_a_manual_clock_drives_it_too() -> None:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    io = platform.iotda
    keys = io.create_project()
    device = io.add_device(keys, io.create_product(keys), node_id="n1", secret=SECRET, timeout=10)
    platform.advance(11)
    assert io.devices(keys) == []
    assert device.status == "INACTIVE"


# =============================================================================================
# The tables
# =============================================================================================
def test_every_status_is_reachable_and_illegal_moves_are_refused() -> None:
    targets = {t.target for t in DEVICE_TRANSITIONS}
    assert targets == set(Status)
    assert {t.target for t in COMMAND_TRANSITIONS} == set(CommandStatus)
    assert step(None, "add") is Status.INACTIVE
    with pytest.raises(fakeiot.InvariantError):
        step(Status.FROZEN, "connect")
    with pytest.raises(fakeiot.InvariantError):
        step_command(CommandStatus.SUCCESSFUL, "fail")


def test_the_tables_render_for_the_docs() -> None:
    text = markdown()
    assert "| `unfreeze_inactive` | FROZEN | INACTIVE |" in text
    assert "| `expire` | PENDING | EXPIRED |" in text


def test_state_export_import_round_trip_and_refusal() -> None:
    import json

    platform = fakeiot.Platform(seed=0)
    io = platform.iotda
    keys = io.create_project()
    device = io.add_device(keys, io.create_product(keys), node_id="n1", secret=SECRET)
    io.simulate(device.device_id, SECRET).connect().report("Temp", {"t": 1})
    data = json.loads(json.dumps(io.export_state()))
    other = fakeiot.Platform(seed=1)
    other.iotda.import_state(data)
    assert other.iotda.device(device.device_id) == io.device(device.device_id)
    assert other.iotda.export_state() == io.export_state()
    for broken in ({"projects": [{"nope": 1}]}, {"projects": 5}, {"deadlines": [[1]]}):
        with pytest.raises(fakeiot.UsageError):
            other.iotda.import_state(broken)
    assert other.iotda.device(device.device_id).status == "ONLINE", (
        "a refused import changes nothing"
    )
