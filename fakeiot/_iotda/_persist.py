"""The IoTDA state as JSON-ready data and back (for ``fakeiot serve --state``).

Records are written field by field from their dataclasses (never a parallel hand-kept list);
the indexes (``by_ak``, the platform-wide device index) are rebuilt on load.
"""

from __future__ import annotations

import dataclasses
import enum
import heapq
import types
import typing
from typing import Any

from .._journal import StoredMap
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


def _plain(record: Any, skip: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        if f.name == skip:
            out[f.name] = {}
            continue
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


def export_state(state: IotdaState, *, rest: bool = False) -> dict[str, Any]:
    """The state as JSON-ready data, the deadlines in order; ``rest``: without what the state
    store keeps as rows of their own (each device, :func:`export_device`, and each deadline,
    :data:`MAPS`)."""
    projects = [_plain(p, "devices" if rest else "") for p in state.projects.values()]
    return {
        "projects": projects,
        "deadlines": [] if rest else [list(d) for d in sorted(state.deadlines)],
        "counter": state.counter,
    }


#: the pending deadlines, kept entry by entry by the state store
MAPS = {"deadlines": StoredMap("pending", lambda _seq, entry: list(entry), listed=True)}


def export_device(device: Device) -> dict[str, Any]:
    """One device as the state store keeps it (its ``project_id`` says where it belongs)."""
    return _plain(device)


def import_state(data: dict[str, Any]) -> IotdaState:
    state = IotdaState(counter=int(data.get("counter", 0)))
    for entry in data.get("deadlines", []):
        when, seq, kind, device_id, key = entry
        if not (isinstance(when, int | float) and isinstance(seq, int)):
            raise ValueError(f"deadline {entry!r:.80} is not [time, sequence, kind, device, key]")
        deadline = (float(when), seq, str(kind), str(device_id), str(key))
        if seq in state.pending:
            raise ValueError(f"deadline {entry!r:.80}: its sequence number is used twice")
        state.deadlines.append(deadline)
        state.pending[seq] = deadline
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
        state.add_project(project)
        for device_id, rec in devices.items():
            _add_device(state, project, device_id, rec)
    # the state store's form: every device a row of its own, naming its project
    for rec in data.get("devices", []):
        owner = state.projects.get(rec.get("project_id"))
        if owner is None:
            raise ValueError(f"device {rec.get('device_id')!r:.80}: no such project")
        _add_device(state, owner, rec["device_id"], rec)
    return state


def _add_device(state: IotdaState, project: Project, device_id: str, rec: dict[str, Any]) -> None:
    rec = dict(rec)
    rec["status"] = Status(rec["status"])
    rec["shadow"] = {k: ShadowService(**v) for k, v in rec.get("shadow", {}).items()}
    rec["commands"] = {
        k: AsyncCommand(**{**v, "status": CommandStatus(v["status"])})
        for k, v in rec.get("commands", {}).items()
    }
    rec["messages"] = {k: Message(**v) for k, v in rec.get("messages", {}).items()}
    device = Device(**rec)
    node = (project.project_id, device.product_id, device.node_id)
    if device.device_id != device_id or device_id in state.devices or node in state.nodes:
        raise ValueError(f"device {device_id!r:.80} is stored twice or under another id")
    project.devices[device_id] = device
    state.devices[device_id] = device
    state.nodes[node] = device_id


# =============================================================================================
# The stored form's schema (``fakeiot.serve._schema``), derived from the records' annotations
# =============================================================================================
def _schema_of_type(hint: Any) -> Any:
    """A field's annotation as a stored-state schema (``fakeiot/serve/_schema.py``)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1 or len(args) != 2:  # pragma: no cover - no such field
            raise TypeError(f"no stored schema for {hint!r}")
        schema = _schema_of_type(inner[0])
        if isinstance(schema, str):
            return schema if schema == "any" else schema + "?"
        if isinstance(schema, tuple):
            return (schema[0] + "?", *schema[1:])
        return ("map?", "any") if schema == "obj" else schema  # pragma: no cover
    if hint is Any:
        return "any"
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return ("enum", *(member.value for member in hint))
    if origin is dict:
        value = args[1]
        if value is Any:
            return "obj"
        return ("map", _schema_of_type(value))
    if origin is list:
        return ("list", _schema_of_type(args[0]))
    if dataclasses.is_dataclass(hint):
        return record_schema(hint)  # type: ignore[arg-type]
    raise TypeError(f"no stored schema for {hint!r}")  # pragma: no cover - no such field


#: every ``float`` of an IoTDA record is a time (formatted as a date in the views)
_SIMPLE: dict[Any, str] = {str: "str", int: "int", float: "time", bool: "bool"}


def record_schema(cls: type[Any], *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The stored form of a record: every field, those with a default optional (a state
    written before the field existed lacks it)."""
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        optional = f.default is not dataclasses.MISSING or (
            f.default_factory is not dataclasses.MISSING
        )
        out[f.name + ("?" if optional else "")] = _schema_of_type(hints[f.name])
    return out


def stored_schema() -> dict[str, Any]:
    """The IoTDA face's part of a state document: the export, or the store's form (each
    device a row of its own, in ``devices``)."""
    device = record_schema(Device)
    project = record_schema(Project, skip=("devices",))
    project["devices?"] = ("map", device)
    return {
        "projects?": ("list", project),
        "deadlines?": ("list", ("tuple", "time", "int", "str", "str", "str")),
        "counter?": "int",
        "devices?": ("list", device),
    }
