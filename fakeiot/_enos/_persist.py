"""EnOS state as plain JSON, and back (the ``fakeiot serve --state`` file's face part).

Indexes (deviceKeys per org, devices per product, access keys) are not stored: they are rebuilt
from the records on import.
"""

from __future__ import annotations

from typing import Any

from .._errors import UsageError
from .._journal import Journaled, StoredMap
from .._lifecycle import State
from ._model import Device, EnosState, Gone, Org, Product, Token

_PRODUCT_FIELDS = (
    "org_id",
    "product_key",
    "product_secret",
    "model_id",
    "model_path",
    "name",
    "desc",
    "data_format",
    "product_type",
    "bi_directional_auth",
    "dynamic_activate",
    "tags",
    "default_valid_day",
    "max_valid_day",
    "create_time",
    "update_time",
    "create_by",
    "update_by",
)
#: device fields a state file written before commands and measure points may lack
_ADDED = (
    "points",
    "measurepoint_last_update",
    "attribute_last_update",
    "event_last_update",
    "gateway",
    "command_records",
)
_DEVICE_FIELDS = (
    "org_id",
    "asset_id",
    "product_key",
    "device_key",
    "device_secret",
    "name",
    "desc",
    "timezone",
    "attributes",
    "tags",
    "create_time",
    "seq",
    "activated",
    "active_time",
    "last_online_time",
    "last_offline_time",
    *_ADDED,
)


def _gone(key: tuple[str, str], g: Gone) -> list[Any]:
    return [key[0], key[1], g.asset_id, g.reason, g.when, g.new_key]


#: the export's maps that grow with use (deleted and replaced devices, up to
#: ``EnosState.GONE_LIMIT``), kept entry by entry by the state store
MAPS = {"gone": StoredMap("gone", _gone, listed=True)}


def export_state(state: EnosState) -> dict[str, Any]:
    return {
        "orgs": [
            {
                "orgId": o.org_id,
                "accessKey": o.access_key,
                "secretKey": o.secret_key,
                "poseidonSignal": o.poseidon_signal,
                "poseidonRefresh": o.poseidon_refresh,
                "models": dict(o.models),
            }
            for o in state.orgs.values()
        ],
        "models": dict(state.models),
        "products": [{f: getattr(p, f) for f in _PRODUCT_FIELDS} for p in state.products.values()],
        "devices": [
            {"state": d.state.value, **{f: getattr(d, f) for f in _DEVICE_FIELDS}}
            for d in state.devices.values()
        ],
        "tokens": {t: [e.app_key, e.expires] for t, e in state.tokens.items()},
        "tokenByApp": dict(state.token_by_app),
        "encryptions": [[when, enc] for when, enc in state.encryption_order],
        "gone": [_gone(key, g) for key, g in state.gone.items()],
        "deviceSeq": state.device_seq,
    }


def import_state(data: dict[str, Any]) -> EnosState:
    """Rebuild an :class:`EnosState`; raise :class:`UsageError` saying what is malformed."""
    try:
        return _import(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"the EnOS state is malformed: {type(exc).__name__}: {exc}") from None


def _import(data: dict[str, Any]) -> EnosState:
    state = EnosState()
    for o in data["orgs"]:
        org = Org(o["orgId"], o["accessKey"], o["secretKey"])
        org.poseidon_signal = o["poseidonSignal"]
        org.poseidon_refresh = o["poseidonRefresh"]
        org.models = {str(k): str(v) for k, v in o.get("models", {}).items()}
        state.orgs[org.org_id] = org
        state.by_access_key[org.access_key] = org
    state.models = {str(k): str(v) for k, v in data["models"].items()}
    for p in data["products"]:
        product = Product(
            p["org_id"],
            p["product_key"],
            p["product_secret"],
            p["model_id"],
            p["model_path"],
            0,
            "",
        )
        for field in _PRODUCT_FIELDS:
            setattr(product, field, p[field])
        state.products[product.product_key] = product
        state.orgs[product.org_id].products[product.product_key] = product
    for d in data["devices"]:
        device = Device(
            d["org_id"], d["asset_id"], d["product_key"], d["device_key"], "", 0, int(d["seq"])
        )
        for field in _DEVICE_FIELDS:
            if field in d or field not in _ADDED:
                setattr(device, field, d[field])
        for command in device.commands.values():
            for when, kind in command.deadlines():
                state.schedule(when, kind, device.asset_id, command.command_id)
        device.state = State(d["state"])
        org = state.orgs[device.org_id]
        state.devices[device.asset_id] = device
        org.devices[device.asset_id] = device
        org.by_key[device.device_key] = device
        org.products[device.product_key].devices.add(device.asset_id)
    state.tokens = {t: Token(app, float(exp)) for t, (app, exp) in data["tokens"].items()}
    state.token_by_app = dict(data["tokenByApp"])
    for when, enc in data["encryptions"]:
        state.encryptions[enc] = float(when)
        state.encryption_order.append((float(when), enc))
    state.gone = Journaled(
        ((pk, dk), Gone(asset_id, reason, float(when), new_key))
        for pk, dk, asset_id, reason, when, new_key in data["gone"]
    )
    state.device_seq = int(data["deviceSeq"])
    return state
