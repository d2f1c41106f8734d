"""The EnOS contract machine runs out of the box with its default client and catches clients
that misreport devices, swallow errors or keep an expired token."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from fakeiot._enos import Organization
from fakeiot.contract import (
    ClientError,
    ContractViolation,
    EnosClient,
    EnosContract,
    EnosDevice,
    HttpEnosClient,
    apim_signature,
)
from tests.budgets import CI, FIND


class InProcessContract(EnosContract):
    """The machine in-process even when the run points contracts at ``--fakeiot-target``."""

    target = None


def test_default_client_satisfies_the_contract() -> None:
    run_state_machine_as_test(InProcessContract, settings=CI)


def test_the_machine_drives_logins_replacements_and_token_expiry() -> None:
    """The CI budget reaches the device side, replaceDevice and time past token expiry."""
    steps: set[str] = set()

    class Recording(InProcessContract):
        def teardown(self) -> None:
            steps.update(step.partition("(")[0] for step in self.history)
            super().teardown()

    run_state_machine_as_test(Recording, settings=CI)
    wanted = {"device_logs_in", "replace", "retired_key_is_refused", "disable", "enable"}
    wanted |= {"command_is_cached", "cached_commands_are_cancelled"}
    assert wanted <= steps
    assert "time_passes" in steps


def test_the_default_clients_signature_reproduces_the_documented_test_vector() -> None:
    body = '{\n  "count": 20,\n  "page": 1,\n  "desc": "描述"\n}'.encode()
    query = {"k3": "v3", "k1": "v1", "k2": "v2"}
    assert (
        apim_signature("xxxxaaaxxxx", query, body, "1572574909697", "xxxappSecretxxx")
        == "59828328f6c1f9771015dc74e4929ae30f518a35a3d2353972c2ea46556fc981"
    )


class StaleClient(HttpEnosClient):
    """A buggy client that answers get from a cache filled at the first call."""

    def __init__(self, base_url: str, org: Organization, **kwargs: Any) -> None:
        super().__init__(base_url, org, **kwargs)
        self.cache: dict[str, EnosDevice] = {}

    def get(self, asset_id: str) -> EnosDevice:
        if asset_id not in self.cache:
            self.cache[asset_id] = super().get(asset_id)
        return self.cache[asset_id]


class StaleContract(InProcessContract):
    def make_client(self, base_url: str, org: Organization) -> EnosClient:
        return StaleClient(base_url, org, clock=self.clock_for_clients)


def test_contract_catches_a_client_with_a_stale_view() -> None:
    with pytest.raises(ContractViolation, match="the client says"):
        run_state_machine_as_test(StaleContract, settings=FIND)


class SwallowingClient(HttpEnosClient):
    """A buggy client that reports success whatever the platform answers to disable."""

    def disable(self, asset_id: str) -> None:
        with contextlib.suppress(ClientError):
            super().disable(asset_id)


class SwallowingContract(InProcessContract):
    def make_client(self, base_url: str, org: Organization) -> EnosClient:
        return SwallowingClient(base_url, org, clock=self.clock_for_clients)


def test_contract_catches_a_client_that_swallows_errors() -> None:
    with pytest.raises(
        ContractViolation,
        match=r"answer to disabling twice of \w+: the model expects 'an error', the client says",
    ):
        run_state_machine_as_test(SwallowingContract, settings=FIND)


class OneTokenClient(HttpEnosClient):
    """A buggy client that gets a token once and uses it forever."""

    def _token_call(self, path: str, **extra: str) -> str:
        if getattr(self, "has_token", False):
            raise ClientError(401, "401", "this client does not get a new token")
        self.has_token = True
        return super()._token_call(path, **extra)


class OneTokenContract(InProcessContract):
    def make_client(self, base_url: str, org: Organization) -> EnosClient:
        return OneTokenClient(base_url, org, clock=self.clock_for_clients)


def test_contract_catches_a_client_that_keeps_an_expired_token() -> None:
    with pytest.raises(ClientError, match="does not get a new token"):
        run_state_machine_as_test(OneTokenContract, settings=FIND)


def test_a_client_stamping_with_the_wall_clock_works_while_time_jumps() -> None:
    """The machine's platform accepts wall-clock timestamps though its own clock is virtual."""

    class WallClock(InProcessContract):
        def make_client(self, base_url: str, org: Organization) -> EnosClient:
            return HttpEnosClient(base_url, org)

    run_state_machine_as_test(WallClock, settings=settings(CI, max_examples=10))


class StaleCommandClient(HttpEnosClient):
    """A buggy client that reads a command's state once and never again."""

    def __init__(self, base_url: str, org: Organization, **kwargs: Any) -> None:
        super().__init__(base_url, org, **kwargs)
        self.seen: dict[str, int] = {}

    def command_state(self, asset_id: str, command_id: str) -> int:
        if command_id not in self.seen:
            self.seen[command_id] = super().command_state(asset_id, command_id)
        return self.seen[command_id]


class StaleCommandContract(InProcessContract):
    def make_client(self, base_url: str, org: Organization) -> EnosClient:
        return StaleCommandClient(base_url, org, clock=self.clock_for_clients)


def test_contract_catches_a_client_that_misreads_a_commands_final_state() -> None:
    with pytest.raises(ContractViolation, match="command state"):
        run_state_machine_as_test(StaleCommandContract, settings=FIND)
