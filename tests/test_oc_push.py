"""Subscriptions and push notifications (spec §5, §6)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

import fakeiot
from fakeiot._delivery import Push
from fakeiot._oceanconnect import OcError
from fakeiot._oceanconnect._push import PUSH_INFO_KEYS
from tests.oc import CREDENTIALS, DEVICE, IMEI, OcClient, error_of

SUBS = "/iocm/app/sub/v1.2.0/subscriptions"
CALLBACK = "http://127.0.0.1:9999/cb"


class Recorder:
    """A WSGI callback receiver that answers ``status`` and records what it was sent."""

    def __init__(self, status: str = "200 OK") -> None:
        self.status = status
        self.received: list[dict[str, Any]] = []
        self.content_types: list[str] = []

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.received.append(json.loads(environ["wsgi.input"].read(length)))
        self.content_types.append(environ.get("CONTENT_TYPE", ""))
        start_response(self.status, [("Content-Type", "text/plain")])
        return [b"ok"]

    @property
    def types(self) -> list[str]:
        return [body["notifyType"] for body in self.received]


def subscribe(oc: OcClient, notify_type: str, url: str = CALLBACK) -> fakeiot.HttpResponse:
    return oc.call("POST", SUBS, {"notifyType": notify_type, "callbackUrl": url})


@pytest.fixture
def recorder(platform: fakeiot.Platform) -> Recorder:
    receiver = Recorder()
    platform.oceanconnect.route_pushes("http://127.0.0.1:9999/", receiver)
    return receiver


@pytest.fixture
def subscribed(oc: OcClient, recorder: Recorder) -> Recorder:
    for notify_type in (
        "deviceAdded",
        "bindDevice",
        "deviceInfoChanged",
        "deviceDeleted",
        "deviceDataChanged",
    ):
        assert subscribe(oc, notify_type).status == 201
    return recorder


# -- subscription routes -------------------------------------------------------------------------
def test_subscribe_answers_201_with_the_subscription(oc: OcClient) -> None:
    response = subscribe(oc, "bindDevice", "https://1.2.3.4:443/callbackurltest")
    body = response.json_body()
    assert response.status == 201
    assert body == {
        "subscriptionId": body["subscriptionId"],
        "notifyType": "bindDevice",
        "callbackUrl": "https://1.2.3.4:443/callbackurltest",
        "clientIds": None,
    }


def test_subscribing_a_notify_type_twice_conflicts(oc: OcClient) -> None:
    subscribe(oc, "bindDevice")
    assert error_of(subscribe(oc, "bindDevice"))[:2] == (409, "100227")


@pytest.mark.fakeiot
def test_overwrite_setting_replaces_the_first_subscription() -> None:
    platform = fakeiot.Platform(seed=0, oceanconnect_duplicate_subscription="overwrite")
    oc = OcClient(platform)
    subscribe(oc, "bindDevice", "http://127.0.0.1:1/a")
    subscribe(oc, "bindDevice", "http://127.0.0.1:1/b")
    listed = oc.call("GET", SUBS).json_body()["subscriptions"]
    assert [s["callbackUrl"] for s in listed] == ["http://127.0.0.1:1/b"]


@pytest.mark.parametrize(
    "url",
    [
        "https://1.2.3.4/cb",
        "ftp://1.2.3.4:21/cb",
        "not a url",
        "",
        42,
        None,
        "https://1.2.3.4:99999/cb",
        "https://h:1/" + "x" * 1100,
    ],
)
def test_callback_url_without_port_or_scheme_is_illegal(oc: OcClient, url: object) -> None:
    response = oc.call("POST", SUBS, {"notifyType": "bindDevice", "callbackUrl": url})
    assert error_of(response) == (400, "100222", OcError.CALLBACK_URL_ILLEGAL.row.desc)
    assert oc.call("GET", SUBS).json_body()["totalCount"] == 0


@pytest.mark.parametrize(
    "body", [{"notifyType": "nope", "callbackUrl": CALLBACK}, {"callbackUrl": CALLBACK}, [1, 2]]
)
def test_bad_notify_type_or_body_is_rejected(oc: OcClient, body: object) -> None:
    response = oc.call("POST", SUBS, body)
    assert error_of(response)[:2] == (400, "100228")


def test_query_one_subscription_and_unknown_is_100225(oc: OcClient) -> None:
    sub_id = subscribe(oc, "deviceAdded").json_body()["subscriptionId"]
    assert oc.call("GET", f"{SUBS}/{sub_id}").json_body()["notifyType"] == "deviceAdded"
    assert error_of(oc.call("GET", f"{SUBS}/nope")) == (404, "100225", "The resource is not found")


def test_another_apps_subscription_is_not_found(oc: OcClient) -> None:
    sub_id = subscribe(oc, "deviceAdded").json_body()["subscriptionId"]
    other = OcClient(oc.platform)
    assert error_of(other.call("GET", f"{SUBS}/{sub_id}"))[:2] == (404, "100225")
    assert error_of(other.call("DELETE", f"{SUBS}/{sub_id}"))[:2] == (404, "100225")


def test_batch_query_pages_and_filters(oc: OcClient) -> None:
    for notify_type in ("deviceAdded", "bindDevice", "deviceDeleted"):
        subscribe(oc, notify_type)
    page = oc.call("GET", f"{SUBS}?&pageNo=1&pageSize=2").json_body()
    only = oc.call("GET", f"{SUBS}?notifyType=bindDevice").json_body()
    assert (page["totalCount"], len(page["subscriptions"])) == (3, 1)
    assert [s["notifyType"] for s in only["subscriptions"]] == ["bindDevice"]


def test_delete_one_answers_204_and_batch_delete_matches(oc: OcClient) -> None:
    first = subscribe(oc, "deviceAdded").json_body()["subscriptionId"]
    subscribe(oc, "bindDevice")
    subscribe(oc, "deviceDeleted", "http://127.0.0.1:1/other")
    deleted = oc.call("DELETE", f"{SUBS}/{first}")
    batch = oc.call("DELETE", f"{SUBS}?callbackUrl={CALLBACK}")
    remaining = oc.call("GET", SUBS).json_body()["subscriptions"]
    assert (deleted.status, deleted.body, batch.status) == (204, b"", 204)
    assert [s["notifyType"] for s in remaining] == ["deviceDeleted"]


def test_management_subscription_accepts_lowercase_callbackurl(oc: OcClient) -> None:
    path = "/iodm/app/sub/v1.1.0/subscribe"
    ok = oc.call("POST", path, {"notifyType": "fwUpgradeResultNotify", "callbackurl": CALLBACK})
    bad = oc.call("POST", path, {"notifyType": "bindDevice", "callbackurl": CALLBACK})
    no_port = oc.call(
        "POST", path, {"notifyType": "swUpgradeResultNotify", "callbackUrl": "https://h/cb"}
    )
    assert (ok.status, ok.body) == (200, b"")
    assert error_of(bad)[:2] == (400, "100228")
    assert error_of(no_port)[:2] == (400, "100222")


# -- notification shapes and order ---------------------------------------------------------------
def test_device_added_has_the_captured_shape(oc: OcClient, subscribed: Recorder) -> None:
    device_id = oc.register_ok(IMEI)
    [added] = subscribed.received
    assert list(added) == ["notifyType", "deviceId", "gatewayId", "nodeType", "deviceInfo"]
    assert (added["deviceId"], added["gatewayId"], added["nodeType"]) == (
        device_id,
        device_id,
        "GATEWAY",
    )
    assert list(added["deviceInfo"]) == list(PUSH_INFO_KEYS)
    info = added["deviceInfo"]
    assert (info["nodeId"], info["status"], info["statusDetail"]) == (IMEI, "OFFLINE", "NOT_ACTIVE")
    assert subscribed.content_types == ["application/json"]


def test_first_connection_pushes_info_then_bind_then_status(
    oc: OcClient, subscribed: Recorder
) -> None:
    device_id = oc.register_ok(IMEI, deviceInfo={"manufacturerName": "STAR-IoT"})
    oc.platform.oceanconnect.connect_device(IMEI)
    changed, bind, status = subscribed.received[1:]
    assert subscribed.types[1:] == ["deviceInfoChanged", "bindDevice", "deviceInfoChanged"]
    assert changed["deviceInfo"]["nodeId"] == IMEI
    assert changed["deviceInfo"]["manufacturerName"] == "STAR-IoT"
    assert changed["deviceInfo"]["status"] is None
    assert "gatewayId" not in bind
    assert (bind["deviceId"], bind["resultCode"]) == (device_id, "succeeded")
    assert (bind["deviceInfo"]["status"], bind["deviceInfo"]["statusDetail"]) == ("ONLINE", "NONE")
    only = {k: v for k, v in status["deviceInfo"].items() if v is not None}
    assert only == {"status": "ONLINE", "statusDetail": "NONE"}
    assert status["networkStatus"] is None


def test_modify_pushes_only_the_changed_fields(oc: OcClient, subscribed: Recorder) -> None:
    device_id = oc.register_ok(IMEI)
    oc.call("PUT", DEVICE.format(device_id), {"name": "xuss", "mute": "FALSE", "psk": None})
    info = subscribed.received[-1]["deviceInfo"]
    assert {k: v for k, v in info.items() if v is not None} == {"name": "xuss", "mute": "FALSE"}


def test_delete_pushes_device_deleted(oc: OcClient, subscribed: Recorder) -> None:
    device_id = oc.register_ok(IMEI)
    oc.call("DELETE", DEVICE.format(device_id))
    assert subscribed.received[-1] == {
        "notifyType": "deviceDeleted",
        "deviceId": device_id,
        "gatewayId": device_id,
    }


def test_reported_data_is_pushed_and_queryable(oc: OcClient, subscribed: Recorder) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI)
    oc.platform.oceanconnect.report_data(device_id, "NBWatch", {"Battery": "100"})
    pushed = subscribed.received[-1]
    queried = oc.call("GET", DEVICE.format(device_id)).json_body()["services"]
    assert pushed["notifyType"] == "deviceDataChanged"
    assert pushed["requestId"] is None
    assert pushed["service"]["data"] == {"Battery": "100"}
    assert pushed["service"]["serviceType"] == "NBWatch"
    assert [(s["serviceId"], s["data"]) for s in queried] == [("NBWatch", {"Battery": "100"})]


def test_lifecycle_order_register_bind_disconnect_delete(
    oc: OcClient, subscribed: Recorder
) -> None:
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI)
    oc.platform.oceanconnect.disconnect_device(device_id)
    oc.call("DELETE", DEVICE.format(device_id))
    assert subscribed.types == [
        "deviceAdded",
        "deviceInfoChanged",
        "bindDevice",
        "deviceInfoChanged",
        "deviceInfoChanged",
        "deviceDeleted",
    ]
    assert subscribed.received[4]["deviceInfo"]["status"] == "OFFLINE"


def test_expired_bind_attempt_pushes_bind_device_expired() -> None:
    platform = fakeiot.Platform(seed=0, clock=fakeiot.ManualClock())
    oc = OcClient(platform)
    receiver = Recorder()
    platform.oceanconnect.route_pushes("http://127.0.0.1:9999/", receiver)
    subscribe(oc, "bindDevice")
    subscribe(oc, "deviceDeleted")
    device_id = oc.register_ok(IMEI, timeout=60)
    platform.advance(61)
    with pytest.raises(fakeiot.ConnectRefused):
        platform.oceanconnect.connect_device(IMEI)
    assert receiver.types == ["deviceDeleted", "bindDevice"]
    assert receiver.received[1]["resultCode"] == "expired"
    assert receiver.received[1]["deviceId"] == device_id


def test_pushes_go_only_to_the_owning_apps_subscriptions(
    oc: OcClient, subscribed: Recorder
) -> None:
    other = OcClient(oc.platform)
    other.register_ok("999999999999999")
    assert subscribed.received == []


# -- delivery ------------------------------------------------------------------------------------
def test_every_push_is_recorded_with_its_result(oc: OcClient, subscribed: Recorder) -> None:
    oc.register_ok(IMEI)
    [push] = oc.platform.oceanconnect.pushes
    assert (push.url, push.notify_type, push.result, push.status, push.via) == (
        CALLBACK,
        "deviceAdded",
        "delivered",
        200,
        "wsgi",
    )
    assert push.headers == {"Content-Type": "application/json"}
    assert push.body["deviceInfo"]["nodeId"] == IMEI


def test_a_failing_endpoint_is_recorded_and_retried(platform: fakeiot.Platform) -> None:
    platform = fakeiot.Platform(seed=0, push_retries=2)
    oc = OcClient(platform)
    receiver = Recorder("500 Internal Server Error")
    platform.oceanconnect.route_pushes("http://127.0.0.1:9999/", receiver)
    subscribe(oc, "deviceAdded")
    response = oc.register(IMEI)
    [push] = platform.oceanconnect.pushes
    assert response.status == 200
    assert (push.result, push.status, push.attempts) == ("failed", 500, 3)
    assert len(receiver.received) == 3


def test_a_crashing_receiver_never_breaks_the_platform(oc: OcClient) -> None:
    def crash(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raise RuntimeError("receiver bug")

    oc.platform.oceanconnect.route_pushes("http://127.0.0.1:9999/", crash)
    subscribe(oc, "deviceAdded")
    assert oc.register(IMEI).status == 200
    [push] = oc.platform.oceanconnect.pushes
    assert push.result == "failed"
    assert "receiver bug" in (push.error or "")


def test_queued_mode_waits_for_deliver() -> None:
    platform = fakeiot.Platform(seed=0, push_delivery="queued")
    oc = OcClient(platform)
    receiver = Recorder()
    platform.oceanconnect.route_pushes("http://127.0.0.1:9999/", receiver)
    subscribe(oc, "deviceAdded")
    oc.register_ok(IMEI)
    before = len(receiver.received)
    sent = platform.oceanconnect.deliver()
    assert (before, len(sent), len(receiver.received)) == (0, 1, 1)
    assert platform.oceanconnect.pushes[0].result == "delivered"


def test_listener_callable_receives_pushes(oc: OcClient, subscribed: Recorder) -> None:
    seen: list[Push] = []
    oc.platform.oceanconnect.on_push(seen.append)
    oc.register_ok(IMEI)
    assert [p.notify_type for p in seen] == ["deviceAdded"]


def test_a_handler_may_query_the_platform_from_the_callback(oc: OcClient) -> None:
    """Delivery happens after the platform's lock is released, so the callback can call in."""
    answers: list[dict[str, Any]] = []

    def handler(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = json.loads(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        answers.append(oc.call("GET", CREDENTIALS.format(body["deviceId"])).json_body())
        start_response("200 OK", [])
        return [b"ok"]

    oc.platform.oceanconnect.route_pushes("http://127.0.0.1:9999/", handler)
    subscribe(oc, "bindDevice")
    device_id = oc.register_ok(IMEI)
    oc.platform.oceanconnect.connect_device(IMEI)
    assert answers == [{"deviceId": device_id, "activated": True, "name": None}]


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def http_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    bodies: list[dict[str, Any]] = []
    handler = type("Receiver", (_Receiver,), {"bodies": bodies})
    server = HTTPServer(("127.0.0.1", 0), handler)
    # a short poll: shutdown() waits for the loop's next poll (0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1.0.0/messageReceiver", bodies
    server.shutdown()
    server.server_close()
    thread.join()


def test_pushes_reach_a_real_http_endpoint(
    oc: OcClient, http_receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, bodies = http_receiver
    subscribe(oc, "deviceAdded", url)
    device_id = oc.register_ok(IMEI)
    [push] = oc.platform.oceanconnect.pushes
    assert (push.result, push.via) == ("delivered", "http")
    assert bodies[0]["deviceId"] == device_id


def test_an_unreachable_endpoint_is_a_recorded_failure(oc: OcClient) -> None:
    subscribe(oc, "deviceAdded", "http://127.0.0.1:9/nothing-listens")
    assert oc.register(IMEI).status == 200
    [push] = oc.platform.oceanconnect.pushes
    assert push.result == "failed"
    assert push.status is None
    assert push.error


def test_rebinding_after_a_refresh_pushes_bind_device(oc: OcClient, subscribed: Recorder) -> None:
    device_id = oc.register_ok(IMEI)
    platform = oc.platform
    platform.oceanconnect.connect_device(IMEI)
    platform.oceanconnect.disconnect_device(device_id)
    oc.call("PUT", CREDENTIALS.format(device_id), {"nodeId": "urn:imei:" + IMEI})
    before = len(subscribed.received)
    platform.oceanconnect.connect_device("urn:imei:" + IMEI)
    assert subscribed.types[before:] == ["deviceInfoChanged", "bindDevice", "deviceInfoChanged"]
    assert subscribed.received[before + 1]["deviceInfo"]["nodeId"] == "urn:imei:" + IMEI


def test_https_only_setting_refuses_plain_http_callbacks() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_https_callbacks_only=True))
    assert error_of(subscribe(oc, "bindDevice", "http://1.2.3.4:80/cb"))[:2] == (400, "100222")
    assert subscribe(oc, "bindDevice", "https://1.2.3.4:443/cb").status == 201


# =============================================================================================
# appId in the subscribe body (spec §5.1 [C]; issue 16 item 3)
# =============================================================================================
def expected(error: OcError) -> tuple[int, str, str]:
    row = error.row
    return row.status, row.code, row.desc


def body_app_id_subscribe(oc: OcClient, app_id: str) -> fakeiot.HttpResponse:
    body = {"notifyType": "deviceAdded", "callbackUrl": CALLBACK, "appId": app_id}
    return oc.call("POST", SUBS, body)


def test_subscribe_body_app_id_subscribes_for_the_authorized_owner(
    platform: fakeiot.Platform, oc: OcClient
) -> None:
    owner = OcClient(platform)
    platform.oceanconnect.authorize(owner=owner.app, grantee=oc.app)
    assert body_app_id_subscribe(oc, owner.app.app_id).status == 201
    # the subscription is the owner's, not the caller's
    assert oc.call("GET", SUBS).json_body()["totalCount"] == 0
    assert owner.call("GET", SUBS).json_body()["totalCount"] == 1


def test_subscribe_body_app_id_unknown_is_403_100203(oc: OcClient) -> None:
    response = body_app_id_subscribe(oc, "no-such-app")
    assert error_of(response) == expected(OcError.APP_NOT_EXIST)


def test_subscribe_body_app_id_not_authorized_is_403_100217(
    platform: fakeiot.Platform, oc: OcClient
) -> None:
    stranger = OcClient(platform)
    response = body_app_id_subscribe(oc, stranger.app.app_id)
    assert error_of(response) == expected(OcError.APP_NOT_AUTHORIZED)


def test_subscribe_body_app_id_ignored_with_the_setting_off() -> None:
    oc = OcClient(fakeiot.Platform(seed=0, oceanconnect_subscribe_body_app_id=False))
    assert body_app_id_subscribe(oc, "no-such-app").status == 201
