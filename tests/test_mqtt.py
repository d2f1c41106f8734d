"""The MQTT front (``fakeiot.MqttBroker`` on amqtt): the pinned amqtt's private methods it
overrides, CONNACK codes, ``$`` topics, keep-alive, TLS, and many devices at once."""

from __future__ import annotations

import inspect
import json
import socket
import threading
import time
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from amqtt.broker import Broker
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from paho.mqtt.enums import CallbackAPIVersion

import fakeiot
from fakeiot._link import Link, Refused
from fakeiot._mqtt._amqtt import PINNED
from tests.mqttdevice import V311, Device, Hub, wait_for

#: every private amqtt method fakeiot overrides or calls, with the parameters it relies on
PRIVATE = {
    (Broker, "_initialize_client_session"): ["self", "reader", "writer", "remote_address",
                                             "remote_port"],
    (Broker, "_authenticate"): ["self", "session", "_"],
    (Broker, "_handle_client_session"): ["self", "reader", "writer", "client_session", "handler",
                                         "server", "listener_name"],
    (Broker, "_handle_message_delivery"): ["self", "client_session", "handler", "wait_deliver"],
    (Broker, "_handle_disconnect"): ["self", "client_session", "handler", "disconnect_waiter"],
    (Broker, "_create_server_instance"): ["self", "listener_name", "listener_type", "address",
                                          "port", "ssl_context"],
    (Broker, "stream_connected"): ["self", "reader", "writer", "listener_name"],
    (Broker, "_client_message_loop"): ["self", "client_session", "handler"],
    (BrokerProtocolHandler, "_send_packet"): ["self", "packet"],
    (BrokerProtocolHandler, "mqtt_connack_authorize"): ["self", "authorize"],
    (BrokerProtocolHandler, "handle_read_timeout"): ["self"],
    (BrokerProtocolHandler, "handle_connection_closed"): ["self"],
    (BrokerProtocolHandler, "mqtt_publish"): ["self", "topic", "data", "qos", "retain",
                                              "ack_timeout"],
    (BrokerProtocolHandler, "_handle_qos1_message_flow"): ["self", "app_message"],
}  # fmt: skip


def test_the_installed_amqtt_is_the_pinned_one_with_the_private_api_we_use() -> None:
    """Fails when amqtt changes underneath: re-check fakeiot/_mqtt/_amqtt.py, then re-pin."""
    assert version("amqtt") == PINNED
    changed = {
        f"{cls.__name__}.{name}": list(inspect.signature(getattr(cls, name)).parameters)
        for (cls, name), params in PRIVATE.items()
        if list(inspect.signature(getattr(cls, name)).parameters) != params
    }
    assert changed == {}
    # the $-topic defect the override works around is still there (else drop the override)
    source = inspect.getsource(Broker._handle_message_delivery)
    assert 'app_message.topic.startswith("$")' in source
    # amqtt's incoming QoS 1 flow is still "queue for delivery, then PUBACK" (ours replaces
    # it with "apply, commit, then PUBACK", and keeps its outgoing flow)
    qos1 = inspect.getsource(BrokerProtocolHandler._handle_qos1_message_flow)
    assert "delivered_message_queue.put(app_message)" in qos1
    assert "PubackPacket.build(app_message.packet_id)" in qos1
    # and amqtt's broker still ignores a read timeout (we end the connection ourselves)
    assert inspect.getsource(BrokerProtocolHandler.handle_read_timeout).rstrip().endswith("pass")
    # and its handler still ignores a close until start() makes its disconnect waiter (so a
    # close asked for before the message loop runs is done once it runs)
    start = inspect.getsource(BrokerProtocolHandler.start)
    assert "self._disconnect_waiter = asyncio.Future()" in start
    assert "if self._disconnect_waiter and" in inspect.getsource(
        BrokerProtocolHandler.handle_disconnect
    )


class Echo:
    """A device protocol for the front's own tests: claims ``d*`` client ids."""

    face = "echo"

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.done = threading.Event()

    def claims(self, client_id: str, username: str | None) -> bool:
        return client_id.startswith("d")

    def connect(self, client_id: str, username: str | None, password: bytes | None,
                link: Link) -> Link:  # fmt: skip
        if client_id == "d-boom":
            raise RuntimeError("a bug in a protocol")
        if password != b"good":
            raise Refused(4, "bad password")
        self.events.append(("connect", client_id))
        if client_id.startswith("d-drop"):  # the platform drops it while it is accepted
            link.close()
        return link

    def receive(self, session: Link, topic: str, payload: bytes) -> None:
        self.events.append(("receive", topic, payload))
        session.publish(f"{topic}/echo", payload)

    def disconnect(self, session: Link, why: str) -> None:
        self.events.append(("disconnect", session.client_id, why))
        self.done.set()


