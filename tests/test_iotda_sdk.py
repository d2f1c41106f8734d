"""The official huaweicloudsdkiotda client, unmodified, drives a whole device life through
``fakeiot.mock()`` and through ``fakeiot.Server``, with both signing schemes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkiotda.v5 import (
    AddDevice,
    AddDeviceRequest,
    AddProduct,
    AsyncDeviceCommandRequest,
    AuthInfo,
    CreateAsyncCommandRequest,
    CreateCommandRequest,
    CreateMessageRequest,
    CreateProductRequest,
    DeleteDeviceRequest,
    DeviceCommandRequest,
    DeviceMessageRequest,
    FreezeDeviceRequest,
    IoTDAClient,
    ListDeviceMessagesRequest,
    ListDevicesRequest,
    ResetDeviceSecret,
    ResetDeviceSecretRequest,
    SearchDevicesRequest,
    SearchSql,
    ServiceCapability,
    ServiceCommand,
    ServiceProperty,
    ShowAsyncDeviceCommandRequest,
    ShowDeviceMessageRequest,
    ShowDeviceRequest,
    ShowDeviceShadowRequest,
    UnfreezeDeviceRequest,
    UpdateDesired,
    UpdateDesireds,
    UpdateDeviceShadowDesiredDataRequest,
)

import fakeiot
import tests.iotda  # noqa: F401  (points HOME away from the user's home for the SDK)
from fakeiot._iotda import ProjectKeys
from fakeiot.iotda import NEVER, later

ENDPOINT = "https://iotda.example.com"


def client_for(keys: ProjectKeys, endpoint: str, scheme: str) -> IoTDAClient:
    """An IoTDAClient built as in production: BasicCredentials with AK/SK and project id."""
    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    credentials = BasicCredentials(keys.ak, keys.sk, keys.project_id)
    builder = IoTDAClient.new_builder().with_http_config(config)
    if scheme == "v11":
        credentials.with_derived_predicate(BasicCredentials.get_default_derived_predicate())
        builder = builder.with_region(Region(id="cn-north-4", endpoint=endpoint))
    else:
        builder = builder.with_endpoint(endpoint)
    return builder.with_credentials(credentials).build()


@contextmanager
def served(platform: fakeiot.Platform, transport: str) -> Iterator[str]:
    if transport == "mock":
        with fakeiot.mock(platform):
            yield ENDPOINT
    else:
        with fakeiot.Server(platform) as server:
            yield server.url


@pytest.mark.parametrize("scheme", ["basic", "v11"])
@pytest.mark.parametrize("transport", ["mock", "server"])
def test_a_whole_device_life_through_the_sdk(transport: str, scheme: str) -> None:
    platform = fakeiot.Platform(seed=0, iotda_command_timeout=5.0)
    io = platform.iotda
    keys = io.create_project()
    with served(platform, transport) as endpoint:
        client = client_for(keys, endpoint, scheme)
        # -- product and device ----------------------------------------------------------------
        capability = ServiceCapability(
            service_id="Temp",
            service_type="Temp",
            properties=[ServiceProperty(property_name="target", data_type="int", method="RW")],
            commands=[ServiceCommand(command_name="reboot")],
        )
        product = client.create_product(
            CreateProductRequest(
                body=AddProduct(
                    name="Meter",
                    device_type="Meter",
                    protocol_type="MQTT",
                    data_format="json",
                    service_capabilities=[capability],
                )
            )
        )
        assert product.status_code == 201
        added = client.add_device(
            AddDeviceRequest(
                body=AddDevice(
                    node_id="node-1",
                    product_id=product.product_id,
                    auth_info=AuthInfo(secret="s3cret-01"),
                )
            )
        )
        device_id = added.device_id
        assert device_id == f"{product.product_id}_node-1"
        assert (added.status, added.auth_info.secret) == ("INACTIVE", "s3cret-01")
        # -- the device connects ---------------------------------------------------------------
        device = io.simulate(device_id, "s3cret-01").connect()
        shown = client.show_device(ShowDeviceRequest(device_id=device_id))
        assert shown.status == "ONLINE"
        assert shown.active_time is not None
        # -- shadow ----------------------------------------------------------------------------
        client.update_device_shadow_desired_data(
            UpdateDeviceShadowDesiredDataRequest(
                device_id=device_id,
                body=UpdateDesireds(
                    shadow=[UpdateDesired(service_id="Temp", desired={"target": 22}, version=0)]
                ),
            )
        )
        device.report("Temp", {"temperature": 21})
        shadow = client.show_device_shadow(ShowDeviceShadowRequest(device_id=device_id)).shadow
        assert shadow[0].desired.properties == {"target": 22}
        assert shadow[0].reported.properties == {"temperature": 21}
        assert shadow[0].version == 2
        # -- sync commands: answered, then a device that answers too late -----------------------
        device.on_command(lambda cmd: {"result_code": 0, "paras": {"echo": cmd.paras}})
        answer = client.create_command(
            CreateCommandRequest(
                device_id=device_id,
                body=DeviceCommandRequest(service_id="Temp", command_name="reboot", paras={"a": 1}),
            )
        )
        assert answer.response == {"result_code": 0, "paras": {"echo": {"a": 1}}}
        assert answer.command_id
        device.on_command(lambda cmd: later(6))
        timed_out = client.create_command(
            CreateCommandRequest(device_id=device_id, body=DeviceCommandRequest(paras={"a": 2}))
        )
        assert timed_out.status_code == 200
        assert (timed_out.command_id, timed_out.error_code) == (None, "IOTDA.014111")
        # -- async commands --------------------------------------------------------------------
        device.on_command(lambda cmd: None)
        created = client.create_async_command(
            CreateAsyncCommandRequest(
                device_id=device_id,
                body=AsyncDeviceCommandRequest(paras={"x": 1}, send_strategy="immediately"),
            )
        )
        done = client.show_async_device_command(
            ShowAsyncDeviceCommandRequest(device_id=device_id, command_id=created.command_id)
        )
        assert (done.status, done.result) == ("SUCCESSFUL", {"result_code": 0})
        device.sleep()
        queued = client.create_async_command(
            CreateAsyncCommandRequest(
                device_id=device_id,
                body=AsyncDeviceCommandRequest(paras={"x": 2}, send_strategy="delay"),
            )
        )
        assert queued.status == "PENDING"
        device.wake()
        woken = client.show_async_device_command(
            ShowAsyncDeviceCommandRequest(device_id=device_id, command_id=queued.command_id)
        )
        assert woken.status == "SUCCESSFUL"
        assert [c.paras for c in device.commands][-2:] == [{"x": 1}, {"x": 2}]
        # -- messages --------------------------------------------------------------------------
        sent = client.create_message(
            CreateMessageRequest(
                device_id=device_id, body=DeviceMessageRequest(message={"hello": "world"})
            )
        )
        assert sent.result.status == "DELIVERED"
        assert device.messages == [{"hello": "world"}]
        listed = client.list_device_messages(ListDeviceMessagesRequest(device_id=device_id))
        assert [m.message_id for m in listed.messages] == [sent.message_id]
        one = client.show_device_message(
            ShowDeviceMessageRequest(device_id=device_id, message_id=sent.message_id)
        )
        assert one.topic == f"$oc/devices/{device_id}/sys/messages/down"
        # -- secret reset with force_disconnect ------------------------------------------------
        reset = client.reset_device_secret(
            ResetDeviceSecretRequest(
                device_id=device_id,
                action_id="resetSecret",
                body=ResetDeviceSecret(secret="n3w-secret", force_disconnect=True),
            )
        )
        assert reset.secret == "n3w-secret"
        assert io.device(device_id).status == "OFFLINE"
        with pytest.raises(fakeiot.ConnectRefused):
            device.connect()
        device = io.simulate(device_id, "n3w-secret").connect()
        assert io.device(device_id).status == "ONLINE"
        # -- freeze and unfreeze ---------------------------------------------------------------
        assert client.freeze_device(FreezeDeviceRequest(device_id=device_id)).status_code == 204
        assert io.device(device_id).status == "FROZEN"
        with pytest.raises(fakeiot.ConnectRefused) as refused:
            device.connect()
        assert refused.value.reason == "not_authorized"
        client.unfreeze_device(UnfreezeDeviceRequest(device_id=device_id))
        assert io.device(device_id).status == "OFFLINE"
        # -- search and list -------------------------------------------------------------------
        found = client.search_devices(
            SearchDevicesRequest(
                body=SearchSql(sql="select * from device where status = 'OFFLINE'")
            )
        )
        assert [d.device_id for d in found.devices] == [device_id]
        listed_devices = client.list_devices(ListDevicesRequest(product_id=product.product_id))
        assert listed_devices.page.count == 1
        # -- delete ----------------------------------------------------------------------------
        deleted = client.delete_device(DeleteDeviceRequest(device_id=device_id))
        assert deleted.status_code == 204
        with pytest.raises(ClientRequestException) as missing:
            client.show_device(ShowDeviceRequest(device_id=device_id))
        assert (missing.value.status_code, missing.value.error_code) == (404, "IOTDA.014000")
        assert missing.value.request_id
    platform.check_invariants()


def test_sdk_sees_offline_device_as_403_014016() -> None:
    platform = fakeiot.Platform(seed=0)
    io = platform.iotda
    keys = io.create_project()
    product_id = io.create_product(keys)
    device = io.add_device(keys, product_id, node_id="n1", secret="s3cret-01")
    with fakeiot.mock(platform):
        client = client_for(keys, ENDPOINT, "basic")
        with pytest.raises(ClientRequestException) as offline:
            client.create_command(
                CreateCommandRequest(
                    device_id=device.device_id, body=DeviceCommandRequest(paras={})
                )
            )
    assert (offline.value.status_code, offline.value.error_code) == (403, "IOTDA.014016")
    assert offline.value.error_msg == "Operation not allowed. The device is not online."


def test_a_device_that_never_answers_gives_014111_without_waiting() -> None:
    platform = fakeiot.Platform(seed=0)
    io = platform.iotda
    keys = io.create_project()
    product_id = io.create_product(keys)
    view = io.add_device(keys, product_id, node_id="n1", secret="s3cret-01")
    device = io.simulate(view.device_id, "s3cret-01").connect()
    device.on_command(lambda cmd: NEVER)
    with fakeiot.mock(platform):
        answer = client_for(keys, ENDPOINT, "v11").create_command(
            CreateCommandRequest(device_id=view.device_id, body=DeviceCommandRequest(paras={}))
        )
    assert (answer.status_code, answer.error_code) == (200, "IOTDA.014111")
    assert len(device.commands) == 1


def test_the_sdk_signs_v11_when_told_to() -> None:
    platform = fakeiot.Platform(seed=0, iotda_auth_schemes="derived")
    keys = platform.iotda.create_project()
    with fakeiot.mock(platform):
        client_for(keys, ENDPOINT, "v11").list_devices(ListDevicesRequest())
        with pytest.raises(ClientRequestException) as basic:
            client_for(keys, ENDPOINT, "basic").list_devices(ListDevicesRequest())
    assert (basic.value.status_code, basic.value.error_code) == (401, "IOTDA.000002")
    authorization = platform.calls[0].request.headers["authorization"]
    assert authorization.startswith("V11-HMAC-SHA256 Credential=")
