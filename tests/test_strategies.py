"""fakeiot.strategies generate what the platform accepts, and what it rejects with the code
EXPECTED_ERRORS names."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fakeiot
from fakeiot import strategies
from tests.oc import DEVICE, OcClient, error_of

FAST = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)


def _client() -> OcClient:
    return OcClient(fakeiot.Platform(seed=0, flow_control_limit=None))


@FAST
@given(strategies.imeis())
def test_imeis_carry_a_valid_luhn_check_digit(imei: str) -> None:
    assert re.fullmatch(r"\d{15}", imei)
    assert strategies.luhn_digit(imei[:14]) == imei[14]


def test_luhn_digit_matches_a_known_imei() -> None:
    assert strategies.luhn_digit("49015420323751") == "8"


@FAST
@given(strategies.register_bodies())
def test_generated_register_bodies_are_accepted(body: dict[str, Any]) -> None:
    oc = _client()
    response = oc.call("POST", "/iocm/app/reg/v1.1.0/deviceCredentials", body)
    assert response.status == 200, response.body
    queried = oc.call("GET", DEVICE.format(response.json_body()["deviceId"])).json_body()
    assert queried["deviceInfo"]["nodeId"] == body["nodeId"]


@FAST
@given(strategies.invalid_register_bodies())
def test_invalid_register_bodies_get_their_expected_code(case: tuple[Any, str]) -> None:
    body, code = case
    oc = _client()
    response = oc.call("POST", "/iocm/app/reg/v1.1.0/deviceCredentials", body)
    assert error_of(response)[1] == code
    assert oc.platform.oceanconnect.devices() == []


@FAST
@given(strategies.refresh_bodies())
def test_generated_refresh_bodies_are_accepted(body: dict[str, Any]) -> None:
    oc = _client()
    device_id = oc.register_ok("861234567890123")
    oc.platform.oceanconnect.connect_device("861234567890123")
    oc.platform.oceanconnect.disconnect_device(device_id)
    response = oc.call("PUT", f"/iocm/app/reg/v1.1.0/deviceCredentials/{device_id}", body)
    assert response.status == 200, response.body


@FAST
@given(strategies.device_keys())
def test_device_keys_follow_the_replace_device_rule(key: str) -> None:
    assert 4 <= len(key) <= 64
    assert re.fullmatch(r"[A-Za-z0-9\-_.:]+", key)
    assert sum(c in "-_.:" for c in key) <= 3


@FAST
@given(strategies.invalid_device_keys())
def test_invalid_device_keys_break_the_rule(key: Any) -> None:
    valid = (
        isinstance(key, str)
        and 4 <= len(key) <= 64
        and re.fullmatch(r"[A-Za-z0-9\-_.:]+", key) is not None
        and sum(c in "-_.:" for c in key) <= 3
    )
    assert not valid


@FAST
@given(strategies.timezones())
def test_timezones_are_offsets_or_iana_names(zone: str) -> None:
    assert re.fullmatch(r"[+-](0\d|1[0-4]):[0-5]\d|[A-Za-z_]+(/[A-Za-z_]+)?", zone)


@FAST
@given(strategies.tags())
def test_tags_stay_within_limits(tags: dict[str, str]) -> None:
    assert len(tags) <= 100
    assert all(len(k) <= 50 and len(v) <= 200 and v == v.strip() for k, v in tags.items())


def test_every_invalid_strategy_names_its_error() -> None:
    names = {n for n in strategies.__all__ if n.startswith("invalid_")} - {
        "invalid_register_bodies",  # pairs each body with its code itself
        "invalid_inputs",  # generated from a route's schema, with the error each must get
        "invalid_cases",
    }
    assert names == set(strategies.EXPECTED_ERRORS)


def test_all_strategies_draw() -> None:
    """Every strategy function that needs no argument returns a strategy."""
    import inspect

    for name in strategies.__all__:
        value = getattr(strategies, name)
        if not inspect.isfunction(value):
            continue
        needs = [
            p
            for p in inspect.signature(value).parameters.values()
            if p.default is inspect.Parameter.empty
        ]
        if not needs:
            assert isinstance(value(), st.SearchStrategy), name


def test_schema_strategies_draw_for_a_declared_route() -> None:
    from fakeiot._oceanconnect._schemas import RegisterDevice
    from fakeiot.oceanconnect import OceanConnect

    assert isinstance(strategies.inputs(RegisterDevice), st.SearchStrategy)
    cases = strategies.invalid_cases(RegisterDevice, OceanConnect.invalid)
    assert "body:nodeId:missing:0" in cases
    assert "body:psk:pattern:3" in cases or any(":psk:pattern:" in c for c in cases)
