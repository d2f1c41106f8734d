"""The EnOS Connect Service v2.1 face: the API gateway's two authentication schemes, products,
devices, and the device side (MQTT login, logout, dynamic activation) that tests drive directly.

The face composes its concerns: the state (:mod:`._model`), the domain operations and the
Python API (:mod:`._service`), one mixin per family of routes (:mod:`._routes_token`,
:mod:`._routes_products`, :mod:`._routes_devices`), their declared inputs (:mod:`._schemas`),
the gateway's checks (:mod:`._auth`) and the error table (:mod:`._errors`). What stays here is
the wire: who is calling, and the body shapes answers and errors are rendered in.

Vocabulary on the core lifecycle (:mod:`fakeiot._lifecycle`): ``assetId`` is the stable
identity, ``deviceKey`` the replaceable hardware key, ``deviceSecret`` the credential, and the
first login is activation. ``inactive``/``online``/``offline``/``disable`` are the wire names of
REGISTERED/ONLINE/OFFLINE/DISABLED.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .._errors import ApiError, UsageError
from .._http import JSON_CONTENT_TYPE, HttpRequest, HttpResponse
from . import _persist
from ._auth import gateway
from ._errors import PROFILE_2_1, EnosError
from ._model import DeviceView, Limits, Org, Organization
from ._mqtt import EnosProtocol
from ._routes_commands import CommandRoutes
from ._routes_devices import DeviceRoutes
from ._routes_products import ProductRoutes
from ._routes_token import TOKEN, TokenRoutes
from ._schemas import Batch, Encoded, Page
from ._service import FACE

if TYPE_CHECKING:
    from .._routes import Route, RouteSpec

E = EnosError

__all__ = ["DeviceView", "Enos", "Limits", "Organization"]


class Enos(TokenRoutes, ProductRoutes, DeviceRoutes, CommandRoutes):
    """``platform.enos``: EnOS Connect Service v2.1 behind the APIM gateway, and its device side."""

    name: ClassVar[str] = FACE
    errors: ClassVar[type[EnosError]] = EnosError
    invalid: ClassVar[Mapping[str, EnosError]] = {"*": E.INVALID_ARGUMENTS}
    #: the Connect Service and the token service (``TOKEN``'s first segment)
    prefixes: ClassVar[tuple[str, ...]] = ("/connect-service/", "/apim-token-service/")

    def device_protocol(self) -> EnosProtocol:
        """The EnOS device side over MQTT, as ``enos-mqtt-sdk-python`` speaks it (B.3-B.6)."""
        protocol = self.__dict__.get("_protocol")
        if protocol is None:
            protocol = self.__dict__["_protocol"] = EnosProtocol(self)
        return protocol

    def render_not_found(self, request: HttpRequest) -> HttpResponse:
        """A path under the Connect Service or token service no route serves: the API
        gateway's (Kong's) stock 404 (spec §4.12 says HTTP 404 [I]; docs/fidelity.md)."""
        return HttpResponse.json(404, {"message": "no Route matched with those values"})

    def authenticate(self, scheme: str, request: HttpRequest) -> Org | None:
        """``"org"``: the API gateway's checks (signature or Poseidon), then ``?orgId=``;
        ``"token"``: the token service is open unless the gateway only takes Poseidon tokens."""
        platform = self.platform
        limit = platform.settings.enos_max_body
        if limit is not None and len(request.body) > limit:
            raise ApiError(E.PAYLOAD_TOO_LARGE, f"the body is over {limit} bytes (enos_max_body)")
        if scheme == "token":
            if platform.settings.enos_auth_mode == "poseidon":
                raise ApiError(E.UNAUTHORIZED, "enos_auth_mode='poseidon': no token service")
            return None
        if scheme != "org":
            raise UsageError(f"the EnOS face has no authentication scheme {scheme!r}")
        return gateway(self.state, self.keys, platform.settings, platform.clock.now(), request)

    def render(self, route: str, spec: RouteSpec, data: Any) -> HttpResponse:
        """A declared route's answer: the token service's body, or the envelope (spec §2.3)."""
        if spec.pattern.startswith(TOKEN):
            payload = {
                "status": 0,
                "msg": "SUCCESS",
                "business": "apim-token-service",
                "data": data,
            }
            return HttpResponse.json(200, payload, route)
        if isinstance(data, Encoded):
            body = b'{"code":0,"msg":"OK","requestId":"%s","data":%s}' % (
                self._request_id().encode(),
                data.json,
            )
            return HttpResponse(200, body, {"Content-Type": JSON_CONTENT_TYPE}, route)
        if isinstance(data, Page | Batch):
            payload = {"code": 0, "msg": "OK", "requestId": self._request_id(), "data": data.data}
            payload.update(data.extra())
            return HttpResponse.json(200, payload, route)
        payload = {"code": 0, "msg": "OK", "requestId": self._request_id(), "data": data}
        return HttpResponse.json(200, payload, route)

    def render_error(self, error: ApiError, route: Route) -> HttpResponse:
        member = error.error
        if not isinstance(member, EnosError):
            raise TypeError(f"the EnOS face cannot render {member!r}")
        row = member.value
        if self.platform.settings.enos_error_profile == "2.1":
            row = PROFILE_2_1.get(member, row)
        msg = row.msg
        if error.context and "{" in msg:
            with contextlib.suppress(KeyError, IndexError, ValueError):
                msg = msg.format(**error.context)
        shape = row.shape
        if shape in ("envelope", "token"):
            # each family answers in its own body, whatever row a fault injects (issue 16.13)
            shape = "token" if route.pattern.startswith(TOKEN) else "envelope"
        if shape == "envelope":
            payload: dict[str, Any] = {
                "code": int(row.code),
                "msg": msg,
                "requestId": self._request_id(),
                "data": None,
            }
        elif shape == "gateway":
            payload = {"message": msg}
        elif shape == "token":
            payload = {
                "status": int(row.code),
                "msg": msg,
                "business": "apim-token-service",
                "data": None,
            }
        else:
            payload = {"apim_status": int(row.code)}
            if member is E.POSEIDON_ACCESS_EXPIRED:
                payload["apim_refreshtoken"] = error.context.get("refresh", "")
        return HttpResponse.json(row.status, payload, route.name)

    # -- serve layer: the state store and the dashboard (fakeiot/serve) -------------------------
    #: device-side methods the dashboard's buttons may call (``overview()`` rows name them)
    dashboard_actions: ClassVar[tuple[str, ...]] = ("login_device", "logout_device")

    persist: ClassVar[Any] = _persist

    def overview(self) -> dict[str, Any]:
        """What the dashboard shows: organisations, and devices with their device-side actions."""
        orgs = [{"cells": [o.org_id, o.access_key, o.secret_key]} for o in self.orgs()]
        devices = []
        for d in self.devices():
            actions = []
            if d.status == "online":
                actions.append(
                    {
                        "label": "Logout",
                        "action": "logout_device",
                        "args": {"product_key": d.product_key, "device_key": d.device_key},
                    }
                )
            elif d.status != "disable":
                actions.append(
                    {
                        "label": "Login",
                        "action": "login_device",
                        "args": {
                            "product_key": d.product_key,
                            "device_key": d.device_key,
                            "device_secret": d.device_secret,
                        },
                    }
                )
            devices.append(
                {
                    "cells": [
                        d.asset_id,
                        d.product_key,
                        d.device_key,
                        d.status,
                        "connected" if d.asset_id in self._links else "",
                    ],
                    "status": d.status,
                    "actions": actions,
                }
            )
        commands = [
            {
                "cells": [
                    c.asset_id,
                    c.command_id,
                    c.tsl_identifier,
                    "immediate" if c.immediate else f"cached {c.pending_ttl}s",
                    str(c.state),
                ],
                "status": c.state.name.lower() if c.state is not None else "",
                "actions": [],
            }
            for device in self.state.devices.values()
            for c in device.commands.values()
        ]
        return {
            "title": "EnOS",
            "tables": [
                {
                    "id": "orgs",
                    "title": "Organisations",
                    "columns": ["orgId", "accessKey", "secretKey"],
                    "rows": orgs,
                    "empty": "no organisations",
                },
                {
                    "id": "devices",
                    "title": "Devices",
                    "columns": ["assetId", "productKey", "deviceKey", "status", "mqtt"],
                    "rows": devices,
                    "empty": "no devices",
                },
                {
                    "id": "commands",
                    "title": "Commands",
                    "columns": ["assetId", "commandId", "tslIdentifier", "mode", "state"],
                    "rows": commands,
                    "empty": "no commands",
                },
            ],
        }
