"""What a newcomer meets when something is missing or wrong: an ImportError naming the extra to
install, bad plugin settings stopping the run once, one-line CLI errors, ``--version``, and a
plain-text ``--help``."""

from __future__ import annotations

import importlib
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import fakeiot
from fakeiot import _cli
from fakeiot._extras import MissingExtraError

pytest_plugins = ["pytester"]


def _without(monkeypatch: pytest.MonkeyPatch, package: str, *modules: str) -> None:
    """Make ``package`` look uninstalled and ``modules`` not yet imported, until the test ends."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, package, None)
    for module in modules:
        monkeypatch.delitem(sys.modules, module, raising=False)


@pytest.mark.parametrize(
    ("package", "module", "extra"),
    [
        ("hypothesis", "fakeiot.strategies", "hypothesis"),
        ("hypothesis", "fakeiot.contract", "hypothesis"),
        ("httpx", "fakeiot._transports._httpx", "httpx"),
        ("amqtt", "fakeiot._mqtt", "mqtt"),
    ],
)
def test_a_missing_optional_package_names_its_extra(
    monkeypatch: pytest.MonkeyPatch, package: str, module: str, extra: str
) -> None:
    _without(monkeypatch, package, module, "fakeiot.strategies", "fakeiot.contract")
    for name in [m for m in sys.modules if m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ImportError, match=rf"pip install 'fakeiot\[{extra}\]'") as raised:
        importlib.import_module(module)
    assert isinstance(raised.value, MissingExtraError)
    assert raised.value.name == package


def test_mqtt_broker_without_amqtt_names_the_mqtt_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fakeiot.MqttBroker``, the public name, says which extra to install."""
    _without(monkeypatch, "amqtt", "fakeiot._mqtt")
    for name in [m for m in sys.modules if m.startswith("fakeiot._mqtt.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delitem(vars(fakeiot), "MqttBroker", raising=False)  # a first use caches it
    with pytest.raises(ImportError, match=r"pip install 'fakeiot\[mqtt\]'"):
        fakeiot.MqttBroker  # noqa: B018


def test_tls_without_cryptography_names_the_tls_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from fakeiot.serve import _tls

    _without(monkeypatch, "cryptography")
    with pytest.raises(ImportError, match=r"pip install 'fakeiot\[tls\]'"):
        _tls.make_certificates(tmp_path)


def test_poseidon_auth_without_cryptography_names_the_enos_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fakeiot._enos import _auth

    monkeypatch.setattr(_auth.KeyPair, "_shared", None)
    _without(monkeypatch, "cryptography")
    with pytest.raises(ImportError, match=r"pip install 'fakeiot\[enos\]'"):
        _auth.KeyPair().public_key_b64()


def test_a_broken_dependency_is_not_reported_as_missing() -> None:
    from fakeiot._extras import missing

    inner = ModuleNotFoundError("No module named 'sniffio'", name="sniffio")
    assert missing(inner, "fakeiot.HttpxTransport") is inner


# -- the fixture and the module share a name ------------------------------------------------
def test_the_platform_carries_the_exception_types_a_test_catches() -> None:
    platform = fakeiot.Platform(seed=0)
    for name in ("ConnectRefused", "ApiError", "UsageError", "NotFoundError", "PlatformError"):
        assert getattr(platform, name) is getattr(fakeiot, name)


# -- plugin settings ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ini", "options", "message"),
    [
        ("fakeiot_settings = no_such_setting=1", (), "*fakeiot settings: *no_such_setting*"),
        ("fakeiot_settings = token_ttl=soon", (), "*fakeiot settings: *token_ttl*soon*"),
        ("fakeiot_seed = abc", (), "*fakeiot_seed: an integer, got 'abc'*"),
        ("", ("--fakeiot-setting", "flow_control_limit"), "*NAME=VALUE*"),
    ],
)
def test_bad_settings_stop_the_run_once_at_start_up(
    pytester: pytest.Pytester, ini: str, options: tuple[str, ...], message: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_one(fakeiot):\n    pass\n\ndef test_two(fakeiot):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *options)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "test_one" not in result.stdout.str()


# -- the command line -----------------------------------------------------------------------
def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"fakeiot {fakeiot.__version__}\n"


@pytest.mark.parametrize("argv", [["--help"], ["serve", "--help"]])
def test_help_is_plain_text_and_cites_no_file(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        _cli.main(argv)
    text = capsys.readouterr().out
    assert "usage: fakeiot" in text
    for markup in ("``", ":class:", "docs/"):
        assert markup not in text
    assert "https://" in text  # the documentation's address


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["serve", "--state", "/no/such/dir/state.db"], "directory /no/such/dir does not exist"),
        (["serve", "--state", "/"], "/ is a directory, not a file"),
        (["serve", "--port", "70000"], "a port is 0 to 65535, got 70000"),
        (["serve", "--setting", "nonsense=1"], "'nonsense' is not a fakeiot setting"),
        (["serve", "--setting", "token_ttl"], "--setting takes NAME=VALUE"),
        (["launch"], "invalid choice: 'launch'"),
    ],
)
def test_bad_options_and_paths_are_one_line(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("fakeiot")
    assert expected in err


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "fakeiot", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr == (
        f"fakeiot: error: cannot serve on 127.0.0.1:{port}: Address already in use\n"
    )


# -- the browser tests on a machine without a browser ----------------------------------------
def test_ci_checks_the_skip_reason_the_browser_tests_give() -> None:
    """.ci/run's first stage greps for the install hint tests/browser.py gives."""
    from tests import browser

    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "apt-get install chromium chromium-driver" in browser.INSTALL
    assert 'grep -q "SKIPPED .*apt-get install chromium chromium-driver"' in ci
    assert f"{browser.REQUIRE}=1 python -m pytest" in ci


def test_without_a_browser_the_dashboard_tests_skip_or_fail_on_demand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests import browser

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv(browser.REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium chromium-driver"):
        browser.system_browser()
    monkeypatch.setenv(browser.REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match="FAKEIOT_REQUIRE_BROWSER is set"):
        browser.system_browser()
