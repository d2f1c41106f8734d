"""The control API and dashboard act only for the person at the keyboard: Host and Origin
checks, no cross-site simple POST, no empty token off loopback, a request log without secrets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

import fakeiot
from fakeiot._cli import main
from fakeiot.serve._main import _log_line

CLOCK = "/_fakeiot/api/clock"
ADVANCE = "/_fakeiot/api/clock/advance"


@pytest.fixture
def server() -> Iterator[fakeiot.Server]:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    with fakeiot.Server(platform, public_hosts=("fakeiot.test",)) as served:
        yield served


def test_a_foreign_host_header_is_refused(server: fakeiot.Server) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: it gets nothing."""
    port = server.port
    for host, status in [
        ("evil.example", 403),
        (f"evil.example:{port}", 403),
        (f"127.0.0.1:{port}", 200),
        (f"localhost:{port}", 200),
        (f"fakeiot.test:{port}", 200),  # --public-host
    ]:
        response = requests.get(server.url + "/_fakeiot/api/overview", headers={"Host": host})
        assert response.status_code == status, host
    page = requests.get(server.url + "/", headers={"Host": "evil.example"}, timeout=5)
    assert page.status_code == 403


def test_a_foreign_origin_is_refused(
    server: fakeiot.Server,
) -> None:
    before = server.platform.clock.now()
    foreign = requests.post(
        server.url + ADVANCE,
        json={"seconds": 60},
        headers={"Origin": "https://evil.example"},
        timeout=5,
    )
    own = requests.post(
        server.url + ADVANCE, json={"seconds": 60}, headers={"Origin": server.url}, timeout=5
    )
    assert (foreign.status_code, own.status_code) == (403, 200)
    assert server.platform.clock.now() == before + 60


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_cross_site_form_post_is_refused(server: fakeiot.Server, content_type: str) -> None:
    """What a form or a no-cors fetch can send without a preflight changes nothing."""
    before = server.platform.clock.now()
    response = requests.post(
        server.url + ADVANCE,
        data=b'{"seconds": 7200}',
        headers={"Content-Type": content_type},
        timeout=5,
    )
    assert response.status_code == 403
    assert "Content-Type: application/json" in response.json()["detail"]
    apps = requests.post(
        server.url + "/_fakeiot/api/oceanconnect/apps",
        data=b"{}",
        headers={"Content-Type": content_type},
        timeout=5,
    )
    assert apps.status_code == 403
    assert server.platform.clock.now() == before
    assert server.platform.oceanconnect.apps() == []


def test_options_grants_no_cross_origin_access(server: fakeiot.Server) -> None:
    preflight = requests.options(
        server.url + ADVANCE,
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert preflight.status_code == 204
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_an_empty_control_token_is_refused_off_loopback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--host", "0.0.0.0", "--port", "0", "--control-token", ""])
    assert exit_info.value.code == 2
    assert "--control-token ''" in capsys.readouterr().err


def test_the_request_log_holds_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    for target in (
        "/iocm/app/sec/v1.1.0/login?appId=app&secret=s3cretvalue",
        "/?token=abcdefghijklmnop",
        "/x?accessToken=0123456789abcdef&deviceSecret=zyxwvutsrq",
    ):
        _log_line(fakeiot.HttpRequest.from_url("GET", target), fakeiot.HttpResponse(200))
    log = capsys.readouterr().out
    for secret in ("s3cretvalue", "abcdefghijklmnop", "0123456789abcdef", "zyxwvutsrq"):
        assert secret not in log
    assert "secret=s3cr…" in log
    assert "token=abcd…" in log
