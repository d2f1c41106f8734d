"""OceanConnect V4 device commands (spec A.2-A.8): the routes with every error row, the status
machine driven by the clock (freezegun and time-machine) and by simulated devices, the status
callbacks, cancel tasks, signaltrans, and what the state store keeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

import fakeiot
from fakeiot._device import NEVER, PENDING, fail, later
from fakeiot._oceanconnect import OcError
from fakeiot._oceanconnect._commands import COMMAND, CommandStatus
from fakeiot._oceanconnect._devices import OcDevice
from tests.oc import OcClient, error_of

CMDS = "/iocm/app/cmd/v1.4.0/deviceCommands"
CANCEL_TASKS = "/iocm/app/cmd/v1.4.0/deviceCommandCancelTasks"
CALLBACK = "http://127.0.0.1:9999/cmd"
START = "2024-05-01 00:00:00"
NODE = "861234567890123"


def expected(error: OcError, status: int | None = None) -> tuple[int, str, str]:
    row = error.row
    return (row.status if status is None else status), row.code, row.desc


class Receiver:
    """A WSGI callback receiver recording the JSON bodies it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        import json

        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.bodies.append(json.loads(environ["wsgi.input"].read(length)))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    @property
    def codes(self) -> list[str]:
        return [b["result"]["resultCode"] for b in self.bodies]


def sdk_body(device_id: str, **fields: Any) -> dict[str, Any]:
    """The create body Huawei's Python SDK sends (``SignalDeliveryTest``): every DTO attribute,
    alphabetical, explicit nulls, ``command`` without ``paras``."""
    body: dict[str, Any] = {
        "callbackUrl": None,
        "command": {"method": "DISCOVERY", "serviceId": "Discovery"},
        "deviceId": device_id,
        "expireTime": None,
        "maxRetransmit": None,
    }
    body.update(fields)
    return body


def online(oc: OcClient, node: str = NODE, **sim: Any) -> tuple[str, OcDevice]:
    device_id = oc.register_ok(node, verifyCode=node)
    dev = oc.platform.oceanconnect.simulate(node, **sim)
    dev.connect()
    return device_id, dev


@pytest.fixture
def receiver(platform: fakeiot.Platform) -> Receiver:
    found = Receiver()
    platform.oceanconnect.route_pushes("http://127.0.0.1:9999/", found)
    return found


# =============================================================================================
# Create (spec A.2)
# =============================================================================================
def test_the_sdk_body_creates_a_command_answered_as_captured(
    oc: OcClient, receiver: Receiver
) -> None:
    device_id, dev = online(oc)
    dev.on_command(lambda cmd: {"light_state": 1})
    response = oc.call("POST", CMDS, sdk_body(device_id, callbackUrl=CALLBACK))
    assert response.status == 201
    body = response.json_body()
    # the answer is the command as sent: SENT, unset fields omitted (captured, OBS-CMD)
    assert list(body) == [
        "commandId",
        "appId",
        "deviceId",
        "command",
        "callbackUrl",
        "expireTime",
        "status",
        "creationTime",
        "platformIssuedTime",
        "issuedTimes",
        "maxRetransmit",
    ]
    assert body["status"] == "SENT"
    assert len(body["commandId"]) == 32
    assert body["commandId"] == body["commandId"].lower()
    assert body["command"] == {"serviceId": "Discovery", "method": "DISCOVERY", "paras": {}}
    assert (body["expireTime"], body["issuedTimes"], body["maxRetransmit"]) == (172800, 0, 3)
    assert body["appId"] == oc.app.app_id
    # the device got it, acknowledged and answered: the callbacks in the captured order
    assert [c.command_name for c in dev.commands] == ["DISCOVERY"]
    assert receiver.codes == ["SENT", "DELIVERED", "SUCCESSFUL"]
    assert receiver.bodies[-1] == {
        "deviceId": device_id,
        "commandId": body["commandId"],
        "result": {"resultCode": "SUCCESSFUL", "resultDetail": {"light_state": 1}},
    }
    assert "notifyType" not in receiver.bodies[0]
    final = oc.platform.oceanconnect.command(body["commandId"])
    assert final["status"] == "SUCCESSFUL"
    assert final["result"] == {"resultCode": "SUCCESSFUL", "resultDetail": {"light_state": 1}}
    assert {"deliveredTime", "executeTime"} <= set(final)


def test_the_sent_callback_can_be_switched_off(receiver: Receiver) -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_push_sent_callback=False))
    oc.platform.oceanconnect.route_pushes("http://127.0.0.1:9999/", receiver)
    device_id, _dev = online(oc)
    oc.call("POST", CMDS, sdk_body(device_id, callbackUrl=CALLBACK))
    assert receiver.codes == ["DELIVERED", "SUCCESSFUL"]


