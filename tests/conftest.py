from __future__ import annotations

from collections.abc import Iterator

import pytest

import fakeiot
from tests.oc import OcClient

#: Plugins of fakeiot's own tool chain that the pytest runs a test starts (pytester, and the
#: workers of an xdist run inside one) have no use for; loading them costs a process about 3 s
#: of CPU time (schemathesis imports most of Hypothesis and more).
UNNEEDED_PLUGINS = (
    "-p no:schemathesis -p no:anyio -p no:pytest_httpserver -p no:respx -p no:requests_mock"
)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester, with runs that start without the tool chain's unneeded plugins."""
    monkeypatch.setenv("PYTEST_ADDOPTS", UNNEEDED_PLUGINS)
    return pytester


@pytest.fixture
def platform() -> Iterator[fakeiot.Platform]:
    """A seeded platform whose invariants are checked in full after the test."""
    platform = fakeiot.Platform(seed=0)
    yield platform
    platform.check_invariants()


@pytest.fixture
def oc(platform: fakeiot.Platform) -> OcClient:
    """A logged-in OceanConnect client of a fresh application."""
    return OcClient(platform)
