"""The MQTT front under load (issue 14, DESIGN §5): one `fakeiot serve` holding 1,000 IoTDA
devices connected at once over loopback.

    python bench/mqtt.py [--devices 1000] [--rounds 200] [--state]

The platform is `fakeiot serve --port 0 --mqtt-port 0` in a child process (with ``--state``, a
SQLite state file in a temporary directory); its devices are added through the northbound API
(``POST /v5/iot/{project}/devices``, signed as the SDK signs it) and logged in as paho-mqtt
clients with IoTDA's documented login in this process. Measured:

1. connect rate: every device sends CONNECT at once; the time until the last CONNACK;
2. held: the dashboard's overview (``GET /_fakeiot/api/overview``) counts the devices connected
   over MQTT while all are connected;
3. report -> shadow: a device reports a property, then reads its shadow over MQTT
   (``$oc/.../sys/shadow/get``); the time until the answer holds the reported value (an upper
   bound: it includes the shadow read's own round trip); p50 / p95 / p99 over ``--rounds``,
   with ``TCP_NODELAY`` on the devices' sockets (with paho's default, Nagle's algorithm holds
   the read for the broker's delayed ACK of the report: 40 ms on Linux);
4. command round trip: a synchronous command through the northbound API
   (``POST /v5/iot/{project}/devices/{id}/commands``) to a device that answers on its response
   topic; p50 / p95 / p99 over ``--rounds``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fakeiot  # noqa: E402
from tests.iotda import IoClient  # noqa: E402
from tests.mqttdevice import Device, Hub  # noqa: E402

SECRET = "secret-01"
PROJECT, AK, SK = "benchproject", "BENCHAK", "BENCHSK"


def percentiles(samples: list[float]) -> str:
    cut = statistics.quantiles(samples, n=100)
    return f"p50 {cut[49] * 1e3:.2f} ms, p95 {cut[94] * 1e3:.2f} ms, p99 {cut[98] * 1e3:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--state", action="store_true", help="serve with a --state file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fakeiot-bench-") as tmp:
        command = [sys.executable, "-m", "fakeiot", "serve", "--port", "0", "--mqtt-port", "0"]
        command += ["--project-id", PROJECT, "--ak", AK, "--sk", SK, "--seed", "1", "--quiet"]
        command += ["--setting", "call_log_limit=1000", "--setting", "event_log_limit=1000"]
        if args.state:
            command += ["--state", str(Path(tmp) / "state.db")]
        child = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, env={**os.environ, "HOME": tmp}
        )
        try:
            assert child.stdout is not None
            banner = [child.stdout.readline()]
            while banner[-1] and not banner[-1].startswith("dashboard:"):
                banner.append(child.stdout.readline())
            url = re.search(r"fakeiot serving on (\S+)", banner[0])
            mqtt = re.search(r"MQTT for devices on mqtt://[\d.]+:(\d+)", "".join(banner))
            assert url is not None, banner
            assert mqtt is not None, banner
            print(f"`{' '.join(command[2:])}`")
            run(url.group(1), int(mqtt.group(1)), args.devices, args.rounds)
        finally:
            child.send_signal(signal.SIGTERM)
            child.wait(60)
    return 0


def add_devices(url: str, signer: IoClient, count: int) -> list[str]:
    """A product and ``count`` devices with one secret, through the northbound API."""
    session = requests.Session()

    def call(path: str, body: Any) -> Any:
        request = signer.request("POST", path, body)
        response = session.post(f"{url}{request.path}", data=request.body,
                                headers=request.headers, timeout=30)  # fmt: skip
        assert response.status_code == 201, response.text
        return response.json()

    product = call("/products", {"name": "Meter", "device_type": "Meter", "protocol_type": "MQTT",
                                 "data_format": "json", "service_capabilities": []})  # fmt: skip
    body = {"product_id": product["product_id"], "auth_info": {"secret": SECRET}}
    return [call("/devices", {**body, "node_id": f"n{i}"})["device_id"] for i in range(count)]


def run(url: str, port: int, count: int, rounds: int) -> None:
    platform = fakeiot.Platform(seed=1)  # only to sign requests as the project's AK/SK
    keys = platform.iotda.create_project(project_id=PROJECT, ak=AK, sk=SK)
    signer = IoClient(platform, keys)
    devices = [Device(device_id, SECRET) for device_id in add_devices(url, signer, count)]
    # -- 1. connect rate ---------------------------------------------------------------------
    started = time.perf_counter()
    hub = Hub()
    for device in devices:
        device.start("127.0.0.1", port, hub)
    for device in devices:
        assert device.connected.wait(60), "a device got no CONNACK within 60 s"
    elapsed = time.perf_counter() - started
    print(f"1. {len(devices)} devices connected in {elapsed:.2f} s "
          f"({len(devices) / elapsed:.0f} CONNECT/s, all at once)")  # fmt: skip
    # -- 2. held -------------------------------------------------------------------------------
    overview = requests.get(f"{url}/_fakeiot/api/overview", timeout=30).json()
    iotda = next(face for face in overview["faces"] if face.get("title") == "IoTDA")
    rows = next(t for t in iotda["tables"] if t["id"] == "devices")["rows"]
    held = sum(1 for row in rows if row["cells"][-1] == "connected")
    print(f"2. held at once: {held} devices connected over MQTT (dashboard overview)")
    assert held == len(devices)
    # -- 3. report -> shadow -------------------------------------------------------------------
    for device in devices:  # paho leaves Nagle on: the shadow get, written right after the
        # report, would wait up to 40 ms for the broker's delayed ACK of the report (a QoS 0
        # PUBLISH has no answer to carry it); that is the client's TCP, not fakeiot
        sock = device.client.socket()
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples = []
    for n in range(rounds):
        device = devices[n % len(devices)]
        got = threading.Event()

        def on_shadow(client: Any, userdata: Any, message: Any, n: int = n,
                      got: threading.Event = got) -> None:  # fmt: skip
            shadow = json.loads(message.payload)["shadow"]
            if shadow and shadow[0]["reported"]["properties"].get("n") == n:
                got.set()

        topic = f"$oc/devices/{device.device_id}/sys/shadow/get/response/#"
        device.client.message_callback_add(topic, on_shadow)
        t0 = time.perf_counter()
        device.report("S", {"n": n}, qos=0)
        device.publish(f"sys/shadow/get/request_id=r{n}", {"service_id": "S"}, qos=0)
        assert got.wait(10)
        samples.append(time.perf_counter() - t0)
        device.client.message_callback_remove(topic)
    print(f"3. report -> shadow (read back over MQTT): {percentiles(samples)}")
    # -- 4. command round trip -----------------------------------------------------------------
    session = requests.Session()
    samples = []
    for n in range(rounds):
        device = devices[n % len(devices)]
        device.on_command = lambda rid, cmd: {"result_code": 0, "paras": cmd["paras"]}
        request = signer.request("POST", f"/devices/{device.device_id}/commands",
                                 {"command_name": "ping", "paras": {"n": n}})  # fmt: skip
        t0 = time.perf_counter()
        response = session.post(f"{url}{request.path}", data=request.body,
                                headers=request.headers, timeout=30)  # fmt: skip
        samples.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.text
        assert response.json()["response"]["paras"] == {"n": n}
    print(f"4. command round trip (northbound HTTP -> device -> answer): {percentiles(samples)}")
    for device in devices:
        device.close()
    hub.close()


if __name__ == "__main__":
    sys.exit(main())
