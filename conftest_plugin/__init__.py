"""The fakeiot pytest plugin (entry point ``fakeiot``; ``-p no:fakeiot`` turns it off).

It imports fakeiot only inside fixtures, so installing fakeiot costs unrelated runs nothing.
Fixtures share one platform per test:

- ``fakeiot_platform``: a fresh :class:`fakeiot.Platform`, nothing patched.
- ``fakeiot``: the same platform with :func:`fakeiot.mock` active for the test.
- ``fakeiot_app``: an OceanConnect application on it.
- ``fakeiot_server``: the platform served over loopback HTTP; one server per session, pointed at
  each test's platform, and server-side exceptions re-raised in the test that caused them.

``@pytest.mark.fakeiot(seed=..., **settings)`` configures the test's platform.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import fakeiot as _fakeiot
    from fakeiot._oceanconnect import Application


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fakeiot")
    group.addoption(
        "--fakeiot-seed",
        type=int,
        default=None,
        help="seed for every fakeiot platform (default: the test's node id)",
    )
    parser.addini("fakeiot_seed", "default seed for fakeiot platforms", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fakeiot(seed=None, **settings): configure the test's fakeiot platform"
    )


@pytest.fixture
def fakeiot_platform(request: pytest.FixtureRequest) -> Iterator[_fakeiot.Platform]:
    """A fresh platform for this test, configured by ``@pytest.mark.fakeiot``."""
    import fakeiot

    kwargs: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("fakeiot"))):
        if marker.args:
            raise fakeiot.UsageError("@pytest.mark.fakeiot takes keyword arguments only")
        kwargs.update(marker.kwargs)
    seed = kwargs.pop("seed", None)
    if seed is None:
        seed = request.config.getoption("fakeiot_seed")
    if seed is None and request.config.getini("fakeiot_seed"):
        seed = int(request.config.getini("fakeiot_seed"))
    platform = fakeiot.Platform(seed, **kwargs)
    yield platform
    platform.check_invariants()


@pytest.fixture
def fakeiot(fakeiot_platform: _fakeiot.Platform) -> Iterator[_fakeiot.Platform]:
    """The test's platform, with every ``requests`` call in the process routed to it."""
    import fakeiot as package

    with package.mock(fakeiot_platform):
        yield fakeiot_platform


@pytest.fixture
def fakeiot_app(fakeiot_platform: _fakeiot.Platform) -> Application:
    """An OceanConnect application on the test's platform."""
    return fakeiot_platform.oceanconnect.create_app()


@pytest.fixture(scope="session")
def _fakeiot_session_server() -> Iterator[_fakeiot.Server]:
    import fakeiot

    with fakeiot.Server(fakeiot.Platform(0)) as server:
        yield server


@pytest.fixture
def fakeiot_server(
    _fakeiot_session_server: _fakeiot.Server, fakeiot_platform: _fakeiot.Platform
) -> Iterator[_fakeiot.Server]:
    """The test's platform served on loopback HTTP (``fakeiot_server.url``)."""
    server = _fakeiot_session_server
    server.check()
    server.platform = fakeiot_platform
    yield server
    server.check()
