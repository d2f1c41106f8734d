"""Thread safety: many threads change devices at once through ``Platform.handle``."""

from __future__ import annotations

import contextlib
import random
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest

import fakeiot
from tests.oc import CREDENTIALS, DEVICE, OcClient

THREADS = 8
OPERATIONS = 100
#: fewer nodeIds than registrations, so threads race for the same ones.
NODE_IDS = [f"8612345678{i:05d}" for i in range(24)]
ACTIONS = ("register", "register", "connect", "disconnect", "refresh", "delete")


@dataclass
class Tally:
    registered: int = 0
    deleted: int = 0
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    errors: list[BaseException] = field(default_factory=list)


def worker(client: OcClient, seed: int, start: threading.Barrier, tally: Tally) -> None:
    """Register, connect, disconnect, refresh and delete at random, on shared nodeIds."""
    rng = random.Random(seed)
    oc = client.platform.oceanconnect
    mine: dict[str, str] = {}  # deviceId -> nodeId, of this thread's registrations
    start.wait()
    try:
        for _ in range(OPERATIONS):
            action = rng.choice(
                ["register", "register", "connect", "disconnect", "refresh", "delete"]
            )
            if action == "register" or not mine:
                node_id = rng.choice(NODE_IDS)
                response = client.register(node_id, timeout=0)
                tally.statuses["register", response.status] += 1
                if response.status == 200:
                    tally.registered += 1
                    mine[response.json_body()["deviceId"]] = node_id
                continue
            device_id = rng.choice(sorted(mine))
            if action == "connect":
                with contextlib.suppress(fakeiot.ConnectRefused):  # deleted meanwhile
                    oc.connect_device(mine[device_id])
            elif action == "disconnect":
                with contextlib.suppress(fakeiot.UsageError):  # not online
                    oc.disconnect_device(device_id)
            elif action == "refresh":
                response = client.call("PUT", CREDENTIALS.format(device_id), {})
                tally.statuses["refresh", response.status] += 1
            else:
                response = client.call("DELETE", DEVICE.format(device_id))
                tally.statuses["delete", response.status] += 1
                if response.status == 204:
                    tally.deleted += 1
                    del mine[device_id]
    except BaseException as error:  # reported by the tests, not lost in the thread
        tally.errors.append(error)


@dataclass
class Outcome:
    platform: fakeiot.Platform
    tallies: list[Tally]


@pytest.fixture(scope="module")
def hammered() -> Outcome:
    """One run of THREADS threads x OPERATIONS operations, shared by the tests below."""
    platform = fakeiot.Platform(seed=0, flow_control_limit=None)
    clients = [OcClient(platform) for _ in range(THREADS)]
    tallies = [Tally() for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [
            threading.Thread(target=worker, args=(client, index, start, tally))
            for index, (client, tally) in enumerate(zip(clients, tallies, strict=True))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sys.setswitchinterval(interval)
    return Outcome(platform, tallies)


def combined(outcome: Outcome) -> Counter[tuple[str, int]]:
    statuses: Counter[tuple[str, int]] = Counter()
    for tally in outcome.tallies:
        statuses.update(tally.statuses)
    return statuses


def test_no_thread_raised(hammered: Outcome) -> None:
    assert [error for tally in hammered.tallies for error in tally.errors] == []


def test_every_action_succeeded_at_least_once(hammered: Outcome) -> None:
    """The run really raced registrations, refreshes and deletions (and did not just fail)."""
    statuses = combined(hammered)
    succeeded = {action for action, status in statuses if status in (200, 204)}
    assert succeeded == {"register", "refresh", "delete"}


def test_no_response_was_a_server_error(hammered: Outcome) -> None:
    assert sorted(key for key in combined(hammered) if key[1] >= 500) == []


def test_invariants_hold_after_concurrent_changes(hammered: Outcome) -> None:
    hammered.platform.check_invariants()


def test_no_node_id_is_held_twice(hammered: Outcome) -> None:
    node_ids = [device.node_id for device in hammered.platform.oceanconnect.devices()]
    assert len(node_ids) == len(set(node_ids))


def test_device_count_is_registrations_minus_deletions(hammered: Outcome) -> None:
    registered = sum(tally.registered for tally in hammered.tallies)
    deleted = sum(tally.deleted for tally in hammered.tallies)
    assert deleted > 0
    assert len(hammered.platform.oceanconnect.devices()) == registered - deleted
