"""OceanConnect command routes: V4 device commands and their cancel tasks (spec A.2-A.6), and
the MQTT-era ``signaltrans`` invoke-service call (spec A.8)."""

from __future__ import annotations

from .._errors import ApiError
from .._http import HttpResponse
from .._routes import route
from ._commands import (
    CancelTask,
    CancelTaskAnswer,
    CancelTasksAnswer,
    CommandAnswer,
    CommandsAnswer,
    Pagination,
)
from ._errors import OcError
from ._model import App, wire_time
from ._schemas import (
    CreateCancelTask,
    CreateCommand,
    QueryCancelTasks,
    QueryCommands,
    SendSignal,
    SignalAnswer,
    UpdateCommand,
    parse_time,
)
from ._traffic import TrafficService

E = OcError
CMD = "/iocm/app/cmd/{version}"
CMD_VERSIONS = ("v1.4.0",)


def _window(start: str | None, end: str | None) -> tuple[float | None, float | None]:
    return (
        parse_time(start) if start else None,
        parse_time(end) if end else None,
    )


def _inside(at: float, start: float | None, end: float | None) -> bool:
    return (start is None or at >= start) and (end is None or at <= end)


class CommandRoutes(TrafficService):
    """``/iocm/app/cmd`` and ``/iocm/app/signaltrans``."""

    @route(
        "POST",
        f"{CMD}/deviceCommands",
        versions=CMD_VERSIONS,
        auth="app",
        trailing_slash=True,
        status=201,
    )
    def _create_device_command(self, app: App, req: CreateCommand) -> CommandAnswer:
        """Create a command for a device: sent at once, or cached as PENDING (spec A.2)."""
        _command, answer = self._new_command(
            app,
            req.device_id,
            req.command.service_id,
            req.command.method,
            req.command.paras,
            callback_url=req.callback_url,
            expire_time=req.expire_time,
            max_retransmit=req.max_retransmit,
        )
        status = self.options.oceanconnect_command_create_status
        if status != 201:
            return HttpResponse.json(status, answer, "oceanconnect.create_device_command")  # type: ignore[return-value]
        return answer

    @route("GET", f"{CMD}/deviceCommands", versions=CMD_VERSIONS, auth="app", trailing_slash=True)
    def _query_device_commands(self, app: App, req: QueryCommands) -> CommandsAnswer:
        """The application's commands, newest first, by device and creation time, paged."""
        if req.device_id is not None:
            pool = list(self._command_device(app, req.device_id).commands.values())
        else:
            pool = [c for d in app.devices.values() for c in d.commands.values()]
        start, end = _window(req.start_time, req.end_time)
        matching = sorted(
            (c for c in pool if _inside(c.created, start, end)),
            key=lambda c: c.seq,
            reverse=True,
        )
        page_no = req.page_no or 0
        page_size = req.page_size or 1000
        first = page_no * page_size
        return {
            "pagination": _pagination(page_no, page_size, len(matching)),
            "data": [c.wire() for c in matching[first : first + page_size]],
        }

    @route(
        "PUT",
        f"{CMD}/deviceCommands/{{deviceCommandId}}",
        versions=CMD_VERSIONS,
        auth="app",
        trailing_slash=True,
    )
    def _update_device_command(self, app: App, req: UpdateCommand) -> CommandAnswer:
        """Cancel a PENDING command (``{"status": "CANCELED"}`` is the only change allowed)."""
        device, command = self._command_of(app, req.device_command_id)
        self._cancel(device, command, self.platform.clock.now())
        return command.wire()

    @route(
        "POST",
        f"{CMD}/deviceCommandCancelTasks",
        versions=CMD_VERSIONS,
        auth="app",
        trailing_slash=True,
        status=201,
    )
    def _create_command_cancel_task(self, app: App, req: CreateCancelTask) -> CancelTaskAnswer:
        """Cancel every PENDING command of a device; the task runs at once (spec A.6)."""
        return self._task_wire(self._cancel_task(app, req.device_id))

    @route(
        "GET",
        f"{CMD}/deviceCommandCancelTasks",
        versions=CMD_VERSIONS,
        auth="app",
        trailing_slash=True,
    )
    def _query_command_cancel_tasks(self, app: App, req: QueryCancelTasks) -> CancelTasksAnswer:
        """The application's cancel tasks, newest first, filtered and paged."""
        if req.device_id is not None:
            self._command_device(app, req.device_id)
        start, end = _window(req.start_time, req.end_time)
        matching = [
            t
            for t in reversed(self.state.cancel_tasks.values())
            if t.app_id == app.app_id
            and (req.task_id is None or t.task_id == req.task_id)
            and (req.device_id is None or t.device_id == req.device_id)
            and (req.status is None or t.status == req.status)
            and _inside(t.created, start, end)
        ]
        page_no = req.page_no or 0
        page_size = req.page_size or 1000
        first = page_no * page_size
        return {
            "pagination": _pagination(page_no, page_size, len(matching)),
            "data": [self._task_wire(t) for t in matching[first : first + page_size]],
        }

    def _task_wire(self, task: CancelTask) -> CancelTaskAnswer:
        device = self.state.devices.get(task.device_id)
        commands = device.commands if device is not None else {}
        shown = [commands[c].wire() for c in task.command_ids if c in commands]
        return {
            "taskId": task.task_id,
            "appId": task.app_id,
            "deviceId": task.device_id,
            "status": task.status,
            "totalCount": len(task.command_ids),
            "deviceCommands": shown,
        }

    # =========================================================================================
    # signaltrans (spec A.8)
    # =========================================================================================
    @route(
        "POST",
        "/iocm/app/signaltrans/{version}/devices/{deviceId}/services/{serviceId}/sendCommand",
        versions=("v1.1.0",),
        auth="app",
        trailing_slash=True,
    )
    def _invoke_device_service(self, app: App, req: SendSignal) -> SignalAnswer:
        """Send an MQTT-era command to a connected device at once (``messageConfirm`` for
        sent, delivered and executed, and ``commandRsp`` once the device answers, follow to
        subscribers and to ``header.callbackURL``)."""
        device = self._command_device(app, req.device_id)
        self._check_muted(device)
        self._check_service(device, req.service_id)
        if not self._reachable(device):
            raise ApiError(E.DEVICE_NOT_ONLINE, f"device {device.device_id} is not reachable")
        header = req.header
        request_id = header.request_id or self.platform.ids.uuid()
        self._send_signal(
            device,
            req.service_id,
            header.method,
            req.body if req.body is not None else {},
            request_id=request_id,
            sender=header.sender,
            to=header.to,
            callback_url=header.callback_url,
            confirm=header.mode != "NOACK",
        )
        now = self.platform.clock.now()
        return {"status": "sent", "timestamp": wire_time(now), "requestId": request_id}


def _pagination(page_no: int, page_size: int, total: int) -> Pagination:
    return {"pageNo": page_no, "pageSize": page_size, "totalSize": total}
