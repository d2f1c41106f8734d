"""Recipe: time-driven behaviour with freezegun or time-machine. The platform's default clock
reads ``time.time()`` on every call, so either library moves it with no set-up."""

from __future__ import annotations

import datetime
from typing import Any

import freezegun
import pytest
import requests
import time_machine

import fakeiot

BASE = "https://iot.example:8743/iocm/app"
IMEI = "861234567890123"


def register(app: Any, node_id: str) -> None:
    login = requests.post(
        f"{BASE}/sec/v1.1.0/login", data={"appId": app.app_id, "secret": app.secret}
    )
    headers = {"app_key": app.app_id, "Authorization": "Bearer " + login.json()["accessToken"]}
    requests.post(  # no timeout in the body: the verify code lives 180 s
        f"{BASE}/reg/v1.1.0/deviceCredentials", json={"nodeId": node_id}, headers=headers
    ).raise_for_status()


def test_unbound_registration_expires_with_freezegun(fakeiot: Any, fakeiot_app: Any) -> None:
    with freezegun.freeze_time("2026-01-01 00:00:00") as frozen:
        register(fakeiot_app, IMEI)
        frozen.tick(181)
        # inside a test that takes the fixture, ``fakeiot`` is the platform: it carries the
        # exception types too
        with pytest.raises(fakeiot.ConnectRefused) as refused:
            fakeiot.oceanconnect.connect_device(IMEI)
    assert refused.value.reason == "expired"


def test_unbound_registration_expires_with_time_machine(fakeiot: Any, fakeiot_app: Any) -> None:
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    with time_machine.travel(start, tick=False) as traveller:
        register(fakeiot_app, IMEI)
        traveller.shift(179)
        device = fakeiot.oceanconnect.connect_device(IMEI)  # still in time: binds
    assert device.status == "ONLINE"


def test_manual_clock_needs_no_time_library() -> None:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    app = platform.oceanconnect.create_app()
    with fakeiot.mock(platform):
        register(app, IMEI)
    platform.advance(181)
    with pytest.raises(fakeiot.ConnectRefused, match="expired"):
        platform.oceanconnect.connect_device(IMEI)
