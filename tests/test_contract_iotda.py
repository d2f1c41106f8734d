"""The IoTDA contract machine runs out of the box with its default client, is deterministic,
signs as the SDK does, and catches clients that misreport devices or swallow errors."""

from __future__ import annotations

import calendar
import contextlib

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from fakeiot.contract import (
    ClientError,
    ContractViolation,
    HttpIotdaClient,
    IotdaClient,
    IotdaContract,
    IotdaDeviceInfo,
    Target,
)
from fakeiot.iotda import ProjectKeys
from tests.budgets import CI, FIND


class InProcessContract(IotdaContract):
    """The machine in-process even when the run points contracts at ``--fakeiot-target``."""

    target = None


def test_default_client_satisfies_the_contract() -> None:
    steps: set[str] = set()

    class Recording(InProcessContract):
        def teardown(self) -> None:
            steps.update(step.partition("(")[0] for step in self.history)
            super().teardown()

    run_state_machine_as_test(Recording, settings=CI)
    wanted = {"add_device", "freeze", "unfreeze", "reset_secret", "delete", "device_connects"}
    wanted |= {"device_disconnects", "retired_secret_is_refused", "time_passes"}
    assert wanted <= steps


def test_the_machine_is_deterministic() -> None:
    """Two runs with the CI settings perform the same steps."""
    histories: list[list[str]] = []

    class Recording(InProcessContract):
        def teardown(self) -> None:
            histories.append(self.history)
            super().teardown()

    run_state_machine_as_test(Recording, settings=settings(CI, max_examples=4))
    first = list(histories)
    histories.clear()
    run_state_machine_as_test(Recording, settings=settings(CI, max_examples=4))
    assert histories == first


def test_the_default_client_signs_the_spec_vector() -> None:
    """Vector B of spec §1.5 (computed with the SDK's own signer): POST add device."""
    keys = ProjectKeys(
        "0123456789abcdef0123456789abcdef",
        "HPUAEXAMPLEAK0000001",
        "exampleSecretKey0123456789abcdefghijABCD",
        "",
        "",
    )
    at = calendar.timegm((2025, 1, 2, 3, 4, 5, 0, 0, 0))
    client = HttpIotdaClient(
        "https://iotda.cn-north-4.myhuaweicloud.com",
        keys,
        clock=lambda: at,
        user_agent="test-agent/1.0",
    )
    body = b'{"node_id": "node-1", "product_id": "p1", "auth_info": {"secret": "12345678"}}'
    headers = client.signed_headers("POST", f"/v5/iot/{keys.project_id}/devices", "", body)
    assert headers["Authorization"] == (
        "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, "
        "SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, "
        "Signature=dfc66960cdb8476a588a4e74634cca411e8a24e3fe80640ac354b64eb98faa61"
    )


def test_a_target_is_refused_plainly() -> None:
    class Remote(IotdaContract):
        target = Target("http://127.0.0.1:9")

    with pytest.raises(ValueError, match="in-process only"):
        Remote()


class StaleClient(HttpIotdaClient):
    """A buggy client that answers show_device from a cache filled at the first call."""

    def __init__(self, base_url: str, keys: ProjectKeys) -> None:
        super().__init__(base_url, keys)
        self.cache: dict[str, IotdaDeviceInfo] = {}

    def show_device(self, device_id: str) -> IotdaDeviceInfo:
        if device_id not in self.cache:
            self.cache[device_id] = super().show_device(device_id)
        return self.cache[device_id]


class StaleContract(InProcessContract):
    def make_client(self, base_url: str, keys: ProjectKeys) -> IotdaClient:
        return StaleClient(base_url, keys)


def test_contract_catches_a_client_with_a_stale_view() -> None:
    with pytest.raises(
        ContractViolation,
        match=r"device_id, node_id, status of \S+: the model expects .*, the client says",
    ):
        run_state_machine_as_test(StaleContract, settings=FIND)


class SwallowingClient(HttpIotdaClient):
    """A buggy client that reports success whatever the platform answers to unfreeze."""

    def unfreeze(self, device_id: str) -> None:
        with contextlib.suppress(ClientError):
            super().unfreeze(device_id)


class SwallowingContract(InProcessContract):
    def make_client(self, base_url: str, keys: ProjectKeys) -> IotdaClient:
        return SwallowingClient(base_url, keys)


def test_contract_catches_a_client_that_swallows_errors() -> None:
    with pytest.raises(
        ContractViolation,
        match=r"answer to unfreezing a live device of \S+: the model expects 'an error'",
    ):
        run_state_machine_as_test(SwallowingContract, settings=FIND)
