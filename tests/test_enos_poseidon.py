"""Envision's official Python client, ``enos-poseidon`` 0.1.6, against a live fakeiot.Server.

The client encrypts its ``apim-accesstoken`` with the RSA key in ``poseidon.poseidon.pubkey``;
each test installs the platform's public key there (spec §8.3), so the platform decrypts the
token and checks the access key and secret like the real gateway.
"""

from __future__ import annotations

import importlib
import json
import ssl
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any
from urllib.parse import urlencode

import pytest

import fakeiot
from fakeiot._enos import Organization


@cache
def poseidon_module() -> Any:
    """Import the client once, undoing its process-wide switch-off of TLS verification."""
    saved = ssl._create_default_https_context
    module = importlib.import_module("poseidon.poseidon")
    ssl._create_default_https_context = saved
    return module


Call = Callable[..., Any]


@pytest.fixture
def live(
    platform: fakeiot.Platform, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Organization, Call]]:
    """An org and ``call(resource, action, body=None, *, secret=None, **query)`` through the
    real client, which returns what ``poseidon.urlopen`` returns."""
    client = poseidon_module()
    monkeypatch.setattr(client, "pubkey", platform.enos.poseidon_public_key)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    org = platform.enos.create_org()
    with fakeiot.Server(platform) as server:

        def call(
            resource: str, action: str, body: Any = None, *, secret: str | None = None, **query: str
        ) -> Any:
            params = urlencode({"action": action, "orgId": org.org_id, **query})
            url = f"{server.url}/connect-service/v2.1/{resource}?{params}"
            key = org.secret_key if secret is None else secret
            return client.urlopen(org.access_key, key, url, body)

        yield org, call


def create_product(call: Call) -> str:
    reply = call(
        "products",
        "create",
        {
            "productName": {"defaultValue": "Turbine", "i18nValue": {"zh_CN": "风机"}},
            "modelId": "turbine_model",
            "dataFormat": "Json",
            "productType": "Device",
            "biDirectionalAuth": "false",
        },
    )
    assert (reply["code"], reply["msg"]) == (0, "OK"), reply
    product_key: str = reply["data"]
    return product_key


def create_device(call: Call, product_key: str, device_key: str = "wt-0001") -> dict[str, str]:
    reply = call(
        "devices",
        "create",
        {
            "productKey": product_key,
            "deviceName": {"defaultValue": "turbine", "i18nValue": {"ja_JP": "タービン"}},
            "timezone": "+08:00",
            "deviceKey": device_key,
        },
    )
    assert reply["code"] == 0, reply
    data: dict[str, str] = reply["data"]
    return data


def test_create_product_and_read_it_back(live: tuple[Organization, Call]) -> None:
    org, call = live
    product_key = create_product(call)
    data = call("products", "get", productKey=product_key)["data"]
    assert (data["orgId"], data["productName"]["i18nValue"]) == (org.org_id, {"zh_CN": "风机"})


def test_create_device_and_get_it(live: tuple[Organization, Call]) -> None:
    _org, call = live
    created = create_device(call, create_product(call))
    data = call("devices", "get", assetId=created["assetId"])["data"]
    assert (data["deviceKey"], data["status"]) == ("wt-0001", "inactive")
    assert data["deviceName"]["i18nValue"] == {"ja_JP": "タービン"}


def test_search_devices_with_an_expression(live: tuple[Organization, Call]) -> None:
    _org, call = live
    product_key = create_product(call)
    wanted = create_device(call, product_key, "wt-0001")
    create_device(call, product_key, "wt-0002")
    reply = call("devices", "search", {"expression": "deviceKey = 'wt-0001'"})
    assert [d["assetId"] for d in reply["data"]] == [wanted["assetId"]]
    assert reply["pagination"]["totalSize"] == 1


def test_replace_device(live: tuple[Organization, Call], platform: fakeiot.Platform) -> None:
    _org, call = live
    created = create_device(call, create_product(call))
    reply = call(
        "devices",
        "replaceDevice",
        {"newDeviceKey": "The_NewDeviceKey."},
        assetId=created["assetId"],
    )
    assert reply["code"] == 0, reply
    assert (reply["data"]["assetId"], reply["data"]["deviceKey"]) == (
        created["assetId"],
        "The_NewDeviceKey.",
    )
    view = platform.enos.login_device(
        created["productKey"], "The_NewDeviceKey.", reply["data"]["deviceSecret"]
    )
    assert view.status == "online"


def test_disable_and_enable_by_get(live: tuple[Organization, Call]) -> None:
    """The client sends GET for delete, enable and disable (no body): the platform serves it."""
    _org, call = live
    asset_id = create_device(call, create_product(call))["assetId"]
    assert call("devices", "disable", assetId=asset_id)["code"] == 0
    assert call("devices", "get", assetId=asset_id)["data"]["status"] == "disable"
    assert call("devices", "enable", assetId=asset_id)["code"] == 0
    assert call("devices", "get", assetId=asset_id)["data"]["status"] == "inactive"


def test_delete_device_then_get_is_11404(live: tuple[Organization, Call]) -> None:
    _org, call = live
    asset_id = create_device(call, create_product(call))["assetId"]
    deleted = call("devices", "delete", assetId=asset_id)
    assert (deleted["code"], deleted["data"]) == (0, None)
    missing = call("devices", "get", assetId=asset_id)
    assert (missing["code"], missing["msg"]) == (11404, "Device cannot be found")


def test_business_errors_reach_the_client_as_dicts(live: tuple[Organization, Call]) -> None:
    _org, call = live
    reply = call("devices", "replaceDevice", {"newDeviceKey": "x"}, assetId="nope1234")
    assert (reply["code"], reply["data"]) == (99400, None)


def test_a_wrong_secret_makes_the_client_return_none(
    live: tuple[Organization, Call], platform: fakeiot.Platform
) -> None:
    _org, call = live
    wrong = "00000000-1111-2222-3333-444444444444"
    assert call("devices", "getStats", secret=wrong) is None
    assert platform.calls[-1].response.status == 401


def test_a_4011_signal_makes_the_client_retry_with_the_refresh_token(
    live: tuple[Organization, Call], platform: fakeiot.Platform
) -> None:
    org, call = live
    refresh = platform.enos.expire_poseidon_token(org)
    raw = call("devices", "getStats")
    assert isinstance(raw, str)  # the client returns the retry's body unparsed (spec §6.1)
    assert json.loads(raw)["code"] == 0
    signal = platform.calls[-2].response
    assert signal.json_body() == {"apim_status": 4011, "apim_refreshtoken": refresh}


def test_lenient_mode_serves_the_unpatched_client() -> None:
    """Without the platform's key installed, only lenient mode can map the token to an org."""
    platform = fakeiot.Platform(seed=0, enos_poseidon_lenient=True)
    org = platform.enos.create_org()
    client = poseidon_module()
    with fakeiot.Server(platform) as server:
        url = f"{server.url}/connect-service/v2.1/devices?action=getStats&orgId={org.org_id}"
        reply = client.urlopen(org.access_key, org.secret_key, url)
    assert reply["data"]["totalCount"] == 0
