"""The EnOS device side (spec §5, §7): login is activation, replace, disable, enable, delete."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import fakeiot
from tests.enos import EnosClient


@pytest.fixture
def platform() -> Iterator[fakeiot.Platform]:
    """A platform on a manual clock, so times on the wire can be asserted exactly."""
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock(1_700_000_000))
    yield platform
    platform.check_invariants()


@pytest.fixture
def en(platform: fakeiot.Platform) -> EnosClient:
    return EnosClient(platform)


@pytest.fixture
def device(en: EnosClient) -> dict[str, str]:
    return en.create_device(en.create_product(), deviceKey="meter-001")


def status(en: EnosClient, asset_id: str) -> str:
    value: str = en.get_device(asset_id)["status"]
    return value


def test_full_lifecycle(en: EnosClient, device: dict[str, str]) -> None:
    """create -> login -> replace -> login with the new key only -> disable -> enable -> delete."""
    enos = en.platform.enos
    asset_id, product_key = device["assetId"], device["productKey"]
    assert status(en, asset_id) == "inactive"

    enos.login_device(product_key, "meter-001", device["deviceSecret"])
    assert status(en, asset_id) == "online"

    replaced = en.devices("replaceDevice", {"newDeviceKey": "meter-002"}, assetId=asset_id)["data"]
    assert status(en, asset_id) == "inactive"
    with pytest.raises(fakeiot.ConnectRefused) as old_key:
        enos.login_device(product_key, "meter-001", device["deviceSecret"])
    assert old_key.value.reason == "replaced"
    enos.login_device(product_key, "meter-002", replaced["deviceSecret"])
    assert status(en, asset_id) == "online"

    en.devices("disable", assetId=asset_id)
    assert status(en, asset_id) == "disable"
    with pytest.raises(fakeiot.ConnectRefused) as disabled:
        enos.login_device(product_key, "meter-002", replaced["deviceSecret"])
    assert disabled.value.reason == "disabled"

    en.devices("enable", assetId=asset_id)
    assert status(en, asset_id) == "offline"
    enos.login_device(product_key, "meter-002", replaced["deviceSecret"])

    en.devices("delete", assetId=asset_id)
    with pytest.raises(fakeiot.ConnectRefused) as deleted:
        enos.login_device(product_key, "meter-002", replaced["deviceSecret"])
    assert deleted.value.reason == "deleted"


def test_first_login_sets_active_and_online_times(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    platform.enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    data = en.get_device(device["assetId"])
    assert data["activeTime"] == data["lastOnlineTime"] == 1_700_000_000_000


def test_a_later_login_keeps_the_activation_time(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    enos = platform.enos
    enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    enos.logout_device(device["productKey"], "meter-001")
    platform.advance(60)
    enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    data = en.get_device(device["assetId"])
    assert data["lastOnlineTime"] - data["activeTime"] == 60_000


def test_logout_sets_offline_and_the_offline_time(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    enos = platform.enos
    enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    platform.advance(5)
    view = enos.logout_device(device["productKey"], "meter-001")
    data = en.get_device(device["assetId"])
    assert (view.status, data["status"]) == ("offline", "offline")
    assert data["lastOfflineTime"] == 1_700_000_005_000


def test_logout_of_a_device_that_is_not_online_is_a_usage_error(
    device: dict[str, str], platform: fakeiot.Platform
) -> None:
    with pytest.raises(fakeiot.UsageError, match="inactive"):
        platform.enos.logout_device(device["productKey"], "meter-001")


def test_a_wrong_secret_is_refused_and_says_why(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    with pytest.raises(fakeiot.ConnectRefused, match="deviceSecret does not match") as refused:
        platform.enos.login_device(device["productKey"], "meter-001", "wrong-secret")
    assert refused.value.reason == "wrong_secret"
    assert status(en, device["assetId"]) == "inactive"


def test_a_replaced_key_is_refused_naming_the_new_key(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    en.devices("replaceDevice", {"newDeviceKey": "meter-002"}, assetId=device["assetId"])
    with pytest.raises(fakeiot.ConnectRefused, match="replaced by 'meter-002'"):
        platform.enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])


def test_the_old_secret_is_refused_with_the_new_key(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    en.devices("replaceDevice", {"newDeviceKey": "meter-002"}, assetId=device["assetId"])
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        platform.enos.login_device(device["productKey"], "meter-002", device["deviceSecret"])
    assert refused.value.reason == "wrong_secret"


def test_an_unknown_device_is_refused(platform: fakeiot.Platform) -> None:
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        platform.enos.login_device("nope1234", "ghost", "secret")
    assert refused.value.reason == "unknown"


def test_disabling_an_online_device_kicks_it_off(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    platform.enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    platform.advance(2)
    en.devices("disable", assetId=device["assetId"])
    data = en.get_device(device["assetId"])
    assert (data["status"], data["lastOfflineTime"]) == ("disable", 1_700_000_002_000)


def test_replacing_an_online_device_drops_its_session(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    platform.enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    en.devices("replaceDevice", {"newDeviceKey": "meter-002"}, assetId=device["assetId"])
    kinds = [e.kind for e in platform.events if e.subject == device["assetId"]]
    assert kinds[-2:] == ["disconnect", "rekey"]
    # then "reset to non-activated" (seed; issue 16 item 9, docs/enos.md): times back to 0
    assert en.get_device(device["assetId"])["lastOfflineTime"] == 0


def test_replacing_a_disabled_device_keeps_it_disabled_until_enabled(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    platform.enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    en.devices("disable", assetId=device["assetId"])
    en.devices("replaceDevice", {"newDeviceKey": "meter-002"}, assetId=device["assetId"])
    assert status(en, device["assetId"]) == "disable"
    en.devices("enable", assetId=device["assetId"])
    assert status(en, device["assetId"]) == "inactive"


def test_transitions_are_recorded_as_events(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    platform.enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    en.devices("disable", assetId=device["assetId"])
    en.devices("enable", assetId=device["assetId"])
    events = [e for e in platform.events if e.subject == device["assetId"]]
    assert [(e.kind, e.data["status"]) for e in events] == [
        ("register", "inactive"),
        ("bind", "online"),
        ("disable", "disable"),
        ("enable", "offline"),
    ]
    assert events[1].call is None
    assert events[2].call is not None


def test_device_view_reports_the_core_state(
    device: dict[str, str], platform: fakeiot.Platform
) -> None:
    view = platform.enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    assert (view.state, view.status, view.activated) == (fakeiot.State.ONLINE, "online", True)
    assert platform.enos.device(device["assetId"]) == view


# -- dynamic activation --------------------------------------------------------------------------
@pytest.fixture
def dynamic(en: EnosClient) -> tuple[dict[str, str], str]:
    """A device of a product that allows dynamic activation, and the product secret."""
    product_key = en.create_product(dynamicActivateEnabled=True)
    secret: str = en.products("get", productKey=product_key)["data"]["productSecret"]
    return en.create_device(product_key, deviceKey="dyn-001"), secret


def test_dynamic_activation_activates_and_hands_out_the_secret(
    en: EnosClient, dynamic: tuple[dict[str, str], str], platform: fakeiot.Platform
) -> None:
    device, product_secret = dynamic
    view = platform.enos.dynamic_activate(device["productKey"], "dyn-001", product_secret)
    assert (view.status, view.device_secret) == ("online", device["deviceSecret"])
    assert en.get_device(device["assetId"])["activeTime"] > 0


def test_dynamic_activation_with_a_wrong_product_secret_is_refused(
    dynamic: tuple[dict[str, str], str], platform: fakeiot.Platform
) -> None:
    device, _secret = dynamic
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        platform.enos.dynamic_activate(device["productKey"], "dyn-001", "wrong")
    assert refused.value.reason == "wrong_product_secret"


def test_dynamic_activation_needs_the_product_to_allow_it(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    secret = en.products("get", productKey=device["productKey"])["data"]["productSecret"]
    with pytest.raises(fakeiot.ConnectRefused, match="dynamicActivateEnabled") as refused:
        platform.enos.dynamic_activate(device["productKey"], "meter-001", secret)
    assert refused.value.reason == "dynamic_activation_disabled"


def test_dynamic_activation_of_an_activated_device_is_refused(
    dynamic: tuple[dict[str, str], str], platform: fakeiot.Platform
) -> None:
    device, product_secret = dynamic
    platform.enos.login_device(device["productKey"], "dyn-001", device["deviceSecret"])
    with pytest.raises(fakeiot.ConnectRefused) as refused:
        platform.enos.dynamic_activate(device["productKey"], "dyn-001", product_secret)
    assert refused.value.reason == "already_activated"


def test_invariants_hold_after_a_busy_history(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    enos = platform.enos
    enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    en.devices("disable", assetId=device["assetId"])
    en.devices("replaceDevice", {"newDeviceKey": "meter-002"}, assetId=device["assetId"])
    en.devices("enable", assetId=device["assetId"])
    other = en.create_device(device["productKey"])
    en.devices("delete", assetId=other["assetId"])
    platform.check_invariants()
    assert len(enos.devices()) == 1


def test_state_survives_an_export_and_import(
    en: EnosClient, device: dict[str, str], platform: fakeiot.Platform
) -> None:
    platform.enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])
    en.devices("replaceDevice", {"newDeviceKey": "meter-002"}, assetId=device["assetId"])
    saved = json.loads(json.dumps(platform.enos.export_state()))
    copy = fakeiot.Platform(seed=1, clock=fakeiot.ManualClock(1_700_000_001))
    copy.enos.import_state(saved)
    again = EnosClient(copy, copy.enos.orgs()[0])
    assert again.get_device(device["assetId"]) == en.get_device(device["assetId"])
    with pytest.raises(fakeiot.ConnectRefused, match="replaced"):
        copy.enos.login_device(device["productKey"], "meter-001", device["deviceSecret"])


def test_a_malformed_state_is_refused_and_changes_nothing(platform: fakeiot.Platform) -> None:
    org = platform.enos.create_org()
    with pytest.raises(fakeiot.UsageError, match="EnOS state is malformed"):
        platform.enos.import_state({"orgs": [{"orgId": "x"}]})
    assert platform.enos.orgs() == [org]
