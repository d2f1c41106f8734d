"""`fakeiot serve` as a process: durable state across SIGTERM and SIGKILL, refusal of bad state
files, expiry on restore, TLS with a CA file, and the control token."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from fakeiot.serve._main import _is_loopback

IMEI = "861234567890123"


class Served:
    def __init__(self, process: subprocess.Popen[str], banner: list[str]) -> None:
        self.process = process
        self.banner = banner
        self.url = next(line.split()[-1] for line in banner if line.startswith("fakeiot serving"))

    def login(self, app_id: str = "app", secret: str = "s3cret", **kwargs: Any) -> dict[str, str]:
        response = requests.post(
            f"{self.url}/iocm/app/sec/v1.1.0/login",
            data={"appId": app_id, "secret": secret},
            timeout=5,
            **kwargs,
        )
        assert response.status_code == 200, response.text
        return {"app_key": app_id, "Authorization": "Bearer " + response.json()["accessToken"]}

    def register(self, headers: dict[str, str], node_id: str, **body: Any) -> requests.Response:
        return requests.post(
            f"{self.url}/iocm/app/reg/v1.1.0/deviceCredentials",
            json={"nodeId": node_id, **body},
            headers=headers,
            timeout=5,
        )

    def control(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        if body is None:
            return requests.get(f"{self.url}/_fakeiot/api/{path}", timeout=5, **kwargs)
        return requests.post(f"{self.url}/_fakeiot/api/{path}", json=body, timeout=5, **kwargs)


def _start(*args: str) -> Served:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fakeiot",
            "serve",
            "--port",
            "0",
            "--app-id",
            "app",
            "--secret",
            "s3cret",
            "--quiet",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    banner: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        banner.append(line.strip())
        if line.startswith("dashboard:"):
            return Served(process, banner)
    process.kill()
    _, err = process.communicate()
    raise AssertionError(f"fakeiot serve did not start: {banner} {err}")


@contextmanager
def serving(*args: str) -> Iterator[Served]:
    served = _start(*args)
    try:
        yield served
    finally:
        if served.process.poll() is None:
            served.process.send_signal(signal.SIGTERM)
        served.process.communicate(timeout=10)


def test_state_survives_a_sigterm_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with serving("--state", str(state), "--seed", "1") as first:
        headers = first.login()
        device_id = first.register(headers, IMEI, timeout=0).json()["deviceId"]
        assert first.control("oceanconnect/devices/connect", {"nodeId": IMEI}).ok
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(timeout=10) == 0
    with serving("--state", str(state), "--seed", "1") as second:
        status = requests.get(
            f"{second.url}/iocm/app/reg/v1.1.0/deviceCredentials/{device_id}",
            headers=headers,
            timeout=5,
        )  # the old token is part of the state too
        assert status.json() == {"deviceId": device_id, "activated": True, "name": None}
        assert sum("appId=app" in line for line in second.banner) == 1


def test_acknowledged_registrations_survive_sigkill(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    acknowledged: list[str] = []
    with serving("--state", str(state)) as served:
        headers = served.login()
        stop = threading.Event()

        def register_until_killed() -> None:
            for i in range(10_000):
                if stop.is_set():
                    return
                try:
                    response = served.register(headers, f"node-{i}", timeout=0)
                except requests.RequestException:
                    return
                if response.status_code == 200:
                    acknowledged.append(response.json()["deviceId"])

        worker = threading.Thread(target=register_until_killed)
        worker.start()
        time.sleep(0.7)
        served.process.send_signal(signal.SIGKILL)
        stop.set()
        worker.join(timeout=10)
    assert len(acknowledged) > 5
    assert state.read_bytes().startswith(b"SQLite format 3")
    with serving("--state", str(state)) as restarted:
        held = {d["deviceId"] for d in restarted.control("oceanconnect/devices").json()}
    assert set(acknowledged) <= held


def test_a_corrupt_state_file_is_refused_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"format": "fakeiot-state", "version": 1, "faces": {"oceanconnect": ')
    result = subprocess.run(
        [sys.executable, "-m", "fakeiot", "serve", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr
    assert state.read_text().endswith('"oceanconnect": ')


def test_a_state_file_of_an_unknown_version_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"format": "fakeiot-state", "version": 42, "faces": {}}')
    result = subprocess.run(
        [sys.executable, "-m", "fakeiot", "serve", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert "version 42" in result.stderr


def test_expiries_that_fell_due_while_stopped_apply_on_restore(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with serving("--state", str(state)) as first:
        headers = first.login()
        first.register(headers, "short-lived", timeout=1)
        first.register(headers, "forever", timeout=0)
    time.sleep(1.2)
    with serving("--state", str(state)) as second:
        nodes = [d["nodeId"] for d in second.control("oceanconnect/devices").json()]
    assert nodes == ["forever"]


def test_manual_clock_is_advanced_through_the_control_api() -> None:
    with serving("--manual-clock") as served:
        headers = served.login()
        served.register(headers, IMEI, timeout=60)
        advanced = served.control("clock/advance", {"seconds": 61})
        devices = served.control("oceanconnect/devices").json()
    assert advanced.status_code == 200
    assert devices == []


def test_tls_serves_https_trusted_through_the_written_ca_file(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    with serving("--tls", "--tls-ca", str(ca)) as served:
        assert served.url.startswith("https://")
        assert ca.read_text().startswith("-----BEGIN CERTIFICATE-----")
        headers = served.login(verify=str(ca))
    assert "Authorization" in headers


def test_control_token_is_required_when_set() -> None:
    with serving("--control-token", "tok") as served:
        denied = served.control("clock")
        allowed = served.control("clock", headers={"X-Fakeiot-Token": "tok"})
        assert "control API token: tok" in served.banner
    assert (denied.status_code, allowed.status_code) == (401, 200)


def test_only_loopback_addresses_count_as_loopback() -> None:
    assert [_is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "10.0.0.1")] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_settings_pass_through_the_command_line() -> None:
    with serving("--setting", "token_ttl=77") as served:
        response = requests.post(
            f"{served.url}/iocm/app/sec/v1.1.0/login",
            data={"appId": "app", "secret": "s3cret"},
            timeout=5,
        )
    assert response.json()["expiresIn"] == 77


def test_requests_are_logged_one_line_each() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeiot", "serve", "--port", "0", "--app-id", "a", "--secret", "b"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    assert process.stdout is not None
    url = ""
    while not url:
        line = process.stdout.readline()
        if line.startswith("fakeiot serving on"):
            url = line.split()[-1]
    requests.post(
        f"{url}/iocm/app/sec/v1.1.0/login", data={"appId": "a", "secret": "b"}, timeout=5
    ).close()
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=10)
    assert "POST /iocm/app/sec/v1.1.0/login -> 200" in out


def test_a_store_that_fills_up_refuses_writes_keeps_reads_and_exits_non_zero(
    tmp_path: Path,
) -> None:
    """A file-size limit on the server process stands for a full disk."""
    import resource

    state = tmp_path / "state.db"
    acknowledged: list[str] = []
    refused: list[str] = []
    with serving("--state", str(state)) as served:
        headers = served.login()
        used = max(p.stat().st_size for p in tmp_path.iterdir())
        limit = used + 48 * 1024
        resource.prlimit(served.process.pid, resource.RLIMIT_FSIZE, (limit, limit))
        for i in range(400):
            response = served.register(headers, f"node-{i}", timeout=0)  # never drops
            if response.status_code == 200:
                acknowledged.append(response.json()["deviceId"])
            else:
                assert (response.status_code, response.json()["error_code"]) == (500, "100001")
                refused.append(f"node-{i}")
                if len(refused) == 5:  # the stderr pipe is read only at the end
                    break
        assert refused, "the store never filled up"
        listed = served.control("oceanconnect/devices")  # reads are still served
        assert {d["deviceId"] for d in listed.json()} == set(acknowledged)
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=10) == 1
        assert served.process.stderr is not None
        err = served.process.stderr.read()
    assert "not acknowledged" in err
    assert "never came back" in err
    with serving("--state", str(state)) as restarted:
        held = {
            d["nodeId"]: d["deviceId"] for d in restarted.control("oceanconnect/devices").json()
        }
    assert set(held.values()) == set(acknowledged)
    assert not set(refused) & set(held)


def test_the_tls_key_directory_is_removed_on_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    with serving("--tls") as served:
        assert [p.name[:12] for p in scratch.iterdir()] == ["fakeiot-tls-"]
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=10) == 0
    assert list(scratch.iterdir()) == []
