"""OceanConnect push notifications: subscriptions, and the JSON each lifecycle event becomes.

Shapes and order follow notifications captured from the real platform (spec §6): every
DeviceInfo key present with ``null`` when unknown, ``deviceInfoChanged`` carrying only what
changed, and at first connection deviceInfoChanged → bindDevice → deviceInfoChanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._bounded import Ring
from .._delivery import Push, WsgiApp, deliver
from .._records import Event
from ._commands import CALLBACK_STATUSES, FINAL, CommandStatus
from ._model import DEVICE_INFO_KEYS, Device, wire_time
from ._schemas import MANAGEMENT_NOTIFY_TYPES as MANAGEMENT_NOTIFY_TYPES
from ._schemas import NOTIFY_TYPES as NOTIFY_TYPES
from ._schemas import callback_url_problem as callback_url_problem
from ._service import FACE, OcService

if TYPE_CHECKING:
    from .._platform import Platform

#: DeviceInfo keys of pushes: the query set plus ``isHD`` (spec §6.2).
PUSH_INFO_KEYS = (*DEVICE_INFO_KEYS, "isHD")

PUSH_HEADERS = {"Content-Type": "application/json"}


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
    if kind == "desired":
        return [
            (
                "deviceDesiredPropertiesModifyStatusChanged",
                {
                    "notifyType": "deviceDesiredPropertiesModifyStatusChanged",
                    "deviceId": device_id,
                    "serviceId": data["serviceId"],
                    "properties": data["properties"],
                    "status": "DELIVERED",
                },
            )
        ]
    if kind == "signal":
        if not data["confirm"]:  # header.mode NOACK: no confirmations asked for
            return []
        header = {
            "requestId": data["requestId"],
            "from": data["to"],
            "to": data["from"],
            "status": data["status"],
            "timestamp": wire_time(event.time),
        }
        return [("messageConfirm", {"notifyType": "messageConfirm", "header": header, "body": {}})]
    if kind == "signal_answered":
        header = {
            "requestId": data["requestId"],
            "from": data["to"],
            "to": data["from"],
            "deviceId": device_id,
            "serviceType": data["serviceId"],
            "method": data["method"],
        }
        body = data["body"] if data["ok"] else {"result": "FAILED", "detail": data["body"]}
        return [("commandRsp", {"notifyType": "commandRsp", "header": header, "body": body})]
    if kind == "datas":
        services = [{**one, "eventTime": wire_time(event.time)} for one in data["services"]]
        return [
            (
                "deviceDatasChanged",
                {
                    "notifyType": "deviceDatasChanged",
                    **ids,
                    "requestId": None,
                    "services": services,
                },
            )
        ]
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


class Pushes(OcService):
    """Push notifications: made from the face's own events, delivered now or on demand."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        #: every push notification sent or queued, in order (not part of snapshots)
        self.pushes: Ring[Push] = Ring(self.platform.settings.push_log_limit)
        self._push_listeners: list[Callable[[Push], object]] = []
        self._push_routes: list[tuple[str, WsgiApp]] = []

    def transcript_lines(self) -> list[str]:
        return [push.line() for push in self.pushes]

    def on_push(self, listener: Callable[[Push], object]) -> Callable[[Push], object]:
        """Call ``listener(push)`` for every push as it is delivered (usable as a decorator)."""
        self._push_listeners.append(listener)
        return listener

    def route_pushes(self, prefix: str, app: WsgiApp) -> None:
        """Deliver pushes whose callback URL starts with ``prefix`` to a WSGI ``app``,
        in-process, instead of over HTTP (e.g. your Flask app: ``app.wsgi_app``)."""
        self._push_routes.append((prefix, app))

    def deliver(self) -> list[Push]:
        """Send every pending push now (the ``push_delivery="queued"`` mode); return them."""
        with self.platform.lock:
            pending = [p for p in self.pushes if p.result == "pending"]
        for push in pending:
            self._send(push)
        return pending

    def _send(self, push: Push) -> None:
        settings = self.platform.settings
        deliver(
            push,
            listeners=list(self._push_listeners),
            routes=list(self._push_routes),
            timeout=settings.push_timeout,
            retries=settings.push_retries,
        )

    def on_event(self, event: Event) -> None:
        """Turn a domain event into the push notifications its subscriptions receive, and a
        command's status change into its status callback (spec A.7.1)."""
        if event.face != FACE:
            return
        if event.kind == "command":
            self._command_callback(event)
            return
        subscriptions = self.state.subscriptions
        # a signaltrans command's header.callbackURL receives its own notifications too
        direct = event.data.get("callbackUrl") if event.kind.startswith("signal") else None
        if not subscriptions and not direct:
            return
        device = self.state.devices.get(event.subject)
        owner = device.app_id if device is not None else event.data.get("appId")
        if owner is None:
            return
        settings = self.platform.settings
        for notify_type, body in notifications(
            event, device, deleted_on_expiry=settings.oceanconnect_push_deleted_on_expiry
        ):
            targets: list[tuple[str, str | None]] = [
                (sub.callback_url, sub.subscription_id)
                for sub in subscriptions.values()
                if sub.app_id == owner and sub.notify_type == notify_type and not sub.management
            ]
            if direct and all(url != direct for url, _sub in targets):
                targets.append((direct, None))
            for url, subscription_id in targets:
                push = Push(
                    self.pushes.total,
                    event.time,
                    notify_type,
                    url,
                    body,
                    dict(PUSH_HEADERS),
                    subscription_id,
                    owner,
                )
                self.pushes.append(push)
                if settings.push_delivery == "sync":
                    self.platform.after(lambda push=push: self._send(push))  # type: ignore[misc]

    def _command_callback(self, event: Event) -> None:
        """``POST {callbackUrl}`` with ``{deviceId, commandId, result}`` (no notifyType: the
        captured shape) for SENT, DELIVERED, SUCCESSFUL, FAILED and TIMEOUT."""
        data = event.data
        status = CommandStatus(data["status"])
        if status not in CALLBACK_STATUSES or data["transition"] == "resend":
            return
        options = self.options
        if status is CommandStatus.SENT and not options.oceanconnect_push_sent_callback:
            return
        device = self.state.devices.get(event.subject)
        command = device.commands.get(data["commandId"]) if device is not None else None
        if command is None or command.callback_url is None:
            return
        result = data["result"] if status in FINAL else None
        body = {
            "deviceId": event.subject,
            "commandId": command.command_id,
            "result": {
                "resultCode": status.value,
                "resultDetail": result["resultDetail"] if result else None,
            },
        }
        push = Push(
            self.pushes.total,
            event.time,
            f"command {status.value}",
            command.callback_url,
            body,
            dict(PUSH_HEADERS),
            None,
            command.app_id,
        )
        self.pushes.append(push)
        if self.platform.settings.push_delivery == "sync":
            self.platform.after(lambda push=push: self._send(push))  # type: ignore[misc]
