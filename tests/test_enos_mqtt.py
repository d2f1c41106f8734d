"""The EnOS device protocol over MQTT (spec device-traffic B.3-B.6), without a broker: a fake
:class:`fakeiot._link.Link` records what the platform publishes, and the test sends what
``enos-mqtt-sdk-python`` 0.1.1 sends, byte for byte. The shapes below come from the SDK's
source (wheel ``enos_mqtt_sdk_python-0.1.1-py3-none-any.whl``):

- client id ``Profile.get_client_id``: ``{deviceKey}|securemode=2,signmethod=hmacsha256,
  timestamp={str(time.time() * 1000)}|``; username ``Profile.get_mqtt_username``:
  ``{deviceKey}&{productKey}``; password ``Profile.get_mqtt_password`` + ``SignUtil.sign``;
- requests ``AnswerableMessageBody.encode`` (``json.dumps`` of id, version, method, params);
  replies ``AckMessageBody.encode`` (id, code, data, message); topics
  ``DeliveryTopicFormat``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import freezegun
import pytest

import fakeiot
from fakeiot._enos._mqtt import EnosSession, sign
from fakeiot._link import Refused
from tests.enos import EnosClient
from tests.mqttdevice import real_time, wait_for

COMMANDS = "/connect-service/v2.1/commands"
MEASUREPOINTS = "/connect-service/v2.1/measurepoints"
#: the SDK's Profile timestamp: a float string, reused verbatim in the password
STAMP = "1717000000123.4567"


def sdk_password(secret: str, product_key: str, device_key: str, client: str, stamp: str) -> str:
    """``SignUtil.sign(secret, {productKey, deviceKey, clientId, timestamp}, "hmacsha256")``:
    sorted ``key + value`` pairs, the secret appended, a plain sha256 (not an HMAC)."""
    params = {
        "productKey": product_key,
        "deviceKey": device_key,
        "clientId": client,
        "timestamp": stamp,
    }
    text = "".join(k + params[k] for k in sorted(params)) + secret
    return hashlib.sha256(text.encode("utf8")).hexdigest()


def request(message_id: str, method: str, params: Any) -> bytes:
    """A request as ``AnswerableMessageBody.encode`` writes it."""
    return json.dumps(
        {"id": message_id, "version": "1.0", "method": method, "params": params}
    ).encode()


def reply(message_id: str, code: Any, data: Any, message: str = "") -> bytes:
    """A reply as ``AckMessageBody.encode`` writes it."""
    return json.dumps({"id": message_id, "code": code, "data": data, "message": message}).encode()


class FakeLink:
    """A connection as the MQTT front would hold it: records publishes; ``on_publish`` plays
    the device (called on the publishing thread, like a broker delivering at once)."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.sent: list[tuple[str, bytes]] = []
        self.closed = False
        self.on_publish: Callable[[str, bytes], None] | None = None

    def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
        self.sent.append((topic, payload))
        if self.on_publish is not None:
            self.on_publish(topic, payload)

    def close(self) -> None:
        self.closed = True

    def last(self) -> tuple[str, dict[str, Any]]:
        topic, payload = self.sent[-1]
        return topic, json.loads(payload)


@pytest.fixture
def platform() -> Iterator[fakeiot.Platform]:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock(1_700_000_000))
    yield platform
    platform.check_invariants()


@pytest.fixture
def en(platform: fakeiot.Platform) -> EnosClient:
    return EnosClient(platform)


@pytest.fixture
def device(en: EnosClient) -> dict[str, str]:
    return en.create_device(en.create_product(), deviceKey="meter-001")


def connect(
    platform: fakeiot.Platform, device: dict[str, str], *, secret: str | None = None
) -> tuple[EnosSession, FakeLink]:
    pk, dk = device["productKey"], device["deviceKey"]
    client_id = f"{dk}|securemode=2,signmethod=hmacsha256,timestamp={STAMP}|"
    password = sdk_password(secret or device["deviceSecret"], pk, dk, dk, STAMP)
    link = FakeLink(client_id)
    protocol = platform.enos.device_protocol()
    assert protocol.claims(client_id, f"{dk}&{pk}")
    session = protocol.connect(client_id, f"{dk}&{pk}", password.encode(), link)
    assert isinstance(session, EnosSession)
    return session, link


def sub_sign(sub: dict[str, str], client: str, stamp: str) -> dict[str, str]:
    """A sub-device's ``SubDeviceInfo.create_sign_map()`` (topo add) fields."""
    pk, dk = sub["productKey"], sub["deviceKey"]
    return {
        "productKey": pk,
        "deviceKey": dk,
        "clientId": client,
        "timestamp": stamp,
        "signMethod": "hmacsha256",
        "sign": sdk_password(sub["deviceSecret"], pk, dk, client, stamp),
    }


