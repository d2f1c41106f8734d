"""The OceanConnect contract machine runs out of the box with its default client, is
deterministic, and catches clients that misreport what the platform holds or mishandle tokens."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from fakeiot._oceanconnect import Application
from fakeiot.contract import (
    ClientError,
    ContractViolation,
    HttpOceanConnectClient,
    OceanConnectClient,
    OceanConnectContract,
)
from tests.budgets import CI, FIND


class InProcessContract(OceanConnectContract):
    """The machine in-process even when the run points contracts at ``--fakeiot-target``."""

    target = None


def test_default_client_satisfies_the_contract() -> None:
    run_state_machine_as_test(InProcessContract, settings=CI)


def test_the_machine_is_deterministic() -> None:
    """Two runs with the CI settings perform the same steps."""
    histories: list[list[str]] = []

    class Recording(InProcessContract):
        def teardown(self) -> None:
            histories.append(self.history)
            super().teardown()

    run_state_machine_as_test(Recording, settings=settings(CI, max_examples=5))
    first = list(histories)
    histories.clear()
    run_state_machine_as_test(Recording, settings=settings(CI, max_examples=5))
    assert histories == first
    assert any("device_connects" in step for history in first for step in history)


class ForgetfulClient(HttpOceanConnectClient):
    """A buggy client that caches the first activation answer forever."""

    def __init__(self, base_url: str, app_id: str, secret: str) -> None:
        super().__init__(base_url, app_id, secret)
        self.cache: dict[str, bool] = {}

    def is_activated(self, device_id: str) -> bool:
        if device_id not in self.cache:
            self.cache[device_id] = super().is_activated(device_id)
        return self.cache[device_id]


class ForgetfulContract(InProcessContract):
    def make_client(self, base_url: str, app: Application) -> OceanConnectClient:
        return ForgetfulClient(base_url, app.app_id, app.secret)


def test_contract_catches_a_client_with_a_stale_view() -> None:
    with pytest.raises(
        ContractViolation,
        match=r"activated of [\w-]+: the model expects True, the client says False",
    ):
        run_state_machine_as_test(ForgetfulContract, settings=FIND)


class OneTokenClient(HttpOceanConnectClient):
    """A buggy client that logs in once and never again."""

    def _login(self) -> None:
        if self.token is None and getattr(self, "logged_in", False):
            raise ClientError(403, "1010005", "this client does not log in again")
        self.logged_in = True
        super()._login()


class OneTokenContract(InProcessContract):
    def make_client(self, base_url: str, app: Application) -> OceanConnectClient:
        return OneTokenClient(base_url, app.app_id, app.secret)


def test_contract_catches_a_client_that_does_not_log_in_again() -> None:
    with pytest.raises(ClientError, match="does not log in again"):
        run_state_machine_as_test(OneTokenContract, settings=FIND)


class FirstAnswerClient(HttpOceanConnectClient):
    """A buggy client that keeps the first status it read of each command (PENDING stays
    PENDING after the device connects and answers)."""

    def __init__(self, base_url: str, app_id: str, secret: str) -> None:
        super().__init__(base_url, app_id, secret)
        self.seen: dict[str, str | None] = {}

    def command_status(self, device_id: str, command_id: str) -> str | None:
        if command_id not in self.seen:
            self.seen[command_id] = super().command_status(device_id, command_id)
        return self.seen[command_id]


class FirstAnswerContract(InProcessContract):
    def make_client(self, base_url: str, app: Application) -> OceanConnectClient:
        return FirstAnswerClient(base_url, app.app_id, app.secret)


def test_contract_catches_a_client_that_misreads_a_commands_final_status() -> None:
    with pytest.raises(
        ContractViolation,
        match=r"command status of \w+: the model expects '(SUCCESSFUL|EXPIRED)', "
        r"the client says 'PENDING'",
    ):
        run_state_machine_as_test(FirstAnswerContract, settings=FIND)
