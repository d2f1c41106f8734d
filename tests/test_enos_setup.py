"""The Python-side set-up API of the EnOS face (issue 11 item 5, DESIGN §2): arranging products
and devices without HTTP gives the same values, checks and events the API would."""

from __future__ import annotations

import dataclasses

import pytest

import fakeiot
from fakeiot._enos import DeviceView, ProductView
from tests.enos import DEVICES, PRODUCTS, EnosClient


@pytest.fixture
def en(platform: fakeiot.Platform) -> EnosClient:
    return EnosClient(platform)


def test_create_product_returns_a_frozen_view_the_api_then_serves(en: EnosClient) -> None:
    enos = en.platform.enos
    product = enos.create_product(en.org, name="Meter", model_id="meter_model")
    assert isinstance(product, ProductView)
    with pytest.raises(dataclasses.FrozenInstanceError):
        product.name = "x"  # type: ignore[misc]
    reply = en.products("get", productKey=product.product_key)
    assert reply["code"] == 0
    data = reply["data"]
    assert data["productName"] == {"defaultValue": "Meter", "i18nValue": {}}
    assert data["modelId"] == "meter_model"
    assert data["productSecret"] == product.product_secret
    assert (data["dataFormat"], data["productType"]) == ("Json", "Device")
    assert enos.product(product.product_key) == product


def test_create_device_returns_the_keys_the_api_create_returns(en: EnosClient) -> None:
    enos = en.platform.enos
    product = enos.create_product(en.org, name="Meter")
    device = enos.create_device(en.org, product.product_key, device_key="meter_1")
    assert isinstance(device, DeviceView)
    assert (device.device_key, device.status, device.activated) == ("meter_1", "inactive", False)
    record = en.get_device(device.asset_id)
    assert record["deviceKey"] == "meter_1"
    assert record["deviceSecret"] == device.device_secret
    assert record["status"] == "inactive"
    # the secret logs the device in, as one created over HTTP
    enos.login_device(product.product_key, "meter_1", device.device_secret)
    assert enos.device(product.product_key, "meter_1").status == "online"


def test_device_is_found_by_asset_id_or_by_product_and_device_key(en: EnosClient) -> None:
    enos = en.platform.enos
    product = enos.create_product(en.org.org_id)
    device = enos.create_device(en.org.org_id, product.product_key)
    assert enos.device(device.asset_id) == device
    assert enos.device(product.product_key, device.device_key) == device
    with pytest.raises(fakeiot.NotFoundError):
        enos.device(product.product_key, "no_such_key")
    with pytest.raises(fakeiot.NotFoundError):
        enos.device("no_such_product", device.device_key)


def test_set_up_calls_emit_the_events_the_api_would(en: EnosClient) -> None:
    enos = en.platform.enos
    product = enos.create_product(en.org)
    device = enos.create_device(en.org, product.product_key, device_key="meter_2")
    kinds = [(e.kind, e.subject) for e in en.platform.events if e.face == "enos"]
    assert ("create_product", product.product_key) in kinds
    assert ("register", device.asset_id) in kinds


def test_set_up_applies_the_api_checks_and_names_the_code(en: EnosClient) -> None:
    enos = en.platform.enos
    product = enos.create_product(en.org)
    enos.create_device(en.org, product.product_key, device_key="meter_1")
    before = en.devices("search", {})["pagination"]["totalSize"]
    with pytest.raises(fakeiot.UsageError, match="11702"):
        enos.create_device(en.org, product.product_key, device_key="meter_1")
    with pytest.raises(fakeiot.UsageError, match=r"99400.*deviceKey"):
        enos.create_device(en.org, product.product_key, device_key="no")
    with pytest.raises(fakeiot.UsageError, match=r"99400.*timezone"):
        enos.create_device(en.org, product.product_key, timezone="+15:00")
    with pytest.raises(fakeiot.UsageError, match=r"99400.*productName"):
        enos.create_product(en.org, name="a<b")
    with pytest.raises(fakeiot.UsageError, match=r"99400.*dataFormat"):
        enos.create_product(en.org, data_format="Xml")
    with pytest.raises(fakeiot.NotFoundError):
        enos.create_product("o-unknown")
    assert en.devices("search", {})["pagination"]["totalSize"] == before
    assert en.products("search", {})["pagination"]["totalSize"] == 1


def test_a_product_of_another_org_is_not_found_for_create_device(en: EnosClient) -> None:
    enos = en.platform.enos
    other = enos.create_org()
    product = enos.create_product(other)
    with pytest.raises(fakeiot.UsageError, match=r"99400.*no product"):
        enos.create_device(en.org, product.product_key)


def test_set_up_state_is_what_http_calls_see(en: EnosClient) -> None:
    enos = en.platform.enos
    product = enos.create_product(en.org, name="Meter", tags={"site": "north"})
    enos.create_device(en.org, product.product_key, device_key="meter_9", name="Nine")
    found = en.devices("search", {"expression": "deviceKey = 'meter_9'"})
    assert found["pagination"]["totalSize"] == 1
    assert found["data"][0]["deviceName"]["defaultValue"] == "Nine"
    stats = en.call(DEVICES, "getStats", productKey=product.product_key)["data"]
    assert stats["inactiveCount"] == 1
    assert en.call(PRODUCTS, "get", productKey=product.product_key)["data"]["productTags"] == {
        "site": "north"
    }