@pytest.fixture
def echo() -> Iterator[tuple[Echo, fakeiot.MqttBroker]]:
    platform = fakeiot.Platform(seed=0)
    protocol = Echo()
    platform.iotda.device_protocol = lambda: protocol  # type: ignore[method-assign,assignment,return-value]
    with fakeiot.MqttBroker(platform) as broker:
        yield protocol, broker


def client(client_id: str, password: str = "good", keepalive: int = 60) -> tuple[mqtt.Client, Any]:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                    protocol=mqtt.MQTTv311)  # fmt: skip
    c.username_pw_set("user", password)
    state: dict[str, Any] = {"messages": [], "connack": threading.Event()}

    def on_connect(cl: Any, u: Any, f: Any, rc: Any, p: Any) -> None:
        state["rc"] = V311[rc.value]
        state["connack"].set()

    c.on_connect = on_connect
    c.on_message = lambda cl, u, m: state["messages"].append((m.topic, m.payload))
    return c, state


def await_connack(c: mqtt.Client, state: Any, timeout: float = 20.0) -> None:
    """Drive the client's loop until its CONNACK, for at most ``timeout`` seconds: a
    connection dropped before the CONNACK fails the test instead of hanging it."""
    deadline = time.monotonic() + timeout
    while not state["connack"].is_set():
        assert time.monotonic() < deadline, f"no CONNACK within {timeout} s"
        rc = c.loop(0.05)
        if not state["connack"].is_set():
            assert rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN), f"dropped before: {rc}"


def test_a_connection_reaches_its_protocol_and_dollar_topics_pass(
    echo: tuple[Echo, fakeiot.MqttBroker],
) -> None:
    protocol, broker = echo
    c, state = client("d1")
    c.connect(broker.host, broker.port)
    c.loop_start()
    try:
        assert state["connack"].wait(5)
        assert state["rc"] == 0
        c.publish("$oc/devices/d1/sys/properties/report", b"one", qos=1).wait_for_publish(5)
        c.publish("plain", b"two", qos=0)
        wait_for(lambda: len(state["messages"]) == 2)
        assert state["messages"] == [("$oc/devices/d1/sys/properties/report/echo", b"one"),
                                     ("plain/echo", b"two")]  # fmt: skip
    finally:
        c.disconnect()
        c.loop_stop()
    assert protocol.done.wait(5)
    assert protocol.events[-1] == ("disconnect", "d1", "client")
    assert broker.live == set()


def test_a_connection_dropped_while_it_is_accepted_is_dropped(
    echo: tuple[Echo, fakeiot.MqttBroker],
) -> None:
    """A close asked for before amqtt's message loop for the connection runs (a device deleted
    or frozen the moment it logs in) is done once the loop runs: amqtt's handler alone ignores
    it, and the connection lived on."""
    protocol, broker = echo
    for n in range(5):
        c, state = client(f"d-drop-{n}")
        c.connect(broker.host, broker.port)
        await_connack(c, state)
        assert state["rc"] == 0
        deadline = time.monotonic() + 10
        while c.loop(0.05) == mqtt.MQTT_ERR_SUCCESS:
            assert time.monotonic() < deadline, "the connection was not dropped"
        c.reinitialise()
    wait_for(lambda: broker.live == set())
    ends = [e for e in protocol.events if e[0] == "disconnect"]
    assert ends == [("disconnect", f"d-drop-{n}", "server") for n in range(5)]


def test_refused_unclaimed_and_failing_connects(echo: tuple[Echo, fakeiot.MqttBroker]) -> None:
    """The protocol's code (4), no face claiming it (2), a protocol bug (3, kept in
    ``broker.errors``); the broker serves the next client."""
    protocol, broker = echo
    for client_id, password, code in [("d2", "bad", 4), ("x", "good", 2), ("d-boom", "good", 3),
                                      ("d3", "good", 0)]:  # fmt: skip
        c, state = client(client_id, password)
        c.connect(broker.host, broker.port)
        await_connack(c, state)
        assert (client_id, state["rc"]) == (client_id, code)
        c.disconnect()
    assert [type(e).__name__ for _, e in broker.errors] == ["RuntimeError"]
    assert ("connect", "d3") in protocol.events


