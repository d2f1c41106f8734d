"""The fakeiot pytest plugin (entry point ``fakeiot``; ``-p no:fakeiot`` turns it off).

It imports fakeiot only inside fixtures, so installing fakeiot costs unrelated runs nothing.
Fixtures share one platform per test:

- ``fakeiot_platform``: a fresh :class:`fakeiot.Platform`, nothing patched.
- ``fakeiot``: the same platform with :func:`fakeiot.mock` active for the test. In a test that
  takes it, the name ``fakeiot`` is the platform, not the module: the platform carries the
  exception types (``fakeiot.ConnectRefused``, ...), and ``fakeiot_platform`` is the same
  platform for a test that needs the module too.
- ``fakeiot_app``: an OceanConnect application on it.
- ``fakeiot_server``: the platform served over loopback HTTP; one server per session, pointed at
  each test's platform, and server-side exceptions re-raised in the test that caused them.
- ``fakeiot_mqtt``: the platform's MQTT front for devices (``.host``, ``.port``); one broker per
  session, pointed at each test's platform, its connections closed after each test.
- ``fakeiot_org``: an EnOS organisation on it.
- ``fakeiot_project``: an IoTDA project (``project_id``, ``ak``, ``sk``) on it.
- ``fakeiot_pushes``: the OceanConnect pushes of the test, received in-process (no network).

A failing test's report gets a "fakeiot" section: every call, event and push, secrets cut.
``--fakeiot-coverage`` prints which lifecycle states and transitions the run exercised.

``--fakeiot-target=URL`` with credentials (``--fakeiot-target-app-id``/``-secret`` for
OceanConnect, ``--fakeiot-target-org-id``/``-access-key``/``-secret-key`` for EnOS) points every
``fakeiot.contract`` machine at that platform instead of an in-process one (fixture
``fakeiot_target``); the run ends with a report of every deviation from fakeiot's model, and
fails if there is one.

``@pytest.mark.fakeiot(seed=..., hosts=[...], passthrough=[...], **settings)`` configures the
test's platform, and the hosts the ``fakeiot`` fixture's :func:`fakeiot.mock` serves and lets
through (ini options ``fakeiot_hosts`` and ``fakeiot_passthrough`` set the defaults). Bad
``fakeiot_seed``/``fakeiot_settings`` ini values or ``--fakeiot-setting`` options stop the run
at start-up with a ``pytest.UsageError``.
"""

from __future__ import annotations

import zlib
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import fakeiot as _fakeiot
    from fakeiot._delivery import Push
    from fakeiot._enos import Organization
    from fakeiot._iotda import ProjectKeys
    from fakeiot._oceanconnect import Application
    from fakeiot.contract import Target