def test_a_failing_device_ends_failed(oc: OcClient, receiver: Receiver) -> None:
    device_id, dev = online(oc)
    dev.on_command(lambda cmd: fail({"error": 7}))
    oc.call("POST", CMDS, sdk_body(device_id, callbackUrl=CALLBACK))
    assert receiver.codes == ["SENT", "DELIVERED", "FAILED"]
    assert receiver.bodies[-1]["result"]["resultDetail"] == {"error": 7}


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"command": {"serviceId": "S", "method": "M"}}, "no deviceId"),
        ({"deviceId": "d"}, "no command"),
        ({"deviceId": "d", "command": {"serviceId": "S"}}, "no method"),
        ({"deviceId": "d", "command": {"serviceId": "S", "method": "M"}, "maxRetransmit": 4}, ""),
        ({"deviceId": "d", "command": {"serviceId": "S", "method": "M"}, "expireTime": -1}, ""),
    ],
)
def test_invalid_input_is_100022(oc: OcClient, body: dict[str, Any], why: str) -> None:
    assert error_of(oc.call("POST", CMDS, body)) == expected(OcError.MODIFY_INPUT_INVALID)


def test_create_errors(platform: fakeiot.Platform, oc: OcClient) -> None:
    face = platform.oceanconnect
    # 200/100418: no such device in the application
    answer = oc.call("POST", CMDS, sdk_body("nope"))
    assert error_of(answer) == expected(OcError.COMMAND_DEVICE_NOT_FOUND)
    assert answer.status == 200
    # 200/100431: a serviceId the device's profile lacks (only with a profile)
    product = face.create_product(serviceCapabilities=[{"serviceId": "Switch"}])
    device_id = oc.register_ok("p-1", productId=product)
    answer = oc.call("POST", CMDS, sdk_body(device_id))
    assert error_of(answer) == expected(OcError.SERVICE_TYPE_NOT_EXIST)
    ok = oc.call("POST", CMDS, sdk_body(device_id, command={"serviceId": "Switch", "method": "M"}))
    assert ok.status == 201
    assert ok.json_body()["status"] == "PENDING"
    # 403/100217 through ?appId= (HTTP 200 with oceanconnect_http200_errors); 100203 has
    # only a 200 row in the table (spec A.2): always 200
    other = face.create_app()
    answer = oc.call("POST", f"{CMDS}?appId={other.app_id}", sdk_body(device_id))
    assert error_of(answer) == expected(OcError.APP_NOT_AUTHORIZED)
    answer = oc.call("POST", f"{CMDS}?appId=ghost", sdk_body(device_id))
    assert error_of(answer) == expected(OcError.APP_NOT_EXIST, 200)


def test_http200_errors_setting_answers_the_command_tables_200_rows() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_http200_errors=True))
    other = oc.platform.oceanconnect.create_app()
    answer = oc.call("POST", f"{CMDS}?appId={other.app_id}", sdk_body("x"))
    assert error_of(answer) == expected(OcError.APP_NOT_AUTHORIZED, 200)


def test_a_muted_device_refuses_commands_with_100432(oc: OcClient) -> None:
    device_id, dev = online(oc)
    device_url = f"/iocm/app/dm/v1.4.0/devices/{device_id}"
    assert oc.call("PUT", device_url, {"mute": "TRUE"}).status == 204
    answer = oc.call("POST", CMDS, sdk_body(device_id))
    assert error_of(answer) == (200, "100432", "The device command is muted.")
    signal = f"/iocm/app/signaltrans/v1.1.0/devices/{device_id}/services/S/sendCommand"
    assert error_of(oc.call("POST", signal, {"header": {"method": "M"}}))[:2] == (200, "100432")
    assert dev.commands == []
    assert oc.platform.oceanconnect.commands(device_id) == []
    assert oc.call("PUT", device_url, {"mute": "FALSE"}).status == 204
    assert oc.call("POST", CMDS, sdk_body(device_id)).status == 201


def test_the_21st_pending_command_is_100223(oc: OcClient) -> None:
    device_id = oc.register_ok()
    for _ in range(20):
        assert oc.call("POST", CMDS, sdk_body(device_id)).json_body()["status"] == "PENDING"
    answer = oc.call("POST", CMDS, sdk_body(device_id))
    assert error_of(answer) == expected(OcError.COMMAND_LIMIT)
    assert len(oc.platform.oceanconnect.commands(device_id)) == 20


