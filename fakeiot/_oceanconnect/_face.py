"""The OceanConnect northbound face, composed of its concerns: the domain service
(``_service``), the route families (``_routes_auth``, ``_routes_devices``,
``_routes_subscriptions``) and the pushes (``_push``). Error rendering lives here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .._errors import ApiError
from .._http import HttpRequest, HttpResponse
from .._lifecycle import State
from .._routes import Route
from . import _persist
from ._commands import COMMAND, OcSettings
from ._errors import HTTP200_ONLY, HTTP200_ROWS, OcError
from ._model import wire_time
from ._push import Pushes
from ._routes_auth import AuthRoutes
from ._routes_batch import BatchRoutes
from ._routes_commands import CommandRoutes
from ._routes_data import DataRoutes
from ._routes_devices import DeviceRoutes
from ._routes_groups import GroupRoutes
from ._routes_subscriptions import SubscriptionRoutes
from ._service import Application, DeviceView

E = OcError
#: commands the dashboard shows per device (the newest)
COMMANDS_SHOWN = 20
__all__ = ["Application", "DeviceView", "OceanConnect"]


class OceanConnect(
    AuthRoutes,
    DeviceRoutes,
    SubscriptionRoutes,
    CommandRoutes,
    DataRoutes,
    GroupRoutes,
    BatchRoutes,
    Pushes,
):
    """``platform.oceanconnect``: Huawei OceanConnect's northbound API and its device side."""

    settings_class: ClassVar[type | None] = OcSettings
    #: the V4 command status machine (spec A.3), for docs and error messages
    command_lifecycle: ClassVar[Any] = COMMAND

    invalid: ClassVar[Mapping[str, OcError]] = {
        "*": E.INPUT_INVALID,
        "malformed": E.BAD_REQUEST,
        "media": E.UNSUPPORTED_MEDIA_TYPE,
    }
    prefixes: ClassVar[tuple[str, ...]] = ("/iocm/app/", "/iodm/app/")
    #: spec A.1: a repeated query key's first value counts (IoTDA's and EnOS's specs are
    #: silent, so they keep the last)
    first_query_value: ClassVar[bool] = True

    def render_not_found(self, request: HttpRequest) -> HttpResponse:
        """A path under ``/iocm/app/`` no route serves: 404 with the platform's error shape
        and its "resource not found" row (docs/fidelity.md: the vendor's answer is unknown)."""
        row = OcError.RESOURCE_NOT_FOUND.row
        return HttpResponse.json(404, {"error_code": row.code, "error_desc": row.desc})

    def render_error(self, error: ApiError, route: Route) -> HttpResponse:
        member = error.error
        if not isinstance(member, OcError):
            raise TypeError(f"the OceanConnect face cannot render {member!r}")
        row = member.row
        status = row.status
        if (route.name, member) in HTTP200_ONLY or (
            self.platform.settings.oceanconnect_http200_errors
            and (route.name, member) in HTTP200_ROWS
        ):
            status = 200
        if row.shape == "gateway":
            if self.platform.settings.oceanconnect_gateway_error_shape == "gateway":
                return HttpResponse.json(
                    status, {"resultcode": row.code, "resultmsg": row.desc}, route.name
                )
            return HttpResponse.json(
                status, {"error_code": row.code, "error_desc": row.standard_desc}, route.name
            )
        return HttpResponse.json(
            status, {"error_code": row.code, "error_desc": row.desc}, route.name
        )

    # -- serve layer: the state store and the dashboard (fakeiot/serve) -------------------------
    #: device-side methods the dashboard's buttons may call (``overview()`` rows name them)
    dashboard_actions: ClassVar[tuple[str, ...]] = ("connect_device", "disconnect_device")

    persist: ClassVar[Any] = _persist

    def overview(self) -> dict[str, Any]:
        """What the dashboard shows: applications, and devices with their device-side actions."""
        now = self.platform.clock.now()
        apps = [{"cells": [a.app_id, a.secret, a.name]} for a in self.apps()]
        devices = []
        for d in self.devices():
            expires: dict[str, float | None] | None = None
            if d.state is State.REGISTERED and d.code_expires_at is not None:
                expires = {"countdown": max(0.0, d.code_expires_at - now)}
            elif d.state is State.REGISTERED:
                expires = {"countdown": None}
            if d.status in ("ONLINE", "ABNORMAL"):
                action = {
                    "label": "Disconnect",
                    "action": "disconnect_device",
                    "args": {"device_id": d.device_id},
                }
            else:
                action = {
                    "label": "Connect",
                    "action": "connect_device",
                    "args": {"node_id": d.node_id, "verify_code": d.verify_code},
                }
            devices.append(
                {
                    "cells": [
                        d.device_id,
                        d.node_id,
                        f"{d.status}/{d.status_detail}",
                        d.activated,
                        expires,
                    ],
                    "status": d.status,
                    "actions": [action],
                }
            )
        with self.platform.lock:
            commands = [
                {
                    "cells": [
                        c.command_id,
                        d.device_id,
                        f"{c.service_id}.{c.method}",
                        str(c.status),
                        wire_time(c.created),
                        c.issued_times,
                    ],
                    "status": str(c.status),
                }
                for d in self.state.devices.values()
                for c in reversed(list(d.commands.values())[-COMMANDS_SHOWN:])
            ]
        return {
            "title": "OceanConnect",
            "tables": [
                {
                    "id": "apps",
                    "title": "Applications",
                    "columns": ["appId", "secret", "name"],
                    "rows": apps,
                    "empty": "no applications",
                },
                {
                    "id": "devices",
                    "title": "Devices",
                    "columns": [
                        "deviceId",
                        "nodeId",
                        "status",
                        "activated",
                        "verify code expires in",
                    ],
                    "rows": devices,
                    "empty": "no devices",
                },
                {
                    "id": "commands",
                    "title": "Commands (newest first, per device)",
                    "columns": [
                        "commandId",
                        "deviceId",
                        "command",
                        "status",
                        "created",
                        "resends",
                    ],
                    "rows": commands,
                    "empty": "no commands",
                },
            ],
        }
