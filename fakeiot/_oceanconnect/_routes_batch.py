"""OceanConnect batch tasks (spec A.14): ``DeviceCmd`` tasks, which create one V4 command per
target device; what the spec does not know is documented in docs/oceanconnect.md."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .._errors import ApiError
from .._routes import route
from .._schema import compile_model
from ._commands import FINAL, CommandStatus
from ._errors import OcError
from ._model import App, Device, wire_time
from ._schemas import (
    BatchCreated,
    BatchTaskPath,
    CreateBatchTask,
    CreateBatchTaskSlash,
    QueryTaskDetails,
)
from ._traffic import TrafficService

E = OcError
BT = "/iocm/app/batchtask/{version}"
BT_VERSIONS = ("v1.1.0",)
C = CommandStatus


class BatchRoutes(TrafficService):
    """``/iocm/app/batchtask``."""

    def _targets(self, app: App, req: CreateBatchTask) -> list[Device]:
        param = req.param
        devices = list(app.devices.values())
        if param.type == "DeviceList":
            wanted = param.device_list or []
            return [app.devices[d] for d in dict.fromkeys(wanted) if d in app.devices]
        if param.type == "GroupList":
            members: list[str] = []
            for group_id in param.group_list or ():
                group = self.state.groups.get(group_id)
                if group is not None and group.app_id == app.app_id:
                    members.extend(group.device_ids)
            return [app.devices[d] for d in dict.fromkeys(members) if d in app.devices]
        wanted_info = {
            "deviceType": param.device_type,
            "manufacturerId": param.manufacturer_id,
            "model": param.model,
        }
        if param.type == "DeviceArea":
            wanted_info = {"location": param.device_location}
        wanted_info = {k: v for k, v in wanted_info.items() if v is not None}
        return [d for d in devices if all(d.info.get(k) == v for k, v in wanted_info.items())]

    @route("POST", f"{BT}/tasks/{{slot}}", versions=BT_VERSIONS, auth="app")
    def _create_batch_task_slash(self, app: App, req: CreateBatchTaskSlash) -> BatchCreated:
        """Create a DeviceCmd batch task as the SDK spells it (``tasks/``)."""
        return self._create_batch_task(app, req)

    @route("POST", f"{BT}/tasks", versions=BT_VERSIONS, auth="app")
    def _create_batch_task(self, app: App, req: CreateBatchTask) -> BatchCreated:
        """Create a DeviceCmd batch task: one command per target device, at once."""
        app = self._act_as(app, req.app_id)
        command = req.param.command
        task_id = self.platform.ids.hex(24)
        entries: list[list[Any]] = []
        for index, device in enumerate(self._targets(app, req)):
            try:
                created, _answer = self._new_command(
                    app,
                    device.device_id,
                    command.service_id,
                    command.method,
                    command.paras,
                    callback_url=req.param.callback_url,
                    expire_time=req.param.expire_time,
                    max_retransmit=req.param.max_retransmit,
                )
            except ApiError as exc:
                entries.append(
                    [index, device.device_id, device.node_id, None, exc.error.value.code]
                )
            else:
                entries.append([index, device.device_id, device.node_id, created.command_id, None])
        self.state.batch_tasks[task_id] = {
            "taskId": task_id,
            "appId": app.app_id,
            "taskName": req.task_name,
            "taskType": req.task_type,
            "timeout": req.timeout,
            "created": self.platform.clock.now(),
            "param": _plain(req.param),
            "tags": req.tags or [],
            "entries": entries,
        }
        return {"taskID": task_id}

    def _task(self, app: App, task_id: str) -> dict[str, Any]:
        task = self.state.batch_tasks.get(task_id)
        if task is None or task["appId"] != app.app_id:
            raise ApiError(E.RESOURCE_NOT_FOUND, f"no batch task {task_id[:64]!r}")
        return task

    def _entry_status(self, entry: list[Any]) -> str:
        """A task detail's status: its command's, or FAILED if none could be created."""
        _index, device_id, _node, command_id, error = entry
        if error is not None or command_id is None:
            return "FAILED"
        device = self.state.devices.get(device_id)
        command = device.commands.get(command_id) if device is not None else None
        return str(command.status) if command is not None else "UNKNOWN"

    @route("GET", f"{BT}/tasks/{{taskId}}", versions=BT_VERSIONS, auth="app", trailing_slash=True)
    def _query_batch_task(self, app: App, req: BatchTaskPath) -> dict[str, Any]:
        """One batch task with its counters (they follow its commands' statuses)."""
        task = self._task(app, req.task_id)
        statuses = [self._entry_status(e) for e in task["entries"]]
        total = len(statuses)
        count = statuses.count
        # a command that could not be created counts as FAILED
        complete = sum(count(s.value) for s in FINAL)
        success = count(C.SUCCESSFUL.value)
        return {
            "appId": task["appId"],
            "taskId": task["taskId"],
            "taskName": task["taskName"],
            "operator": task["appId"],
            "taskFrom": "Northbound",
            "taskType": task["taskType"],
            "status": "COMPLETE" if complete == total else "PROCESSING",
            "startTime": wire_time(task["created"]),
            "timeout": task["timeout"],
            "progress": 100 * complete // total if total else 100,
            "totalCnt": total,
            "successCnt": success,
            "failCnt": count("FAILED"),
            "timeoutCnt": count(C.TIMEOUT.value),
            "expiredCnt": count(C.EXPIRED.value),
            "completeCnt": complete,
            "successRate": 100 * success // total if total else 0,
            "param": task["param"],
            "tags": task["tags"],
        }

    @route("GET", f"{BT}/taskDetails", versions=BT_VERSIONS, auth="app", trailing_slash=True)
    def _query_batch_task_details(self, app: App, req: QueryTaskDetails) -> dict[str, Any]:
        """A batch task's per-device details, filtered and paged."""
        task_id = req.task_id
        if task_id is None or task_id == "None":
            task_id = req.task_id_alias
        if not task_id:
            raise ApiError(E.INPUT_INVALID, "give taskId")
        task = self._task(app, task_id)
        details = []
        for entry in task["entries"]:
            index, device_id, node_id, command_id, error = entry
            status = self._entry_status(entry)
            if (
                (req.status is not None and status != req.status)
                or (req.device_id is not None and device_id != req.device_id)
                or (req.command_id is not None and command_id != req.command_id)
                or (req.node_id is not None and node_id != req.node_id)
                or (req.index is not None and index != req.index)
            ):
                continue
            device = self.state.devices.get(device_id)
            command = device.commands.get(command_id) if device and command_id else None
            output = json.dumps(command.result) if command and command.result else None
            details.append(
                {
                    "status": status,
                    "output": output,
                    "error": error,
                    "param": {
                        "deviceId": device_id,
                        "commandId": command_id,
                        "nodeId": node_id,
                        "index": index,
                    },
                }
            )
        page_no, page_size = req.page_no or 0, req.page_size or 10
        first = page_no * page_size
        return {
            "pageNo": page_no,
            "pageSize": page_size,
            "totalCount": len(details),
            "taskDetails": details[first : first + page_size],
        }


def _plain(value: Any) -> Any:
    """A parsed body object back as JSON-ready data, with its wire names."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        model = compile_model(type(value))
        return {f.name: _plain(getattr(value, f.attr)) for f in model.fields}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
