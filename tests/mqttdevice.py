"""A paho-mqtt device for the MQTT tests: IoTDA's documented login, and waiting without sleeps."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from fakeiot.iotda import mqtt_password

#: MQTT 5 reason code (as paho 2 reports a 3.1.1 CONNACK) -> the 3.1.1 return code on the wire
V311 = {0: 0, 132: 1, 133: 2, 136: 3, 134: 4, 135: 5}


def real_time() -> float:
    """Seconds on the monotonic clock, which freezegun does not patch under this name."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy (bounded; loopback work only)."""
    deadline = real_time() + timeout
    while True:
        value = check()
        if value:
            return value
        if real_time() > deadline:
            raise AssertionError(f"not true within {timeout}s: {check}")
        time.sleep(0.002)


class Hub:
    """Drives many paho clients from one asyncio loop (paho's external-loop callbacks, on
    epoll: ``Client.loop`` uses ``select``, which fails past file descriptor 1024)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.clients: list[mqtt.Client] = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.loop.call_soon_threadsafe(self._misc)

    def attach(self, client: mqtt.Client) -> None:
        client.on_socket_open = self._open
        client.on_socket_close = self._close
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._done_writing
        self.clients.append(client)

    def call(self, work: Callable[[], Any]) -> None:
        """Run ``work`` on the hub's thread and wait for it."""
        done = threading.Event()

        def run() -> None:
            try:
                work()
            finally:
                done.set()

        self.loop.call_soon_threadsafe(run)
        done.wait(5)

    def _soon(self, work: Callable[..., Any], *args: Any) -> None:
        if threading.current_thread() is self._thread:
            work(*args)
        else:
            self.loop.call_soon_threadsafe(work, *args)

    def _open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._soon(self.loop.add_reader, sock, client.loop_read)

    def _close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._soon(self.loop.remove_reader, sock)
        self._soon(self.loop.remove_writer, sock)

    def _want_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._soon(self.loop.add_writer, sock, client.loop_write)

    def _done_writing(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._soon(self.loop.remove_writer, sock)

    def _misc(self) -> None:
        for client in self.clients:
            client.loop_misc()
        self.loop.call_later(1, self._misc)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class Device:
    """One paho client that logs in as an IoTDA device (spec device-traffic C.1)."""

    def __init__(
        self,
        device_id: str,
        secret: str,
        *,
        at: float | None = None,
        sign_type: int = 1,
        client_id: str | None = None,
        keepalive: int = 60,
    ) -> None:
        stamp = time.strftime("%Y%m%d%H", time.gmtime(time.time() if at is None else at))
        self.device_id = device_id
        self.client_id = client_id or f"{device_id}_0_{sign_type}_{stamp}"
        self.keepalive = keepalive
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv311
        )
        self.client.username_pw_set(device_id, mqtt_password(secret, stamp))
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.connack: int | None = None
        self.messages: list[tuple[str, bytes]] = []
        self.connected = threading.Event()
        self.answered = threading.Event()
        self.dropped = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.hub: Hub | None = None
        #: called for each command: returns the response payload (or None: no answer)
        self.on_command: Callable[[str, dict[str, Any]], dict[str, Any] | None] | None = None

    def connect(self, host: str, port: int, tls_ca: str | None = None) -> int:
        """Connect and wait for CONNACK; returns its return code. No automatic reconnects."""
        if tls_ca is not None:
            self.client.tls_set(ca_certs=tls_ca)
        self.client.connect(host, port, keepalive=self.keepalive)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self.answered.wait(5):
            raise AssertionError("no CONNACK within 5 s")
        assert self.connack is not None
        return self.connack

    def start(self, host: str, port: int, hub: Hub) -> None:
        """Connect without waiting, driven by ``hub`` (for many devices at once)."""
        self.hub = hub
        hub.attach(self.client)
        self.client.connect(host, port, keepalive=self.keepalive)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.client.loop(timeout=0.5) != mqtt.MQTT_ERR_SUCCESS:
                self.dropped.set()
                return

    def close(self) -> None:
        self._stop.set()
        if self.hub is not None:
            self.hub.call(self.client.disconnect)
            return
        self.client.disconnect()
        if self._thread is not None:
            self._thread.join(5)
            assert not self._thread.is_alive(), "the device's loop did not end within 5 s"
            self._thread = None
        # paho closes the socket pair that loop() made only in reinitialise() or __del__, and
        # the callbacks bound to this object make a cycle that defers __del__ to a GC pass:
        # its ResourceWarning would then fail whichever test happens to be running
        self.client.reinitialise()

    def publish(self, rest: str, body: Any, qos: int = 1) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        info = self.client.publish(f"$oc/devices/{self.device_id}/{rest}", data, qos=qos)
        if qos:
            info.wait_for_publish(5)

    def report(self, service_id: str, properties: dict[str, Any], qos: int = 1) -> None:
        body = {"services": [{"service_id": service_id, "properties": properties}]}
        self.publish("sys/properties/report", body, qos)

    def topics(self, part: str) -> list[tuple[str, bytes]]:
        return [(t, p) for t, p in self.messages if part in t]

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        # paho 2 reports MQTT 3.1.1 CONNACK codes as MQTT 5 reason codes: map them back
        self.connack = V311.get(rc.value, rc.value)
        if rc == 0:
            self.connected.set()
        self.answered.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self.dropped.set()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        self.messages.append((message.topic, message.payload))
        marker = "/sys/commands/request_id="
        if marker in message.topic and self.on_command is not None:
            request_id = message.topic.rsplit("=", 1)[1]
            answer = self.on_command(request_id, json.loads(message.payload))
            if answer is not None:
                self.publish(f"sys/commands/response/request_id={request_id}", answer, qos=0)
