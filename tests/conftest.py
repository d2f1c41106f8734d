from __future__ import annotations

from collections.abc import Iterator

import pytest

import fakeiot
from tests.oc import OcClient


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
