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