_PLATFORM = pytest.StashKey["_fakeiot.Platform"]()
_COVERAGE = pytest.StashKey[dict[str, set[str]]]()
_TARGET = pytest.StashKey["Target | None"]()
_TARGET_OPTIONS = ("app_id", "secret", "access_key", "secret_key", "org_id")
#: the ``fakeiot`` fixture's mock() scope: (hosts or None for every host, passthrough)
_SCOPE = pytest.StashKey["tuple[list[str] | None, list[str]]"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fakeiot")
    group.addoption(
        "--fakeiot-seed",
        type=int,
        default=None,
        help="seed for every fakeiot platform (default: derived from the test's node id)",
    )
    group.addoption(
        "--fakeiot-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a fakeiot.Settings field for every platform (repeatable)",
    )
    group.addoption(
        "--fakeiot-coverage",
        action="store_true",
        default=False,
        help="print the lifecycle states and transitions the run exercised",
    )
    group.addoption(
        "--fakeiot-target",
        default=None,
        metavar="URL",
        help="run fakeiot.contract machines against this platform (a real tenant or "
        "`fakeiot serve`) and report each deviation from fakeiot's model",
    )
    for name, meaning in (
        ("app-id", "OceanConnect appId"),
        ("secret", "OceanConnect application secret"),
        ("access-key", "EnOS access key"),
        ("secret-key", "EnOS secret key"),
        ("org-id", "EnOS orgId"),
    ):
        group.addoption(
            f"--fakeiot-target-{name}", default=None, help=f"with --fakeiot-target: the {meaning}"
        )
    parser.addini("fakeiot_seed", "default seed for fakeiot platforms", default="")
    parser.addini(
        "fakeiot_settings", "fakeiot.Settings fields, one NAME=VALUE a line", type="linelist"
    )
    parser.addini(
        "fakeiot_hosts",
        "hosts the fakeiot fixture's mock() serves, one a line, wildcards allowed "
        "(default: every host, on the faces' path prefixes)",
        type="linelist",
    )
    parser.addini(
        "fakeiot_passthrough",
        "hosts the fakeiot fixture's mock() lets through to the network, one a line",
        type="linelist",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fakeiot(seed=None, hosts=None, passthrough=(), **settings): configure the test's "
        "fakeiot platform and the hosts its mock() serves and lets through",
    )
    seen: dict[str, set[str]] = {"transitions": set(), "states": set()}
    config.stash[_COVERAGE] = seen
    _check_settings(config)
    config.stash[_TARGET] = None
    url = config.getoption("fakeiot_target")
    if url:
        from fakeiot.contract import Contract, Target

        credentials = {k: config.getoption(f"fakeiot_target_{k}") for k in _TARGET_OPTIONS}
        config.stash[_TARGET] = Contract.target = Target(url, **credentials)


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(_TARGET, None) is not None:
        from fakeiot.contract import Contract

        Contract.target = None


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = config.getoption("fakeiot_seed") or config.getini("fakeiot_seed")
    return f"fakeiot: seed={seed}" if seed else None


def _check_settings(config: pytest.Config) -> None:
    """Bad ``fakeiot_*`` ini values or ``--fakeiot-*`` options stop the run once, at start-up,
    rather than failing every test that takes a fixture."""
    from fakeiot import Settings, UsageError

    seed = config.getini("fakeiot_seed")
    if seed:
        try:
            int(seed)
        except ValueError:
            raise pytest.UsageError(f"fakeiot_seed: an integer, got {seed!r}") from None
    try:
        Settings().replace(**_default_settings(config))
    except (UsageError, TypeError, ValueError) as exc:
        raise pytest.UsageError(f"fakeiot settings: {exc}") from None


def _default_settings(config: pytest.Config) -> dict[str, Any]:
    from fakeiot import Settings, UsageError

    fields: dict[str, Any] = {}
    for item in [*config.getini("fakeiot_settings"), *config.getoption("fakeiot_setting")]:
        name, sep, text = item.partition("=")
        if not sep:
            raise UsageError(f"fakeiot settings take NAME=VALUE, got {item!r}")
        fields[name.strip()] = Settings.parse(name.strip(), text.strip())
    return fields


@pytest.fixture
def fakeiot_platform(request: pytest.FixtureRequest) -> Iterator[_fakeiot.Platform]:
    """A fresh platform for this test, configured by ``@pytest.mark.fakeiot``."""
    import fakeiot

    kwargs = _default_settings(request.config)
    for marker in reversed(list(request.node.iter_markers("fakeiot"))):
        if marker.args:
            raise fakeiot.UsageError("@pytest.mark.fakeiot takes keyword arguments only")
        kwargs.update(marker.kwargs)
    hosts = kwargs.pop("hosts", None) or request.config.getini("fakeiot_hosts") or None
    passthrough = kwargs.pop("passthrough", None) or request.config.getini("fakeiot_passthrough")
    request.node.stash[_SCOPE] = (
        None if hosts is None else list(hosts),
        list(passthrough or ()),
    )
    seed = kwargs.pop("seed", None)
    if seed is None:
        seed = request.config.getoption("fakeiot_seed")
    if seed is None and request.config.getini("fakeiot_seed"):
        seed = int(request.config.getini("fakeiot_seed"))
    if seed is None:  # the default the option's help promises: the same ids on every run
        seed = zlib.crc32(request.node.nodeid.encode())
    platform = fakeiot.Platform(seed, **kwargs)
    request.node.stash[_PLATFORM] = platform
    yield platform
    _record_coverage(request.config, platform)
    platform.check_invariants()


@pytest.fixture
def fakeiot_target(request: pytest.FixtureRequest) -> Target | None:
    """The ``--fakeiot-target`` platform the contract machines run against, or ``None``."""
    return request.config.stash.get(_TARGET, None)


@pytest.fixture
def fakeiot(
    request: pytest.FixtureRequest, fakeiot_platform: _fakeiot.Platform
) -> Iterator[_fakeiot.Platform]:
    """The test's platform, with every HTTP client in the process routed to it
    (``fakeiot.mock``, scoped by the marker's or ini's ``hosts`` and ``passthrough``)."""
    import fakeiot as package

    hosts, passthrough = request.node.stash.get(_SCOPE, (None, []))
    with package.mock(fakeiot_platform, hosts=hosts, passthrough=passthrough):
        yield fakeiot_platform


@pytest.fixture
def fakeiot_app(fakeiot_platform: _fakeiot.Platform) -> Application:
    """An OceanConnect application on the test's platform."""
    return fakeiot_platform.oceanconnect.create_app()


@pytest.fixture
def fakeiot_org(fakeiot_platform: _fakeiot.Platform) -> Organization:
    """An EnOS organisation on the test's platform."""
    return fakeiot_platform.enos.create_org()


@pytest.fixture
def fakeiot_pushes(fakeiot_platform: _fakeiot.Platform) -> list[Push]:
    """The OceanConnect pushes of this test, in order. Every callback URL is answered 200
    in-process, so subscriptions to any URL work without a network."""

    def accept(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    fakeiot_platform.oceanconnect.route_pushes("", accept)
    return fakeiot_platform.oceanconnect.pushes


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


@pytest.fixture(scope="session")
def _fakeiot_session_mqtt() -> Iterator[_fakeiot.MqttBroker]:
    import fakeiot

    with fakeiot.MqttBroker(fakeiot.Platform(0)) as broker:
        yield broker


@pytest.fixture
def fakeiot_mqtt(
    _fakeiot_session_mqtt: _fakeiot.MqttBroker, fakeiot_platform: _fakeiot.Platform
) -> Iterator[_fakeiot.MqttBroker]:
    """The test's platform's MQTT front on loopback (``fakeiot_mqtt.host``, ``.port``)."""
    broker = _fakeiot_session_mqtt
    broker.check()
    broker.platform = fakeiot_platform
    yield broker
    broker.close_connections()
    broker.check()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    platform = item.stash.get(_PLATFORM, None)
    if platform is not None and report.failed:
        report.sections.append(("fakeiot", platform.transcript()))
    return report


# -- lifecycle coverage ----------------------------------------------------------------------
def _record_coverage(config: pytest.Config, platform: _fakeiot.Platform) -> None:
    if not config.getoption("fakeiot_coverage"):
        return
    from fakeiot._lifecycle import BY_NAME

    seen = config.stash[_COVERAGE]
    for event in platform.events:
        rule = BY_NAME.get(event.kind)
        if rule is not None:
            seen["transitions"].add(rule.name)
            seen["states"].add(rule.target.value)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None and config.getoption("fakeiot_coverage"):
        workeroutput["fakeiot_coverage"] = {
            k: sorted(v) for k, v in config.stash[_COVERAGE].items()
        }
    target = config.stash.get(_TARGET, None)
    if target is None:
        return
    if workeroutput is not None:
        import dataclasses

        workeroutput["fakeiot_target"] = {
            "examples": target.examples,
            "deviations": [dataclasses.asdict(d) for d in target.deviations],
        }
    elif target.deviations and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Under pytest-xdist, merge each worker's coverage into the controller's."""
    output = getattr(node, "workeroutput", {}).get("fakeiot_coverage")
    if output:
        seen = node.config.stash[_COVERAGE]
        for key, values in output.items():
            seen[key].update(values)
    found = getattr(node, "workeroutput", {}).get("fakeiot_target")
    target = node.config.stash.get(_TARGET, None)
    if found and target is not None:
        from fakeiot.contract import Deviation

        target.examples += found["examples"]
        for fields in found["deviations"]:
            target.deviations.append(Deviation(**{**fields, "steps": tuple(fields["steps"])}))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if hasattr(config, "workeroutput"):
        return
    target = config.stash.get(_TARGET, None)
    if target is not None:
        terminalreporter.section("fakeiot contract deviations")
        for line in target.report().splitlines():
            terminalreporter.write_line(line)
    if not config.getoption("fakeiot_coverage"):
        return
    from fakeiot._lifecycle import TRANSITIONS, State

    seen = config.stash[_COVERAGE]
    transitions = [t.name for t in TRANSITIONS]
    states = [s.value for s in State]
    write = terminalreporter.write_line
    terminalreporter.section("fakeiot lifecycle coverage")
    for label, every, hit in (
        ("states", states, seen["states"]),
        ("transitions", transitions, seen["transitions"]),
    ):
        missing = [name for name in every if name not in hit]
        write(
            f"{label}: {len(every) - len(missing)}/{len(every)} exercised"
            + (f"; never: {', '.join(missing)}" if missing else "")
        )


@pytest.fixture
def fakeiot_project(fakeiot_platform: _fakeiot.Platform) -> ProjectKeys:
    """An IoTDA project on the test's platform: ``project_id``, ``ak``, ``sk`` for the SDK's
    ``BasicCredentials``."""
    return fakeiot_platform.iotda.create_project()
