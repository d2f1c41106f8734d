"""IoTDA devices over MQTT: paho-mqtt with IoTDA's documented login against ``MqttBroker``,
and the official huaweicloudsdkiotda client seeing what the device does."""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections import deque
from collections.abc import Iterator

import freezegun
import pytest
import requests
from huaweicloudsdkiotda.v5 import (
    AsyncDeviceCommandRequest,
    CreateAsyncCommandRequest,
    CreateCommandRequest,
    CreateMessageRequest,
    DeviceCommandRequest,
    DeviceMessageRequest,
    ShowAsyncDeviceCommandRequest,
    ShowDeviceRequest,
    ShowDeviceShadowRequest,
)

import fakeiot
import tests.iotda
from fakeiot._iotda import IotdaError
from tests.iotda import error_of, expected
from tests.mqttdevice import Device, real_time, wait_for
from tests.test_iotda_sdk import ENDPOINT, client_for

SECRET = "s3cret-01"


@pytest.fixture
def platform() -> fakeiot.Platform:
    return fakeiot.Platform(seed=0, iotda_command_timeout=5.0)


@pytest.fixture
def broker(platform: fakeiot.Platform) -> Iterator[fakeiot.MqttBroker]:
    with fakeiot.MqttBroker(platform) as broker:
        yield broker


def add_device(platform: fakeiot.Platform, node_id: str = "node-1") -> str:
    io = platform.iotda
    keys = io.projects()[0] if io.projects() else io.create_project()
    products = list(io.state.projects[keys.project_id].products)
    product = products[0] if products else io.create_product(keys, name="Meter")
    return io.add_device(keys, product, node_id=node_id, secret=SECRET).device_id