def test_immediate_command_to_an_unreachable_device_can_be_refused() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_reject_offline_immediate=True))
    device_id = oc.register_ok()
    answer = oc.call("POST", CMDS, sdk_body(device_id, expireTime=0))
    assert error_of(answer) == expected(OcError.DEVICE_NOT_ONLINE)
    assert answer.status == 200
    assert oc.platform.oceanconnect.commands(device_id) == []


# =============================================================================================
# The status machine on the clock (spec A.3)
# =============================================================================================
@pytest.fixture
def frozen() -> Iterator[FrozenDateTimeFactory]:
    with freeze_time(START) as factory:
        assert isinstance(factory, FrozenDateTimeFactory)
        yield factory


@pytest.fixture
def clocked(frozen: FrozenDateTimeFactory) -> Iterator[OcClient]:
    client = OcClient(fakeiot.Platform(seed=0, token_ttl=10**8))
    client.platform.oceanconnect.route_pushes("http://127.0.0.1:9999/", Receiver())
    yield client
    client.platform.check_invariants()


def test_an_immediate_command_to_a_sleeping_device_is_resent_then_times_out(
    frozen: FrozenDateTimeFactory, clocked: OcClient
) -> None:
    face = clocked.platform.oceanconnect
    device_id, dev = online(clocked)
    dev.sleep()
    command_id = clocked.call("POST", CMDS, sdk_body(device_id, expireTime=0)).json_body()[
        "commandId"
    ]
    seen = []
    for seconds in (14, 1, 30, 60, 14, 1):  # at 14, 15, 45, 105, 119, 120
        frozen.tick(dt.timedelta(seconds=seconds))
        found = face.command(command_id)
        seen.append((found["status"], found["issuedTimes"]))
    assert seen == [
        ("SENT", 0),
        ("SENT", 1),
        ("SENT", 2),
        ("SENT", 3),
        ("SENT", 3),
        ("TIMEOUT", 3),
    ]
    assert face.command(command_id)["result"] == {"resultCode": "TIMEOUT", "resultDetail": None}
    assert dev.commands == []


def test_a_device_waking_inside_the_ack_window_gets_the_resend(
    frozen: FrozenDateTimeFactory, clocked: OcClient
) -> None:
    face = clocked.platform.oceanconnect
    device_id, dev = online(clocked)
    dev.sleep()
    body = sdk_body(device_id, expireTime=0, maxRetransmit=1)
    command_id = clocked.call("POST", CMDS, body).json_body()["commandId"]
    dev.asleep = False  # awake, but the platform only notices on its next resend
    frozen.tick(dt.timedelta(seconds=15))
    assert face.command(command_id)["status"] == "SUCCESSFUL"
    assert face.command(command_id)["issuedTimes"] == 1
    assert [c.command_id for c in dev.commands] == [command_id]


def test_pending_commands_expire_and_only_pending_ones_cancel(
    frozen: FrozenDateTimeFactory, clocked: OcClient
) -> None:
    face = clocked.platform.oceanconnect
    device_id = clocked.register_ok(timeout=0)
    first = clocked.call("POST", CMDS, sdk_body(device_id, expireTime=60)).json_body()
    second = clocked.call("POST", CMDS, sdk_body(device_id, expireTime=600)).json_body()
    assert first["status"] == second["status"] == "PENDING"
    frozen.tick(dt.timedelta(seconds=61))
    assert face.command(first["commandId"])["status"] == "EXPIRED"
    # an expired command cannot be cancelled: 200/100435
    answer = clocked.call("PUT", f"{CMDS}/{first['commandId']}", {"status": "CANCELED"})
    assert error_of(answer) == expected(OcError.COMMAND_NOT_CANCELABLE)
    answer = clocked.call("PUT", f"{CMDS}/{second['commandId']}", {"status": "CANCELED"})
    assert answer.status == 200
    assert answer.json_body()["status"] == "CANCELED"
    again = clocked.call("PUT", f"{CMDS}/{second['commandId']}", {"status": "CANCELED"})
    assert error_of(again) == expected(OcError.COMMAND_NOT_CANCELABLE)
    # 200/100434: an unknown command; 400/100022: any status but CANCELED
    assert error_of(clocked.call("PUT", f"{CMDS}/nope", {"status": "CANCELED"})) == expected(
        OcError.COMMAND_NOT_FOUND
    )
    answer = clocked.call("PUT", f"{CMDS}/{second['commandId']}", {"status": "SENT"})
    assert error_of(answer) == expected(OcError.MODIFY_INPUT_INVALID)
    frozen.tick(dt.timedelta(seconds=600))
    assert face.command(second["commandId"])["status"] == "CANCELED"


