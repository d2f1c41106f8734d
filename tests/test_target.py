"""Real-tenant mode: the contract machines run against an external platform given by
``--fakeiot-target`` and report every deviation from fakeiot's model. A ``fakeiot serve``
process stands in for the real platform."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

import fakeiot
from fakeiot.contract import Deviation, OceanConnectContract, Target

pytest_plugins = ["pytester"]

CREDENTIALS = ["--app-id", "a", "--secret", "s"]
ENOS_CREDENTIALS = ["--org-id", "o1", "--access-key", "ak-1", "--secret-key", "sk-1"]
TARGET_OPTIONS = [
    "--fakeiot-target-app-id=a",
    "--fakeiot-target-secret=s",
    "--fakeiot-target-org-id=o1",
    "--fakeiot-target-access-key=ak-1",
    "--fakeiot-target-secret-key=sk-1",
]

#: a downstream test module: both machines with the default clients, a small fixed budget.
MACHINES = """
from hypothesis import HealthCheck, settings
from fakeiot.contract import EnosContract, OceanConnectContract

FAST = settings(
    max_examples={examples},
    stateful_step_count={steps},
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
TestOceanConnect = OceanConnectContract.TestCase
TestOceanConnect.settings = FAST
TestEnos = EnosContract.TestCase
TestEnos.settings = FAST
"""


@contextmanager
def serve(*options: str) -> Iterator[str]:
    """A ``fakeiot serve`` process (flow control off); yields its URL."""
    command = [sys.executable, "-m", "fakeiot", "serve", "--port", "0", "--quiet"]
    command += [*CREDENTIALS, *ENOS_CREDENTIALS, "--setting", "flow_control_limit=none"]
    process = subprocess.Popen([*command, *options], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.match(r"fakeiot serving on (\S+)", banner)
        assert found, banner
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_a_target_behaving_like_fakeiot_gives_a_clean_report(pytester: pytest.Pytester) -> None:
    """Against `fakeiot serve` (manual clock: time jumps, device side and faults run over its
    control API) both machines pass and the report lists no deviation."""
    pytester.makepyfile(test_machines=MACHINES.format(examples=4, steps=12))
    with serve("--manual-clock") as url:
        result = pytester.runpytest(
            "-p", "no:cacheprovider", f"--fakeiot-target={url}", *TARGET_OPTIONS
        )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*fakeiot contract deviations*", f"no deviations from fakeiot's model (* on {url})"]
    )
    assert result.ret == pytest.ExitCode.OK


def test_a_target_configured_differently_is_reported(pytester: pytest.Pytester) -> None:
    """A platform whose tokens live 60 s instead of the documented 3600 deviates from the
    model; the run lists the deviation with the steps that led to it, and fails."""
    pytester.makepyfile(test_machines=MACHINES.format(examples=5, steps=10))
    with serve("--setting", "token_ttl=60") as url:
        result = pytester.runpytest(
            "-p",
            "no:cacheprovider",
            f"--fakeiot-target={url}",
            *TARGET_OPTIONS,
            "-k",
            "OceanConnect",
        )
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "*fakeiot contract deviations*",
            "* deviation* from fakeiot's model (1 distinct) in * examples on *",
            "1. OceanConnectContract: expiresIn of a login, per the platform, "
            "after token_is_superseded()",
            "   expected (fakeiot's model): 3600",
            "   got (target):               60",
            "   seen * times; first in example *, steps:",
            "     1. first_registration(*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_the_fixture_gives_the_target(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from fakeiot.contract import Contract

        def test_target(fakeiot_target):
            assert fakeiot_target.url == "http://127.0.0.1:1"
            assert (fakeiot_target.app_id, fakeiot_target.org_id) == ("a", "o1")
            assert Contract.target is fakeiot_target
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--fakeiot-target=http://127.0.0.1:1/", *TARGET_OPTIONS
    )
    result.assert_outcomes(passed=1)


def test_without_a_target_the_machines_run_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from fakeiot.contract import Contract

        def test_target(fakeiot_target):
            assert fakeiot_target is None
            assert Contract.target is None
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "fakeiot contract deviations" not in result.stdout.str()


def test_a_real_tenant_gets_client_moves_only() -> None:
    """With no control API on the target, the machine skips the device side, time and faults,
    and still compares the model with what the target answers."""
    platform = fakeiot.Platform(seed=0, flow_control_limit=None)
    app = platform.oceanconnect.create_app()
    with fakeiot.Server(platform) as server:
        tenant = Target(server.url, app_id=app.app_id, secret=app.secret, _probed=True)
        steps: set[str] = set()

        class Tenant(OceanConnectContract):
            target = tenant

            def teardown(self) -> None:
                steps.update(step.partition("(")[0] for step in self.history)
                super().teardown()

        run_state_machine_as_test(
            Tenant,
            settings=settings(
                max_examples=10,
                stateful_step_count=10,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    assert tenant.deviations == []
    assert tenant.examples >= 10
    assert {"register", "delete", "token_is_superseded"} <= steps
    assert not steps & {"device_connects", "time_passes", "register_during_a_fault"}
    assert platform.oceanconnect.devices() == []  # each example deleted what it created


def test_the_report_groups_deviations_by_rule_and_check() -> None:
    target = Target("http://tenant.example")
    target.examples = 3
    for example, device in ((1, "d1"), (3, "d2")):
        target.deviations.append(
            Deviation(
                "OceanConnectContract",
                example,
                ("register(node_id='1')", f"refresh_key(device_id={device!r})"),
                "activated",
                device,
                "the client",
                "True",
                "False",
            )
        )
    assert target.report().splitlines() == [
        "2 deviations from fakeiot's model (1 distinct) in 3 examples on http://tenant.example:",
        "1. OceanConnectContract: activated of d1, per the client, "
        "after refresh_key(device_id='d1')",
        "   expected (fakeiot's model): True",
        "   got (target):               False",
        "   seen 2 times; first in example 1, steps:",
        "     1. register(node_id='1')",
        "     2. refresh_key(device_id='d1')",
    ]