def send(
    platform: fakeiot.Platform, session: EnosSession, link: FakeLink, topic: str, params: Any,
    **top: Any,
) -> dict[str, Any]:  # fmt: skip
    """Publish a request (``top`` adds fields beside ``params``); the platform's reply."""
    method = ".".join(topic.split("/")[4:])
    body = {"id": "42", "version": "1.0", "method": method, "params": params, **top}
    platform.enos.device_protocol().receive(session, topic, json.dumps(body).encode())
    answer_topic, answer = link.last()
    assert answer_topic == topic + "_reply"
    return answer


def topo_add(
    platform: fakeiot.Platform, session: EnosSession, link: FakeLink, *subs: dict[str, str]
) -> None:
    """``TopoAddRequest`` from the gateway: its topology holds ``subs``."""
    topic = f"/sys/{session.product_key}/{session.device_key}/thing/topo/add"
    params = [sub_sign(sub, f"{sub['productKey']}.{sub['deviceKey']}.1", "1") for sub in subs]
    assert send(platform, session, link, topic, params)["code"] == 200


# =============================================================================================
# CONNECT
# =============================================================================================
def test_sign_matches_the_sdk_test_vectors() -> None:
    """Vectors computed with the SDK's own ``SignUtil.sign`` (sha1 is upper-case hex)."""
    params = {"productKey": "pk1", "deviceKey": "dk1", "clientId": "dk1", "timestamp": STAMP}
    assert sign("s3cr3t", params) == (
        "ae1e293d2d36747968ad71799605df51ca72f8ad2be039741fa492f36272b0d5"
    )
    assert sign("s3cr3t", params, "hmacsha1") == "FE10611826C1FFC503FCDBC12E5B206AAE19B814"