def test_late_and_missing_answers(frozen: FrozenDateTimeFactory, clocked: OcClient) -> None:
    face = clocked.platform.oceanconnect
    device_id, dev = online(clocked)
    replies = iter([later(30, {"v": 1}), NEVER, PENDING])
    dev.on_command(lambda cmd: next(replies))
    slow, silent, held = (
        clocked.call("POST", CMDS, sdk_body(device_id)).json_body()["commandId"] for _ in range(3)
    )
    assert {face.command(c)["status"] for c in (slow, silent, held)} == {"DELIVERED"}
    frozen.tick(dt.timedelta(seconds=30))
    assert face.command(slow)["result"] == {"resultCode": "SUCCESSFUL", "resultDetail": {"v": 1}}
    dev.respond(held, {"done": True})
    assert face.command(held)["status"] == "SUCCESSFUL"
    with pytest.raises(LookupError):
        dev.respond(held, {"again": True})
    frozen.tick(dt.timedelta(seconds=150))
    assert face.command(silent)["status"] == "TIMEOUT"


def test_a_report_releases_pending_commands_to_a_sleeping_device_in_order() -> None:
    with time_machine.travel(dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)) as trip:
        oc = OcClient(fakeiot.Platform(seed=0, token_ttl=10**8))
        face = oc.platform.oceanconnect
        device_id, dev = online(oc, connection="short")
        dev.sleep()
        ids = [
            oc.call(
                "POST", CMDS, sdk_body(device_id, command={"serviceId": "S", "method": m})
            ).json_body()["commandId"]
            for m in ("A", "B")
        ]
        trip.shift(dt.timedelta(hours=1))
        assert [face.command(i)["status"] for i in ids] == ["PENDING", "PENDING"]
        assert dev.commands == []
        dev.report("S", {"v": 1})
        assert [c.command_name for c in dev.commands] == ["A", "B"]
        assert [face.command(i)["status"] for i in ids] == ["SUCCESSFUL", "SUCCESSFUL"]
        assert dev.asleep


def test_a_zombie_device_refuses_commands(frozen: FrozenDateTimeFactory, clocked: OcClient) -> None:
    device_id, dev = online(clocked)
    dev.disconnect()
    frozen.tick(dt.timedelta(days=7, seconds=1))
    answer = clocked.call("POST", CMDS, sdk_body(device_id))
    assert error_of(answer) == expected(OcError.DEVICE_ZOMBIE)


def test_the_machine_is_data() -> None:
    markdown = COMMAND.markdown()
    assert "| `cancel` | PENDING | CANCELED |" in markdown
    with pytest.raises(fakeiot.InvariantError):
        COMMAND.step(CommandStatus.SENT, "cancel")


# =============================================================================================
# Query, cancel tasks (spec A.4, A.6)
# =============================================================================================
def test_query_with_the_sdk_url_pages_newest_first(oc: OcClient) -> None:
    device_id = oc.register_ok()
    made = [oc.call("POST", CMDS, sdk_body(device_id)).json_body()["commandId"] for _ in range(3)]
    # the SDK builds "...deviceCommands?" + "&deviceId=..&pageSize=2" with string values
    answer = oc.call("GET", f"{CMDS}?&deviceId={device_id}&pageSize=2")
    assert answer.status == 200
    body = answer.json_body()
    assert body["pagination"] == {"pageNo": 0, "pageSize": 2, "totalSize": 3}
    assert [c["commandId"] for c in body["data"]] == made[::-1][:2]
    second = oc.call("GET", f"{CMDS}?&deviceId={device_id}&pageNo=1&pageSize=2").json_body()
    assert [c["commandId"] for c in second["data"]] == made[:1]
    window = oc.call("GET", f"{CMDS}?startTime=20000101T000000Z&endTime=20000102T000000Z")
    assert window.json_body()["data"] == []
    assert error_of(oc.call("GET", f"{CMDS}?&deviceId=nope")) == expected(
        OcError.COMMAND_DEVICE_NOT_FOUND
    )
    assert error_of(oc.call("GET", f"{CMDS}?pageSize=0")) == expected(OcError.MODIFY_INPUT_INVALID)
    assert error_of(oc.call("GET", f"{CMDS}?startTime=yesterday")) == expected(
        OcError.MODIFY_INPUT_INVALID
    )


