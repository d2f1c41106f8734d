"""Injected faults as each transport acts them out: errors, dropped connections, timeouts,
latency in virtual time, and answers lost after the call was processed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import requests

import fakeiot
from tests.oc import BASE, IMEI, REGISTER, OcClient


@pytest.fixture
def manual() -> OcClient:
    return OcClient(fakeiot.Platform(seed=0, clock=fakeiot.ManualClock()))


def _post(oc: OcClient, **kwargs: Any) -> requests.Response:
    with fakeiot.mock(oc.platform):
        return requests.post(
            f"{BASE}{REGISTER}", json={"nodeId": IMEI}, headers=oc.headers, **kwargs
        )


def test_dropped_connection_raises_connection_error_and_changes_nothing(manual: OcClient) -> None:
    manual.platform.faults.inject("oceanconnect.register_device", drop=True)
    with pytest.raises(requests.ConnectionError):
        _post(manual)
    assert manual.platform.oceanconnect.devices() == []
    assert _post(manual).status_code == 200


def test_timeout_raises_read_timeout(manual: OcClient) -> None:
    manual.platform.faults.inject("oceanconnect.register_device", timeout=True)
    with pytest.raises(requests.ReadTimeout):
        _post(manual, timeout=5)


def test_answer_lost_after_processing_makes_a_retry_see_the_duplicate(manual: OcClient) -> None:
    """The case that makes retries unsafe: the device exists though the client saw a timeout."""
    manual.platform.faults.inject("oceanconnect.register_device", timeout=True, after=True)
    with pytest.raises(requests.ReadTimeout):
        _post(manual, timeout=5)
    retry = _post(manual, timeout=5)
    assert len(manual.platform.oceanconnect.devices()) == 1
    assert retry.json()["error_code"] == "100426"


def test_latency_moves_virtual_time_and_beats_a_short_timeout(manual: OcClient) -> None:
    clock = manual.platform.clock
    start = clock.now()
    manual.platform.faults.inject("oceanconnect.register_device", latency=3, times=2)
    slow = _post(manual, timeout=10)
    with pytest.raises(requests.ReadTimeout):
        _post(manual, timeout=(1, 2))
    assert slow.status_code == 200
    assert clock.now() == start + 6


def test_latency_needs_a_manual_clock() -> None:
    with pytest.raises(fakeiot.UsageError, match="ManualClock"):
        fakeiot.Platform(seed=0).faults.inject(latency=1)


def test_exactly_one_kind_of_fault_is_given(manual: OcClient) -> None:
    with pytest.raises(fakeiot.UsageError, match="exactly one"):
        manual.platform.faults.inject(drop=True, timeout=True)


def test_httpx_acts_out_drops_and_timeouts(manual: OcClient) -> None:
    faults = manual.platform.faults
    with httpx.Client(transport=fakeiot.HttpxTransport(manual.platform), base_url=BASE) as client:
        faults.inject("oceanconnect.register_device", drop=True)
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(REGISTER, json={"nodeId": IMEI}, headers=manual.headers)
        faults.inject("oceanconnect.register_device", latency=5)
        with pytest.raises(httpx.ReadTimeout):
            client.post(REGISTER, json={"nodeId": IMEI}, headers=manual.headers, timeout=1)


def test_live_server_hangs_up_on_a_dropped_connection(manual: OcClient) -> None:
    manual.platform.faults.inject("oceanconnect.register_device", drop=True)
    with fakeiot.Server(manual.platform) as server, requests.Session() as session:
        with pytest.raises(requests.ConnectionError):
            session.post(
                f"{server.url}{REGISTER}", json={"nodeId": IMEI}, headers=manual.headers, timeout=5
            )
        after = session.post(
            f"{server.url}{REGISTER}", json={"nodeId": IMEI}, headers=manual.headers, timeout=5
        )
    assert after.status_code == 200


def test_the_call_log_says_what_the_fault_did(manual: OcClient) -> None:
    manual.platform.faults.inject("oceanconnect.register_device", drop=True, after=True)
    with pytest.raises(requests.ConnectionError):
        _post(manual)
    assert manual.platform.calls[-1].line().endswith("-> 200 (injected: drop after handling)")


def test_injected_errors_are_marked_in_the_call_log(manual: OcClient) -> None:
    manual.platform.faults.inject("oceanconnect.register_device", error="100001")
    manual.register(IMEI)
    line = manual.platform.calls[-1].line()
    assert line.endswith("-> 500 100001 (injected: error INTERNAL_SERVER_ERROR)")


def test_probability_is_drawn_from_the_seed_and_repeats() -> None:
    def outcomes(seed: int) -> list[int]:
        oc = OcClient(fakeiot.Platform(seed=seed, flow_control_limit=None))
        oc.platform.faults.inject(
            "oceanconnect.register_device", error="100001", times=None, probability=0.5
        )
        return [oc.register(f"node-{i}").status for i in range(40)]

    first = outcomes(7)
    assert first == outcomes(7)
    assert 5 < first.count(500) < 35
    assert first != outcomes(8)


def test_probability_outside_zero_to_one_is_refused(manual: OcClient) -> None:
    with pytest.raises(fakeiot.UsageError, match="probability"):
        manual.platform.faults.inject(error="100001", probability=1.5)


def test_a_plugin_sees_every_response_through_the_response_hook(manual: OcClient) -> None:
    seen: list[tuple[str, int]] = []

    class Watcher:
        @fakeiot.hookimpl
        def fakeiot_response(
            self,
            platform: fakeiot.Platform,
            request: fakeiot.HttpRequest,
            response: fakeiot.HttpResponse,
        ) -> None:
            seen.append((request.path, response.status))

    manual.platform.hooks.register(Watcher())
    manual.register(IMEI)
    assert seen == [(REGISTER, 200)]
