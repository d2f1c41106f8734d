"""The Huawei SDK recipe's conftest, checked without the SDK (it is not on PyPI): the
application.ini it writes names the test's platform, and a login made the way the SDK makes it
(from that file's values, ``requests.post`` with a form body) succeeds under the fixture."""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any

import requests

from tests.recipes.huawei_sdk_conftest import oceanconnect_sdk_home, write_application_ini

__all__ = ["oceanconnect_sdk_home"]  # the fixture, imported as the recipe's conftest would


def _read(ini: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(ini, encoding="utf-8")
    return parser


def test_sdk_style_login_reaches_the_platform(
    fakeiot: Any, fakeiot_app: Any, oceanconnect_sdk_home: Path
) -> None:
    config = _read(oceanconnect_sdk_home / "resources" / "application.ini")["CONFIG"]
    assert config["appId"] == fakeiot_app.app_id
    url = f"https://{config['platformIp']}:{config['platformPort']}/iocm/app/sec/v1.1.0/login"
    certs = oceanconnect_sdk_home / "cert"
    cert = (str(certs / "client.crt"), str(certs / "client.key"))
    login = requests.post(
        url,
        data={"appId": config["appId"], "secret": config["secret"]},
        cert=cert,
        verify=False,
        timeout=10,
    )
    assert login.status_code == 200
    assert login.json()["expiresIn"] == 3600
    assert fakeiot.calls[-1].request.path == "/iocm/app/sec/v1.1.0/login"


def test_template_keys_are_kept_and_the_address_replaced(tmp_path: Path) -> None:
    template = tmp_path / "shipped.ini"
    template.write_text(
        "[IOT]\nplatformIp = 100.100.100.100\nplatformPort = 8743\ncallbackUrl = https://x/\n",
        encoding="utf-8",
    )
    written = write_application_ini(
        tmp_path / "home", app_id="a", secret="s", host="127.0.0.1", port=1234, template=template
    )
    section = _read(written)["IOT"]
    assert (section["platformIp"], section["platformPort"]) == ("127.0.0.1", "1234")
    assert section["callbackUrl"] == "https://x/"
    assert (tmp_path / "home" / "cert" / "client.key").exists()