def test_a_cancel_task_cancels_every_pending_command(oc: OcClient) -> None:
    device_id, dev = online(oc)
    done = oc.call("POST", CMDS, sdk_body(device_id)).json_body()["commandId"]
    dev.sleep()
    pending = [oc.call("POST", CMDS, sdk_body(device_id)).json_body()["commandId"] for _ in "ab"]
    # the SDK sends {"appId": null, "deviceId": ...}
    answer = oc.call("POST", CANCEL_TASKS, {"appId": None, "deviceId": device_id})
    assert answer.status == 201
    task = answer.json_body()
    assert (task["status"], task["totalCount"], task["deviceId"]) == ("SUCCESS", 2, device_id)
    assert [c["commandId"] for c in task["deviceCommands"]] == pending
    assert {c["status"] for c in task["deviceCommands"]} == {"CANCELED"}
    assert oc.platform.oceanconnect.command(done)["status"] == "SUCCESSFUL"
    listed = oc.call("GET", f"{CANCEL_TASKS}?&pageNo=0&pageSize=10&deviceId={device_id}")
    assert listed.json_body()["pagination"]["totalSize"] == 1
    assert listed.json_body()["data"][0]["taskId"] == task["taskId"]
    by_id = oc.call("GET", f"{CANCEL_TASKS}?taskId=other").json_body()
    assert by_id["data"] == []
    assert error_of(oc.call("POST", CANCEL_TASKS, {"deviceId": "nope"})) == expected(
        OcError.COMMAND_DEVICE_NOT_FOUND
    )
    assert error_of(oc.call("POST", CANCEL_TASKS, {"appId": None})) == expected(
        OcError.MODIFY_INPUT_INVALID
    )
    assert error_of(oc.call("GET", f"{CANCEL_TASKS}?pageSize=1001")) == expected(
        OcError.MODIFY_INPUT_INVALID
    )


# =============================================================================================
# signaltrans (spec A.8)
# =============================================================================================
def test_signaltrans_reaches_the_device_and_pushes_confirm_then_response(
    platform: fakeiot.Platform, oc: OcClient, receiver: Receiver
) -> None:
    device_id, dev = online(oc)
    dev.on_command(lambda cmd: {"state": "on"})
    for notify_type in ("messageConfirm", "commandRsp"):
        sub = {"notifyType": notify_type, "callbackUrl": "http://127.0.0.1:9999/sub"}
        assert oc.call("POST", "/iocm/app/sub/v1.2.0/subscriptions", sub).status == 201
    url = f"/iocm/app/signaltrans/v1.1.0/devices/{device_id}/services/Switch/sendCommand"
    # the SDK's own test body
    answer = oc.call("POST", url, {"body": None, "header": {"mode": "ACK", "method": "DISCOVERY"}})
    assert answer.status == 200
    body = answer.json_body()
    assert body["status"] == "sent"
    assert set(body) == {"status", "timestamp", "requestId"}
    assert [(c.service_id, c.command_name) for c in dev.commands] == [("Switch", "DISCOVERY")]
    kinds = [b.get("notifyType") for b in receiver.bodies]
    assert kinds == ["messageConfirm"] * 3 + ["commandRsp"]
    statuses = [b["header"]["status"] for b in receiver.bodies[:3]]
    assert statuses == ["sent", "delivered", "executed"]
    assert receiver.bodies[3]["body"] == {"state": "on"}
    assert receiver.bodies[3]["header"]["requestId"] == body["requestId"]
    dev.sleep()
    assert error_of(oc.call("POST", url, {"header": {"method": "X"}})) == expected(
        OcError.DEVICE_NOT_ONLINE
    )
    assert error_of(oc.call("POST", url, {"header": {}})) == expected(OcError.MODIFY_INPUT_INVALID)


SIGNAL = "/iocm/app/signaltrans/v1.1.0/devices/{}/services/Switch/sendCommand"


def test_a_late_signaltrans_answer_is_pushed_when_the_clock_passes_it(
    frozen: FrozenDateTimeFactory, clocked: OcClient
) -> None:
    receiver = Receiver()
    clocked.platform.oceanconnect.route_pushes("http://127.0.0.1:9998/", receiver)
    for notify_type in ("messageConfirm", "commandRsp"):
        sub = {"notifyType": notify_type, "callbackUrl": "http://127.0.0.1:9998/sub"}
        assert clocked.call("POST", "/iocm/app/sub/v1.2.0/subscriptions", sub).status == 201
    device_id, dev = online(clocked)
    dev.on_command(lambda cmd: later(30, {"state": "on"}))
    answer = clocked.call("POST", SIGNAL.format(device_id), {"header": {"method": "SET"}})
    request_id = answer.json_body()["requestId"]
    assert [b["header"].get("status") for b in receiver.bodies] == ["sent", "delivered"]
    frozen.tick(dt.timedelta(seconds=29))
    clocked.platform.oceanconnect.device(device_id)  # any call applies what fell due
    assert len(receiver.bodies) == 2
    frozen.tick(dt.timedelta(seconds=1))
    clocked.platform.oceanconnect.device(device_id)
    assert [b["notifyType"] for b in receiver.bodies[2:]] == ["messageConfirm", "commandRsp"]
    assert receiver.bodies[2]["header"]["status"] == "executed"
    assert receiver.bodies[3]["header"]["requestId"] == request_id
    assert receiver.bodies[3]["body"] == {"state": "on"}


