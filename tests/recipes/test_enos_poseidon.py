"""Recipe: Envision's ``enos-poseidon`` client against the ``fakeiot_server`` fixture.

``poseidon.urlopen`` sends its requests with ``urllib``; it encrypts its ``apim-accesstoken``
with the RSA public key in ``poseidon.poseidon.pubkey``: install the platform's key there and
the platform checks the access key and secret like the real gateway.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

import fakeiot

_saved = ssl._create_default_https_context
from poseidon import poseidon  # noqa: E402  (importing it switches TLS verification off)

ssl._create_default_https_context = _saved  # ... which we switch back on


@pytest.fixture
def enos_call(
    fakeiot_server: fakeiot.Server, fakeiot_org: Any, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    """``enos_call(resource, action, body=None, **query)`` through enos-poseidon."""
    monkeypatch.setattr(poseidon, "pubkey", fakeiot_server.platform.enos.poseidon_public_key)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")

    def call(resource: str, action: str, body: Any = None, **query: str) -> Any:
        params = urlencode({"action": action, "orgId": fakeiot_org.org_id, **query})
        url = f"{fakeiot_server.url}/connect-service/v2.1/{resource}?{params}"
        return poseidon.urlopen(fakeiot_org.access_key, fakeiot_org.secret_key, url, body)

    return call


def test_a_device_created_through_poseidon_goes_online(
    enos_call: Callable[..., Any], fakeiot_platform: fakeiot.Platform
) -> None:
    product = enos_call(
        "products",
        "create",
        {
            "productName": {"defaultValue": "Meter"},
            "modelId": "meter_model",
            "dataFormat": "Json",
            "productType": "Device",
            "biDirectionalAuth": "false",
        },
    )
    assert product["code"] == 0, product
    device = enos_call(
        "devices",
        "create",
        {
            "productKey": product["data"],
            "deviceName": {"defaultValue": "meter 1"},
            "timezone": "+08:00",
            "deviceKey": "meter_1",
        },
    )["data"]

    # the device side: an MQTT login with the device's secret activates it and sets it online
    fakeiot_platform.enos.login_device(product["data"], "meter_1", device["deviceSecret"])

    got = enos_call("devices", "get", assetId=device["assetId"])
    assert got["data"]["status"] == "online"
