"""The EnOS device side over MQTT (spec device-traffic B.3-B.6), as ``enos-mqtt-sdk-python``
0.1.1 speaks it; the MQTT front calls it through :mod:`fakeiot._link`.

What the SDK sends, from its source (``enos/core/internal/Profile.py``, ``SecureMode.py``,
``MqttConnection.py``, ``DefaultProcessor.py``, ``core/util/SignUtil.py``,
``core/constant/DeliveryTopicFormat.py``, ``core/message/body/*.py``):

- client id ``{deviceKey}|securemode=2,signmethod=hmacsha256,timestamp={ts}|`` where ``ts`` is
  ``str(time.time() * 1000)``, a float string taken verbatim (``Profile.get_client_id``);
  securemode 3 (dynamic activation) signs with the product secret;
- username ``{deviceKey}&{productKey}`` (``Profile.get_mqtt_username``);
- password ``SignUtil.sign(secret, {productKey, deviceKey, clientId: <the id before |>,
  timestamp}, signmethod)``: the keys sorted, ``key + value`` concatenated, the secret
  appended, and a *plain* digest: sha256 lower-case hex, sha1 upper-case, md5 lower-case;
- requests ``{"id", "version", "method", "params"}`` and replies ``{"id", "code", "data",
  "message"}`` with ``json.dumps``' default separators; the SDK matches a reply by
  ``topic + "_" + id``, so ``id`` is echoed as the same string.

Refusals answer the CONNACK code of the face settings ``enos_mqtt_bad_credentials_connack``
(4) and ``enos_mqtt_disabled_connack`` (5); a client id without the ``|...|`` part is 2.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .._errors import ApiError, ConnectRefused
from .._lifecycle import State
from .._link import BAD_CLIENT_ID, Refused
from ._commands import INVOKE_SERVICE, Command, CommandState
from ._schemas import attributes as check_attributes
from ._schemas import tags as check_tags
from ._service import FACE

if TYPE_CHECKING:
    from .._link import Link
    from ._model import Device
    from ._traffic import TrafficService

C = CommandState

_CLIENT_ID = re.compile(r"(?P<id>[^|]*)\|(?P<kv>[^|]*)\|")
_TOPIC = re.compile(r"/(?P<root>sys|ext/session)/(?P<pk>[^/]+)/(?P<dk>[^/]+)/(?P<rest>.+)")
_SERVICE_REPLY = re.compile(r"thing/service/(?P<service>.+)_reply")

#: response codes the SDK knows (``enos/core/constant/ResponseCode.py``)
OK = 200
AUTH_ERR = 401
DEVICE_NOT_EXISTS = 402
PARAMETER_ERR = 460
NOT_JSON = 6207
#: the platform's "Publish to topic with no write permission: the MQTT topic is not supported"
#: (EnOS device protocol, common return codes)
NOT_SUPPORTED = 1009
#: ``combine.login.batch``: some sub-devices did not log in (EnOS device protocol sample)
BATCH_LOGIN_PARTIAL = 723

#: uplinks the platform serves that fakeiot does not model (answered ``NOT_SUPPORTED``)
UNMODELLED = ("thing/tsltemplate/get", "thing/model/up_raw", "thing/device/register")

#: the digests ``SignUtil.sign`` computes for each ``signmethod``
_SIGN: dict[str, Callable[[str], str]] = {
    "hmacsha256": lambda text: hashlib.sha256(text.encode("utf8")).hexdigest(),
    "hmacsha1": lambda text: hashlib.sha1(text.encode("utf8")).hexdigest().upper(),
    "hmacmd5": lambda text: hashlib.md5(text.encode("utf8")).hexdigest(),
    # the non-SDK login of EN §7: ``toUpperCase(sha256(...))`` of the same text
    "sha256": lambda text: hashlib.sha256(text.encode("utf8")).hexdigest().upper(),
}


def sign(secret: str, params: dict[str, str], method: str = "hmacsha256") -> str:
    """``SignUtil.sign``: the sorted ``key + value`` pairs and the secret, digested."""
    text = "".join(key + str(params[key]) for key in sorted(params)) + secret
    return _SIGN[method](text)


def encode(message: dict[str, Any]) -> bytes:
    """A message as the SDK encodes one (``json.dumps`` with its default separators)."""
    return json.dumps(message).encode("utf-8")


def command_message(device: Device, command: Command, paras: Any) -> tuple[str, bytes]:
    """A command's downlink topic and payload (spec B.4/B.5; EnOS device-protocol docs:
    a measure point set's ``params`` is ``{pointId: value}``)."""
    base = f"/sys/{device.product_key}/{device.device_key}/thing/service/"
    if command.command_type == INVOKE_SERVICE:
        topic = base + command.tsl_identifier
        method = "thing.service." + command.tsl_identifier
    else:
        topic, method = base + "measurepoint/set", "thing.service.measurepoint.set"
    payload = {"id": command.command_id, "version": "1.0", "method": method, "params": paras}
    return topic, encode(payload)


