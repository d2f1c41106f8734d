"""OceanConnect push notifications: subscriptions, and the JSON each lifecycle event becomes.

Shapes and order follow notifications captured from the real platform (spec §6): every
DeviceInfo key present with ``null`` when unknown, ``deviceInfoChanged`` carrying only what
changed, and at first connection deviceInfoChanged → bindDevice → deviceInfoChanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .._http import is_encodable
from .._records import Event
from ._model import DEVICE_INFO_KEYS, Device, wire_time

#: DeviceInfo keys of pushes: the query set plus ``isHD`` (spec §6.2).
PUSH_INFO_KEYS = (*DEVICE_INFO_KEYS, "isHD")

#: notifyType values the business-data subscription accepts (spec §5.1).
NOTIFY_TYPES = frozenset(
    {
        "deviceAdded",
        "bindDevice",
        "deviceInfoChanged",
        "deviceDataChanged",
        "deviceDatasChanged",
        "deviceCapabilitiesChanged",
        "deviceCapabilitiesAdded",
        "deviceCapabilitiesDeleted",
        "deviceDeleted",
        "messageConfirm",
        "commandRsp",
        "deviceEvent",
        "serviceInfoChanged",
        "ruleEvent",
        "deviceDesiredPropertiesModifyStatusChanged",
        "deviceModelAdded",
        "deviceModelDeleted",
    }
)
#: notifyType values of the device-management (upgrade) subscription (spec §5.6).
MANAGEMENT_NOTIFY_TYPES = frozenset(
    {
        "swUpgradeStateChangeNotify",
        "swUpgradeResultNotify",
        "fwUpgradeStateChangeNotify",
        "fwUpgradeResultNotify",
    }
)
PUSH_HEADERS = {"Content-Type": "application/json"}


def callback_url_problem(url: object, *, https_only: bool = False) -> str | None:
    """Why ``url`` is not a callback URL the platform accepts, or ``None`` if it is."""
    if not isinstance(url, str) or not url:
        return "callbackUrl must be a non-empty string"
    if len(url) > 1024:
        return "callbackUrl is longer than 1024 characters"
    if not is_encodable(url):
        return "callbackUrl holds a lone surrogate"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"callbackUrl does not parse: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "callbackUrl must be an http or https URL with a host"
    if port is None:
        return "callbackUrl must carry an explicit port, e.g. https://host:443/path"
    if https_only and parts.scheme != "https":
        return "callbackUrl must be https (oceanconnect_https_callbacks_only)"
    return None


def _info(values: dict[str, Any]) -> dict[str, Any]:
    return {key: values.get(key) for key in PUSH_INFO_KEYS}


def full_info(device: Device) -> dict[str, Any]:
    return _info(
        {
            **device.info,
            "nodeId": device.node_id,
            "status": device.status,
            "statusDetail": device.status_detail,
        }
    )


def notifications(
    event: Event, device: Device | None, *, deleted_on_expiry: bool
) -> list[tuple[str, dict[str, Any]]]:
    """The (notifyType, body) pairs the platform pushes for ``event``, in order."""
    kind, device_id = event.kind, event.subject
    data = event.data
    ids = {"deviceId": device_id, "gatewayId": device_id}
    if kind in ("delete",) or (kind == "expire" and deleted_on_expiry):
        return [("deviceDeleted", {"notifyType": "deviceDeleted", **ids})]
    if kind == "bind_failed":
        info = full_info(device) if device is not None else _info({"nodeId": data.get("nodeId")})
        return [
            (
                "bindDevice",
                {
                    "notifyType": "bindDevice",
                    "deviceId": device_id,
                    "resultCode": "expired",
                    "deviceInfo": info,
                },
            )
        ]
    if device is None:
        return []
    if kind == "register":
        return [
            (
                "deviceAdded",
                {
                    "notifyType": "deviceAdded",
                    **ids,
                    "nodeType": "GATEWAY",
                    "deviceInfo": full_info(device),
                },
            )
        ]
    status = _info({"status": data.get("status"), "statusDetail": data.get("statusDetail")})
    changed = {"notifyType": "deviceInfoChanged", **ids, "networkStatus": None}
    if kind == "bind" or (kind == "connect" and data.get("resultCode") == "succeeded"):
        described = _info({**device.info, "nodeId": device.node_id})
        return [
            ("deviceInfoChanged", {**changed, "deviceInfo": described}),
            (
                "bindDevice",
                {
                    "notifyType": "bindDevice",
                    "deviceId": device_id,
                    "resultCode": "succeeded",
                    "deviceInfo": full_info(device),
                },
            ),
            ("deviceInfoChanged", {**changed, "deviceInfo": status}),
        ]
    if kind in ("connect", "disconnect", "age_abnormal", "age_offline", "enable"):
        if data.get("previousStatus") == data.get("status"):
            return []
        return [("deviceInfoChanged", {**changed, "deviceInfo": status})]
    if kind in ("rekey", "rekey_keep_active"):
        values: dict[str, Any] = {"nodeId": data.get("nodeId")}
        if data.get("previousStatus") != data.get("status"):
            values.update(status=data.get("status"), statusDetail=data.get("statusDetail"))
        return [("deviceInfoChanged", {**changed, "deviceInfo": _info(values)})]
    if kind == "modify":
        return [("deviceInfoChanged", {**changed, "deviceInfo": _info(data)})] if data else []
    if kind == "data":
        service = {
            "serviceId": data["serviceId"],
            "serviceType": data["serviceType"],
            "data": data["data"],
            "eventTime": wire_time(event.time),
        }
        return [
            (
                "deviceDataChanged",
                {"notifyType": "deviceDataChanged", **ids, "requestId": None, "service": service},
            )
        ]
    return []