def test_a_pending_signaltrans_answer_comes_at_respond(oc: OcClient, receiver: Receiver) -> None:
    sub = {"notifyType": "commandRsp", "callbackUrl": "http://127.0.0.1:9999/sub"}
    assert oc.call("POST", "/iocm/app/sub/v1.2.0/subscriptions", sub).status == 201
    device_id, dev = online(oc)
    dev.on_command(lambda cmd: PENDING)
    header = {"method": "SET", "requestId": "req-1"}
    answer = oc.call("POST", SIGNAL.format(device_id), {"header": header, "body": {"v": 1}})
    assert answer.json_body()["requestId"] == "req-1"
    assert receiver.bodies == []
    dev.respond("req-1", {"done": True})
    assert receiver.bodies[0]["body"] == {"done": True}
    assert receiver.bodies[0]["header"]["requestId"] == "req-1"
    with pytest.raises(LookupError):
        dev.respond("req-1", {"again": True})


def test_signaltrans_header_callback_url_and_noack_mode(oc: OcClient, receiver: Receiver) -> None:
    """``header.callbackURL`` receives the command's notifications without a subscription;
    ``mode: NOACK`` asks for no ``messageConfirm`` (only the ``commandRsp``)."""
    device_id, _dev = online(oc)
    header = {"method": "SET", "mode": "ACK", "callbackURL": "http://127.0.0.1:9999/own"}
    oc.call("POST", SIGNAL.format(device_id), {"header": header})
    assert [b["notifyType"] for b in receiver.bodies] == ["messageConfirm"] * 3 + ["commandRsp"]
    pushes = oc.platform.oceanconnect.pushes
    assert {p.url for p in pushes} == {"http://127.0.0.1:9999/own"}
    receiver.bodies.clear()
    oc.call("POST", SIGNAL.format(device_id), {"header": {**header, "mode": "NOACK"}})
    assert [b["notifyType"] for b in receiver.bodies] == ["commandRsp"]


def test_a_waiting_signal_survives_export_and_import() -> None:
    clock = fakeiot.ManualClock()
    oc = OcClient(fakeiot.Platform(seed=0, clock=clock, token_ttl=10**8))
    device_id, dev = online(oc)
    dev.on_command(lambda cmd: later(30, {"v": 2}))
    header = {"method": "SET", "callbackURL": "http://127.0.0.1:9999/own"}
    oc.call("POST", SIGNAL.format(device_id), {"header": header})
    fresh = fakeiot.Platform(seed=1, clock=clock)
    receiver = Receiver()
    fresh.oceanconnect.route_pushes("http://127.0.0.1:9999/", receiver)
    fresh.oceanconnect.import_state(oc.platform.oceanconnect.export_state())
    clock.advance(30)
    fresh.oceanconnect.device(device_id)
    assert [b["notifyType"] for b in receiver.bodies] == ["messageConfirm", "commandRsp"]
    assert receiver.bodies[1]["body"] == {"v": 2}


# =============================================================================================
# A device that holds its ACK (spec E ``ack``; A.3: the next PENDING only after the ACK)
# =============================================================================================
def test_a_held_ack_keeps_the_command_sent_and_the_next_one_pending(
    oc: OcClient, receiver: Receiver
) -> None:
    face = oc.platform.oceanconnect
    device_id, dev = online(oc, manual_ack=True)
    dev.on_command(lambda cmd: {"n": cmd.command_name})
    first, second = (
        oc.call(
            "POST",
            CMDS,
            sdk_body(device_id, command={"serviceId": "S", "method": m}, callbackUrl=CALLBACK),
        ).json_body()
        for m in ("A", "B")
    )
    assert (first["status"], second["status"]) == ("SENT", "PENDING")
    assert [c.command_name for c in dev.commands] == ["A"]
    assert face.command(first["commandId"])["status"] == "SENT"
    assert receiver.codes == ["SENT"]
    dev.ack(first["commandId"])
    assert face.command(first["commandId"])["result"]["resultDetail"] == {"n": "A"}
    # the ACK released the next command, which the device holds in its turn
    assert face.command(second["commandId"])["status"] == "SENT"
    assert [c.command_name for c in dev.commands] == ["A", "B"]
    assert receiver.codes == ["SENT", "DELIVERED", "SUCCESSFUL", "SENT"]
    dev.ack(second["commandId"])
    assert face.command(second["commandId"])["status"] == "SUCCESSFUL"
    with pytest.raises(LookupError, match="not waiting"):
        dev.ack(second["commandId"])
    with pytest.raises(LookupError, match="not waiting"):
        dev.ack("no-such-command")