def test_a_paho_device_through_the_official_sdk(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """ONLINE, report -> shadow, a synchronous command answered, an async one, a message,
    then OFFLINE: the device speaks MQTT, the backend speaks the official SDK."""
    keys = platform.iotda.create_project()
    device_id = add_device(platform)
    device = Device(device_id, SECRET)
    device.on_command = lambda rid, cmd: {
        "result_code": 0,
        "response_name": "COMMAND_RESPONSE",
        "paras": {"echo": cmd["paras"], "name": cmd["command_name"]},
    }
    assert device.connect(broker.host, broker.port) == 0
    with fakeiot.mock(platform):
        client = client_for(keys, ENDPOINT, "basic")
        shown = client.show_device(ShowDeviceRequest(device_id=device_id))
        assert shown.status == "ONLINE"
        device.report("Temp", {"temperature": 21})
        wait_for(lambda: platform.iotda.device(device_id).shadow.get("Temp"))
        shadow = client.show_device_shadow(ShowDeviceShadowRequest(device_id=device_id)).shadow
        assert shadow[0].reported.properties == {"temperature": 21}

        answer = client.create_command(
            CreateCommandRequest(
                device_id=device_id,
                body=DeviceCommandRequest(service_id="Temp", command_name="reboot", paras={"a": 1}),
            )
        )
        assert answer.response == {
            "result_code": 0,
            "response_name": "COMMAND_RESPONSE",
            "paras": {"echo": {"a": 1}, "name": "reboot"},
        }
        (topic, payload), *_ = device.topics("/sys/commands/request_id=")
        assert topic == f"$oc/devices/{device_id}/sys/commands/request_id={answer.command_id}"
        assert json.loads(payload)["object_device_id"] == device_id

        created = client.create_async_command(
            CreateAsyncCommandRequest(
                device_id=device_id,
                body=AsyncDeviceCommandRequest(paras={"x": 1}, send_strategy="immediately"),
            )
        )

        def status() -> str | None:
            shown = client.show_async_device_command(
                ShowAsyncDeviceCommandRequest(device_id=device_id, command_id=created.command_id)
            )
            return shown.status if shown.status == "SUCCESSFUL" else None

        wait_for(status)
        sent = [(c.command_id, c.mode) for c in platform.iotda.simulated(device_id).commands]
        assert sent == [(answer.command_id, "sync"), (created.command_id, "async")]

        client.create_message(
            CreateMessageRequest(device_id=device_id, body=DeviceMessageRequest(message="hi"))
        )
        (topic, payload), *_ = wait_for(lambda: device.topics("/sys/messages/down"))
        assert json.loads(payload)["content"] == "hi"

        device.close()
        wait_for(lambda: platform.iotda.device(device_id).status == "OFFLINE")
        assert client.show_device(ShowDeviceRequest(device_id=device_id)).status == "OFFLINE"
    transcript = platform.transcript()
    assert f"mqtt {device_id} <- $oc/devices/{device_id}/sys/properties/report" in transcript
    assert f"mqtt {device_id} -> $oc/devices/{device_id}/sys/commands/request_id=" in transcript
    assert SECRET not in transcript


def test_refusals_carry_the_connack_code_the_sdk_expects(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """Wrong secret 4 (the SDK stops retrying), frozen 5 (a setting), malformed client id 2
    (the identity type is always 0), a timestamp two hours off 4, keep-alive outside
    30..1200 s 2; nothing goes ONLINE."""
    device_id = add_device(platform)
    keys = platform.iotda.projects()[0]
    hour = time.strftime("%Y%m%d%H", time.gmtime())
    cases = [
        (Device(device_id, "wrong"), 4),
        (Device(device_id, SECRET, client_id=f"{device_id}_bad"), 2),
        (Device(device_id, SECRET, client_id=f"{device_id}_2_1_{hour}"), 2),
        (Device(device_id, SECRET, at=time.time() - 7200), 4),
        (Device(device_id, SECRET, keepalive=10), 2),
        (Device("nobody_node", SECRET), 4),
    ]
    for device, code in cases:
        assert (device.client_id, device.connect(broker.host, broker.port)) == (
            device.client_id,
            code,
        )
        device.close()
    with platform.operation():
        platform.iotda.service.freeze(platform.iotda.state.projects[keys.project_id], device_id)
    for device, code in [(Device(device_id, SECRET), 5), (Device(device_id, "wrong"), 4)]:
        assert device.connect(broker.host, broker.port) == code  # authenticated, then authorised
        device.close()
    platform.settings = platform.settings.replace(iotda_mqtt_frozen_connack=4)
    frozen = Device(device_id, SECRET)
    assert frozen.connect(broker.host, broker.port) == 4
    frozen.close()
    assert platform.iotda.device(device_id).status == "FROZEN"
    assert broker.live == set()
    assert "CONNACK 4" in platform.transcript()


def test_sign_type_0_skips_the_time_check(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    device_id = add_device(platform)
    device = Device(device_id, SECRET, at=time.time() - 86400, sign_type=0)
    assert device.connect(broker.host, broker.port) == 0
    device.close()


def test_bad_payloads_change_nothing_and_keep_the_connection(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    device_id = add_device(platform)
    device = Device(device_id, SECRET)
    assert device.connect(broker.host, broker.port) == 0
    device.publish("sys/properties/report", b"not json")
    device.publish("sys/properties/report", {"services": [{"service_id": "S", "properties": 3}]})
    device.publish("sys/properties/report", {"services": "nope"})
    device.publish("sys/unknown/topic", {})
    device.client.publish("$oc/devices/someone-else/sys/properties/report", b"{}", qos=1)
    device.report("Temp", {"ok": True})
    wait_for(lambda: platform.iotda.device(device_id).shadow.get("Temp"))
    view = platform.iotda.device(device_id)
    assert list(view.shadow) == ["Temp"]
    assert view.shadow["Temp"]["version"] == 1
    assert device.client.is_connected()
    transcript = platform.transcript()
    assert "rejected 'sys/properties/report': the payload is not JSON" in transcript
    assert "is not its own topic" in transcript
    device.close()


def test_a_second_connection_of_the_device_takes_over(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """One connection per device: the newer wins, the older is dropped, the device stays
    ONLINE; freezing it then drops the connection and refuses the next CONNECT."""
    device_id = add_device(platform)
    first = Device(device_id, SECRET, sign_type=0)
    second = Device(device_id, SECRET)
    assert first.connect(broker.host, broker.port) == 0
    assert second.connect(broker.host, broker.port) == 0
    assert first.dropped.wait(20)
    second.report("S", {"v": 1})
    wait_for(lambda: platform.iotda.device(device_id).shadow.get("S"))
    assert platform.iotda.device(device_id).status == "ONLINE"
    keys = platform.iotda.projects()[0]
    with platform.operation():
        platform.iotda.service.freeze(platform.iotda.state.projects[keys.project_id], device_id)
    assert second.dropped.wait(20)
    assert platform.iotda.device(device_id).status == "FROZEN"
    wait_for(lambda: not broker.live)
    first.close()
    second.close()


def test_shadow_get_properties_set_and_get_over_mqtt(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    device_id = add_device(platform)
    keys = platform.iotda.projects()[0]
    device = Device(device_id, SECRET)
    assert device.connect(broker.host, broker.port) == 0

    def answer(message: object) -> None:
        topic, payload = message.topic, json.loads(message.payload)  # type: ignore[attr-defined]
        rid = topic.rsplit("=", 1)[1]
        if "/sys/properties/set/" in topic:
            device.publish(f"sys/properties/set/response/request_id={rid}", {"result_code": 0}, 0)
        elif "/sys/properties/get/" in topic:
            body = {"services": [{"service_id": payload["service_id"], "properties": {"v": 7}}]}
            device.publish(f"sys/properties/get/response/request_id={rid}", body, 0)

    device.client.message_callback_add(f"$oc/devices/{device_id}/sys/properties/#",
                                       lambda c, u, m: answer(m))  # fmt: skip
    device.report("S", {"v": 1})
    device.publish("sys/shadow/get/request_id=r1", {"service_id": "S"})
    (_topic, payload), *_ = wait_for(lambda: device.topics("/sys/shadow/get/response/"))
    shadow = json.loads(payload)
    assert shadow["object_device_id"] == device_id
    assert shadow["shadow"][0]["reported"]["properties"] == {"v": 1}
    io = tests.iotda.IoClient(platform, keys)
    got = io.ok("GET", f"/devices/{device_id}/properties", query={"service_id": "S"})
    assert got["response"] == {"services": [{"service_id": "S", "properties": {"v": 7}}]}
    body = {"services": [{"service_id": "S", "properties": {"v": 9}}]}
    io.ok("PUT", f"/devices/{device_id}/properties", body)
    assert platform.iotda.device(device_id).shadow["S"]["reported"] == {"v": 9}
    device.close()


def test_the_fakeiot_mqtt_fixture_serves_the_tests_platform(
    fakeiot_platform: fakeiot.Platform, fakeiot_mqtt: fakeiot.MqttBroker
) -> None:
    assert fakeiot_mqtt.platform is fakeiot_platform
    device_id = add_device(fakeiot_platform)
    device = Device(device_id, SECRET)
    assert device.connect(fakeiot_mqtt.host, fakeiot_mqtt.port) == 0
    assert fakeiot_platform.iotda.device(device_id).status == "ONLINE"
    overview = fakeiot_platform.iotda.overview()
    rows = overview["tables"][1]["rows"]
    assert rows[0]["cells"][-1] == "connected"
    device.close()


def test_the_password_matches_the_documented_test_vector() -> None:
    """Spec C.1: secret 12345678 at 2025041401 (Huawei's own example)."""
    from fakeiot.iotda import mqtt_password

    expected = "c75150e6cb841417396819e4d2ee4358a416344a03a083e3a8567074ddec820a"
    assert mqtt_password("12345678", "2025041401") == expected


def test_what_waited_for_the_device_arrives_right_after_its_connack(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """An async command cached while the device was offline (send_strategy delay) and a
    message with a ttl are published to it as soon as it connects, after CONNACK."""
    device_id = add_device(platform)
    io = tests.iotda.IoClient(platform, platform.iotda.projects()[0])
    body = {"paras": {"x": 1}, "send_strategy": "delay", "expire_time": 3600}
    command = io.ok("POST", f"/devices/{device_id}/async-commands", body)
    io.ok("POST", f"/devices/{device_id}/messages", {"message": "later", "ttl": 60})
    device = Device(device_id, SECRET)
    device.on_command = lambda rid, cmd: {"result_code": 0}
    assert device.connect(broker.host, broker.port) == 0
    # both arrive, in whichever order the broker's writer sends them
    wait_for(lambda: device.topics("/sys/messages/down"))
    wait_for(lambda: device.topics("/sys/commands/request_id="))
    (topic, _payload), *_ = device.topics("/sys/commands/request_id=")
    assert topic.endswith(command["command_id"])

    def status() -> bool:
        shown = io.ok("GET", f"/devices/{device_id}/async-commands/{command['command_id']}")
        return bool(shown["status"] == "SUCCESSFUL")

    wait_for(status)
    device.close()


def reported(platform: fakeiot.Platform, device_id: str) -> dict[str, object]:
    shadow = platform.iotda.state.devices[device_id].shadow
    return dict(shadow["Temp"].reported) if "Temp" in shadow else {}


def test_a_qos1_puback_leaves_once_the_report_is_applied_and_made_durable(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    device_id = add_device(platform)
    committed: list[dict[str, object]] = []

    def durable() -> None:  # as `fakeiot serve --state` commits, slowly
        committed.append(reported(platform, device_id))  # what the commit sees
        time.sleep(0.3)

    broker.durable = durable
    device = Device(device_id, SECRET)
    assert device.connect(broker.host, broker.port) == 0
    try:
        started = time.monotonic()
        body = {"services": [{"service_id": "Temp", "properties": {"t": 21}}]}
        info = device.client.publish(
            f"$oc/devices/{device_id}/sys/properties/report", json.dumps(body).encode(), qos=1
        )
        info.wait_for_publish(5)  # the PUBACK
        assert info.is_published()
        assert time.monotonic() - started >= 0.3, "PUBACK before the commit"
        assert committed == [{"t": 21}], "the commit saw the applied report"
        assert reported(platform, device_id) == {"t": 21}
    finally:
        device.close()


def test_a_qos1_publish_that_cannot_be_made_durable_is_not_acknowledged(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker, caplog: pytest.LogCaptureFixture
) -> None:
    device_id = add_device(platform)

    def durable() -> None:
        raise OSError("disk full")

    broker.durable = durable
    device = Device(device_id, SECRET)
    acknowledged: list[int] = []
    device.client.on_publish = lambda _c, _u, mid, _rc, _p: acknowledged.append(mid)
    assert device.connect(broker.host, broker.port) == 0
    try:
        body = {"services": [{"service_id": "Temp", "properties": {"t": 22}}]}
        info = device.client.publish(
            f"$oc/devices/{device_id}/sys/properties/report", json.dumps(body).encode(), qos=1
        )
        assert device.dropped.wait(5), "the connection stays open without its PUBACK"
        assert info.mid not in acknowledged  # (paho may mark it "not connected" by now)
        assert any("not acknowledged" in r.getMessage() for r in caplog.records)
        assert broker.errors == deque()
    finally:
        device.close()


def test_a_device_gone_before_its_qos1_publish_is_durable_breaks_nothing(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    device_id = add_device(platform)
    started = threading.Event()

    def durable() -> None:  # a slow commit: the device leaves meanwhile
        started.set()
        time.sleep(0.5)

    broker.durable = durable
    device = Device(device_id, SECRET)
    acknowledged: list[int] = []
    device.client.on_publish = lambda _c, _u, mid, _rc, _p: acknowledged.append(mid)
    assert device.connect(broker.host, broker.port) == 0
    body = {"services": [{"service_id": "Temp", "properties": {"t": 23}}]}
    device.client.publish(
        f"$oc/devices/{device_id}/sys/properties/report", json.dumps(body).encode(), qos=1
    )
    assert started.wait(5)
    device.close()  # gone before the commit ends: its PUBACK is dropped, quietly
    wait_for(lambda: platform.iotda.device(device_id).status == "OFFLINE")
    time.sleep(0.6)
    assert acknowledged == []
    assert reported(platform, device_id) == {"t": 23}  # applied all the same
    assert broker.errors == deque()
    assert broker.live == set()


def test_a_device_that_never_answers_holds_up_nobody_and_times_out_under_freezegun() -> None:
    """A synchronous command waits for its device with the platform's lock released: meanwhile
    other calls are answered, and another device logs in and reports. The wait is real
    seconds, so a frozen clock cannot make it endless."""
    platform = fakeiot.Platform(seed=0, iotda_command_timeout=1.0)
    with fakeiot.MqttBroker(platform) as broker:
        silent_id, other_id = add_device(platform, "silent"), add_device(platform, "other")
        io = tests.iotda.IoClient(platform, platform.iotda.projects()[0])
        silent, other = Device(silent_id, SECRET), Device(other_id, SECRET)  # silent: no answer
        assert silent.connect(broker.host, broker.port) == 0
        answers: list[fakeiot.HttpResponse] = []
        meanwhile: list[object] = []

        def other_work() -> None:
            meanwhile.append(io.ok("GET", f"/devices/{other_id}")["device_id"])
            meanwhile.append(other.connect(broker.host, broker.port))
            # QoS 0: paho's wait for a PUBACK reads two clocks under freezegun in a thread
            other.report("Temp", {"t": 1}, qos=0)
            meanwhile.append(wait_for(lambda: reported(platform, other_id)))

        body = {"service_id": "Temp", "command_name": "reboot", "paras": {}}
        with freezegun.freeze_time(datetime.datetime.now(datetime.timezone.utc)):
            waiting = threading.Thread(
                target=lambda: answers.append(
                    io.call("POST", f"/devices/{silent_id}/commands", body)
                ),
                daemon=True,
            )
            start = real_time()
            waiting.start()
            wait_for(lambda: silent.topics("/sys/commands/request_id="))  # the call waits now
            worker = threading.Thread(target=other_work, daemon=True)
            worker.start()
            worker.join(10)
            assert not worker.is_alive(), "other calls and devices waited for the silent one"
            assert waiting.is_alive(), "the command ended before its timeout"
            waiting.join(10)
            assert not waiting.is_alive(), "the wait did not end under freezegun"
        assert real_time() - start >= 1.0
        assert meanwhile == [other_id, 0, {"t": 1}]
        assert error_of(answers[0]) == expected(IotdaError.COMMAND_TIMEOUT)
        silent.close()
        other.close()


def test_an_answer_completes_only_the_kind_of_request_it_answers(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """A ``commands/response`` with a property set's request id does not complete the set
    (spec C.2: each request kind has its own response topic); the right topic does."""
    device_id = add_device(platform)
    device = Device(device_id, SECRET)
    assert device.connect(broker.host, broker.port) == 0

    def answer(message: object) -> None:
        rid = message.topic.rsplit("=", 1)[1]  # type: ignore[attr-defined]
        device.publish(f"sys/commands/response/request_id={rid}", {"result_code": 0}, 0)
        device.publish(f"sys/properties/set/response/request_id={rid}", {"result_code": 1}, 0)

    device.client.message_callback_add(f"$oc/devices/{device_id}/sys/properties/set/#",
                                       lambda c, u, m: answer(m))  # fmt: skip
    io = tests.iotda.IoClient(platform, platform.iotda.projects()[0])
    body = {"services": [{"service_id": "Temp", "properties": {"t": 9}}]}
    response = io.call("PUT", f"/devices/{device_id}/properties", body)
    assert response.json_body()["response"] == {"result_code": 1}
    assert reported(platform, device_id) == {}  # a failed set changes no shadow
    device.close()


def test_the_shadow_syncs_desired_values_when_the_device_connects_and_reports(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """Spec iotda §6.2 / device-traffic C.5: desired values that differ from the reported ones
    go to the device as a property set when it comes online and when it reports; a report's
    ``event_time`` (either format) is the shadow's reported time."""
    device_id = add_device(platform)
    io = tests.iotda.IoClient(platform, platform.iotda.projects()[0])
    io.ok("PUT", f"/devices/{device_id}/shadow",
          {"shadow": [{"service_id": "Temp", "desired": {"target": 20}}]})  # fmt: skip
    device = Device(device_id, SECRET)
    assert device.connect(broker.host, broker.port) == 0
    (_topic, payload), *_ = wait_for(lambda: device.topics("/sys/properties/set/request_id="))
    assert json.loads(payload) == {
        "object_device_id": device_id,
        "services": [{"service_id": "Temp", "properties": {"target": 20}}],
    }
    report = {"service_id": "Temp", "properties": {"target": 20, "t": 1},
              "event_time": "20250102T030405Z"}  # fmt: skip
    device.publish("sys/properties/report", {"services": [report]})
    shadow = io.ok("GET", f"/devices/{device_id}/shadow")["shadow"][0]
    assert shadow["reported"] == {"properties": {"target": 20, "t": 1},
                                  "event_time": "20250102T030405Z"}  # fmt: skip
    assert len(device.topics("/sys/properties/set/")) == 1, "in sync: nothing sent"
    report = {
        "service_id": "Temp",
        "properties": {"target": 19},
        "event_time": "2025-01-02T03:04:06Z",
    }  # as Huawei's device SDK writes it
    device.publish("sys/properties/report", {"services": [report]})
    sets = wait_for(lambda: device.topics("/sys/properties/set/")[1:])
    assert json.loads(sets[0][1])["services"][0]["properties"] == {"target": 20}
    shadow = io.ok("GET", f"/devices/{device_id}/shadow")["shadow"][0]
    assert shadow["reported"]["event_time"] == "20250102T030406Z"
    device.close()


def test_a_time_sync_request_is_answered_on_events_down(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """IoTDA device API iot_06_v5_3040/3041: ``$time_sync`` ``time_sync_request`` up, the
    ``time_sync_response`` down with the device's send time and the platform's times."""
    device_id = add_device(platform)
    device = Device(device_id, SECRET)
    assert device.connect(broker.host, broker.port) == 0
    event = {"service_id": "$time_sync", "event_type": "time_sync_request",
             "paras": {"device_send_time": 1582685678789}}  # fmt: skip
    device.publish("sys/events/up", {"object_device_id": device_id, "services": [event]})
    (_topic, payload), *_ = wait_for(lambda: device.topics("/sys/events/down"))
    answer = json.loads(payload)
    assert answer["object_device_id"] == device_id
    (response,) = answer["services"]
    assert (response["service_id"], response["event_type"]) == ("$time_sync",
                                                                "time_sync_response")  # fmt: skip
    paras = response["paras"]
    assert paras["device_send_time"] == 1582685678789
    assert paras["server_recv_time"] == paras["server_send_time"]
    assert abs(paras["server_recv_time"] / 1000 - platform.clock.now()) < 60
    device.publish("sys/events/up", {"services": [dict(event, paras={"device_send_time": "x"})]})
    device.publish("sys/events/up", {"object_device_id": "someone-else", "services": [event]})
    device.publish("sys/properties/report", {"services": [{"service_id": "Temp",
                                                           "properties": {"t": 2}}]})  # fmt: skip
    assert reported(platform, device_id) == {"t": 2}  # the connection carried on
    assert len(device.topics("/sys/events/down")) == 1, "malformed requests get no answer"
    device.close()


def test_a_gateway_batch_with_a_stranger_changes_nobody(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """Every entry of a gateway's sub-device report is checked before any is applied."""
    gateway_id = add_device(platform, "gw")
    io = platform.iotda
    keys = io.projects()[0]
    product = next(iter(io.state.projects[keys.project_id].products))
    child = io.add_device(keys, product, node_id="child", gateway_id=gateway_id).device_id
    gateway = Device(gateway_id, SECRET)
    assert gateway.connect(broker.host, broker.port) == 0
    entry = {"device_id": child, "services": [{"service_id": "Temp", "properties": {"t": 1}}]}
    stranger = dict(entry, device_id="not-a-child")
    gateway.publish("sys/gateway/sub_devices/properties/report", {"devices": [entry, stranger]})
    assert reported(platform, child) == {}
    gateway.publish("sys/gateway/sub_devices/properties/report", {"devices": [entry]})
    assert reported(platform, child) == {"t": 1}
    gateway.close()


def test_deleting_a_device_or_resetting_its_secret_drops_its_connection(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """The platform ends the connection (spec C.4): a secret reset with force_disconnect, a
    deletion; a reset without force_disconnect leaves it up."""
    device_id = add_device(platform)
    io = tests.iotda.IoClient(platform, platform.iotda.projects()[0])
    reset = f"/devices/{device_id}/action"
    device = Device(device_id, SECRET)
    assert device.connect(broker.host, broker.port) == 0
    io.ok("POST", reset, {"secret": "s3cret-02", "force_disconnect": False},
          query={"action_id": "resetSecret"})  # fmt: skip
    assert not device.dropped.wait(0.3)
    io.ok("POST", reset, {"secret": SECRET, "force_disconnect": True},
          query={"action_id": "resetSecret"})  # fmt: skip
    assert device.dropped.wait(10)
    assert platform.iotda.device(device_id).status == "OFFLINE"
    device.close()
    again = Device(device_id, SECRET)
    assert again.connect(broker.host, broker.port) == 0
    assert io.call("DELETE", f"/devices/{device_id}").status == 204
    assert again.dropped.wait(10)
    again.close()
    gone = Device(device_id, SECRET)
    assert gone.connect(broker.host, broker.port) == 4
    gone.close()


def test_a_payload_over_1_mb_is_dropped_and_the_connection_stays(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """Spec C.1: at most 1 MB per PUBLISH; a larger report changes nothing."""
    device_id = add_device(platform)
    device = Device(device_id, SECRET)
    assert device.connect(broker.host, broker.port) == 0
    big = {"services": [{"service_id": "Temp", "properties": {"t": "x" * (1024 * 1024)}}]}
    device.publish("sys/properties/report", big)
    device.report("Temp", {"t": 1})
    assert reported(platform, device_id) == {"t": 1}
    assert "over 1 MB" in platform.transcript()
    device.close()


def test_sign_type_1_accepts_the_hour_before_and_after(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """The Huawei SDK computes the client id and the password with two clock reads, which can
    straddle an hour: the current hour ±1 is accepted (spec C.1), ±2 is not."""
    device_id = add_device(platform)
    for offset, code in ((-3600, 0), (3600, 0), (7200, 4)):
        device = Device(device_id, SECRET, at=time.time() + offset)
        assert (offset, device.connect(broker.host, broker.port)) == (offset, code)
        device.close()


def test_the_dashboard_counts_the_devices_connected_over_mqtt(
    platform: fakeiot.Platform, broker: fakeiot.MqttBroker
) -> None:
    """``GET /_fakeiot/api/overview`` (what the dashboard draws) says which devices are
    connected over MQTT."""
    online, idle = add_device(platform, "online"), add_device(platform, "idle")
    device = Device(online, SECRET)
    assert device.connect(broker.host, broker.port) == 0
    with fakeiot.Server(platform) as server:
        overview = requests.get(f"{server.url}/_fakeiot/api/overview", timeout=10).json()
    iotda = next(face for face in overview["faces"] if face["name"] == "iotda")
    rows = next(t for t in iotda["tables"] if t["id"] == "devices")["rows"]
    mqtt = {row["cells"][0]: row["cells"][-1] for row in rows}
    assert (mqtt[online], mqtt[idle]) == ("connected", "")
    device.close()


class RecordingLink:
    """A connection as the MQTT front holds it, without a broker: records what is published."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.sent: list[tuple[str, bytes]] = []
        self.closed = False

    def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
        self.sent.append((topic, payload))

    def close(self) -> None:
        self.closed = True


def test_generated_uplinks_never_break_the_device_side() -> None:
    """Any payload, well-formed or not, on every uplink topic (spec C.2): no exception inside
    the protocol (it would log an ``error:`` line), the connection stays, the invariants hold,
    and whatever the platform answers goes to the device's own ``sys`` topics."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tests.budgets import FUZZ

    platform = fakeiot.Platform(seed=0)
    io = platform.iotda
    gateway = add_device(platform, "gw")
    keys = io.projects()[0]
    product = next(iter(io.state.projects[keys.project_id].products))
    child = io.add_device(keys, product, node_id="child", gateway_id=gateway).device_id
    io.device_protocol()
    protocol = io.mqtt
    assert protocol is not None
    stamp = time.strftime("%Y%m%d%H", time.gmtime(platform.clock.now()))
    link = RecordingLink(f"{gateway}_0_1_{stamp}")
    password = fakeiot.iotda.mqtt_password(SECRET, stamp).encode()
    session = protocol.connect(link.client_id, gateway, password, link)
    desired = {"shadow": [{"service_id": "S", "desired": {"v": 1}}]}  # shadow sync answers too
    tests.iotda.IoClient(platform, keys).ok("PUT", f"/devices/{gateway}/shadow", desired)

    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=8,
    )
    times = st.sampled_from(["20250102T030405Z", "2025-01-02T03:04:05Z", "99999999T999999Z"])
    # mostly well-formed, so the deep paths are reached; sometimes anything at all
    properties = st.dictionaries(st.text(max_size=4), values, max_size=3)
    services = st.lists(
        st.fixed_dictionaries(
            {
                "service_id": st.sampled_from(["S", "$time_sync"]) | st.text(max_size=4),
                "properties": properties | properties | values,
            },
            optional={
                "event_time": times | values,
                "event_type": st.just("time_sync_request") | values,
                "paras": st.fixed_dictionaries({"device_send_time": st.integers() | values}),
            },
        ),
        min_size=1,
        max_size=3,
    )
    devices = st.lists(
        st.fixed_dictionaries({"device_id": st.sampled_from([child, child, gateway, "x"]),
                               "services": services}),
        min_size=1,
        max_size=2,
    )  # fmt: skip
    bodies = st.fixed_dictionaries(
        {"services": services | services | values, "devices": devices | devices | values},
        optional={
            "object_device_id": st.sampled_from([gateway, child, "x"]) | values,
            "service_id": st.text(max_size=4) | values,
            "result_code": values,
        },
    )
    encoded = bodies.map(lambda b: json.dumps(b).encode())
    payloads = (
        encoded
        | encoded
        | encoded
        | st.binary(max_size=40)
        | values.map(lambda b: json.dumps(b).encode())
    )
    rests = st.sampled_from([
        "sys/properties/report", "sys/gateway/sub_devices/properties/report", "sys/events/up",
        "sys/messages/up", "user/custom", "sys/shadow/get/request_id=r1",
        "sys/commands/response/request_id=c1", "sys/properties/set/response/request_id=p1",
        "sys/properties/get/response/request_id=g1", "sys/unknown",
    ])  # fmt: skip

    @settings(FUZZ, max_examples=150)
    @given(rest=rests, payload=payloads)
    def check(rest: str, payload: bytes) -> None:
        before = len(link.sent)
        protocol.log.clear()
        protocol.receive(session, f"$oc/devices/{gateway}/{rest}", payload)
        assert not [line for line in protocol.log if " mqtt error:" in line]
        assert protocol.links.get(gateway) is session
        assert not link.closed
        for topic, _ in link.sent[before:]:
            assert topic.startswith(f"$oc/devices/{gateway}/sys/"), topic
        platform.check_invariants()

    check()
