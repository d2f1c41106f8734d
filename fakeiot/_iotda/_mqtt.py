"""IoTDA's device side over MQTT (spec device-traffic C): the CONNECT rules, the ``$oc/...``
uplink topics and the downlinks, as a :class:`~fakeiot._link.DeviceProtocol`.

Threads (see :mod:`fakeiot._link`): the MQTT front calls :meth:`IotdaProtocol.receive` from
its worker threads, one connection's PUBLISHes in order; each is applied at once under the
platform's lock (so a QoS 1 PUBLISH is acknowledged only once applied). A northbound call that
waits for a device's answer (a synchronous command, a property set or get) waits with the
platform's lock released (:meth:`~fakeiot.Platform.wait_released`): the device's traffic, its
answer included, and every other call and device go on meanwhile.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .._errors import ApiError, ConnectRefused, UsageError
from .._link import BAD_CLIENT_ID, BAD_CREDENTIALS, NOT_AUTHORIZED, Link, Refused
from ._model import compact_time

if TYPE_CHECKING:
    from ._face import Iotda

#: CONNACK code per ConnectRefused reason of ``Service.mqtt_connect``
CODES = {"bad_client_id": BAD_CLIENT_ID, "bad_credentials": BAD_CREDENTIALS,
         "not_authorized": NOT_AUTHORIZED}  # fmt: skip
#: keep-alive the platform accepts (spec C.1: otherwise CONNACK 2)
KEEPALIVE = (30, 1200)
#: the largest PUBLISH the platform takes (spec C.1: 1 MB)
MAX_PAYLOAD = 1024 * 1024
_RESPONSE = re.compile(r"sys/(commands|properties/set|properties/get)/response/request_id=(.+)")
_REQUEST = re.compile(r"sys/shadow/get/request_id=(.+)")
LOG_LIMIT = 500
#: the ``(service_id, event_type)`` of a device's time synchronisation request
TIME_SYNC = ("$time_sync", "time_sync_request")


@dataclass(eq=False)
class IotdaSession:
    """One accepted connection: which device, through which link."""

    device_id: str
    link: Link
    client_id: str
    since: float
    #: replaced by a newer connection of the same device (its end changes nothing)
    superseded: bool = False
    uplinks: int = 0
    downlinks: int = 0


@dataclass(eq=False)
class _Waiter:
    """A northbound call waiting for the device's answer to one request."""

    device_id: str
    kind: str
    answered: bool = False
    answer: Any = None


