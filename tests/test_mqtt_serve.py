"""``fakeiot serve --mqtt-port``: the MQTT front next to the HTTP one, MQTTS with its CA."""

from __future__ import annotations

from pathlib import Path

from tests.mqttdevice import Device
from tests.test_serve import serving


def test_serve_opens_an_mqtts_port_trusted_through_the_http_ca(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    with serving("--tls", "--tls-ca", str(ca), "--mqtt-port", "0") as served:
        line = next(x for x in served.banner if x.startswith("MQTT for devices on "))
        url = line.rsplit(" ", 1)[1]
        assert url.startswith("mqtts://127.0.0.1:")
        device = Device("nobody_node-1", "secret-01")
        code = device.connect("127.0.0.1", int(url.rsplit(":", 1)[1]), tls_ca=str(ca))
        device.close()
    assert code == 4  # TLS verified against the written CA; no such device: bad credentials


def test_a_qos1_report_acknowledged_before_sigkill_is_in_the_store(tmp_path: Path) -> None:
    import json
    import signal

    import requests

    import fakeiot
    from fakeiot.serve import _state

    source = fakeiot.Platform(seed=5)
    io = source.iotda
    keys = io.create_project()
    product = io.create_product(keys, name="Meter")
    device_id = io.add_device(keys, product, node_id="node-1", secret="s3cret-01").device_id
    store = tmp_path / "state.db"
    with serving("--state", str(store), "--mqtt-port", "0") as served:
        put = requests.put(f"{served.url}/_fakeiot/api/state", json=_state.dump(source), timeout=10)
        assert put.status_code == 200, put.text
        line = next(x for x in served.banner if x.startswith("MQTT for devices on "))
        device = Device(device_id, "s3cret-01")
        assert device.connect("127.0.0.1", int(line.rsplit(":", 1)[1])) == 0
        body = {"services": [{"service_id": "Temp", "properties": {"t": 21}}]}
        info = device.client.publish(
            f"$oc/devices/{device_id}/sys/properties/report", json.dumps(body).encode(), qos=1
        )
        info.wait_for_publish(5)
        assert info.is_published()
        served.process.send_signal(signal.SIGKILL)  # at once: no save at shutdown
        served.process.wait(10)
        device.close()
    with serving("--state", str(store)) as restarted:
        state = restarted.control("state").json()
    [project] = state["faces"]["iotda"]["projects"]
    shadow = project["devices"][device_id]["shadow"]
    assert shadow["Temp"]["reported"] == {"t": 21}