def test_a_device_cannot_ack_a_command_it_has_not_received(oc: OcClient) -> None:
    """An immediate command to a sleeping device is SENT (and resent) but not handed over:
    the device has nothing to acknowledge, and the refused ACK changes nothing."""
    face = oc.platform.oceanconnect
    device_id, dev = online(oc, manual_ack=True)
    dev.sleep()
    command_id = oc.call("POST", CMDS, sdk_body(device_id, expireTime=0)).json_body()["commandId"]
    with pytest.raises(LookupError, match="has not received"):
        dev.ack(command_id)
    assert face.command(command_id)["status"] == "SENT"
    assert dev.commands == []


def test_a_held_ack_is_resent_then_times_out(
    frozen: FrozenDateTimeFactory, clocked: OcClient
) -> None:
    face = clocked.platform.oceanconnect
    device_id, dev = online(clocked, manual_ack=True)
    command_id = clocked.call("POST", CMDS, sdk_body(device_id)).json_body()["commandId"]
    frozen.tick(dt.timedelta(seconds=106))
    found = face.command(command_id)
    assert (found["status"], found["issuedTimes"]) == ("SENT", 3)
    assert len(dev.commands) == 1  # the retransmissions reach it; it holds one command
    frozen.tick(dt.timedelta(seconds=14))
    assert face.command(command_id)["status"] == "TIMEOUT"
    with pytest.raises(LookupError):
        dev.ack(command_id)


# =============================================================================================
# The state store and the dashboard
# =============================================================================================
def test_commands_survive_export_and_import_with_their_timers() -> None:
    clock = fakeiot.ManualClock()
    oc = OcClient(fakeiot.Platform(seed=0, clock=clock, token_ttl=10**8))
    face = oc.platform.oceanconnect
    device_id, dev = online(oc)
    dev.disconnect()
    sent = oc.call("POST", CMDS, sdk_body(device_id, expireTime=0)).json_body()["commandId"]
    cached = oc.call("POST", CMDS, sdk_body(device_id, expireTime=50)).json_body()["commandId"]
    saved = face.export_state()
    fresh = fakeiot.Platform(seed=1, clock=clock)
    fresh.oceanconnect.import_state(saved)
    assert fresh.oceanconnect.commands(device_id) == face.commands(device_id)
    clock.advance(200)
    # the timers came back: the unacknowledged command timed out, the cached one expired
    assert fresh.oceanconnect.command(sent)["status"] == "TIMEOUT"
    assert fresh.oceanconnect.command(sent)["issuedTimes"] == 3
    assert fresh.oceanconnect.command(cached)["status"] == "EXPIRED"
    tables = {t["id"]: t for t in fresh.oceanconnect.overview()["tables"]}
    rows = tables["commands"]["rows"]
    assert [r["status"] for r in rows] == ["EXPIRED", "TIMEOUT"]


def test_resends_timeout_and_expiry_under_time_machine() -> None:
    with time_machine.travel(dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)) as trip:
        oc = OcClient(fakeiot.Platform(seed=0, token_ttl=10**8))
        face = oc.platform.oceanconnect
        device_id, dev = online(oc)
        dev.sleep()
        now = oc.call("POST", CMDS, sdk_body(device_id, expireTime=0)).json_body()["commandId"]
        cached = oc.call("POST", CMDS, sdk_body(device_id, expireTime=90)).json_body()
        assert cached["status"] == "PENDING"
        trip.shift(dt.timedelta(seconds=46))
        assert (face.command(now)["status"], face.command(now)["issuedTimes"]) == ("SENT", 2)
        trip.shift(dt.timedelta(seconds=45))
        assert face.command(cached["commandId"])["status"] == "EXPIRED"
        trip.shift(dt.timedelta(seconds=30))
        assert face.command(now)["status"] == "TIMEOUT"
        answer = oc.call("PUT", f"{CMDS}/{now}", {"status": "CANCELED"})
        assert error_of(answer) == expected(OcError.COMMAND_NOT_CANCELABLE)


def test_a_pending_command_cancels_under_time_machine() -> None:
    with time_machine.travel(dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)) as trip:
        oc = OcClient(fakeiot.Platform(seed=0, token_ttl=10**8))
        face = oc.platform.oceanconnect
        device_id = oc.register_ok(timeout=0)  # a registration that never expires
        cached = oc.call("POST", CMDS, sdk_body(device_id, expireTime=600)).json_body()
        trip.shift(dt.timedelta(seconds=300))
        answer = oc.call("PUT", f"{CMDS}/{cached['commandId']}", {"status": "CANCELED"})
        assert answer.status == 200
        assert answer.json_body()["status"] == "CANCELED"
        assert answer.json_body()["commandId"] == cached["commandId"]
        trip.shift(dt.timedelta(seconds=600))
        assert face.command(cached["commandId"])["status"] == "CANCELED"


