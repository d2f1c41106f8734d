"""The state file: a round trip keeps everything, expiries apply on restore, bad files are
refused without being touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fakeiot
from fakeiot.serve import _state as _persist
from tests.oc import CREDENTIALS, IMEI, OcClient


def _populated() -> tuple[fakeiot.Platform, OcClient, str]:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    oc = OcClient(platform)
    device_id = oc.register_ok(IMEI, timeout=0, deviceInfo={"protocolType": "CoAP"})
    platform.oceanconnect.connect_device(IMEI)
    oc.register_ok("pending-node", timeout=100)
    oc.call(
        "POST",
        "/iocm/app/sub/v1.2.0/subscriptions",
        {"notifyType": "bindDevice", "callbackUrl": "http://127.0.0.1:1/cb"},
    )
    return platform, oc, device_id


def test_round_trip_keeps_devices_tokens_and_ids(tmp_path: Path) -> None:
    platform, oc, device_id = _populated()
    _persist.save(platform, tmp_path / "state.json")
    copy = fakeiot.Platform(seed=99, clock=fakeiot.ManualClock())
    _persist.restore(copy, tmp_path / "state.json")
    again = OcClient.__new__(OcClient)
    again.platform, again.app, again.token = copy, oc.app, oc.token
    status = again.call("GET", CREDENTIALS.format(device_id))
    assert status.json_body()["activated"] is True
    assert [d.device_id for d in copy.oceanconnect.devices()] == [
        d.device_id for d in platform.oceanconnect.devices()
    ]
    assert copy.ids.uuid() == platform.ids.uuid()
    assert _persist.dump(copy)["faces"] == _persist.dump(platform)["faces"]


def test_expiry_and_ageing_apply_on_restore(tmp_path: Path) -> None:
    platform, _oc, device_id = _populated()
    _persist.save(platform, tmp_path / "state.json")
    later = fakeiot.ManualClock(platform.clock.now() + 26 * 3600)
    copy = fakeiot.Platform(seed=0, clock=later)
    _persist.restore(copy, tmp_path / "state.json")
    assert [d.node_id for d in copy.oceanconnect.devices()] == [IMEI]
    assert copy.oceanconnect.device(device_id).status == "ABNORMAL"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"format": "other"}', "not a fakeiot state file"),
        (b'{"format": "fakeiot-state", "version": 99, "faces": {}}', "version 99"),
        (b'{"format": "fakeiot-state", "version": 1, "faces": {"nope": {}}}', "lacks"),
        (
            b'{"format": "fakeiot-state", "version": 1, "ids": [3, [1], null],'
            b' "faces": {"oceanconnect": {"apps": 5}}}',
            "faces.oceanconnect.apps: expected an array, got an integer",
        ),
    ],
)
def test_bad_state_file_is_refused_and_left_alone(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(fakeiot.UsageError, match=message):
        _persist.restore(fakeiot.Platform(seed=0), path)
    assert path.read_bytes() == content


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    platform, _oc, _device_id = _populated()
    path = tmp_path / "state.json"
    path.write_text("old")
    _persist.save(platform, path)
    assert json.loads(path.read_text())["version"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
