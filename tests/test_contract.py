"""The contract machine runs out of the box with its default client, and catches a client that
misreports what the platform holds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from fakeiot._oceanconnect import Application
from fakeiot.contract import HttpOceanConnectClient, OceanConnectClient, OceanConnectContract

FAST = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_default_client_satisfies_the_contract() -> None:
    run_state_machine_as_test(OceanConnectContract, settings=FAST)


class ForgetfulClient(HttpOceanConnectClient):
    """A buggy client that caches the first activation answer forever."""

    def __init__(self, base_url: str, app_id: str, secret: str) -> None:
        super().__init__(base_url, app_id, secret)
        self.cache: dict[str, bool] = {}

    def is_activated(self, device_id: str) -> bool:
        if device_id not in self.cache:
            self.cache[device_id] = super().is_activated(device_id)
        return self.cache[device_id]


class ForgetfulContract(OceanConnectContract):
    def make_client(self, base_url: str, app: Application) -> OceanConnectClient:
        return ForgetfulClient(base_url, app.app_id, app.secret)


def test_contract_catches_a_client_with_a_stale_view() -> None:
    with pytest.raises(AssertionError, match="client says activated=False"):
        run_state_machine_as_test(
            ForgetfulContract,
            settings=settings(FAST, max_examples=200, database=None, print_blob=False),
        )
