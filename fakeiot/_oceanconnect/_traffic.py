"""OceanConnect's two-way device traffic: V4 commands and their status machine (spec A.2-A.7),
the simulated devices that receive them, and what a device's contact releases (spec A.16).

A command moves only through :data:`._commands.COMMAND`. Time-driven moves (retransmission,
ACK timeout, expiry, a late answer, a missing result) are timers on the face's deadline heap,
applied lazily by ``tick``; every move emits a ``command`` event, which the push module turns
into the status callback to the command's ``callbackUrl``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .. import _device
from .._errors import ApiError, NotFoundError, UsageError
from .._lifecycle import State
from ._commands import COMMAND, FINAL, CancelTask, Command, CommandAnswer, CommandStatus
from ._errors import OcError
from ._model import App, Device
from ._service import FACE, Application, OcService

if TYPE_CHECKING:
    from .._platform import Platform
    from ._devices import OcDevice

E = OcError
C = CommandStatus


def encodable(value: Any) -> bool:
    """Whether ``value`` can go on the wire as JSON (a device's answer must)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
        return False
    return True


class TrafficService(OcService):
    """Commands, their timers, and the simulated devices they reach."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        #: simulated devices by nodeId (not part of snapshots: they belong to the test)
        self._sims: dict[str, OcDevice] = {}

    # =========================================================================================
    # Simulated devices
    # =========================================================================================
    def simulate(
        self,
        node_id: str,
        verify_code: str | None = None,
        connection: str | None = None,
        *,
        manual_ack: bool | None = None,
    ) -> OcDevice:
        """A simulated device presenting ``node_id`` (and ``verify_code``) when it connects.

        ``connection`` is ``"short"`` (NB-IoT: ages to ABNORMAL/OFFLINE when silent) or
        ``"long"``; by default the protocol decides, as for ``connect_device``.
        ``manual_ack=True``: the device acknowledges V4 commands only when the test calls
        ``dev.ack(command_id)``. Calling it again for the same nodeId returns the same device
        (its handler and commands kept).
        """
        from ._devices import OcDevice

        if connection not in (None, "long", "short"):
            raise UsageError(f"connection must be 'long' or 'short', got {connection!r}")
        with self.platform.operation():
            sim = self._sims.get(node_id)
            if sim is None:
                device = self.state.by_node.get(node_id)
                sim = OcDevice(device.device_id if device is not None else "")
                sim.face, sim.node_id = self, node_id
                sim._complete = sim.complete
                self._sims[node_id] = sim
            if verify_code is not None:
                sim.verify_code = verify_code
            if connection is not None:
                sim.connection = connection  # type: ignore[assignment]
            if manual_ack is not None:
                sim.manual_ack = manual_ack
            return sim

    def _sim(self, device: Device) -> OcDevice:
        """The simulated device behind ``device`` (a default, acknowledging one if none)."""
        sim = self._sims.get(device.node_id)
        if sim is None or (sim.device_id and sim.device_id != device.device_id):
            sim = self.simulate(device.node_id)
        sim.device_id = device.device_id
        return sim

    def _reachable(self, device: Device) -> bool:
        """The device can receive now: ONLINE, and awake (a PSM device is not)."""
        if device.state is not State.ONLINE:
            return False
        sim = self._sims.get(device.node_id)
        return sim is None or not sim.asleep

    def wake_device(self, device_id: str) -> None:
        """The device leaves power saving: commands that waited for it are sent now."""
        with self.platform.operation():
            now = self.platform.clock.now()
            self.tick(now)
            device = self._known(device_id)
            self._release(device, now)
            self._check(device_id)

    # =========================================================================================
    # Contact (spec A.16 step 4): connect, report, wake
    # =========================================================================================
    def _contact(self, device: Device, now: float, *, reported: bool) -> None:
        # a report opens a receive window even on a sleeping NB-IoT device
        self._release(device, now, window=reported)

    def _release(self, device: Device, now: float, *, window: bool = False) -> None:
        """Hand the device, oldest first, the commands sent while it was away and the PENDING
        ones (each sent once the one before is acknowledged), and the desired values it has
        not had yet."""
        if not (window or self._reachable(device)):
            return
        self._deliver_desired(device, now)
        for command in list(device.commands.values()):
            if command.status is C.SENT:
                # sent while the device was away: this contact's retransmission reaches it
                self._hand_over(device, command, now)
            elif command.status is C.PENDING:
                self._send_command(device, command, now, reachable=True)
                if not _acknowledged(command):
                    return

    def _deliver_desired(self, device: Device, now: float) -> None:
        """Hand the device the desired values set while it was away (spec A.12)."""
        sim = None
        for service_id, service in device.services.items():
            if not service.get("desiredPending"):
                continue
            service["desiredPending"] = False
            sim = sim or self._sim(device)
            sim.messages.append({"serviceId": service_id, "desired": dict(service["desired"])})
            self.platform.emit(
                FACE,
                "desired",
                device.device_id,
                {"serviceId": service_id, "properties": dict(service["desired"])},
                at=now,
            )

    def _forget(self, device: Device) -> None:
        index = self.state.command_index
        for command_id in device.commands:
            index.pop(command_id, None)
        for group in self.state.groups.values():
            if device.device_id in group.device_ids:
                group.device_ids.remove(device.device_id)

    # =========================================================================================
    # The command status machine, driven
    # =========================================================================================
    def _step(self, device: Device, command: Command, transition: str, at: float) -> None:
        """Move ``command`` by ``transition`` and record the move (and its callback)."""
        command.status = COMMAND.step(command.status, transition)
        command.gen += 1
        if command.status in FINAL and command.status not in (C.EXPIRED, C.CANCELED):
            command.executed = at if command.status is not C.TIMEOUT else None
        self.platform.emit(
            FACE,
            "command",
            device.device_id,
            {
                "commandId": command.command_id,
                "transition": transition,
                "status": command.status.value,
                "serviceId": command.service_id,
                "method": command.method,
                "result": command.result,
            },
            at=at,
        )
        if command.status in FINAL:
            self._trim(device)

    def _send_command(
        self, device: Device, command: Command, now: float, *, reachable: bool
    ) -> None:
        """Send ``command`` (new or PENDING): SENT, then handed over if the device can take it,
        else retransmitted on the schedule until the ACK window closes."""
        command.issued = now
        self._step(device, command, "send", now)
        self._after_send(device, command, now, reachable=reachable)

    def _after_send(self, device: Device, command: Command, now: float, *, reachable: bool) -> None:
        command.sent_at = now
        if reachable:
            self._hand_over(device, command, now)
            if command.status is not C.SENT:
                return
            # a device holding its ACK (``manual_ack``): retransmitted until it acknowledges
        self._schedule_resends(command)

    def _schedule_resends(self, command: Command) -> None:
        """The retransmissions still due and the ACK timeout of a SENT command."""
        assert command.sent_at is not None
        options = self.options
        now = command.sent_at
        deadlines = self.state.deadlines
        offsets = options.oceanconnect_command_resend_at[: command.max_retransmit]
        for offset in offsets[command.issued_times :]:
            deadlines.push(now + offset, command.command_id, "cmd_resend", command.gen)
        deadlines.push(
            now + options.oceanconnect_command_ack_timeout,
            command.command_id,
            "cmd_ack_timeout",
            command.gen,
        )

    def _hand_over(self, device: Device, command: Command, now: float) -> None:
        """The device receives ``command``: it acknowledges (DELIVERED), then answers. A
        device with ``manual_ack`` holds the acknowledgement until the test calls ``ack``: the
        command stays SENT, on its retransmission schedule."""
        sim = self._sim(device)
        received = _device.Command(
            command.command_id, command.service_id, command.method, command.paras, now, "async"
        )
        if sim.manual_ack:
            if command.command_id not in sim.unacked:
                sim.commands.append(received)
            sim.unacked[command.command_id] = received
            return
        self._acknowledge(device, command, sim.receive(received), now)

    def _acknowledge(
        self, device: Device, command: Command, reply: _device.Reply, now: float
    ) -> None:
        """The device's ACK (DELIVERED), then its answer: now, later, or when responded."""
        command.delivered = now
        self._step(device, command, "deliver", now)
        if reply.kind in ("now", "fail"):
            self._finish(device, command, reply, now)
            return
        if reply.kind == "later":
            command.reply, command.reply_at = reply.body, now + reply.delay
        self._schedule_result(command)

    def _schedule_result(self, command: Command) -> None:
        """The timers of a DELIVERED command: its late answer, and the result timeout."""
        assert command.delivered is not None
        deadlines = self.state.deadlines
        if command.reply_at is not None:
            deadlines.push(command.reply_at, command.command_id, "cmd_reply", command.gen)
        deadlines.push(
            command.delivered + self.options.oceanconnect_command_result_timeout,
            command.command_id,
            "cmd_result_timeout",
            command.gen,
        )

    def _rebuild_command_timers(self) -> None:
        """Every command timer, from the commands themselves (after a state import)."""
        for request_id, signal in self.state.signals.items():
            if signal["replyAt"] is not None:
                self.state.deadlines.push(signal["replyAt"], request_id, "cmd_signal", 0)
        for device in self.state.devices.values():
            for command in device.commands.values():
                self.state.command_index[command.command_id] = device.device_id
                if command.status is C.PENDING:
                    self.state.deadlines.push(
                        command.created + command.expire_time,
                        command.command_id,
                        "cmd_expire",
                        command.gen,
                    )
                elif command.status is C.SENT:
                    self._schedule_resends(command)
                elif command.status is C.DELIVERED:
                    self._schedule_result(command)

    def _finish(self, device: Device, command: Command, reply: _device.Reply, at: float) -> None:
        """The device's result arrived: SUCCESSFUL or FAILED, the result kept."""
        body = reply.body
        ok = reply.kind != "fail"
        if not encodable(body):
            self._sim(device).errors.append(
                UsageError(f"the answer to command {command.command_id} is not JSON: {body!r:.80}")
            )
            body, ok = None, False
        status = "SUCCESSFUL" if ok else "FAILED"
        command.result = {"resultCode": status, "resultDetail": body}
        command.reply = command.reply_at = None
        self._step(device, command, "succeed" if ok else "fail", at)

    def _tick_command(self, when: float, command_id: str, kind: str, gen: int) -> None:
        state = self.state
        if kind == "cmd_signal":
            signal = state.signals.get(command_id)
            if signal is not None and signal["replyAt"] is not None:
                self._answer_signal(signal, _device.Reply("later", signal["replyBody"]), when)
            return
        device = state.devices.get(state.command_index.get(command_id, ""))
        if device is None:
            return
        command: Command | None = device.commands.get(command_id)
        if command is None or command.gen != gen:
            return
        status = command.status
        if kind == "cmd_expire" and status is C.PENDING:
            self._step(device, command, "expire", when)
        elif kind == "cmd_resend" and status is C.SENT:
            command.issued_times += 1
            command.issued = when
            self._step(device, command, "resend", when)
            command.gen = gen  # a resend keeps the remaining timers alive
            if self._reachable(device):
                self._hand_over(device, command, when)
                self._release(device, when)
        elif kind == "cmd_ack_timeout" and status is C.SENT:
            command.result = {"resultCode": "TIMEOUT", "resultDetail": None}
            self._step(device, command, "time_out", when)
        elif kind == "cmd_reply" and status is C.DELIVERED:
            self._finish(device, command, _device.answer(command.reply), when)
        elif kind == "cmd_result_timeout" and status is C.DELIVERED:
            command.result = {"resultCode": "TIMEOUT", "resultDetail": None}
            self._step(device, command, "time_out", when)

    def _trim(self, device: Device) -> None:
        """Keep at most ``oceanconnect_command_keep`` final commands per device."""
        keep = self.options.oceanconnect_command_keep
        commands = device.commands
        if len(commands) <= keep:
            return
        final = [cid for cid, c in commands.items() if c.status in FINAL]
        for command_id in final[: len(commands) - keep]:
            del commands[command_id]
            self.state.command_index.pop(command_id, None)

    def complete_command(self, device_id: str, command_id: str, reply: _device.Reply) -> None:
        """The device answers a DELIVERED command that waits for its result (``respond``)."""
        with self.platform.operation():
            now = self.platform.clock.now()
            self.tick(now)
            signal = self.state.signals.get(command_id)
            if signal is not None and signal["deviceId"] == device_id:
                self._answer_signal(signal, reply, now)
                return
            device = self.state.devices.get(device_id)
            command = device.commands.get(command_id) if device is not None else None
            if device is None or command is None or command.status is not C.DELIVERED:
                shown = command.status if command is not None else "unknown"
                raise LookupError(
                    f"command {command_id!r} is not waiting for device {device_id!r}'s answer "
                    f"(its status: {shown})"
                )
            self._finish(device, command, reply, now)
            self._check(device_id)

    def ack_command(self, device_id: str, command_id: str) -> None:
        """The device acknowledges a SENT command it holds (``dev.ack``, spec E): DELIVERED,
        its handler answers, and the next PENDING command is sent (spec A.3)."""
        with self.platform.operation():
            now = self.platform.clock.now()
            self.tick(now)
            device = self.state.devices.get(device_id)
            command = device.commands.get(command_id) if device is not None else None
            sim = self._sims.get(device.node_id) if device is not None else None
            if device is None or command is None or sim is None or command.status is not C.SENT:
                shown = command.status if command is not None else "unknown"
                raise LookupError(
                    f"command {command_id!r} is not waiting for device {device_id!r}'s ACK "
                    f"(its status: {shown})"
                )
            received = sim.unacked.pop(command_id, None)  # only once the ACK is sure to apply
            if received is None:
                raise LookupError(f"device {device_id!r} has not received command {command_id!r}")
            self._acknowledge(device, command, sim.answer(received), now)
            self._release(device, now)
            self._check(device_id)

    # =========================================================================================
    # signaltrans (spec A.8, A.7.2)
    # =========================================================================================
    def _send_signal(
        self,
        device: Device,
        service_id: str,
        method: str,
        paras: Any,
        *,
        request_id: str,
        sender: str | None,
        to: str | None,
        callback_url: str | None,
        confirm: bool,
    ) -> None:
        """Send a signaltrans command to a reachable device: ``messageConfirm`` for each of
        sent, delivered and executed (unless ``confirm`` is off: ``mode: NOACK``), and
        ``commandRsp`` when the device answers (now, after ``later``'s delay, or at
        ``respond``)."""
        now = self.platform.clock.now()
        signal: dict[str, Any] = {
            "requestId": request_id,
            "deviceId": device.device_id,
            "serviceId": service_id,
            "method": method,
            "from": sender,
            "to": to or device.device_id,
            "callbackUrl": callback_url,
            "confirm": confirm,
            "replyAt": None,
            "replyBody": None,
        }
        self._signal_status(signal, "sent", now)
        received = _device.Command(request_id, service_id, method, paras, now, "signal")
        reply = self._sim(device).receive(received)
        self._signal_status(signal, "delivered", now)
        if reply.kind in ("now", "fail"):
            self._answer_signal(signal, reply, now)
            return
        signals = self.state.signals
        signals.pop(request_id, None)
        signals[request_id] = signal
        while len(signals) > self.options.oceanconnect_command_keep * 10:
            del signals[next(iter(signals))]
        if reply.kind == "later":
            signal["replyAt"] = now + reply.delay
            signal["replyBody"] = reply.body if encodable(reply.body) else None
            self.state.deadlines.push(signal["replyAt"], request_id, "cmd_signal", 0)

    def _signal_status(self, signal: dict[str, Any], status: str, at: float) -> None:
        self.platform.emit(FACE, "signal", signal["deviceId"], {**signal, "status": status}, at=at)

    def _answer_signal(self, signal: dict[str, Any], reply: _device.Reply, at: float) -> None:
        """The device answered a signaltrans command: executed, and its ``commandRsp``."""
        self.state.signals.pop(signal["requestId"], None)
        self._signal_status(signal, "executed", at)
        body = reply.body if encodable(reply.body) else None
        data = {**signal, "ok": reply.kind != "fail", "body": body}
        self.platform.emit(FACE, "signal_answered", signal["deviceId"], data, at=at)

    # =========================================================================================
    # Commands (the routes' and the test side's domain operations)
    # =========================================================================================
    def _command_device(self, app: App, device_id: str) -> Device:
        """The app's device ``device_id``: the command family answers 200/100418 otherwise."""
        device = app.devices.get(device_id)
        if device is None:
            raise ApiError(E.COMMAND_DEVICE_NOT_FOUND, f"no device {device_id[:64]!r} in the app")
        return device

    def _check_muted(self, device: Device) -> None:
        """200/100432 for a device muted with modify device's ``mute: "TRUE"`` (spec A.15)."""
        if device.info.get("mute") == "TRUE":
            raise ApiError(E.COMMAND_MUTED, f"device {device.device_id} is muted (mute TRUE)")

    def _new_command(
        self,
        app: App,
        device_id: str,
        service_id: str,
        method: str,
        paras: Any,
        *,
        callback_url: str | None,
        expire_time: int | None,
        max_retransmit: int | None,
    ) -> tuple[Command, CommandAnswer]:
        """Create a V4 command (spec A.2): SENT at once, or PENDING until the device is near.
        Returns the command and the create call's answer: the command as it was when sent
        (a device's acknowledgement comes after the answer, as captured: ``SENT``)."""
        device = self._command_device(app, device_id)
        self._check_muted(device)
        options = self.options
        now = self.platform.clock.now()
        zombie = options.oceanconnect_zombie_after
        if (
            zombie is not None
            and device.state is not State.ONLINE
            and device.last_seen is not None
            and now - device.last_seen > zombie
        ):
            raise ApiError(E.DEVICE_ZOMBIE, f"device {device_id} was last seen over {zombie}s ago")
        self._check_service(device, service_id)
        expire = options.oceanconnect_command_expire_default if expire_time is None else expire_time
        reachable = self._reachable(device)
        if expire == 0 and not reachable and options.oceanconnect_reject_offline_immediate:
            raise ApiError(E.DEVICE_NOT_ONLINE, f"device {device_id} is not reachable")
        statuses = [c.status for c in device.commands.values()]
        waiting = C.SENT in statuses or C.PENDING in statuses
        cached = expire > 0 and (not reachable or waiting)
        if cached and statuses.count(C.PENDING) >= options.oceanconnect_command_pending_limit:
            raise ApiError(
                E.COMMAND_LIMIT,
                f"device {device_id} holds {options.oceanconnect_command_pending_limit} "
                "PENDING commands",
            )
        state = self.state
        state.command_seq += 1
        retransmit = max_retransmit
        if retransmit is None:
            retransmit = options.oceanconnect_command_retransmit_default
        command = Command(
            self.platform.ids.hex(32),
            device.app_id,
            device.device_id,
            service_id,
            method,
            paras if paras is not None else {},
            callback_url,
            expire,
            retransmit,
            now,
            state.command_seq,
        )
        device.commands[command.command_id] = command
        state.command_index[command.command_id] = device.device_id
        if cached:
            self._step(device, command, "cache", now)
            state.deadlines.push(now + expire, command.command_id, "cmd_expire", command.gen)
            return command, command.wire()
        command.issued = now
        self._step(device, command, "send", now)
        answer = command.wire()
        self._after_send(device, command, now, reachable=reachable)
        return command, answer

    def _check_service(self, device: Device, service_id: str) -> None:
        """100431 for a serviceId the device's profile lacks (only with a profile)."""
        profile = self._profile(device)
        if profile is not None and service_id not in {s.get("serviceId") for s in profile}:
            raise ApiError(E.SERVICE_TYPE_NOT_EXIST, f"no service {service_id!r} in the profile")

    def _command_of(self, app: App, command_id: str) -> tuple[Device, Command]:
        state = self.state
        device = state.devices.get(state.command_index.get(command_id, ""))
        command = device.commands.get(command_id) if device is not None else None
        if device is None or command is None or device.app_id != app.app_id:
            raise ApiError(E.COMMAND_NOT_FOUND, f"no command {command_id[:64]!r}")
        return device, command

    def _cancel(self, device: Device, command: Command, now: float) -> None:
        if command.status is not C.PENDING:
            raise ApiError(
                E.COMMAND_NOT_CANCELABLE,
                f"command {command.command_id} is {command.status}; only PENDING ones cancel",
            )
        self._step(device, command, "cancel", now)

    def _cancel_task(self, app: App, device_id: str) -> CancelTask:
        device = self._command_device(app, device_id)
        now = self.platform.clock.now()
        cancelled = []
        for command in list(device.commands.values()):
            if command.status is C.PENDING:
                self._cancel(device, command, now)
                cancelled.append(command.command_id)
        task = CancelTask(self.platform.ids.hex(32), device.app_id, device_id, now, cancelled)
        tasks = self.state.cancel_tasks
        tasks[task.task_id] = task
        while len(tasks) > self.options.oceanconnect_command_keep * 10:
            del tasks[next(iter(tasks))]
        return task

    # -- test side ------------------------------------------------------------------------------
    def create_command(
        self,
        app: Application | str,
        device_id: str,
        service_id: str,
        method: str,
        paras: dict[str, Any] | None = None,
        *,
        callback_url: str | None = None,
        expire_time: int | None = None,
        max_retransmit: int | None = None,
    ) -> dict[str, Any]:
        """Create a command as ``POST .../deviceCommands`` does, without HTTP; returns its
        answer and raises the :class:`~fakeiot._errors.ApiError` the API would answer with."""
        with self.platform.operation():
            owner = self._app(app)
            self.tick(self.platform.clock.now())
            _command, answer = self._new_command(
                owner,
                device_id,
                service_id,
                method,
                paras,
                callback_url=callback_url,
                expire_time=expire_time,
                max_retransmit=max_retransmit,
            )
            return dict(answer)

    # -- test-side reads -------------------------------------------------------------------------
    def commands(self, device_id: str) -> list[dict[str, Any]]:
        """The device's commands as the query API shows them, oldest first."""
        with self.platform.operation():
            self.tick(self.platform.clock.now())
            device = self._known(device_id)
            return [dict(c.wire()) for c in device.commands.values()]

    def command(self, command_id: str) -> dict[str, Any]:
        """One command as the query API shows it (``status``, ``result``...)."""
        with self.platform.operation():
            self.tick(self.platform.clock.now())
            state = self.state
            device = state.devices.get(state.command_index.get(command_id, ""))
            found = device.commands.get(command_id) if device is not None else None
            if found is None:
                raise NotFoundError(f"no command {command_id!r}")
            return dict(found.wire())


def _acknowledged(command: Command) -> bool:
    return command.status is not C.SENT
