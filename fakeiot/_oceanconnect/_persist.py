"""OceanConnect state as plain JSON, and back (the ``fakeiot serve --state`` file's face part).

Deadlines are not stored: they follow from each device's verify-code deadline and last traffic,
and are rebuilt on import, so expiries that fell due while the server was down apply at once.
"""

from __future__ import annotations

from typing import Any

from .._errors import UsageError
from .._journal import Journaled, StoredMap
from .._lifecycle import State
from ._commands import CancelTask
from ._model import App, Device, Group, OcState, Subscription, Token, Tombstone

_DEVICE_FIELDS = (
    "device_id",
    "app_id",
    "node_id",
    "verify_code",
    "psk",
    "timeout",
    "created",
    "modified",
    "seq",
    "activated",
    "ever_bound",
    "rebind_pending",
    "code_deadline",
    "code_expired",
    "code_generated",
    "last_seen",
    "connection",
    "info",
    "end_user_id",
    "imsi",
    "is_secure",
    "product_id",
    "extra",
    "services",
    "command_records",
    "history",
    "desired_history",
)


def _token(_token: str, entry: Token) -> list[Any]:
    return [entry.app_id, entry.expires]


def _tombstone(_node_id: str, stone: Tombstone) -> list[Any]:
    return [stone.device_id, stone.reason, stone.when, stone.app_id]


#: the export's maps that grow with use, kept entry by entry by the state store
MAPS = {
    "tokens": StoredMap("tokens", _token),
    "refreshTokens": StoredMap("refresh_tokens", _token),
    "tombstones": StoredMap("tombstones", _tombstone),
}


def export_state(state: OcState) -> dict[str, Any]:
    return {
        "apps": [
            {
                "appId": a.app_id,
                "secret": a.secret,
                "name": a.name,
                "frozen": a.frozen,
                "grantees": sorted(a.grantees),
                "token": a.token,
                "refreshToken": a.refresh_token,
            }
            for a in state.apps.values()
        ],
        "tokens": {t: _token(t, e) for t, e in state.tokens.items()},
        "refreshTokens": {t: _token(t, e) for t, e in state.refresh_tokens.items()},
        "devices": [
            {"state": d.state.value, **{f: getattr(d, f) for f in _DEVICE_FIELDS}}
            for d in state.devices.values()
        ],
        "products": state.products,
        "subscriptions": [
            {
                "subscriptionId": s.subscription_id,
                "appId": s.app_id,
                "notifyType": s.notify_type,
                "callbackUrl": s.callback_url,
                "channel": s.channel,
                "ownerFlag": s.owner_flag,
                "management": s.management,
            }
            for s in state.subscriptions.values()
        ],
        "tombstones": {n: _tombstone(n, s) for n, s in state.tombstones.items()},
        "deviceSeq": state.device_seq,
        "cancelTasks": [
            [t.task_id, t.app_id, t.device_id, t.created, t.command_ids, t.status]
            for t in state.cancel_tasks.values()
        ],
        "commandSeq": state.command_seq,
        "groups": [
            {
                "id": g.group_id,
                "appId": g.app_id,
                "name": g.name,
                "description": g.description,
                "maxDevNum": g.max_dev_num,
                "creator": g.creator,
                "deviceIds": list(g.device_ids),
            }
            for g in state.groups.values()
        ],
        "batchTasks": list(state.batch_tasks.values()),
        "signals": list(state.signals.values()),
    }


def import_state(data: dict[str, Any]) -> OcState:
    """Rebuild an :class:`OcState`; raise :class:`UsageError` saying what is malformed."""
    try:
        return _import(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(
            f"the OceanConnect state is malformed: {type(exc).__name__}: {exc}"
        ) from None


def _import(data: dict[str, Any]) -> OcState:
    state = OcState()
    for a in data["apps"]:
        app = App(a["appId"], a["secret"], a["name"])
        app.frozen = bool(a["frozen"])
        app.grantees = set(a["grantees"])
        app.token, app.refresh_token = a["token"], a["refreshToken"]
        state.apps[app.app_id] = app
    state.tokens = Journaled(
        (t, Token(app_id, float(exp))) for t, (app_id, exp) in data["tokens"].items()
    )
    state.refresh_tokens = Journaled(
        (t, Token(app_id, float(exp))) for t, (app_id, exp) in data["refreshTokens"].items()
    )
    for d in data["devices"]:
        device = Device(
            d["device_id"],
            d["app_id"],
            d["node_id"],
            d["verify_code"],
            d["psk"],
            int(d["timeout"]),
            float(d["created"]),
            int(d["seq"]),
        )
        for field in _DEVICE_FIELDS:
            # a field added later is absent from older files: the device keeps its default
            setattr(device, field, d.get(field, getattr(device, field)))
        device.state = State(d["state"])
        state.devices[device.device_id] = device
        state.by_node[device.node_id] = device
        state.by_code[device.verify_code.lower()] = device
        state.apps[device.app_id].devices[device.device_id] = device
    state.products = dict(data["products"])
    for s in data["subscriptions"]:
        sub = Subscription(
            s["subscriptionId"],
            s["appId"],
            s["notifyType"],
            s["callbackUrl"],
            s["channel"],
            s["ownerFlag"],
            bool(s["management"]),
        )
        state.subscriptions[sub.subscription_id] = sub
    state.tombstones = Journaled(
        (n, Tombstone(dev, reason, float(when), app))
        for n, (dev, reason, when, app) in data["tombstones"].items()
    )
    state.device_seq = int(data["deviceSeq"])
    # sections added with commands: absent from older files
    for task_id, app_id, device_id, created, command_ids, status in data.get("cancelTasks", ()):
        state.cancel_tasks[task_id] = CancelTask(
            task_id, app_id, device_id, float(created), list(command_ids), status
        )
    state.command_seq = int(data.get("commandSeq", 0))
    for g in data.get("groups", ()):
        group = Group(
            g["id"],
            g["appId"],
            g["name"],
            g["description"],
            int(g["maxDevNum"]),
            g["creator"],
            [d for d in g["deviceIds"] if d in state.devices],
        )
        state.groups[group.group_id] = group
    for task in data.get("batchTasks", ()):
        state.batch_tasks[task["taskId"]] = dict(task)
    for signal in data.get("signals", ()):
        state.signals[signal["requestId"]] = dict(signal)
    for device in state.devices.values():
        for command_id in device.commands:
            state.command_index[command_id] = device.device_id
    return state


def rebuild_deadlines(state: OcState, abnormal_after: float, offline_after: float) -> None:
    """Push every pending verify-code expiry and ageing step back onto the deadline heap."""
    for device in state.devices.values():
        if device.code_deadline is not None and not device.code_expired:
            state.deadlines.push(device.code_deadline, device.device_id, "code", device.code_gen)
        if (
            device.connection == "short"
            and device.last_seen is not None
            and device.state in (State.ONLINE, State.ABNORMAL)
        ):
            state.deadlines.push(
                device.last_seen + abnormal_after, device.device_id, "abnormal", device.age_gen
            )
            state.deadlines.push(
                device.last_seen + offline_after, device.device_id, "offline", device.age_gen
            )
