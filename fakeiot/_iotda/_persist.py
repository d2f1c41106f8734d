"""The IoTDA state as JSON-ready data and back (for ``fakeiot serve --state``).

Records are written field by field from their dataclasses (never a parallel hand-kept list);
the indexes (``by_ak``, the platform-wide device index) are rebuilt on load.
"""

from __future__ import annotations

import dataclasses
import heapq
from typing import Any

from ._lifecycle import CommandStatus, Status
from ._model import (
    Action,
    App,
    AsyncCommand,
    Device,
    Group,
    IotdaState,
    Message,
    Product,
    Project,
    Rule,
    ShadowService,
)


def _plain(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, Status | CommandStatus):
            value = value.value
        elif (
            isinstance(value, dict)
            and value
            and dataclasses.is_dataclass(next(iter(value.values())))
        ):
            value = {k: _plain(v) for k, v in value.items()}
        out[f.name] = value
    return out


def export_state(state: IotdaState) -> dict[str, Any]:
    return {
        "projects": [_plain(p) for p in state.projects.values()],
        "deadlines": [list(d) for d in state.deadlines],
        "counter": state.counter,
    }


def import_state(data: dict[str, Any]) -> IotdaState:
    state = IotdaState(counter=int(data.get("counter", 0)))
    for entry in data.get("deadlines", []):
        when, seq, kind, device_id, key = entry
        if not (isinstance(when, int | float) and isinstance(seq, int)):
            raise ValueError(f"deadline {entry!r:.80} is not [time, sequence, kind, device, key]")
        state.deadlines.append((float(when), seq, str(kind), str(device_id), str(key)))
    heapq.heapify(state.deadlines)
    maps: dict[str, type] = {
        "apps": App,
        "products": Product,
        "groups": Group,
        "rules": Rule,
        "actions": Action,
    }
    for raw in data.get("projects", []):
        fields = dict(raw)
        devices = fields.pop("devices", {})
        loaded = {name: fields.pop(name, {}) for name in maps}
        project = Project(**fields)
        for name, cls in maps.items():
            setattr(project, name, {k: cls(**v) for k, v in loaded[name].items()})
        for device_id, rec in devices.items():
            rec = dict(rec)
            rec["status"] = Status(rec["status"])
            rec["shadow"] = {k: ShadowService(**v) for k, v in rec.get("shadow", {}).items()}
            rec["commands"] = {
                k: AsyncCommand(**{**v, "status": CommandStatus(v["status"])})
                for k, v in rec.get("commands", {}).items()
            }
            rec["messages"] = {k: Message(**v) for k, v in rec.get("messages", {}).items()}
            device = Device(**rec)
            project.devices[device_id] = device
            state.devices[device_id] = device
        state.projects[project.project_id] = project
        state.by_ak[project.ak] = project
    return state