def test_a_silent_client_is_dropped_after_one_and_a_half_keepalives(
    echo: tuple[Echo, fakeiot.MqttBroker],
) -> None:
    protocol, broker = echo
    c, state = client("d4", keepalive=2)
    c.connect(broker.host, broker.port, keepalive=2)
    await_connack(c, state)
    started = time.monotonic()
    assert protocol.done.wait(30)  # no PINGREQ: nobody drives this client's loop
    assert time.monotonic() - started > 2.9  # 1.5 keep-alives, not sooner
    assert protocol.events[-1] == ("disconnect", "d4", "keepalive")
    c.disconnect()


def test_tls_with_the_generated_ca(echo: tuple[Echo, fakeiot.MqttBroker]) -> None:
    protocol, _ = echo
    platform = fakeiot.Platform(seed=0)
    platform.iotda.device_protocol = lambda: protocol  # type: ignore[method-assign,assignment,return-value]
    with fakeiot.MqttBroker(platform, tls=True) as broker:
        assert broker.ca_file is not None
        assert broker.url.startswith("mqtts://")
        c, state = client("d5")
        c.tls_set(ca_certs=str(broker.ca_file))
        c.connect("localhost", broker.port)
        await_connack(c, state)
        assert state["rc"] == 0
        c.disconnect()


def test_the_broker_starts_in_milliseconds_and_frees_its_port() -> None:
    platform = fakeiot.Platform(seed=0)
    started = time.perf_counter()
    with fakeiot.MqttBroker(platform) as broker:
        elapsed = time.perf_counter() - started
        port = broker.port
    assert elapsed < 0.5
    with fakeiot.MqttBroker(platform, port=port) as again:
        assert again.port == port


def test_200_devices_connect_and_report_at_once_and_nothing_is_lost() -> None:
    """200 IoTDA devices over loopback, connected together, 3 reports each (QoS 0 and 1)."""
    platform = fakeiot.Platform(seed=0)
    io = platform.iotda
    keys = io.create_project()
    product = io.create_product(keys)
    ids = [io.add_device(keys, product, node_id=f"n{i}", secret="secret-01").device_id
           for i in range(200)]  # fmt: skip
    with fakeiot.MqttBroker(platform) as broker:
        devices = [Device(device_id, "secret-01") for device_id in ids]
        started = time.monotonic()
        hub = Hub()
        for device in devices:
            device.start(broker.host, broker.port, hub)
        for device in devices:
            assert device.connected.wait(10)
        for n in range(3):
            for device in devices:
                device.report("S", {"n": n}, qos=n % 2)

        def done() -> bool:
            views = io.devices(keys)
            return all(v.shadow.get("S", {}).get("version") == 3 for v in views)

        wait_for(done, timeout=30)
        elapsed = time.monotonic() - started
        views = {v.device_id: v for v in io.devices(keys)}
        assert {v.status for v in views.values()} == {"ONLINE"}
        assert all(v.shadow["S"]["reported"] == {"n": 2} for v in views.values())
        assert len(broker.live) == 200
        for device in devices:
            device.close()
        wait_for(lambda: {v.status for v in io.devices(keys)} == {"OFFLINE"}, timeout=30)
        hub.close()
    assert elapsed < 30
    assert json.dumps(io.overview())  # the dashboard still renders


def test_a_refusal_can_leave_a_platform_operation() -> None:
    """A protocol may raise Refused inside ``with platform.operation():``."""
    platform = fakeiot.Platform(seed=0)
    with pytest.raises(Refused) as caught, platform.operation():
        raise Refused(5, "frozen")
    assert (caught.value.code, caught.value.reason, str(caught.value)) == (
        5,
        "frozen",
        "CONNACK 5: frozen",
    )


def test_a_connection_still_in_its_connect_is_closed_when_the_broker_stops() -> None:
    """amqtt's shutdown ends only the sessions it has accepted: a TCP connection whose CONNECT
    had not arrived was left open for the garbage collector (a ResourceWarning in a later
    test). The broker closes every socket it holds before its loop stops."""
    broker = fakeiot.MqttBroker(fakeiot.Platform(seed=0)).start()
    with socket.create_connection((broker.host, broker.port), timeout=5) as silent:
        wait_for(lambda: broker.streams)  # accepted, waiting for its CONNECT
        broker.stop()
        assert silent.recv(1) == b""  # the server closed it
    assert broker.streams == {}
