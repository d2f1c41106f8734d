"""EnOS device traffic (spec device-traffic B.1, B.2, B.6): commands to devices, the measure
points they report, and the simulated device (``platform.enos.simulate``).

A command goes to the device by one of two ways: over MQTT when the device is connected through
a :class:`fakeiot._link.Link` (:mod:`._mqtt`), or to the in-process :class:`EnosDevice` the
test drives (a default one that acknowledges everything when the test made none). Its moves are
the data in :mod:`._commands`; the time-driven ones (``pendingTtl`` expiry, ``timeout``, a reply
the simulated device gives later) sit in a heap of deadlines applied lazily by :meth:`tick`.

Threads (see :mod:`fakeiot._link`): an immediate command to an MQTT device waits for the
reply in :class:`_Waits`, the platform's lock released meanwhile; the reply, applied under the
lock like every uplink, hands the waiting call its result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .. import _device
from .._errors import ApiError, InvariantError, NotFoundError, UsageError
from .._lifecycle import State
from ._commands import (
    FINAL,
    INVOKE_SERVICE,
    SET_MEASUREPOINT,
    Command,
    CommandState,
    local_time,
)
from ._errors import EnosError, bad
from ._model import Device, DeviceView, EnosSettings, Org
from ._schemas import (
    COMMAND_PAGE_SIZE,
    COMMANDS_SORTED_BY,
    MAX_PAGE_SIZE,
    CommandCall,
    CommandCreated,
    DeviceKeys,
    Page,
    Pagination,
    PointStatus,
)
from ._search import COMMAND_FIELDS, command_record, project
from ._service import FACE, EnosService

if TYPE_CHECKING:
    from .._face import Host
    from .._link import Link
    from ._mqtt import EnosSession

E = EnosError
C = CommandState


class LinkError(Exception):
    """A publish to a device's connection failed (the connection is gone)."""


def _send(link: Link, topic: str, payload: bytes) -> None:
    """Publish to a device's connection (QoS 1); :class:`LinkError` if it is gone."""
    try:
        link.publish(topic, payload, 1)
    except Exception as exc:  # whatever the link raises: the connection is gone
        raise LinkError(str(exc)) from exc


# =============================================================================================
# The simulated device
# =============================================================================================
@dataclass(eq=False)
class EnosDevice(_device.SimulatedDevice):
    """A simulated EnOS device (``platform.enos.simulate(product_key, device_key, secret)``).

    ``device_id`` is its assetId. Commands reach it as :class:`fakeiot.Command` values:
    ``service_id`` is the service (``None`` for a measure point set), ``command_name`` the
    service or ``"measurepoint.set"``, ``paras`` the ``inputData`` (``{pointId: value}`` for a
    set). A dict the handler returns is the reply's ``data`` (the service's ``outputData``).
    """

    product_key: str = ""
    device_key: str = ""
    secret: str = field(default="", repr=False)
    face: Any = field(default=None, repr=False)

    def connect(self) -> EnosDevice:
        """Log in over MQTT with the device secret (securemode 2): the first login activates
        the device; cached commands are delivered now, oldest first. Raises
        :class:`fakeiot.ConnectRefused` as ``login_device`` does."""
        self.face.login_device(self.product_key, self.device_key, self.secret)
        return self

    def disconnect(self) -> None:
        """Log out: the device goes offline."""
        self.face.logout_device(self.product_key, self.device_key)

    def report(self, measurepoints: dict[str, Any], time: float | None = None) -> None:
        """Post measure points (``thing.measurepoint.post``): ``queryLatest`` reads them and
        ``measurepointLastUpdate`` moves. ``time`` is epoch seconds (default: now). A sleeping
        device that reports is awake again: its cached commands arrive."""
        face: TrafficService = self.face
        with face.platform.operation():
            device = face.online_device(self.product_key, self.device_key)
            at = None if time is None else int(time * 1000)
            if not isinstance(measurepoints, dict) or not measurepoints:
                raise UsageError("report() takes a non-empty dict of measure points")
            face.post_points(device, measurepoints, at)
            if self.asleep:
                self.asleep = False
                face.release_cached(device)

    def wake(self) -> None:
        """Wake from sleep: cached commands arrive now (if the device is online)."""
        face: TrafficService = self.face
        self.asleep = False
        with face.platform.operation():
            device = face.state.devices.get(self.device_id)
            if device is not None and device.state is State.ONLINE:
                face.release_cached(device)

    @property
    def status(self) -> str:
        face: TrafficService = self.face
        return str(face.device(self.device_id).status)


