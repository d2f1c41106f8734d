"""conftest.py for a suite whose code uses Huawei's OceanConnect Python SDK.

The SDK reads ``<Constant.workPath>/resources/application.ini`` for the platform's address, and
its clients read it when they are imported: set ``Constant.workPath`` first, then import them.
Under the ``fakeiot`` fixture every ``requests`` call the SDK makes (module-level
``requests.post`` and the sessions it creates per call) reaches the test's platform.
"""

from __future__ import annotations

import configparser
import importlib
from pathlib import Path
from typing import Any

import pytest

#: where the SDK keeps ``Constant`` (its distribution's layout; adjust if your copy differs)
SDK_CONSTANT_MODULE = "com.huawei.iotplatform.constant.Constant"


def write_application_ini(
    work_path: Path,
    *,
    app_id: str,
    secret: str,
    host: str = "iot.example",
    port: int = 8743,
    template: Path | None = None,
) -> Path:
    """Write ``work_path/resources/application.ini`` pointing the SDK at ``host:port``.

    With ``template`` (the ``application.ini`` the SDK ships) every key it has is kept and
    ``platformIp``/``platformPort`` are replaced wherever they appear; without one, a file
    with just the platform's address and the application's credentials is written. The
    client certificate files the SDK passes on every call are created empty: under
    ``fakeiot.mock`` no TLS handshake happens.
    """
    ini = configparser.ConfigParser(interpolation=None)
    ini.optionxform = str  # type: ignore[assignment,method-assign]  # keep camelCase keys
    if template is not None:
        ini.read(template, encoding="utf-8")
    sections = [s for s in ini.sections() if ini.has_option(s, "platformIp")] or ["CONFIG"]
    for section in sections:
        if not ini.has_section(section):
            ini.add_section(section)
        ini[section].update(
            {"platformIp": host, "platformPort": str(port), "appId": app_id, "secret": secret}
        )
    target = work_path / "resources" / "application.ini"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as file:
        ini.write(file)
    (work_path / "cert").mkdir(exist_ok=True)
    for name in ("client.crt", "client.key"):
        (work_path / "cert" / name).touch()
    return target


@pytest.fixture
def oceanconnect_sdk_home(fakeiot: Any, fakeiot_app: Any, tmp_path: Path) -> Path:
    """A work path whose application.ini names the test's platform and application."""
    write_application_ini(tmp_path, app_id=fakeiot_app.app_id, secret=fakeiot_app.secret)
    return tmp_path


@pytest.fixture
def oceanconnect_sdk(oceanconnect_sdk_home: Path) -> Any:
    """The SDK's ``Constant`` class, pointed at the test's work path before any SDK client
    module is imported (import those inside the test, after this fixture ran)."""
    constant = importlib.import_module(SDK_CONSTANT_MODULE).Constant
    constant.workPath = str(oceanconnect_sdk_home)
    return constant