class IotdaProtocol:
    """``platform.iotda.device_protocol()``: IoTDA devices over MQTT."""

    face = "iotda"

    def __init__(self, iotda: Iotda) -> None:
        self.iotda = iotda
        #: device_id -> its current connection (changed under the platform's lock)
        self.links: dict[str, IotdaSession] = {}
        #: MQTT traffic, one line each, for the failure transcript
        self.log: deque[str] = deque(maxlen=LOG_LIMIT)
        self._waiters: dict[str, _Waiter] = {}

    # =========================================================================================
    # DeviceProtocol
    # =========================================================================================
    def claims(self, client_id: str, username: str | None) -> bool:
        """Every CONNECT but EnOS-shaped ones (``id|securemode=...|``): IoTDA then judges it."""
        return "|" not in client_id

    def connect(
        self, client_id: str, username: str | None, password: bytes | None, link: Link
    ) -> IotdaSession:
        keepalive = getattr(link, "keepalive", None)
        if keepalive is not None and not KEEPALIVE[0] <= keepalive <= KEEPALIVE[1]:
            raise self._refuse(client_id, BAD_CLIENT_ID, f"keep-alive {keepalive}s is not 30..1200")
        if username is None or password is None:
            raise self._refuse(client_id, BAD_CREDENTIALS, "no username or password (no X.509)")
        iotda = self.iotda
        platform = iotda.platform
        device_id = username
        refused: Refused | None = None
        # Refused leaves the operation as a value: a frozen dataclass exception cannot have
        # its __traceback__ rewritten by a context manager's __exit__
        with platform.operation():
            iotda.tick(platform.clock.now())
            previous = self.links.get(device_id)
            session = IotdaSession(device_id, link, client_id, platform.clock.now())
            # registered first: what waited for the device (cached commands) goes to this link
            self.links[device_id] = session
            try:
                iotda.service.mqtt_connect(client_id, username, password.decode("utf-8", "replace"))
            except ConnectRefused as exc:
                if previous is None:
                    del self.links[device_id]
                else:
                    self.links[device_id] = previous
                code = CODES.get(exc.reason, BAD_CREDENTIALS)
                if exc.reason == "not_authorized":
                    code = platform.settings.iotda_mqtt_frozen_connack
                refused = self._refuse(client_id, code, str(exc))
            else:
                if previous is not None:  # one connection per device: the newer one wins
                    previous.superseded = True
                    previous.link.close()
        if refused is not None:
            raise refused
        self._log(f"{device_id} CONNECT {client_id} -> CONNACK 0")
        return session

    def receive(self, session: IotdaSession, topic: str, payload: bytes) -> None:
        if session.superseded:
            return
        session.uplinks += 1
        prefix = f"$oc/devices/{session.device_id}/"
        self._log(f"{session.device_id} <- {topic[:120]} ({len(payload)} bytes)")
        if not topic.startswith(prefix):
            self._log(f"{session.device_id} ignored: {topic[:80]!r} is not its own topic")
            return
        rest = topic[len(prefix) :]
        if len(payload) > MAX_PAYLOAD:
            self._log(f"{session.device_id} ignored: {len(payload)} bytes is over 1 MB")
            return
        response = _RESPONSE.fullmatch(rest)
        if response is not None:
            kind, request_id = response.group(1), response.group(2)
            self._apply(lambda: self._answer(session, kind, request_id, payload))
            return
        self._apply(lambda: self._uplink(session, rest, payload))

    def disconnect(
        self, session: IotdaSession, why: Literal["client", "keepalive", "server"]
    ) -> None:
        self._log(f"{session.device_id} DISCONNECT ({why})")
        self._apply(lambda: self._ended(session))

    # =========================================================================================
    # What the service calls (under the platform's lock)
    # =========================================================================================
    def ask(
        self, device_id: str, kind: str, request_id: str, body: dict[str, Any], timeout: float
    ) -> Any:
        """Publish a request to the device and wait up to ``timeout`` real seconds, the
        platform's lock released, for its answer on the matching response topic.

        ``kind`` is ``commands``, ``properties/set`` or ``properties/get``. Returns the answer's
        JSON (``None`` if it was not JSON); raises :class:`TimeoutError`. The caller holds the
        platform's lock.
        """
        session = self.links[device_id]
        waiter = _Waiter(device_id, kind)
        self._waiters[request_id] = waiter
        try:
            self.send(session, f"sys/{kind}/request_id={request_id}", body)
            if not self.iotda.platform.wait_released(lambda: waiter.answered, timeout):
                raise TimeoutError(f"{device_id} did not answer within {timeout}s")
            return waiter.answer
        finally:
            self._waiters.pop(request_id, None)

    def send(self, session: IotdaSession, rest: str, body: Any) -> None:
        """Publish ``body`` (JSON) on ``$oc/devices/{id}/{rest}`` to the device's connection."""
        topic = rest if rest.startswith("$") else f"$oc/devices/{session.device_id}/{rest}"
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        session.downlinks += 1
        self._log(f"{session.device_id} -> {topic[:120]} ({len(data)} bytes)")
        session.link.publish(topic, data)

    def drop(self, device_id: str) -> None:
        """The platform ended the device's connection (frozen, deleted, secret reset)."""
        session = self.links.pop(device_id, None)
        if session is not None:
            session.superseded = True
            self._log(f"{device_id} closed by the platform")
            session.link.close()

    # =========================================================================================
    # What the device sends, applied on the front's thread (one connection's in order)
    # =========================================================================================
    def _apply(self, work: Callable[[], None]) -> None:
        """Apply one thing the device sent, under the platform's lock; a QoS 1 PUBLISH is
        acknowledged once this returns."""
        with self.iotda.platform.operation():
            try:
                work()
            except Exception as exc:  # a bug here must not stop the broker
                self._log(f"error: {exc!r:.200}")

    def _uplink(self, session: IotdaSession, rest: str, payload: bytes) -> None:
        if session.superseded:
            return
        device_id = session.device_id
        service = self.iotda.service
        try:
            if rest == "sys/properties/report":
                for service_id, properties, at in _services(_object(payload)):
                    service.report(device_id, service_id, properties, at=at)
                service.sync_desired(device_id)
            elif rest == "sys/gateway/sub_devices/properties/report":
                devices = _object(payload).get("devices")
                if not isinstance(devices, list):
                    raise ValueError("devices: a list is required")
                reports = []  # all checked before any is applied: a bad entry rejects the batch
                for entry in devices:
                    child = entry.get("device_id") if isinstance(entry, dict) else None
                    if not isinstance(child, str) or not service.is_child(device_id, child):
                        raise ValueError(f"{str(child)[:64]!r} is not a child of this gateway")
                    reports += [(child, *found) for found in _services(entry)]
                for child, service_id, properties, at in reports:
                    service.report(child, service_id, properties, via=device_id, at=at)
            elif rest == "sys/events/up":
                body = _object(payload)
                services = body.get("services")
                if not isinstance(services, list) or not all(isinstance(e, dict) for e in services):
                    raise ValueError("services: a list of objects is required")
                target = body.get("object_device_id", device_id)
                if target != device_id and not (
                    isinstance(target, str) and service.is_child(device_id, target)
                ):
                    raise ValueError(f"{str(target)[:64]!r} is neither this device nor its child")
                for event in services:
                    if (event.get("service_id"), event.get("event_type")) == TIME_SYNC:
                        self._time_sync(session, target, event)
                    service.device_event(target, event)
            elif rest.startswith(("sys/messages/up", "user/")):
                service.message_up(device_id, rest, payload)
            elif (match := _REQUEST.fullmatch(rest)) is not None:
                body = _object(payload) if payload else {}
                wanted = body.get("service_id")
                wanted = wanted if isinstance(wanted, str) else None
                shadow = service.device_shadow(device_id, wanted)
                self.send(session, f"sys/shadow/get/response/request_id={match.group(1)}",
                          {"object_device_id": device_id, "shadow": shadow})  # fmt: skip
            else:
                self._log(f"{device_id} ignored: no such uplink topic {rest[:80]!r}")
        except (ValueError, ApiError, UsageError) as exc:
            # IoTDA drops a malformed uplink (no error topic exists); the state is unchanged
            self._log(f"{device_id} rejected {rest[:60]!r}: {exc}")

    def _answer(self, session: IotdaSession, kind: str, request_id: str, payload: bytes) -> None:
        """A ``.../response/request_id=...``: completes the call that waits for it (the same
        device and kind of request), else, on ``commands``, an asynchronous command."""
        waiter = self._waiters.get(request_id)
        if waiter is not None and (waiter.device_id, waiter.kind) == (session.device_id, kind):
            del self._waiters[request_id]
            waiter.answer, waiter.answered = _json(payload), True
            self.iotda.platform.wake()
        elif kind == "commands":
            self._async_result(session, request_id, payload)
        else:
            self._log(f"{session.device_id} ignored: no request {request_id[:64]!r} waits")

    def _time_sync(self, session: IotdaSession, target: str, event: dict[str, Any]) -> None:
        """Answer a ``time_sync_request`` on ``sys/events/down`` (IoTDA device API
        ``iot_06_v5_3041``): the device's send time and the platform's, in milliseconds."""
        paras = event.get("paras")
        sent = paras.get("device_send_time") if isinstance(paras, dict) else None
        if isinstance(sent, bool) or not isinstance(sent, int):
            raise ValueError("paras.device_send_time: epoch milliseconds are required")
        now = self.iotda.platform.clock.now()
        ms = int(now * 1000)
        times = {"device_send_time": sent, "server_recv_time": ms, "server_send_time": ms}
        body = {"object_device_id": target, "services": [{"service_id": TIME_SYNC[0],
                "event_type": "time_sync_response", "event_time": compact_time(now),
                "paras": times}]}  # fmt: skip
        self.send(session, "sys/events/down", body)

    def _async_result(self, session: IotdaSession, command_id: str, payload: bytes) -> None:
        body = _json(payload)
        ok = not isinstance(body, dict) or body.get("result_code", 0) in (0, None)
        sim = self.iotda.simulated(session.device_id)
        try:
            sim.respond(command_id, body, ok=ok)
        except LookupError:
            self._log(f"{session.device_id} ignored: no command {command_id[:64]!r} waits")

    def _ended(self, session: IotdaSession) -> None:
        if session.superseded or self.links.get(session.device_id) is not session:
            return
        del self.links[session.device_id]
        device = self.iotda.state.devices.get(session.device_id)
        if device is not None and device.connected:
            self.iotda.service.disconnect(session.device_id)

    def _refuse(self, client_id: str, code: int, reason: str) -> Refused:
        self._log(f"CONNECT {client_id[:80]} -> CONNACK {code}: {reason}")
        return Refused(code, reason)

    def _log(self, line: str) -> None:
        self.log.append(f"{self.iotda.platform.clock.now():.3f} mqtt {line}")

    # -- the dashboard --------------------------------------------------------------------------
    def connected(self) -> dict[str, IotdaSession]:
        return dict(self.links)


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _object(payload: bytes) -> dict[str, Any]:
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise ValueError(f"the payload is not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise ValueError("the payload must be a JSON object")
    return body


def _services(body: dict[str, Any]) -> list[tuple[str, dict[str, Any], float | None]]:
    """The ``(service_id, properties, event_time)`` of a report's ``services``."""
    services = body.get("services")
    if not isinstance(services, list) or not services:
        raise ValueError("services: a non-empty list is required")
    found = []
    for i, entry in enumerate(services):
        if not isinstance(entry, dict):
            raise ValueError(f"services[{i}]: an object is required")
        service_id, properties = entry.get("service_id"), entry.get("properties")
        if not isinstance(service_id, str) or not service_id:
            raise ValueError(f"services[{i}].service_id: a string is required")
        if not isinstance(properties, dict):
            raise ValueError(f"services[{i}].properties: an object is required")
        found.append((service_id, properties, event_time(entry.get("event_time"))))
    return found


def event_time(value: Any) -> float | None:
    """A device's ``event_time``: ``yyyyMMdd'T'HHmmss'Z'`` as documented, or
    ``yyyy-MM-dd'T'HH:mm:ss'Z'`` as Huawei's device SDK writes it (spec device-traffic C.3).
    ``None`` when absent or malformed: the platform then uses the time it received the data
    (IoTDA device API: "not carried or in incorrect format")."""
    if not isinstance(value, str) or len(value) > 20:
        return None
    for form in ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            parsed = datetime.datetime.strptime(value, form)
        except ValueError:
            continue
        return parsed.replace(tzinfo=datetime.timezone.utc).timestamp()
    return None


__all__ = ["IotdaProtocol", "IotdaSession"]