# =============================================================================================
# Replies an MQTT device sends to a waiting northbound call
# =============================================================================================
class _Slot:
    __slots__ = ("result",)

    def __init__(self) -> None:
        self.result: tuple[bool, Any] | None = None


class _Waits:
    """Immediate commands waiting for an MQTT device's reply (under the platform's lock)."""

    def __init__(self, platform: Host) -> None:
        self.platform = platform
        self.slots: dict[tuple[str, str], _Slot] = {}

    def offer(self, key: tuple[str, str], ok: bool, body: Any) -> bool:
        """Give a waiting call its reply; ``False`` if nobody waits for ``key``."""
        slot = self.slots.get(key)
        if slot is None or slot.result is not None:
            return False
        slot.result = (ok, body)
        self.platform.wake()
        return True

    def ask(
        self, key: tuple[str, str], send: Callable[[], None], seconds: float
    ) -> tuple[bool, Any] | None:
        """``send()`` the request, then wait up to ``seconds`` of real time, the platform's
        lock released, for ``key``'s reply (``None`` if none came)."""
        slot = self.slots[key] = _Slot()
        try:
            send()
            self.platform.wait_released(lambda: slot.result is not None, seconds)
        finally:
            del self.slots[key]
        return slot.result


# =============================================================================================
# The service
# =============================================================================================
class TrafficService(EnosService):
    """Commands, measure points and the device side's traffic."""

    settings_class: ClassVar[type | None] = EnosSettings

    def __init__(self, platform: Host) -> None:
        super().__init__(platform)
        self._sims: dict[str, EnosDevice] = {}
        #: devices connected over MQTT: assetId -> their connection (not state: not copied)
        self._links: dict[str, Link] = {}
        #: sub-devices whose connection is their gateway's (dropping them keeps it open)
        self._via_gateway: set[str] = set()
        #: sub-device assetId -> the gateway session it logged in on
        self._sub_sessions: dict[str, EnosSession] = {}
        self._waits = _Waits(platform)

    # -- test-side API ----
    def simulate(self, product_key: str, device_key: str, secret: str) -> EnosDevice:
        """A simulated device for an existing ``product_key``/``device_key`` that logs in with
        ``secret``; commands sent to the device reach its ``on_command`` handler."""
        view = self.device(product_key, device_key)
        sim = EnosDevice(
            view.asset_id,
            product_key=product_key,
            device_key=device_key,
            secret=secret,
            face=self,
        )
        previous = self._sims.get(view.asset_id)
        if previous is not None:
            sim._handler = previous._handler
        self._bind(sim)
        return sim

    def commands(self, key: str, device_key: str | None = None) -> list[dict[str, Any]]:
        """A device's commands as ``action=get`` returns them, oldest first:
        ``commands(asset_id)`` or ``commands(product_key, device_key)``."""
        with self.platform.operation():
            self.tick(self.platform.clock.now())
            asset_id = self.device(key, device_key).asset_id
            device = self.state.devices[asset_id]
            return [self._wire(device, c) for c in device.commands.values()]

    def latest(self, key: str, device_key: str | None = None) -> dict[str, Any]:
        """A device's latest measure point values: ``{pointId: value}``."""
        with self.platform.operation():
            asset_id = self.device(key, device_key).asset_id
            return {k: v[1] for k, v in self.state.devices[asset_id].points.items()}

    # -- pieces the simulated device and the MQTT protocol use ------------------------------------
    def online_device(self, product_key: str, device_key: str) -> Device:
        product = self.state.products.get(product_key)
        device = None
        if product is not None:
            device = self.state.orgs[product.org_id].by_key.get(device_key)
        if device is None or device.product_key != product_key:
            raise NotFoundError(f"no device {device_key!r} in product {product_key!r}")
        if device.state is not State.ONLINE:
            raise UsageError(
                f"device {device_key!r} is {device.status}: it must be connected (connect()) "
                "to post measure points"
            )
        return device

    def post_points(self, device: Device, points: dict[str, Any], at_ms: int | None) -> None:
        """A measure point post: the latest value per point (newer times win), and
        ``measurepointLastUpdate`` (spec B.6)."""
        now_ms = self._now_ms()
        at = now_ms if at_ms is None else at_ms
        if not all(isinstance(p, str) and p for p in points):
            raise bad("measure point ids are non-empty strings")
        latest = dict(device.points)  # replaced, never mutated: the state file reads it
        for point_id, value in points.items():
            held = latest.get(point_id)
            if held is None or held[0] <= at:
                latest[point_id] = [at, value]
        device.points = latest
        device.measurepoint_last_update = max(device.measurepoint_last_update or 0, at)
        self.platform.emit(
            FACE, "measurepoint", device.asset_id, {"points": sorted(points)[:20], "time": at}
        )

    def release_cached(self, device: Device) -> None:
        """Publish the device's cached commands, oldest first (at login, or on waking); those
        whose ``pendingTtl`` passed expire first (the device side does not go through a
        request, which would apply the clock)."""
        self.tick(self.platform.clock.now())
        if not self._reachable(device):
            return
        for command in [c for c in device.commands.values() if c.state is C.CREATED]:
            self._release(device, command)

    def simulated(self, asset_id: str) -> EnosDevice:
        """The simulated device behind ``asset_id`` (a default, acknowledging one if none)."""
        sim = self._sims.get(asset_id)
        if sim is None:
            device = self.state.devices[asset_id]
            sim = EnosDevice(
                asset_id, product_key=device.product_key, device_key=device.device_key, face=self
            )
            self._bind(sim)
        return sim

    def _bind(self, sim: EnosDevice) -> None:
        asset_id = sim.device_id

        def complete(command_id: str, reply: _device.Reply) -> None:
            with self.platform.operation():
                device = self.state.devices.get(asset_id)
                command = device.commands.get(command_id) if device is not None else None
                if device is None or command is None or command.state is not C.RELEASED:
                    raise LookupError(
                        f"no command {command_id!r} of device {asset_id} is waiting for an "
                        "answer (it is unknown, finished, or still cached)"
                    )
                ok, data = _outcome(reply)
                self._finish(device, command, ok, data)

        sim._complete = complete
        self._sims[asset_id] = sim

    # -- lifecycle hooks --------------------------------------------------------------------------
    def _login(self, device: Device) -> None:
        super()._login(device)
        self.release_cached(device)

    def _remove_device(self, org: Org, device: Device) -> None:
        super()._remove_device(org, device)
        self._sims.pop(device.asset_id, None)
        self._drop_link(device.asset_id, device, "delete")

    def _disable(self, device: Device) -> None:
        super()._disable(device)
        self._drop_link(device.asset_id, device, "disable")

    def _rekey(self, org: Org, device: Device, new_key: str) -> DeviceKeys:
        keys = super()._rekey(org, device, new_key)
        self._drop_link(device.asset_id)
        return keys

    def logout_device(self, product_key: str, device_key: str) -> DeviceView:
        view = super().logout_device(product_key, device_key)
        with self.platform.operation():
            self._drop_link(view.asset_id)
        return view

    def _drop_link(
        self, asset_id: str, device: Device | None = None, notice: str | None = None
    ) -> None:
        """Cut a device off: its own connection is closed; a sub-device is dropped from its
        gateway's session (the gateway stays connected). With ``notice`` (``"disable"`` or
        ``"delete"``) the platform first tells the device (``thing.{notice}``) or, for a
        sub-device, its connected gateway (``combine.{notice}``), as spec B.4 lists."""
        link = self._links.pop(asset_id, None)
        session = self._sub_sessions.pop(asset_id, None)
        if asset_id in self._via_gateway:
            self._via_gateway.discard(asset_id)
        elif link is not None:
            if notice is not None and device is not None:
                base = f"/sys/{device.product_key}/{device.device_key}/thing/"
                self._notify(link, device, base + notice, "thing." + notice, {})
            self.platform.after(link.close)
            return
        if session is not None:
            session.subs.discard(asset_id)
        if notice is None or device is None:
            return
        gateway_link, gateway_id = None, device.gateway
        if session is not None and session.link is link:
            gateway_link, gateway_id = link, session.asset_id
        elif gateway_id is not None and gateway_id not in self._via_gateway:
            gateway_link = self._links.get(gateway_id)
        gateway = self.state.devices.get(gateway_id) if gateway_id is not None else None
        if gateway_link is not None and gateway is not None:
            topic = f"/ext/session/{gateway.product_key}/{gateway.device_key}/combine/{notice}"
            subs = [{"productKey": device.product_key, "deviceKey": device.device_key}]
            self._notify(gateway_link, gateway, topic, "combine." + notice, subs)

    def _notify(self, link: Link, device: Device, topic: str, method: str, params: Any) -> None:
        """Publish a platform notice (no answer awaited; a gone connection is ignored)."""
        from ._mqtt import encode

        message = {"id": self._command_id(device), "version": "1.0", "method": method}
        message["params"] = params
        try:
            _send(link, topic, encode(message))
        except LinkError:  # the connection is gone: nothing to tell
            return

    # -- commands ---------------------------------------------------------------------------------
    def _create_command(
        self,
        org: Org,
        req: CommandCall,
        kind: int,
        identifier: str,
        input_data: Any,
        paras: Any,
    ) -> CommandCreated:
        """invokeService and setMeasurepoint (spec B.1)."""
        device = self._device(org, req, E.DEVICE_NOT_FOUND)
        immediate = req.pending_ttl == 0
        if immediate:
            if device.state is State.REGISTERED:
                raise ApiError(E.DEVICE_INACTIVE, "the device was never activated")
            if device.state is not State.ONLINE:
                raise ApiError(E.DEVICE_OFFLINE, f"the device is {device.status}")
        else:
            cached = sum(1 for c in device.commands.values() if c.state is C.CREATED)
            limit = self.options.enos_cached_command_limit
            if cached >= limit:
                raise ApiError(
                    E.CACHED_COMMANDS_FULL,
                    f"{cached} commands are cached (enos_cached_command_limit={limit})",
                )
        now_ms = self._now_ms()
        command = Command(
            self._command_id(device),
            device.asset_id,
            kind,
            identifier,
            input_data,
            req.pending_ttl,
            req.timeout,
            now_ms,
            local_time(now_ms, device.timezone),
        )
        command.reply_body = paras  # what the device is sent, until it answers
        if immediate:
            return self._send_now(device, command)
        command.step("cache")
        device.commands[command.command_id] = command
        self._trim(device)
        self.state.schedule(
            self.platform.clock.now() + command.pending_ttl,
            "expire",
            device.asset_id,
            command.command_id,
        )
        self._event(device, command)
        self.release_cached(device)
        return {"commandId": command.command_id}

    def _send_now(self, device: Device, command: Command) -> CommandCreated:
        """An immediate command: publish it and wait for the answer up to ``timeout``."""
        paras, command.reply_body = command.reply_body, None
        now = self.platform.clock.now()
        link = self._links.get(device.asset_id)
        outcome: tuple[bool, Any] | None
        if link is not None:

            def send() -> None:
                self._publish(link, device, command, paras)
                self._store(device, command, "send", now)

            key = (device.asset_id, command.command_id)
            try:
                outcome = self._waits.ask(key, send, float(command.timeout))
            except LinkError as exc:
                raise ApiError(E.COMMAND_NOT_SENT, f"the publish failed: {exc}") from None
        else:
            self._store(device, command, "send", now)
            sim = self.simulated(device.asset_id)
            outcome = None
            if not sim.asleep:
                reply = sim.receive(self._as_received(command, paras, "sync"))
                if reply.kind in ("now", "fail") or (
                    reply.kind == "later" and reply.delay <= command.timeout
                ):
                    outcome = _outcome(reply)
        if command.state is not C.RELEASED:  # finished meanwhile (by a queued uplink)
            outcome = (command.state is C.SUCCEEDED, command.output_data)
        elif outcome is None:
            command.step("time_out")
            self._event(device, command)
            raise ApiError(E.COMMAND_TIMED_OUT, f"no answer within {command.timeout}s")
        else:
            self._finish(device, command, *outcome)
        answer: CommandCreated = {"commandId": command.command_id}
        if command.command_type == INVOKE_SERVICE:
            answer["outputData"] = command.output_data if command.output_data is not None else {}
        return answer

    def _store(self, device: Device, command: Command, transition: str, now: float) -> None:
        command.step(transition)
        command.released_at = now
        device.commands[command.command_id] = command
        self._trim(device)
        self._event(device, command)

    def _release(self, device: Device, command: Command) -> None:
        """Publish a cached command; its answer, or its timeout, comes later."""
        paras = command.reply_body
        now = self.platform.clock.now()
        link = self._links.get(device.asset_id)
        if link is not None:
            try:
                self._publish(link, device, command, paras)
            except LinkError:
                return  # stays cached: tried again at the next login
        command.reply_body = None
        command.step("release")
        command.released_at = now
        self.state.schedule(now + command.timeout, "time_out", device.asset_id, command.command_id)
        self._event(device, command)
        if link is not None:
            return
        reply = self.simulated(device.asset_id).receive(self._as_received(command, paras, "async"))
        if reply.kind in ("now", "fail"):
            self._finish(device, command, *_outcome(reply))
        elif reply.kind == "later":
            ok, data = _outcome(reply)
            command.reply_at, command.reply_body, command.reply_ok = now + reply.delay, data, ok
            self.state.schedule(command.reply_at, "reply", device.asset_id, command.command_id)

    def _finish(self, device: Device, command: Command, ok: bool, data: Any) -> None:
        command.step("succeed" if ok else "fail")
        command.output_data = data
        command.reply_at = command.reply_body = None
        self._event(device, command)

    def _publish(self, link: Link, device: Device, command: Command, paras: Any) -> None:
        from ._mqtt import command_message

        _send(link, *command_message(device, command, paras))

    def _as_received(self, command: Command, paras: Any, mode: str) -> _device.Command:
        service = command.tsl_identifier if command.command_type == INVOKE_SERVICE else None
        name = service if service is not None else "measurepoint.set"
        return _device.Command(
            command.command_id, service, name, paras, self.platform.clock.now(), mode
        )

    def _reachable(self, device: Device) -> bool:
        if device.state is not State.ONLINE:
            return False
        if device.asset_id in self._links:
            return True
        return not self.simulated(device.asset_id).asleep

    def _command_id(self, device: Device) -> str:
        """A 19-digit number, as the vendor's samples show (``"2078724684846989312"``)."""
        ids = self.platform.ids
        while True:
            candidate = str(10**18 + int(ids.hex(16), 16) % (9 * 10**18))
            if candidate not in device.commands:
                return candidate

    def _trim(self, device: Device) -> None:
        """Keep at most ``enos_command_history`` finished commands per device."""
        commands = device.commands
        extra = len(commands) - self.options.enos_command_history
        if extra <= 0:
            return
        for command_id in [c.command_id for c in commands.values() if c.state in FINAL][:extra]:
            del commands[command_id]

    def _event(self, device: Device, command: Command) -> None:
        self.platform.emit(
            FACE,
            "command",
            device.asset_id,
            {
                "commandId": command.command_id,
                "state": int(command.state or 0),
                "tslIdentifier": command.tsl_identifier,
            },
        )

    def _wire(self, device: Device, command: Command) -> dict[str, Any]:
        return command.wire(device.org_id, device.product_key, device.device_key)

    def _command(self, device: Device, command_id: str) -> Command:
        command = device.commands.get(command_id)
        if command is None:
            raise ApiError(E.NOT_FOUND, f"no command {command_id[:40]!r} of this device")
        return command

    def _cancel(self, device: Device, command_id: str | None) -> list[dict[str, Any]]:
        """Cancel one cached command, or all: only state 1 is cancellable (spec B.1)."""
        if command_id is not None:
            chosen: Iterable[Command] = [self._command(device, command_id)]
        else:
            chosen = list(device.commands.values())
        done = []
        for command in chosen:
            if command.state is C.CREATED:
                command.step("cancel")
                self._event(device, command)
                done.append(self._wire(device, command))
        return done

    def _search_commands(
        self,
        device: Device,
        expression: str | None,
        pagination: Pagination | None,
        projection: list[str] | None,
    ) -> Page:
        predicate = self._predicate(expression, COMMAND_FIELDS)
        page_no = (pagination.page_no if pagination else None) or 1
        page_size = (pagination.page_size if pagination else None) or COMMAND_PAGE_SIZE
        if page_size > MAX_PAGE_SIZE:
            if self.platform.settings.enos_page_size_above_max == "strict":
                raise bad(f"pagination.pageSize must be at most {MAX_PAGE_SIZE}")
            page_size = MAX_PAGE_SIZE
        pool = list(reversed(device.commands.values()))
        if predicate is not None:
            pool = [c for c in pool if predicate(command_record(c))]
        first = (page_no - 1) * page_size
        data = [self._wire(device, c) for c in pool[first : first + page_size]]
        if projection is not None:
            data = [project(item, tuple(projection)) for item in data]
        return Page(data, page_no, page_size, len(pool), COMMANDS_SORTED_BY)

    def _query_latest(self, device: Device, ids: Iterable[str] | None) -> list[PointStatus]:
        points = device.points
        chosen = list(points) if ids is None else [i for i in dict.fromkeys(ids) if i in points]
        return [{"id": i, "time": str(points[i][0]), "value": points[i][1]} for i in chosen]

    def transcript_lines(self) -> list[str]:
        """Every command and where it ended, for ``platform.transcript()``."""
        return [
            f"command {c.command_id} {c.tsl_identifier} -> {d.asset_id} "
            f"({'immediate' if c.immediate else f'pendingTtl={c.pending_ttl}'}, "
            f"timeout={c.timeout}): state {c.state}"
            for d in self.state.devices.values()
            for c in d.commands.values()
        ] + list(getattr(self.__dict__.get("_protocol"), "log", ()))

    def check_invariants(self, subjects: Iterable[str] | None = None) -> None:
        super().check_invariants(subjects)
        devices = self.state.devices
        for asset_id in devices if subjects is None else subjects:
            device = devices.get(asset_id)
            if device is None:
                continue
            for command in device.commands.values():
                if command.asset_id != asset_id or command.state is None:
                    raise InvariantError(f"command {command.command_id} is not {asset_id}'s")
                if command.state is C.CREATED and command.immediate:
                    raise InvariantError(f"immediate command {command.command_id} is cached")
                if command.state is C.RELEASED and command.released_at is None:
                    raise InvariantError(f"command {command.command_id} released at no time")

    # -- time -------------------------------------------------------------------------------------
    def tick(self, now: float) -> None:
        import heapq

        deadlines = self.state.deadlines
        while deadlines and deadlines[0][0] <= now:
            when, _seq, kind, asset_id, command_id = heapq.heappop(deadlines)
            device = self.state.devices.get(asset_id)
            command = device.commands.get(command_id) if device is not None else None
            if device is None or command is None:
                continue
            if kind == "expire" and command.state is C.CREATED:
                command.step("expire")
                self._event(device, command)
            elif kind == "time_out" and command.state is C.RELEASED:
                command.step("time_out")
                command.reply_at = command.reply_body = None
                self._event(device, command)
            elif kind == "reply" and command.state is C.RELEASED and command.reply_at == when:
                self._finish(device, command, command.reply_ok, command.reply_body)


def _outcome(reply: _device.Reply) -> tuple[bool, Any]:
    """A simulated device's reply as (succeeded, data): the default acknowledgement carries
    no output data (``{}``)."""
    body = reply.body
    if reply.kind == "fail":
        return False, body
    return True, {} if body is _device.DEFAULT_ANSWER or body is None else body


__all__ = ["INVOKE_SERVICE", "SET_MEASUREPOINT", "EnosDevice", "TrafficService"]