def test_connect_activates_and_disconnect_goes_offline(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    session, _link = connect(platform, device)
    got = en.get_device(device["assetId"])
    assert (got["status"], got["activeTime"]) == ("online", 1_700_000_000_000)
    platform.enos.device_protocol().disconnect(session, "keepalive")
    assert en.get_device(device["assetId"])["status"] == "offline"


def test_refusals_carry_the_connack_code(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    protocol = platform.enos.device_protocol()
    pk, dk = device["productKey"], device["deviceKey"]
    good = f"{dk}|securemode=2,signmethod=hmacsha256,timestamp={STAMP}|"
    assert not protocol.claims("dev_0_0_2024010100", dk)  # an IoTDA client id

    def refused(client_id: str, username: str, password: str) -> Refused:
        with pytest.raises(Refused) as caught:
            protocol.connect(client_id, username, password.encode(), FakeLink(client_id))
        return caught.value

    wrong = sdk_password("not-the-secret", pk, dk, dk, STAMP)
    assert refused(good, f"{dk}&{pk}", wrong).code == 4
    right = sdk_password(device["deviceSecret"], pk, dk, dk, STAMP)
    assert refused(f"{dk}|securemode=2|", f"{dk}&{pk}", right).code == 2  # no timestamp
    assert refused(good, f"nobody&{pk}", right).code == 4
    en.devices("disable", assetId=device["assetId"])
    assert refused(good, f"{dk}&{pk}", right).code == 5
    platform.enos.configure({"enos_mqtt_disabled_connack": 4})
    assert refused(good, f"{dk}&{pk}", right).code == 4
    assert en.get_device(device["assetId"])["status"] == "disable"


def test_a_second_connection_takes_over_and_disable_drops_it(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    first, first_link = connect(platform, device)
    _second, second_link = connect(platform, device)
    assert first_link.closed
    assert not second_link.closed
    platform.enos.device_protocol().disconnect(first, "server")  # the old one ends: no change
    assert en.get_device(device["assetId"])["status"] == "online"
    en.devices("disable", assetId=device["assetId"])
    assert second_link.closed


# =============================================================================================
# uplinks
# =============================================================================================
def test_measurepoint_post_is_stored_and_answered(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    session, link = connect(platform, device)
    pk, dk = device["productKey"], device["deviceKey"]
    topic = f"/sys/{pk}/{dk}/thing/measurepoint/post"
    params = {"measurepoints": {"temp": 21.5}, "time": 1717000000123}
    platform.enos.device_protocol().receive(
        session, topic, request("7", "thing.measurepoint.post", params)
    )
    assert link.sent[-1] == (
        topic + "_reply",
        b'{"id": "7", "code": 200, "data": {}, "message": ""}',
    )
    latest = en.call(MEASUREPOINTS, "queryLatest", {}, assetId=device["assetId"])
    assert latest["data"] == [{"id": "temp", "time": "1717000000123", "value": 21.5}]


def test_bad_uplinks_get_error_replies_and_change_nothing(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    other = en.create_device(device["productKey"], deviceKey="meter-002")
    session, link = connect(platform, device)
    protocol = platform.enos.device_protocol()
    pk, dk = device["productKey"], device["deviceKey"]
    post = f"/sys/{pk}/{dk}/thing/measurepoint/post"
    before = json.dumps(platform.enos.export_state(), sort_keys=True)
    protocol.receive(session, post, b"{not json")
    assert link.last() == (
        post + "_reply",
        {"id": "", "code": 6207, "data": {}, "message": link.last()[1]["message"]},
    )
    protocol.receive(session, post, request("8", "thing.measurepoint.post", {"time": 1}))
    assert link.last()[1]["code"] == 460
    assert link.last()[1]["id"] == "8"
    foreign = f"/sys/{pk}/{other['deviceKey']}/thing/measurepoint/post"
    params = {"measurepoints": {"temp": 1}}
    protocol.receive(session, foreign, request("9", "thing.measurepoint.post", params))
    assert link.last() == (
        foreign + "_reply",
        {"id": "9", "code": 401, "data": {}, "message": link.last()[1]["message"]},
    )
    protocol.receive(
        session,
        f"/sys/{pk}/{dk}/thing/tag/update",
        request("10", "thing.tag.update", [{"tagKey": "bad key!", "tagValue": "x"}]),
    )
    assert link.last()[1]["code"] == 460
    assert json.dumps(platform.enos.export_state(), sort_keys=True) == before


def test_attributes_and_tags_from_the_device(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    session, link = connect(platform, device)
    protocol = platform.enos.device_protocol()
    base = f"/sys/{device['productKey']}/{device['deviceKey']}/thing/"

    def send(suffix: str, method: str, params: Any) -> dict[str, Any]:
        protocol.receive(session, base + suffix, request("1", method, params))
        topic, answer = link.last()
        assert topic == base + suffix + "_reply"
        assert answer["code"] == 200, answer
        data: dict[str, Any] = answer["data"]
        return data

    send("attribute/update", "thing.attribute.update", {"attributes": {"site": "north", "n": 2}})
    assert send("attribute/query", "thing.attribute.query", {"attributes": ["site"]}) == {
        "site": "north"
    }
    send("attribute/delete", "thing.attribute.delete", {"attributes": ["n"]})
    send("tag/update", "thing.tag.update", [{"tagKey": "floor", "tagValue": "3"}])
    assert send("tag/query", "thing.tag.query", {"tags": []}) == {"floor": "3"}
    got = en.get_device(device["assetId"])
    assert (got["deviceAttributes"], got["deviceTags"]) == ({"site": "north"}, {"floor": "3"})
    assert got["attributeLastUpdate"] == 1_700_000_000_000
    send("tag/delete", "thing.tag.delete", {"tags": ["floor"]})
    assert en.get_device(device["assetId"])["deviceTags"] == {}


def test_sub_device_login_on_a_gateway(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    sub = en.create_device(device["productKey"], deviceKey="sub-001")
    session, link = connect(platform, device)
    protocol = platform.enos.device_protocol()
    pk, dk = device["productKey"], device["deviceKey"]
    client, stamp = f"{pk}sub-0011717000000123", "1717000000123"
    params = {  # SubDeviceLoginInfo.get_params(), cleanSession the string "False"
        "productKey": pk,
        "deviceKey": "sub-001",
        "clientId": client,
        "timestamp": stamp,
        "sign": sdk_password(sub["deviceSecret"], pk, "sub-001", client, stamp),
        "secureMode": "2",
        "signMethod": "hmacsha256",
        "cleanSession": "False",
    }
    login = f"/ext/session/{pk}/{dk}/combine/login"
    topo_add(platform, session, link, sub)
    protocol.receive(session, login, request("5", "combine.login", params))
    topic, answer = link.last()
    assert (topic, answer["code"], answer["data"]["deviceKey"]) == (
        login + "_reply",
        200,
        "sub-001",
    )
    assert en.get_device(sub["assetId"])["status"] == "online"
    post = f"/sys/{pk}/sub-001/thing/measurepoint/post"
    protocol.receive(
        session, post, request("6", "thing.measurepoint.post", {"measurepoints": {"v": 1}})
    )
    assert link.last()[1]["code"] == 200
    assert platform.enos.latest(sub["assetId"]) == {"v": 1}
    # a command to the sub-device goes to the gateway's connection, on the sub-device's topics
    command_id = en.call(
        COMMANDS, "invokeService", {"inputData": {}},
        assetId=sub["assetId"], serviceId="reboot", pendingTtl="60",
    )["data"]["commandId"]  # fmt: skip
    topic, sent = link.last()
    assert (topic, sent["id"]) == (f"/sys/{pk}/sub-001/thing/service/reboot", command_id)
    protocol.receive(session, topic + "_reply", reply(command_id, 200, {}))
    assert platform.enos.commands(sub["assetId"])[0]["state"] == 5
    protocol.disconnect(session, "client")
    assert en.get_device(sub["assetId"])["status"] == "offline"


# =============================================================================================
# downlinks
# =============================================================================================
def test_cached_commands_go_out_at_connect_and_replies_complete_them(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    pk, dk, asset = device["productKey"], device["deviceKey"], device["assetId"]
    first = en.call(
        COMMANDS, "invokeService", {"inputData": {"left": 3, "right": 4}},
        assetId=asset, serviceId="multiply", pendingTtl="600",
    )["data"]["commandId"]  # fmt: skip
    second = en.call(
        COMMANDS, "setMeasurepoint", {"value": 30.5},
        assetId=asset, measurepointId="temperature", pendingTtl="600",
    )["data"]["commandId"]  # fmt: skip
    session, link = connect(platform, device)
    assert link.sent == [
        (
            f"/sys/{pk}/{dk}/thing/service/multiply",
            json.dumps(
                {"id": first, "version": "1.0", "method": "thing.service.multiply",
                 "params": {"left": 3, "right": 4}}
            ).encode(),
        ),
        (
            f"/sys/{pk}/{dk}/thing/service/measurepoint/set",
            json.dumps(
                {"id": second, "version": "1.0", "method": "thing.service.measurepoint.set",
                 "params": {"temperature": 30.5}}
            ).encode(),
        ),
    ]  # fmt: skip
    protocol = platform.enos.device_protocol()
    # ServiceInvocationReply.builder().add_output_data("result", 12).set_code(200).build()
    protocol.receive(
        session, f"/sys/{pk}/{dk}/thing/service/multiply_reply", reply(first, 200, {"result": 12})
    )
    # no handler registered on the device: DefaultProcessor.build_reply uses str(1101)
    protocol.receive(
        session,
        f"/sys/{pk}/{dk}/thing/service/measurepoint/set_reply",
        reply(second, "1101", {}, "downstream command handler not registered"),
    )
    states = {c["commandId"]: (c["state"], c["outputData"]) for c in platform.enos.commands(asset)}
    assert states == {first: (5, {"result": 12}), second: (6, {})}
    assert len(link.sent) == 2  # the platform answers nothing to a reply


def test_immediate_command_waits_for_the_reply_from_the_front_thread(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    """The device's reply, and a measure point post sent before it, arrive on another thread
    (the front's) while the northbound call waits, and complete it."""
    session, link = connect(platform, device)
    protocol = platform.enos.device_protocol()
    pk, dk = device["productKey"], device["deviceKey"]
    threads: list[threading.Thread] = []

    def device_side(topic: str, payload: bytes) -> None:
        if not topic.endswith("/thing/service/multiply"):
            return
        command = json.loads(payload)

        def answer() -> None:
            post = request("70", "thing.measurepoint.post", {"measurepoints": {"t": 1}})
            protocol.receive(session, f"/sys/{pk}/{dk}/thing/measurepoint/post", post)
            p = command["params"]
            protocol.receive(
                session,
                topic + "_reply",
                reply(command["id"], 200, {"result": p["left"] * p["right"]}),
            )

        thread = threading.Thread(target=answer)
        threads.append(thread)
        thread.start()

    link.on_publish = device_side
    answer = en.call(
        COMMANDS, "invokeService", {"inputData": {"left": 6, "right": 7}},
        assetId=device["assetId"], serviceId="multiply", timeout="10",
    )  # fmt: skip
    for thread in threads:
        thread.join(5)
    assert answer["code"] == 0, answer
    assert answer["data"]["outputData"] == {"result": 42}
    assert platform.enos.latest(device["assetId"]) == {"t": 1}


def test_immediate_command_without_a_reply_times_out(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    connect(platform, device)
    answer = en.call(
        COMMANDS, "invokeService", {"inputData": {}},
        assetId=device["assetId"], serviceId="silent", timeout="1",
    )  # fmt: skip
    assert answer["code"] == 11915
    assert [c["state"] for c in platform.enos.commands(device["assetId"])] == [7]


def test_a_silent_device_holds_up_nobody_and_its_wait_ends_under_freezegun(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    """An immediate command waits for its device with the platform's lock released: meanwhile
    other calls are answered and another device logs in. The wait is real seconds, so a frozen
    clock cannot make it endless (under freezegun it once never ended)."""
    _, link = connect(platform, device)
    answers: list[dict[str, Any]] = []
    meanwhile: list[Any] = []

    def other_work() -> None:
        meanwhile.append(en.devices("get", assetId=device["assetId"]))
        other = en.create_device(en.create_product(), deviceKey="meter-002")
        connect(platform, other)
        meanwhile.append(other)

    with freezegun.freeze_time("2026-06-01"):
        waiting = threading.Thread(
            target=lambda: answers.append(en.call(
                COMMANDS, "invokeService", {"inputData": {}},
                assetId=device["assetId"], serviceId="silent", timeout="1",
            )),
            daemon=True,
        )  # fmt: skip
        start = real_time()
        waiting.start()
        wait_for(lambda: link.sent)  # the command is out: the call waits for the answer
        worker = threading.Thread(target=other_work, daemon=True)
        worker.start()
        worker.join(5)
        assert not worker.is_alive(), "other calls waited for the silent device"
        assert waiting.is_alive(), "the call ended before its timeout"
        waiting.join(10)
        assert not waiting.is_alive(), "the wait did not end under freezegun"
    assert real_time() - start >= 1.0
    found, other = meanwhile
    assert found["code"] == 0
    assert found["data"]["assetId"] == device["assetId"]
    assert platform.enos.device(other["assetId"]).status == "online"
    assert answers[0]["code"] == 11915


def test_dynamic_activation_sends_the_device_its_secret(
    platform: fakeiot.Platform, en: EnosClient
) -> None:
    """securemode 3: the device signs with the product secret; the platform activates it and
    publishes ``thing.activate.info`` with the deviceSecret (``DeviceActivateCommand``)."""
    product_key = en.create_product(dynamicActivateEnabled=True)
    created = en.create_device(product_key, deviceKey="dyn-001")
    product = en.products("get", productKey=product_key)["data"]
    client_id = f"dyn-001|securemode=3,signmethod=hmacsha256,timestamp={STAMP}|"
    password = sdk_password(product["productSecret"], product_key, "dyn-001", "dyn-001", STAMP)
    link = FakeLink(client_id)
    protocol = platform.enos.device_protocol()
    protocol.connect(client_id, f"dyn-001&{product_key}", password.encode(), link)
    topic, message = link.last()
    assert topic == f"/ext/session/{product_key}/dyn-001/thing/activate/info"
    assert (message["method"], message["params"]) == (
        "thing.activate.info",
        {
            "assetId": created["assetId"],
            "productKey": product_key,
            "deviceKey": "dyn-001",
            "deviceSecret": created["deviceSecret"],
        },
    )
    assert en.get_device(created["assetId"])["status"] == "online"
    with pytest.raises(Refused) as again:  # activated now: it must use its own secret
        protocol.connect(client_id, f"dyn-001&{product_key}", password.encode(), FakeLink("x"))
    assert again.value.code == 4


SUFFIXES = [
    "thing/measurepoint/post",
    "thing/measurepoint/post/batch",
    "thing/measurepoint/resume",
    "thing/event/alarm/post",
    "thing/attribute/update",
    "thing/attribute/query",
    "thing/attribute/delete",
    "thing/tag/update",
    "thing/tag/query",
    "thing/tag/delete",
    "thing/topo/add",
    "thing/topo/get",
    "thing/topo/delete",
    "thing/tsltemplate/get",
    "combine/login",
    "combine/login/batch",
    "combine/logout",
    "thing/service/multiply_reply",
    "thing/service/measurepoint/set_reply",
    "thing/unknown",
]


def test_random_uplinks_never_raise_and_only_answer_replies(
    platform: fakeiot.Platform, device: dict[str, str]
) -> None:
    """Any payload on any uplink topic: an error reply (or none, for a ``_reply``), never an
    exception; the platform's invariants hold after each."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tests.budgets import FUZZ

    session, link = connect(platform, device)
    protocol = platform.enos.device_protocol()
    pk, dk = device["productKey"], device["deviceKey"]
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=8,
    )
    messages = st.fixed_dictionaries(
        {"id": st.text(max_size=4) | st.integers(), "params": values},
        optional={"code": st.integers() | st.text(max_size=4), "data": values},
    ).map(lambda m: json.dumps(m).encode())

    @settings(FUZZ, max_examples=60)
    @given(
        root=st.sampled_from(["/sys", "/ext/session"]),
        suffix=st.sampled_from(SUFFIXES),
        payload=st.binary(max_size=40) | messages,
    )
    def check(root: str, suffix: str, payload: bytes) -> None:
        before = len(link.sent)
        topic = f"{root}/{pk}/{dk}/{suffix}"
        protocol.receive(session, topic, payload)
        answers = link.sent[before:]
        if suffix.endswith("_reply"):
            assert answers == []
        else:
            ((answer_topic, body),) = answers
            assert answer_topic == topic + "_reply"
            assert set(json.loads(body)) == {"id", "code", "data", "message"}
        platform.enos.check_invariants()

    check()


# =============================================================================================
# CONNECT: the other sign methods, and keys that no longer log in
# =============================================================================================
def test_sha256_matches_the_documented_non_sdk_login_vector() -> None:
    """EN §7's example: cid 123456, dk test, pk 654321, ts 1548753362502, secret abcdefg."""
    params = {
        "clientId": "123456",
        "deviceKey": "test",
        "productKey": "654321",
        "timestamp": "1548753362502",
    }
    assert sign("abcdefg", params, "sha256") == (
        "B99032D49C706F7B27B22AB5CD2DD3C56A31E1BCBBC83BA0A2A6BB3272FBB166"
    )


@pytest.mark.parametrize("method", ["sha256", "hmacmd5", "hmacsha1"])
def test_login_with_each_sign_method(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str], method: str
) -> None:
    pk, dk = device["productKey"], device["deviceKey"]
    client_id = f"id123456|securemode=2,signmethod={method},timestamp=1548753362502|"
    fields = {"clientId": "id123456", "deviceKey": dk, "productKey": pk}
    password = sign(device["deviceSecret"], {**fields, "timestamp": "1548753362502"}, method)
    protocol = platform.enos.device_protocol()
    protocol.connect(client_id, f"{dk}&{pk}", password.encode(), FakeLink(client_id))
    assert en.get_device(device["assetId"])["status"] == "online"


def test_an_unknown_sign_method_is_refused_saying_so(
    platform: fakeiot.Platform, device: dict[str, str]
) -> None:
    pk, dk = device["productKey"], device["deviceKey"]
    client_id = f"{dk}|securemode=2,signmethod=sha512,timestamp={STAMP}|"
    with pytest.raises(Refused) as caught:
        platform.enos.device_protocol().connect(client_id, f"{dk}&{pk}", b"x", FakeLink(client_id))
    assert caught.value.code == 4
    assert "signmethod 'sha512'" in caught.value.reason


def test_deleted_and_replaced_devices_are_refused_with_connack_4(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    other = en.create_device(device["productKey"], deviceKey="meter-002")
    en.devices("replaceDevice", {"newDeviceKey": "meter-003"}, assetId=other["assetId"])
    en.devices("delete", assetId=device["assetId"])
    for gone in (device, other):
        with pytest.raises(Refused) as caught:
            connect(platform, gone)
        assert caught.value.code == 4


# =============================================================================================
# disable and delete: the platform tells the device, or its gateway (spec B.4)
# =============================================================================================
def test_disable_and_delete_are_published_to_a_direct_device_before_the_link_closes(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    pk, dk = device["productKey"], device["deviceKey"]
    _session, link = connect(platform, device)
    en.devices("disable", assetId=device["assetId"])
    topic, message = link.last()
    assert (topic, message["method"], message["params"]) == (
        f"/sys/{pk}/{dk}/thing/disable",
        "thing.disable",
        {},
    )
    assert isinstance(message["id"], str)
    assert link.closed
    en.devices("enable", assetId=device["assetId"])
    _session, link = connect(platform, device)
    en.devices("delete", assetId=device["assetId"])
    assert link.last()[0] == f"/sys/{pk}/{dk}/thing/delete"
    assert link.closed


def test_a_notice_to_a_connection_already_gone_does_not_stop_the_disable(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    """The ``thing.disable`` notice cannot be published (the connection broke): the device is
    disabled all the same and its connection closed."""
    _session, link = connect(platform, device)

    def broken(topic: str, payload: bytes) -> None:
        raise OSError("connection reset")

    link.on_publish = broken
    answer = en.devices("disable", assetId=device["assetId"])
    assert answer["code"] == 0
    assert platform.enos.device(device["assetId"]).status == "disable"
    assert link.closed


def gateway_with_sub(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str], *, login: bool = True
) -> tuple[EnosSession, FakeLink, dict[str, str]]:
    sub = en.create_device(device["productKey"], deviceKey="sub-001")
    session, link = connect(platform, device)
    topo_add(platform, session, link, sub)
    if login:
        pk, dk = device["productKey"], device["deviceKey"]
        params = {**sub_sign(sub, "c1", "1"), "cleanSession": "False"}
        answer = send(platform, session, link, f"/ext/session/{pk}/{dk}/combine/login", params)
        assert answer["code"] == 200, answer
    return session, link, sub


def test_a_disabled_sub_device_no_longer_posts_through_its_gateway(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    session, link, sub = gateway_with_sub(platform, en, device)
    en.devices("disable", assetId=sub["assetId"])
    pk, dk = device["productKey"], device["deviceKey"]
    topic, message = link.last()
    assert (topic, message["method"], message["params"]) == (
        f"/ext/session/{pk}/{dk}/combine/disable",
        "combine.disable",
        [{"productKey": pk, "deviceKey": "sub-001"}],
    )
    assert not link.closed  # the gateway stays connected
    post = f"/sys/{pk}/sub-001/thing/measurepoint/post"
    assert send(platform, session, link, post, {"measurepoints": {"v": 1}})["code"] == 401
    assert platform.enos.latest(sub["assetId"]) == {}
    assert sub["assetId"] not in session.subs


def test_a_deleted_sub_device_is_announced_to_its_gateway(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    _session, link, sub = gateway_with_sub(platform, en, device, login=False)
    en.devices("delete", assetId=sub["assetId"])
    pk, dk = device["productKey"], device["deviceKey"]
    topic, message = link.last()
    assert (topic, message["method"]) == (
        f"/ext/session/{pk}/{dk}/combine/delete",
        "combine.delete",
    )
    assert not link.closed


# =============================================================================================
# topology and sub-device logins
# =============================================================================================
def test_topology_add_get_delete(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    session, link, sub = gateway_with_sub(platform, en, device)
    pk, dk = device["productKey"], device["deviceKey"]
    base = f"/sys/{pk}/{dk}/thing/topo/"
    answer = send(platform, session, link, base + "get", {})
    assert (answer["code"], answer["data"]) == (200, [{"productKey": pk, "deviceKey": "sub-001"}])
    bad = [{**sub_sign(sub, "c", "1"), "sign": "0" * 64}]
    assert send(platform, session, link, base + "add", bad)["code"] == 401
    delete = [{"productKey": pk, "deviceKey": "sub-001"}]
    assert send(platform, session, link, base + "delete", delete)["code"] == 200
    assert send(platform, session, link, base + "get", {})["data"] == []
    assert en.get_device(sub["assetId"])["status"] == "offline"  # logged out with it


def test_sub_device_login_needs_the_topology_unless_open(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    sub = en.create_device(device["productKey"], deviceKey="sub-001")
    session, link = connect(platform, device)
    pk, dk = device["productKey"], device["deviceKey"]
    login = f"/ext/session/{pk}/{dk}/combine/login"
    answer = send(platform, session, link, login, sub_sign(sub, "c1", "1"))
    assert answer["code"] == 401
    assert "topology" in answer["message"]
    assert en.get_device(sub["assetId"])["status"] == "inactive"
    platform.enos.configure({"enos_sub_device_topology": "open"})
    assert send(platform, session, link, login, sub_sign(sub, "c1", "1"))["code"] == 200


def test_batch_login_answers_who_logged_in_and_who_failed(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    pk, dk = device["productKey"], device["deviceKey"]
    subs = [en.create_device(pk, deviceKey=f"sub-00{i}") for i in (1, 2, 3)]
    session, link = connect(platform, device)
    topo_add(platform, session, link, *subs)
    en.devices("disable", assetId=subs[2]["assetId"])

    def item(sub: dict[str, str]) -> dict[str, str]:
        signed = sub_sign(sub, "login.batch", "1564988853275")
        return {k: signed[k] for k in ("productKey", "deviceKey", "sign")} | {"secureMode": "2"}

    params = {  # SubDeviceLoginBatchRequest's params
        "clientId": "login.batch",
        "timestamp": "1564988853275",
        "signMethod": "hmacsha256",
        "subDevices": [item(s) for s in subs],
    }
    topic = f"/ext/session/{pk}/{dk}/combine/login/batch"
    answer = send(platform, session, link, topic, params)
    assert answer["code"] == 723
    assert answer["data"] == {
        "loginedSubDevices": [
            {"assetId": s["assetId"], "productKey": pk, "deviceKey": s["deviceKey"]}
            for s in subs[:2]
        ],
        "failedSubDevices": [{"productKey": pk, "deviceKey": "sub-003"}],
    }
    assert answer["message"].startswith(f"{pk}&sub-003 has error:")
    assert [en.get_device(s["assetId"])["status"] for s in subs] == ["online", "online", "disable"]
    params["subDevices"] = params["subDevices"][:2]
    answer = send(platform, session, link, topic, params)
    assert (answer["code"], answer["data"]["failedSubDevices"]) == (200, [])
    assert send(platform, session, link, topic, {"clientId": "x"})["code"] == 460


def test_logout_of_a_sub_device(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    session, link, sub = gateway_with_sub(platform, en, device)
    pk, dk = device["productKey"], device["deviceKey"]
    params = {"productKey": pk, "deviceKey": "sub-001"}
    answer = send(platform, session, link, f"/ext/session/{pk}/{dk}/combine/logout", params)
    assert (answer["code"], answer["data"]) == (200, params)
    assert en.get_device(sub["assetId"])["status"] == "offline"
    post = f"/sys/{pk}/sub-001/thing/measurepoint/post"
    assert send(platform, session, link, post, {"measurepoints": {"v": 1}})["code"] == 401


# =============================================================================================
# uplinks: batches, resume, events, and what fakeiot does not model
# =============================================================================================
def test_post_and_resume_batches_and_resume(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    session, link, sub = gateway_with_sub(platform, en, device)
    pk, dk = device["productKey"], device["deviceKey"]
    base = f"/sys/{pk}/{dk}/thing/measurepoint/"
    items = [
        {"productKey": pk, "deviceKey": dk, "measurepoints": {"a": 1}, "time": 1000},
        {"productKey": pk, "deviceKey": "sub-001", "measurepoints": {"b": 2}, "time": 1000},
    ]
    assert send(platform, session, link, base + "post/batch", items)["code"] == 200
    assert (
        send(platform, session, link, base + "resume", {"measurepoints": {"c": 3}})["code"] == 200
    )
    items[1]["measurepoints"] = {"b": 5}
    items[1]["time"] = 2000
    assert send(platform, session, link, base + "resume/batch", items[1:])["code"] == 200
    assert platform.enos.latest(device["assetId"]) == {"a": 1, "c": 3}
    assert platform.enos.latest(sub["assetId"]) == {"b": 5}


def test_allow_offline_sub_device_lets_a_batch_post_for_a_sub_device_not_logged_in(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    session, link, sub = gateway_with_sub(platform, en, device, login=False)
    pk, dk = device["productKey"], device["deviceKey"]
    topic = f"/sys/{pk}/{dk}/thing/measurepoint/post/batch"
    items = [{"productKey": pk, "deviceKey": "sub-001", "measurepoints": {"v": 7}}]
    assert send(platform, session, link, topic, items)["code"] == 401
    assert send(platform, session, link, topic, items, allowOfflineSubDevice=False)["code"] == 401
    assert platform.enos.latest(sub["assetId"]) == {}
    answer = send(platform, session, link, topic, items, allowOfflineSubDevice=True)
    assert answer["code"] == 200
    assert platform.enos.latest(sub["assetId"]) == {"v": 7}
    got = en.get_device(sub["assetId"])
    assert (got["status"], got["measurepointLastUpdate"]) == ("inactive", 1_700_000_000_000)
    stranger = en.create_device(pk, deviceKey="stranger")  # not in the topology
    items[0]["deviceKey"] = stranger["deviceKey"]
    answer = send(platform, session, link, topic, items, allowOfflineSubDevice=True)
    assert answer["code"] == 401


def test_event_post_sets_event_last_update_and_checks_its_params(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    session, link = connect(platform, device)
    topic = f"/sys/{device['productKey']}/{device['deviceKey']}/thing/event/alarm/post"
    assert en.get_device(device["assetId"])["eventLastUpdate"] is None
    bad_params: list[Any] = [None, [], {"time": 1}, {"events": [1]}, {"events": {}, "time": "x"}]
    for bad in bad_params:
        assert send(platform, session, link, topic, bad)["code"] == 460
    assert en.get_device(device["assetId"])["eventLastUpdate"] is None
    params = {"events": {"level": 3}, "time": 1_690_000_000_000}
    assert send(platform, session, link, topic, params)["code"] == 200
    assert en.get_device(device["assetId"])["eventLastUpdate"] == 1_690_000_000_000
    assert send(platform, session, link, topic, {"events": {"level": 1}})["code"] == 200
    assert en.get_device(device["assetId"])["eventLastUpdate"] == 1_700_000_000_000
    events = [e for e in platform.events if e.kind == "device_event"]
    assert events[-1].data == {"eventId": "alarm", "outputs": ["level"], "time": 1_700_000_000_000}


@pytest.mark.parametrize(
    "suffix",
    [
        "thing/tsltemplate/get",
        "thing/model/up_raw",
        "thing/device/register",
        "ota/device/getversion",
        "ota/device/progress",
        "ota/device/inform",
        "ota/device/request",
    ],
)
def test_unmodelled_uplinks_answer_not_supported(
    platform: fakeiot.Platform, device: dict[str, str], suffix: str
) -> None:
    session, link = connect(platform, device)
    topic = f"/sys/{device['productKey']}/{device['deviceKey']}/{suffix}"
    answer = send(platform, session, link, topic, {})
    assert answer["code"] == 1009
    assert "not modelled by fakeiot" in answer["message"]


def test_topology_and_event_time_survive_the_state_file(
    platform: fakeiot.Platform, en: EnosClient, device: dict[str, str]
) -> None:
    session, link, sub = gateway_with_sub(platform, en, device, login=False)
    topic = f"/sys/{device['productKey']}/{device['deviceKey']}/thing/event/alarm/post"
    assert send(platform, session, link, topic, {"events": {"x": 1}, "time": 5})["code"] == 200
    copy = fakeiot.Platform(seed=1)
    copy.enos.import_state(json.loads(json.dumps(platform.enos.export_state())))
    with copy.operation():
        held = copy.enos.state.devices
        assert (held[sub["assetId"]].gateway, held[device["assetId"]].event_last_update) == (
            device["assetId"],
            5,
        )