def test_the_full_resend_schedule_under_time_machine() -> None:
    """Resent at 15, 45 and 105 s after the first send, TIMEOUT at 120 s (spec A.3)."""
    with time_machine.travel(dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)) as trip:
        oc = OcClient(fakeiot.Platform(seed=0, token_ttl=10**8))
        face = oc.platform.oceanconnect
        device_id, dev = online(oc)
        dev.sleep()
        sent = oc.call("POST", CMDS, sdk_body(device_id, expireTime=0)).json_body()
        command_id = sent["commandId"]
        seen = []
        elapsed = 0.0
        for at in (14.9, 15, 44.9, 45, 104.9, 105, 119.9, 120):
            trip.shift(dt.timedelta(seconds=at - elapsed))
            elapsed = at
            found = face.command(command_id)
            seen.append((at, found["status"], found["issuedTimes"]))
        assert seen == [
            (14.9, "SENT", 0),
            (15, "SENT", 1),
            (44.9, "SENT", 1),
            (45, "SENT", 2),
            (104.9, "SENT", 2),
            (105, "SENT", 3),
            (119.9, "SENT", 3),
            (120, "TIMEOUT", 3),
        ]
        assert face.command(command_id)["platformIssuedTime"] != sent["platformIssuedTime"]


def test_a_timeout_is_called_back_but_not_expiry_cancel_or_resends(
    frozen: FrozenDateTimeFactory, clocked: OcClient
) -> None:
    receiver = Receiver()
    clocked.platform.oceanconnect.route_pushes("http://127.0.0.1:9997/", receiver)
    url = "http://127.0.0.1:9997/cmd"
    device_id, dev = online(clocked)
    dev.sleep()
    timed_out = clocked.call(
        "POST", CMDS, sdk_body(device_id, expireTime=0, callbackUrl=url)
    ).json_body()["commandId"]
    expiring = clocked.call("POST", CMDS, sdk_body(device_id, expireTime=60, callbackUrl=url))
    cancelled = clocked.call("POST", CMDS, sdk_body(device_id, expireTime=600, callbackUrl=url))
    assert expiring.json_body()["status"] == cancelled.json_body()["status"] == "PENDING"
    cancel_id = cancelled.json_body()["commandId"]
    answer = clocked.call("PUT", f"{CMDS}/{cancel_id}", {"status": "CANCELED"})
    assert answer.json_body()["status"] == "CANCELED"
    frozen.tick(dt.timedelta(seconds=121))
    face = clocked.platform.oceanconnect
    assert face.command(timed_out)["status"] == "TIMEOUT"
    assert face.command(expiring.json_body()["commandId"])["status"] == "EXPIRED"
    # SENT once (not again at each of the three resends), then TIMEOUT; nothing else
    assert [(b["commandId"], b["result"]["resultCode"]) for b in receiver.bodies] == [
        (timed_out, "SENT"),
        (timed_out, "TIMEOUT"),
    ]
    assert receiver.bodies[-1]["result"]["resultDetail"] is None


def test_the_create_status_setting() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_command_create_status=200))
    device_id = oc.register_ok()
    answer = oc.call("POST", CMDS, sdk_body(device_id))
    assert answer.status == 200
    assert answer.json_body()["status"] == "PENDING"
    assert answer.route == "oceanconnect.create_device_command"


@pytest.mark.parametrize(
    ("route", "error"),
    [
        ("oceanconnect.query_command_cancel_tasks", OcError.CONGESTION),
        ("oceanconnect.create_device_command", OcError.IOTWS_ADDRESS_FAILED),
        ("oceanconnect.query_device_commands", OcError.APP_KEY_HEADER_FAILED),
    ],
)
def test_the_server_side_rows_come_through_faults(
    platform: fakeiot.Platform, oc: OcClient, route: str, error: OcError
) -> None:
    device_id = oc.register_ok()
    platform.faults.inject(route, error=error)
    method, url = {
        "oceanconnect.query_command_cancel_tasks": ("GET", CANCEL_TASKS),
        "oceanconnect.create_device_command": ("POST", CMDS),
        "oceanconnect.query_device_commands": ("GET", CMDS),
    }[route]
    body = sdk_body(device_id) if method == "POST" else None
    assert error_of(oc.call(method, url, body)) == expected(error)
    assert platform.oceanconnect.commands(device_id) == []
