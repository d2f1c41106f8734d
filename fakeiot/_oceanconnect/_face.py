"""The OceanConnect northbound face, composed of its concerns: the domain service
(``_service``), the route families (``_routes_auth``, ``_routes_devices``,
``_routes_subscriptions``) and the pushes (``_push``). Error rendering lives here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from .._errors import ApiError
from .._http import HttpResponse
from .._routes import Route
from ._errors import HTTP200_ROWS, OcError
from ._push import Pushes
from ._routes_auth import AuthRoutes
from ._routes_devices import DeviceRoutes
from ._routes_subscriptions import SubscriptionRoutes
from ._service import Application, DeviceView

E = OcError
__all__ = ["Application", "DeviceView", "OceanConnect"]


class OceanConnect(AuthRoutes, DeviceRoutes, SubscriptionRoutes, Pushes):
    """``platform.oceanconnect``: Huawei OceanConnect's northbound API and its device side."""

    invalid: ClassVar[Mapping[str, OcError]] = {
        "*": E.INPUT_INVALID,
        "malformed": E.BAD_REQUEST,
        "media": E.UNSUPPORTED_MEDIA_TYPE,
    }

    def render_error(self, error: ApiError, route: Route) -> HttpResponse:
        member = error.error
        if not isinstance(member, OcError):
            raise TypeError(f"the OceanConnect face cannot render {member!r}")
        row = member.row
        status = row.status
        if (
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