#: MQTT lines the transcript keeps (the newest)
LOG_LIMIT = 500


@dataclass(eq=False)
class EnosSession:
    """One accepted connection: the device (a gateway may log its sub-devices in on it)."""

    asset_id: str
    product_key: str
    device_key: str
    link: Link
    #: assetIds of the sub-devices logged in through this gateway connection
    subs: set[str] = field(default_factory=set)


class _Reply(Exception):
    """An uplink answered with an error code (no state has changed, unless ``data`` says
    what did: a batch login that logged some sub-devices in)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class EnosProtocol:
    """``platform.enos.device_protocol()``: the EnOS CONNECT, uplinks, replies and downlinks."""

    face = FACE

    def __init__(self, enos: TrafficService) -> None:
        self.enos = enos
        #: MQTT traffic, one line each (topics and sizes, never payloads), for the transcript
        self.log: deque[str] = deque(maxlen=LOG_LIMIT)

    def _log(self, line: str) -> None:
        self.log.append(f"{self.enos.platform.clock.now():.3f} mqtt {line}")

    # -- the seam ---------------------------------------------------------------------------------
    def claims(self, client_id: str, username: str | None) -> bool:
        """An EnOS client id: ``...|securemode=...|`` (spec B.3)."""
        return "securemode=" in client_id and client_id.endswith("|")

    def connect(
        self, client_id: str, username: str | None, password: bytes | None, link: Link
    ) -> EnosSession:
        try:
            session = self._connect(client_id, username, password, link)
        except Refused as refused:
            self._log(f"CONNECT {client_id[:80]!r} -> CONNACK {refused.code}: {refused.reason}")
            raise
        self._log(f"{session.asset_id} CONNECT {client_id[:80]!r} -> CONNACK 0")
        return session

    def _connect(
        self, client_id: str, username: str | None, password: bytes | None, link: Link
    ) -> EnosSession:
        match = _CLIENT_ID.fullmatch(client_id)
        fields = _pairs(match.group("kv")) if match else {}
        mode, method = fields.get("securemode"), fields.get("signmethod", "hmacsha256")
        if match is None or "timestamp" not in fields or mode not in ("2", "3"):
            raise Refused(
                BAD_CLIENT_ID,
                f"client id {client_id[:80]!r} is not {{deviceKey}}|securemode=2|3,"
                "signmethod=...,timestamp=...|",
            )
        options = self.enos.options
        bad = options.enos_mqtt_bad_credentials_connack
        if method not in _SIGN:
            raise Refused(bad, f"signmethod {method[:20]!r} is not one of {', '.join(_SIGN)}")
        if not username or "&" not in username or password is None:
            raise Refused(bad, "username must be deviceKey&productKey, with a password")
        device_key, _, product_key = username.partition("&")
        signed = {
            "productKey": product_key,
            "deviceKey": device_key,
            "clientId": match.group("id"),
            "timestamp": fields["timestamp"],
        }
        shown = password.decode("utf-8", "replace")
        result: list[EnosSession] = []

        def login() -> None:
            enos = self.enos
            with enos.platform.operation():
                device = enos._login_target(product_key, device_key)
                product = enos.state.products[product_key]
                secret = device.device_secret if mode == "2" else product.product_secret
                if not hmac.compare_digest(sign(secret, signed, method).lower(), shown.lower()):
                    raise ConnectRefused("wrong_secret", "the password's signature differs")
                enos._refuse_disabled(device)
                if mode == "3" and (device.activated or not product.dynamic_activate):
                    raise ConnectRefused(
                        "dynamic_activation", "activated already, or not allowed by the product"
                    )
                session = EnosSession(device.asset_id, product_key, device_key, link)
                previous = enos._links.get(device.asset_id)
                enos._links[device.asset_id] = link
                if previous is not None and previous is not link:
                    enos.platform.after(previous.close)  # one connection per device
                enos._login(device)
                enos._check(device.asset_id)
                if mode == "3":  # the platform sends the device its secret (EN §7)
                    topic = f"/ext/session/{product_key}/{device_key}/thing/activate/info"
                    params = {
                        "assetId": device.asset_id,
                        "productKey": product_key,
                        "deviceKey": device_key,
                        "deviceSecret": device.device_secret,
                    }
                    message = {
                        "id": enos._command_id(device),
                        "version": "1.0",
                        "method": "thing.activate.info",
                        "params": params,
                    }
                    link.publish(topic, encode(message), 1)
                result.append(session)

        try:
            self._locked(login)
        except ConnectRefused as refused:
            code = options.enos_mqtt_disabled_connack if refused.reason == "disabled" else bad
            raise Refused(code, str(refused)) from None
        return result[0]

    def receive(self, session: Any, topic: str, payload: bytes) -> None:
        if not isinstance(session, EnosSession):
            return
        self._log(f"{session.asset_id} <- {topic[:120]} ({len(payload)} bytes)")
        match = _TOPIC.fullmatch(topic)
        rest = match.group("rest") if match else ""
        try:
            message = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            message = None
        if rest.endswith("_reply"):
            self._device_reply(session, match, rest, message)
            return
        if not isinstance(message, dict):
            self._answer(session.link, topic, "", NOT_JSON, "payload must be a JSON object")
            return
        message_id = message.get("id")
        message_id = message_id if isinstance(message_id, str) else str(message_id or "")
        if match is None:
            self._answer(session.link, topic, message_id, PARAMETER_ERR, "unknown topic")
            return

        def handle() -> None:
            try:
                data = self._request(session, match, rest, message.get("params"), message)
            except _Reply as error:
                self._answer(session.link, topic, message_id, error.code, error.message, error.data)
            except ApiError:
                self._answer(session.link, topic, message_id, PARAMETER_ERR, "invalid params")
            else:
                self._answer(session.link, topic, message_id, OK, "", data)

        self._locked(handle)

    def disconnect(self, session: Any, why: Literal["client", "keepalive", "server"]) -> None:
        if not isinstance(session, EnosSession):
            return
        self._log(f"{session.asset_id} DISCONNECT ({why})")

        def logout() -> None:
            enos = self.enos
            with enos.platform.operation():
                if enos._links.get(session.asset_id) is not session.link:
                    return  # a newer connection took over, or the device was dropped
                del enos._links[session.asset_id]
                for asset_id in [session.asset_id, *sorted(session.subs)]:
                    if asset_id != session.asset_id and enos._links.get(asset_id) is session.link:
                        del enos._links[asset_id]
                        enos._via_gateway.discard(asset_id)
                    device = enos.state.devices.get(asset_id)
                    if device is not None and device.state is State.ONLINE:
                        self._offline(device, why)

        self._locked(logout)

    # -- uplinks --------------------------------------------------------------------------------
    def _request(
        self,
        session: EnosSession,
        match: re.Match[str],
        rest: str,
        params: Any,
        message: dict[str, Any] | None = None,
    ) -> Any:
        """Apply one uplink request (under the platform lock); its reply's ``data``.
        ``message`` is the whole request, for the fields beside ``params``."""
        enos = self.enos
        with enos.platform.operation():
            if match.group("root") == "ext/session":
                return self._session_request(session, match, rest, params)
            device = self._own(session, match.group("pk"), match.group("dk"))
            if rest in ("thing/measurepoint/post", "thing/measurepoint/resume"):
                points, at = _points(params)
                enos.post_points(device, points, at)
                return {}
            if rest in ("thing/measurepoint/post/batch", "thing/measurepoint/resume/batch"):
                if not isinstance(params, list) or not params:
                    raise _Reply(PARAMETER_ERR, "params must be a list of measure point posts")
                offline = (message or {}).get("allowOfflineSubDevice") is True
                batch = []
                for item in params:
                    if not isinstance(item, dict):
                        raise _Reply(PARAMETER_ERR, "each item is an object")
                    target = self._own(
                        session,
                        str(item.get("productKey", device.product_key)),
                        str(item.get("deviceKey", device.device_key)),
                        offline=offline,
                    )
                    batch.append((target, *_points(item)))
                for target, points, at in batch:
                    enos.post_points(target, points, at)
                return {}
            if rest.startswith("thing/event/") and rest.endswith("/post"):
                return self._event(device, rest[len("thing/event/") : -len("/post")], params)
            if rest.startswith("thing/attribute/"):
                return self._attributes(device, rest.rpartition("/")[2], params)
            if rest.startswith("thing/tag/"):
                return self._tags(device, rest.rpartition("/")[2], params)
            if rest.startswith("thing/topo/"):
                return self._topology(session, device, rest.rpartition("/")[2], params)
            if rest in UNMODELLED or rest.startswith("ota/device/"):
                raise _Reply(NOT_SUPPORTED, f"topic {rest!r} is not modelled by fakeiot")
            raise _Reply(NOT_SUPPORTED, f"topic {rest!r} is not supported")

    def _own(
        self, session: EnosSession, product_key: str, device_key: str, *, offline: bool = False
    ) -> Device:
        """The device a topic or batch item names: this connection's, or a sub-device logged
        in on it; with ``offline`` (``allowOfflineSubDevice``) also a sub-device of the
        gateway that is not logged in."""
        enos = self.enos
        if (product_key, device_key) == (session.product_key, session.device_key):
            device = enos.state.devices.get(session.asset_id)
            if device is None:
                raise _Reply(DEVICE_NOT_EXISTS, "the device no longer exists")
            return device
        found = self._device(product_key, device_key)
        if found is not None and found.state is not State.DISABLED:
            if found.asset_id in session.subs and enos._links.get(found.asset_id) is session.link:
                return found
            gateway = enos.state.devices.get(session.asset_id)
            if offline and gateway is not None and self._is_sub(gateway, found):
                return found
        raise _Reply(
            AUTH_ERR,
            f"{product_key}/{device_key} is not this connection's device nor a sub-device "
            "logged in on it (allowOfflineSubDevice lets a batch post for its others)",
        )

    def _device(self, product_key: str, device_key: str) -> Device | None:
        state = self.enos.state
        product = state.products.get(product_key)
        found = state.orgs[product.org_id].by_key.get(device_key) if product else None
        return found if found is not None and found.product_key == product_key else None

    def _is_sub(self, gateway: Device, sub: Device) -> bool:
        """Whether ``sub`` may go through ``gateway``: its topology holds it, or (setting
        ``enos_sub_device_topology="open"``) any other device of its org."""
        if sub.asset_id == gateway.asset_id or sub.org_id != gateway.org_id:
            return False
        if sub.gateway == gateway.asset_id:
            return True
        return bool(self.enos.options.enos_sub_device_topology == "open")

    def _event(self, device: Device, event_id: str, params: Any) -> Any:
        """``thing.event.{id}.post``: ``{"events": {...}, "time": ms}`` sets the device's
        ``eventLastUpdate`` (spec B.2) and is recorded in ``platform.events``."""
        if not event_id or "/" in event_id:
            raise _Reply(NOT_SUPPORTED, f"thing/event/{event_id}/post names no event")
        if not isinstance(params, dict):
            raise _Reply(PARAMETER_ERR, "params must be an object")
        events, at = params.get("events"), params.get("time")
        if not isinstance(events, dict):
            raise _Reply(PARAMETER_ERR, "events must be an object of the event's output values")
        if at is not None and (isinstance(at, bool) or not isinstance(at, int | float) or at < 0):
            raise _Reply(PARAMETER_ERR, "time must be epoch milliseconds")
        enos = self.enos
        when = enos._now_ms() if at is None else int(at)
        device.event_last_update = max(device.event_last_update or 0, when)
        data = {"eventId": event_id, "outputs": sorted(events)[:20], "time": when}
        enos.platform.emit(FACE, "device_event", device.asset_id, data)
        return {}

    def _topology(self, session: EnosSession, gateway: Device, verb: str, params: Any) -> Any:
        """``thing.topo.add|delete|get`` on the gateway's own topic (EnOS device protocol,
        "Device Topology Management"): the sub-devices it may log in."""
        if gateway.asset_id != session.asset_id:
            raise _Reply(AUTH_ERR, "topology requests name the connected gateway itself")
        org = self.enos.state.orgs[gateway.org_id]
        if verb == "get":
            return [
                {"productKey": d.product_key, "deviceKey": d.device_key}
                for d in org.devices.values()
                if d.gateway == gateway.asset_id
            ]
        if verb not in ("add", "delete"):
            raise _Reply(NOT_SUPPORTED, f"thing.topo.{verb} is not a method")
        if not isinstance(params, list) or not all(isinstance(p, dict) for p in params):
            raise _Reply(PARAMETER_ERR, "params must be a list of sub-devices")
        subs = []
        for item in params:
            product_key, device_key = item.get("productKey"), item.get("deviceKey")
            if not isinstance(product_key, str) or not isinstance(device_key, str):
                raise _Reply(PARAMETER_ERR, "each sub-device has productKey and deviceKey")
            sub = self._device(product_key, device_key)
            if sub is None:
                raise _Reply(DEVICE_NOT_EXISTS, f"no device {product_key}/{device_key}")
            if sub.org_id != gateway.org_id or sub.asset_id == gateway.asset_id:
                raise _Reply(AUTH_ERR, f"{product_key}/{device_key} cannot be its sub-device")
            if verb == "add":
                method = item.get("signMethod", item.get("signmethod"))
                self._check_sign(sub, item, method)
            subs.append(sub)
        for sub in subs:
            if verb == "add":
                sub.gateway = gateway.asset_id
            elif sub.gateway == gateway.asset_id:
                sub.gateway = None
                if sub.asset_id in session.subs:
                    self._logout_sub(session, sub)
        return {}

    def _check_sign(self, sub: Device, fields: dict[str, Any], method: Any) -> None:
        """A sub-device's ``sign``: ``SignUtil.sign`` over its productKey, deviceKey,
        clientId and timestamp with its deviceSecret, like a login password."""
        client, stamp, given = fields.get("clientId"), fields.get("timestamp"), fields.get("sign")
        if not isinstance(client, str) or not isinstance(stamp, str) or not isinstance(given, str):
            raise _Reply(PARAMETER_ERR, "clientId, timestamp and sign are required strings")
        signed = {
            "productKey": sub.product_key,
            "deviceKey": sub.device_key,
            "clientId": client,
            "timestamp": stamp,
        }
        if not isinstance(method, str) or method not in _SIGN:
            raise _Reply(PARAMETER_ERR, f"signMethod must be one of {', '.join(_SIGN)}")
        if not hmac.compare_digest(sign(sub.device_secret, signed, method).lower(), given.lower()):
            raise _Reply(AUTH_ERR, "the sub-device's sign does not match its secret")

    def _attributes(self, device: Device, verb: str, params: Any) -> Any:
        if not isinstance(params, dict):
            raise _Reply(PARAMETER_ERR, "params must be an object")
        value = params.get("attributes")
        if verb == "update":
            if not isinstance(value, dict):
                raise _Reply(PARAMETER_ERR, "attributes must be an object")
            try:
                merged = check_attributes({**device.attributes, **value})
            except ValueError as exc:
                raise _Reply(PARAMETER_ERR, f"attributes {exc}") from None
            device.attributes = merged
        elif verb in ("query", "delete"):
            if value is None:
                value = []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _Reply(PARAMETER_ERR, "attributes must be a list of identifiers")
            if verb == "query":
                held = device.attributes
                return {k: held[k] for k in (value or list(held)) if k in held}
            device.attributes = {k: v for k, v in device.attributes.items() if k not in value}
        else:
            raise _Reply(PARAMETER_ERR, f"thing.attribute.{verb} is not a method")
        device.attribute_last_update = self.enos._now_ms()
        self.enos.platform.emit(FACE, "update", device.asset_id, {"fields": ["deviceAttributes"]})
        return {}

    def _tags(self, device: Device, verb: str, params: Any) -> Any:
        if verb == "update":
            if not isinstance(params, list) or not all(
                isinstance(p, dict) and isinstance(p.get("tagKey"), str) for p in params
            ):
                raise _Reply(PARAMETER_ERR, "params must be a list of {tagKey, tagValue}")
            patch = {p["tagKey"]: p.get("tagValue") for p in params}
            try:
                device.tags = check_tags({**device.tags, **patch})
            except ValueError as exc:
                raise _Reply(PARAMETER_ERR, f"tags {exc}") from None
        elif verb in ("query", "delete"):
            keys = params.get("tags") if isinstance(params, dict) else None
            keys = [] if keys is None else keys
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise _Reply(PARAMETER_ERR, "tags must be a list of tag keys")
            if verb == "query":
                return {k: v for k, v in device.tags.items() if not keys or k in keys}
            device.tags = {k: v for k, v in device.tags.items() if k not in keys}
        else:
            raise _Reply(PARAMETER_ERR, f"thing.tag.{verb} is not a method")
        self.enos.platform.emit(FACE, "update", device.asset_id, {"fields": ["deviceTags"]})
        return {}

    def _session_request(
        self, session: EnosSession, match: re.Match[str], rest: str, params: Any
    ) -> Any:
        """Sub-device login and logout on a gateway's connection (spec B.4, B.6)."""
        if (match.group("pk"), match.group("dk")) != (session.product_key, session.device_key):
            raise _Reply(AUTH_ERR, "the topic names another gateway")
        if not isinstance(params, dict):
            raise _Reply(PARAMETER_ERR, "params must be an object")
        if rest == "combine/login/batch":
            return self._batch_login(session, params)
        if rest not in ("combine/login", "combine/logout"):
            raise _Reply(NOT_SUPPORTED, f"topic {rest!r} is not supported")
        product_key, device_key = params.get("productKey"), params.get("deviceKey")
        if not isinstance(product_key, str) or not isinstance(device_key, str):
            raise _Reply(PARAMETER_ERR, "productKey and deviceKey are required")
        if rest == "combine/logout":
            sub = self._own(session, product_key, device_key)
            self._logout_sub(session, sub)
            return {"productKey": product_key, "deviceKey": device_key}
        sub = self._sub_login(session, product_key, device_key, params, params.get("signMethod"))
        return {"assetId": sub.asset_id, "productKey": product_key, "deviceKey": device_key}

    def _batch_login(self, session: EnosSession, params: dict[str, Any]) -> Any:
        """``combine.login.batch``: each of ``subDevices`` signs with the request's clientId,
        timestamp and signMethod; 200 when all logged in, else 723 naming the failures."""
        subs = params.get("subDevices")
        if not isinstance(subs, list) or not subs or not all(isinstance(s, dict) for s in subs):
            raise _Reply(PARAMETER_ERR, "subDevices must be a non-empty list of sub-devices")
        logged: list[dict[str, str]] = []
        failed: list[dict[str, Any]] = []
        errors = []
        for item in subs:
            product_key, device_key = item.get("productKey"), item.get("deviceKey")
            fields = {**item, "clientId": params.get("clientId")}
            fields["timestamp"] = params.get("timestamp")
            try:
                if not isinstance(product_key, str) or not isinstance(device_key, str):
                    raise _Reply(PARAMETER_ERR, "productKey and deviceKey are required")
                sub = self._sub_login(
                    session, product_key, device_key, fields, params.get("signMethod")
                )
            except _Reply as error:
                failed.append({"productKey": product_key, "deviceKey": device_key})
                errors.append(f"{product_key}&{device_key} has error: {error.message};")
            else:
                logged.append(
                    {"assetId": sub.asset_id, "productKey": product_key, "deviceKey": device_key}
                )
        data = {"loginedSubDevices": logged, "failedSubDevices": failed}
        if failed:
            raise _Reply(BATCH_LOGIN_PARTIAL, "".join(errors)[:2000], data)
        return data

    def _sub_login(
        self,
        session: EnosSession,
        product_key: str,
        device_key: str,
        fields: dict[str, Any],
        method: Any,
    ) -> Device:
        enos = self.enos
        try:
            sub = enos._login_target(product_key, device_key)
        except ConnectRefused as refused:
            raise _Reply(DEVICE_NOT_EXISTS, str(refused)) from None
        gateway = enos.state.devices[session.asset_id]
        if sub.org_id != gateway.org_id or sub.asset_id == gateway.asset_id:
            raise _Reply(AUTH_ERR, "the sub-device is not in the gateway's organization")
        self._check_sign(sub, fields, method)
        if sub.state is State.DISABLED:
            raise _Reply(AUTH_ERR, "Device is disable")
        if not self._is_sub(gateway, sub):
            raise _Reply(
                AUTH_ERR,
                "the gateway's topology does not hold the sub-device (thing/topo/add first, "
                "or enos_sub_device_topology='open')",
            )
        session.subs.add(sub.asset_id)
        enos._links[sub.asset_id] = session.link  # its commands go to the gateway's connection
        enos._via_gateway.add(sub.asset_id)
        enos._sub_sessions[sub.asset_id] = session
        enos._login(sub)
        enos._check(sub.asset_id)
        return sub

    def _logout_sub(self, session: EnosSession, sub: Device) -> None:
        enos = self.enos
        session.subs.discard(sub.asset_id)
        if enos._links.get(sub.asset_id) is session.link:
            del enos._links[sub.asset_id]
            enos._via_gateway.discard(sub.asset_id)
            enos._sub_sessions.pop(sub.asset_id, None)
            if sub.state is State.ONLINE:
                self._offline(sub, "client")

    def _offline(self, device: Device, why: str) -> None:
        enos = self.enos
        device.last_offline_time = enos._now_ms()
        enos._move(device, "disconnect", {"reason": why})
        enos._check(device.asset_id)

    # -- device replies to commands -------------------------------------------------------------
    def _device_reply(
        self, session: EnosSession, match: re.Match[str] | None, rest: str, message: Any
    ) -> None:
        """A ``..._reply`` the device sends: completes the command whose id it echoes; the
        platform answers nothing to a reply (a malformed one is dropped)."""
        if match is None or not isinstance(message, dict):
            return
        message_id, code = message.get("id"), message.get("code")
        if not isinstance(message_id, str):
            return
        if not (rest == "thing/service/measurepoint/set_reply" or _SERVICE_REPLY.fullmatch(rest)):
            return
        ok = str(code) == str(OK)  # the SDK sends 200, or "1101"/"500" as strings
        data = message.get("data")
        enos = self.enos
        owner = session.asset_id
        if (match.group("pk"), match.group("dk")) != (session.product_key, session.device_key):
            product = enos.state.products.get(match.group("pk"))
            org = enos.state.orgs.get(product.org_id) if product is not None else None
            sub = org.by_key.get(match.group("dk")) if org is not None else None
            if sub is None or sub.asset_id not in session.subs:
                return
            owner = sub.asset_id

        def complete() -> None:
            if enos._waits.offer((owner, message_id), ok, data):
                return  # an immediate command's caller waits for it
            device = enos.state.devices.get(owner)
            command = device.commands.get(message_id) if device is not None else None
            if device is not None and command is not None and command.state is C.RELEASED:
                enos._finish(device, command, ok, data)

        self._locked(complete)

    # -- helpers --------------------------------------------------------------------------------
    def _answer(
        self, link: Link, topic: str, message_id: str, code: int, message: str, data: Any = None
    ) -> None:
        reply = {"id": message_id, "code": code, "data": {} if data is None else data}
        reply["message"] = message
        self._log(f"-> {topic[:120]}_reply (code {code})")
        link.publish(topic + "_reply", encode(reply), 1)

    def _locked(self, work: Callable[[], None]) -> None:
        """Run ``work`` under the platform's lock, from the front's thread (a northbound call
        waiting for a device releases the lock while it waits)."""
        with self.enos.platform.operation():
            work()


def _pairs(text: str) -> dict[str, str]:
    pairs = {}
    for item in text.split(","):
        key, eq, value = item.partition("=")
        if eq:
            pairs[key.strip()] = value.strip()
    return pairs


def _points(params: Any) -> tuple[dict[str, Any], int | None]:
    """``{"measurepoints": {...}, "time": ms}`` of a post (``time`` optional)."""
    if not isinstance(params, dict):
        raise _Reply(PARAMETER_ERR, "params must be an object")
    points, at = params.get("measurepoints"), params.get("time")
    if not isinstance(points, dict) or not points or not all(points):
        raise _Reply(PARAMETER_ERR, "measurepoints must be an object of pointId: value")
    if at is not None and (isinstance(at, bool) or not isinstance(at, int | float) or at < 0):
        raise _Reply(PARAMETER_ERR, "time must be epoch milliseconds")
    return points, None if at is None else int(at)
