"""EnOS devices over MQTT: Envision's device SDK, ``enos-mqtt-sdk-python`` 0.1.1 (unmodified,
with paho-mqtt 2), against ``fakeiot.MqttBroker``, and the northbound side through Envision's
``enos-poseidon`` client against ``fakeiot.Server``.

The SDK builds paho's client with the version 1 callback API, which paho 2 deprecates with a
``DeprecationWarning`` raised in the caller's thread; the suite turns warnings into errors, so
these tests ignore that one warning (a user running with ``-W error`` would have to as well).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from enos.core.MqttClient import MqttClient
from enos.message.downstream.tsl.ServiceInvocationCommand import ServiceInvocationCommand
from enos.message.downstream.tsl.ServiceInvocationReply import ServiceInvocationReply
from enos.message.upstream.tsl.MeasurepointPostRequest import MeasurepointPostRequest

import fakeiot
from fakeiot._enos import Organization
from tests.mqttdevice import wait_for
from tests.test_enos_poseidon import Call, create_device, create_product, live

__all__ = ["live"]

pytestmark = pytest.mark.filterwarnings(
    "ignore:Callback API version 1 is deprecated:DeprecationWarning"
)

#: the logger the SDK reports connection outcomes on (``MqttConnection.__on_internal_connect``)
SDK_LOGGER = "enos.core.internal.MqttConnection"


@pytest.fixture
def broker(platform: fakeiot.Platform) -> Iterator[fakeiot.MqttBroker]:
    with fakeiot.MqttBroker(platform) as broker:
        yield broker


def sdk_client(broker: fakeiot.MqttBroker, device: dict[str, str], secret: str = "") -> Any:
    """The SDK's client for a device, over plain MQTT (the SDK takes ``tcp://host:port``)."""
    url = f"tcp://{broker.host}:{broker.port}"
    key, dk = device["productKey"], device["deviceKey"]
    client = MqttClient(url, key, dk, secret or device["deviceSecret"])
    client.get_profile().set_operation_timeout(5)  # a publish waits at most 5 s for its reply
    return client


def test_the_sdk_logs_in_posts_measure_points_and_answers_a_service_invocation(
    live: tuple[Organization, Call], platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    _org, call = live
    device = create_device(call, create_product(call))
    pk, dk, asset_id = device["productKey"], device["deviceKey"], device["assetId"]
    client = sdk_client(broker, device)
    invoked: list[tuple[Any, ...]] = []

    def multiply(command: Any, args: list[str]) -> Any:
        """The SDK calls a service handler with the command and (productKey, deviceKey,
        service id); the reply it returns is published on ``..._reply`` with the command's id."""
        invoked.append((*args, command.get_params()))
        params = command.get_params()
        builder = ServiceInvocationReply.builder().set_code(200)  # the builder's default is 0
        return builder.add_output_data("result", params["left"] * params["right"]).build()

    client.register_arrived_message_handler(ServiceInvocationCommand.get_class(), multiply)
    client.connect()  # blocks until the CONNACK (the SDK's own bound is 10 s)
    try:
        assert client.is_connected()
        assert platform.enos.device(pk, dk).status == "online"
        assert call("devices", "get", assetId=asset_id)["data"]["status"] == "online"
        (table,) = [t for t in platform.enos.overview()["tables"] if t["id"] == "devices"]
        (row,) = [r for r in table["rows"] if r["cells"][0] == asset_id]
        assert row["cells"][table["columns"].index("mqtt")] == "connected"  # the dashboard

        stamp = int(platform.clock.now() * 1000) - 60_000
        post = MeasurepointPostRequest.builder().add_measurepoint("temp", 21.5)
        response = client.publish(post.set_timestamp(stamp).build())
        assert response.get_code() == 200
        latest = call(
            "measurepoints", "queryLatest", {"measurepointIds": ["temp"]}, assetId=asset_id
        )
        assert latest["code"] == 0, latest
        assert [(p["id"], p["value"], p["time"]) for p in latest["data"]] == [
            ("temp", 21.5, str(stamp))
        ]

        reply = call(
            "commands",
            "invokeService",
            {"inputData": {"left": 3, "right": 4}},
            assetId=asset_id,
            serviceId="multiply",
            timeout="5",
        )
        assert reply["code"] == 0, reply
        assert reply["data"]["outputData"] == {"result": 12}
        assert invoked == [(pk, dk, "multiply", {"left": 3, "right": 4})]
        got = call("commands", "get", assetId=asset_id, commandId=reply["data"]["commandId"])
        assert (got["data"]["state"], got["data"]["tslIdentifier"]) == (5, "multiply")
    finally:
        client.close()
    wait_for(lambda: platform.enos.device(pk, dk).status == "offline")
    transcript = platform.transcript()
    assert device["deviceSecret"] not in transcript
    assert f"{asset_id} CONNECT" in transcript
    assert "-> CONNACK 0" in transcript
    assert f"{asset_id} DISCONNECT (client)" in transcript


class _Records(logging.Handler):
    """Collects the SDK's log records and signals the first that reports a refused CONNECT."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.refused = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        if record.getMessage().startswith("bad connection"):
            self.refused.set()


def test_a_wrong_device_secret_gets_connack_4(
    live: tuple[Organization, Call], platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """The SDK's asynchronous connect (a callback object): the platform answers CONNACK 4, the
    SDK logs ``bad connection, error code: 4`` and never calls ``on_connect``. (Its synchronous
    ``connect()`` would wait its full 10 s for a CONNACK 0 instead.)"""
    _org, call = live
    device = create_device(call, create_product(call))
    client = sdk_client(broker, device, secret="0" * 32)
    events: list[str] = []

    class Callback:
        def on_connect(self) -> None:
            events.append("connect")

        def on_disconnect(self) -> None:
            events.append("disconnect")

        def on_connect_failed(self) -> None:
            events.append("connect_failed")

    records = _Records()
    logger = logging.getLogger(SDK_LOGGER)
    logger.addHandler(records)
    try:
        client.connect(Callback())
        assert records.refused.wait(5), records.messages
    finally:
        logger.removeHandler(records)
        # a refused client retries for ever (paho's loop, 1-60 s apart) and the SDK has no
        # public way to stop it short of a CONNACK 0: stop paho's loop, then release the SDK
        connection = client._MqttClient__connection
        connection._MqttConnection__paho_client.loop_stop()
        client.close()
    assert records.messages[0] == "bad connection, error code: 4"
    assert events == []
    assert "-> CONNACK 4: " in platform.transcript()  # the refusal leaves its trace
    assert platform.enos.device(device["assetId"]).status == "inactive"
    assert [e.kind for e in platform.events if e.subject == device["assetId"]] == ["register"]
