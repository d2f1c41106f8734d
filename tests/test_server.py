"""``fakeiot.Server`` and ``fakeiot serve``: the platform over real HTTP(S) on loopback."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

import fakeiot
from fakeiot._oceanconnect import Application
from fakeiot.serve._main import _Signals
from tests.oc import LOGIN


def login(url: str, app: Application, **kwargs: Any) -> requests.Response:
    form = {"appId": app.app_id, "secret": app.secret}
    kwargs.setdefault("timeout", 10)
    with requests.Session() as session:
        return session.post(url + LOGIN, data=form, **kwargs)


def test_server_binds_loopback_on_a_free_port(platform: fakeiot.Platform) -> None:
    app = platform.oceanconnect.create_app()
    with fakeiot.Server(platform) as server:
        url, port = server.url, server.port
        status = login(url, app).status_code
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert (port != 0, status) == (True, 200)


def test_server_keeps_the_connection_alive(platform: fakeiot.Platform) -> None:
    """Two requests in a row travel on one socket: the server does not close after the first."""
    app = platform.oceanconnect.create_app()
    form = f"appId={app.app_id}&secret={app.secret}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with fakeiot.Server(platform) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            statuses, sockets = [], []
            for _ in range(2):
                connection.request("POST", LOGIN, body=form, headers=headers)
                with connection.getresponse() as response:
                    response.read()
                    statuses.append(response.status)
                sockets.append(connection.sock)
        finally:
            connection.close()
    assert statuses == [200, 200]
    assert sockets[0] is not None
    assert sockets[1] is sockets[0]


def test_server_with_tls_serves_https_trusting_its_ca(platform: fakeiot.Platform) -> None:
    app = platform.oceanconnect.create_app()
    with fakeiot.Server(platform, tls=True) as server:
        assert server.ca_file is not None
        url = server.url
        response = login(url, app, verify=str(server.ca_file))
    assert url.startswith("https://127.0.0.1:")
    assert response.status_code == 200


def test_tls_server_serves_others_while_a_client_stays_silent(
    platform: fakeiot.Platform,
) -> None:
    """A connection that never starts its TLS handshake does not hold up the next client."""
    app = platform.oceanconnect.create_app()
    with (
        fakeiot.Server(platform, tls=True) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10),
    ):
        response = login(server.url, app, verify=str(server.ca_file), timeout=3)
    assert response.status_code == 200


class Boom:
    """A plugin whose request hook raises, as a bug inside the platform would."""

    @fakeiot.hookimpl
    def fakeiot_request(self, platform: fakeiot.Platform, request: fakeiot.HttpRequest) -> None:
        raise RuntimeError("boom")


def test_server_answers_500_when_the_platform_raises(platform: fakeiot.Platform) -> None:
    platform.hooks.register(Boom())
    app = platform.oceanconnect.create_app()
    with pytest.raises(fakeiot.ServerError), fakeiot.Server(platform) as server:
        response = login(server.url, app)
    assert response.status_code == 500
    assert "RuntimeError('boom')" in response.json()["detail"]


def test_server_check_reraises_the_platform_exception(platform: fakeiot.Platform) -> None:
    platform.hooks.register(Boom())
    app = platform.oceanconnect.create_app()
    with fakeiot.Server(platform) as server:
        login(server.url, app)
        with pytest.raises(fakeiot.ServerError, match="POST /iocm/app/sec") as raised:
            server.check()
        server.check()  # reported once: the next check is clean
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_server_reraises_the_platform_exception_on_exit(platform: fakeiot.Platform) -> None:
    platform.hooks.register(Boom())
    app = platform.oceanconnect.create_app()
    with pytest.raises(fakeiot.ServerError) as raised, fakeiot.Server(platform) as server:
        login(server.url, app)
    assert str(raised.value.__cause__) == "boom"


def test_server_serves_a_swapped_platform(platform: fakeiot.Platform) -> None:
    other = fakeiot.Platform(seed=1)
    app = other.oceanconnect.create_app()
    with fakeiot.Server(platform) as server:
        before = login(server.url, app).status_code
        server.platform = other
        after = login(server.url, app).status_code
    assert (before, after) == (401, 200)
    assert [call.route for call in other.calls] == ["oceanconnect.login"]


# -- fakeiot serve ----------------------------------------------------------------------------


@dataclass
class Served:
    process: subprocess.Popen[str]
    banner: list[str]
    url: str


@pytest.fixture
def served() -> Iterator[Served]:
    """``fakeiot serve`` in a subprocess, started and announced; killed if a test left it up."""
    command = [
        sys.executable,
        "-m",
        "fakeiot",
        "serve",
        "--port",
        "0",
        "--app-id",
        "myapp",
        "--secret",
        "s3cret",
        "--project-id",
        "myproject",
        "--ak",
        "MYAK",
        "--sk",
        "MYSK",
        "--seed",
        "1",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        banner = [process.stdout.readline()]
        while banner[-1] and not banner[-1].startswith("dashboard:"):
            banner.append(process.stdout.readline())  # the banner ends with the dashboard's URL
        found = re.fullmatch(r"fakeiot serving on (http://127\.0\.0\.1:\d+)\n", banner[0])
        try:
            assert found is not None, banner
            yield Served(process, banner, found.group(1))
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)


def test_serve_prints_its_url_and_credentials(served: Served) -> None:
    assert served.banner[1] == "OceanConnect appId=myapp secret=s3cret\n"
    assert served.banner[2].startswith("EnOS orgId=")
    assert re.fullmatch(
        r"IoTDA projectId=myproject ak=MYAK sk=MYSK instanceId=\S+\n", served.banner[3]
    ), served.banner


def test_serve_answers_the_iotda_sdk_with_the_printed_project(served: Served) -> None:
    """The project `fakeiot serve` prints is one the official SDK can use at once."""
    from huaweicloudsdkiotda.v5 import ListProductsRequest

    from fakeiot.iotda import ProjectKeys
    from tests.test_iotda_sdk import client_for

    keys = ProjectKeys("myproject", "MYAK", "MYSK", "", "")
    client = client_for(keys, served.url, "basic")
    assert client.list_products(ListProductsRequest()).products == []


def test_serve_answers_a_login_with_the_given_credentials(served: Served) -> None:
    app = Application("myapp", "s3cret", "myapp")
    response = login(served.url, app)
    assert response.status_code == 200
    assert response.json()["tokenType"] == "bearer"


def test_a_signal_is_noticed_at_once_and_the_handlers_are_restored() -> None:
    """``fakeiot serve``'s signal handling takes no lock (an Event's lock once deadlocked it when
    the signal landed inside ``Event.wait``); the wait ends as the signal arrives."""
    before = signal.getsignal(signal.SIGUSR1)
    with _Signals(signal.SIGUSR1) as stop:
        assert stop.wait(0.01) is False
        started = time.monotonic()
        sender = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1))
        sender.start()
        assert stop.wait(30) is True  # woken by the signal, not by the timeout
        assert time.monotonic() - started < 5
        sender.join()
        assert stop.received == [signal.SIGUSR1]
    assert signal.getsignal(signal.SIGUSR1) is before


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_exits_cleanly_on_signal(served: Served, signum: signal.Signals) -> None:
    served.process.send_signal(signum)
    out, err = served.process.communicate(timeout=10)
    assert (served.process.returncode, out, err) == (0, "fakeiot stopped\n", "")
