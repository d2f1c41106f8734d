"""OceanConnect data routes: data history (spec A.9), desired history (A.10), device
capabilities (A.11) and the shadow's desired values (A.12)."""

from __future__ import annotations

from typing import Any

from .._errors import ApiError
from .._routes import route
from ._errors import OcError
from ._model import App, Device, wire_time
from ._routes_commands import _inside, _window
from ._schemas import (
    CapabilitiesAnswer,
    DataHistoryAnswer,
    DesiredHistoryAnswer,
    ModifyShadow,
    QueryCapabilities,
    QueryHistory,
)
from ._service import FACE
from ._traffic import TrafficService

E = OcError
#: what a history query without ``pageNo`` returns at most (spec A.9: "everything", capped)
UNPAGED_CAP = 2000


class DataRoutes(TrafficService):
    """``/iocm/app/data`` and the shadow's ``PUT``."""

    def _history_device(self, app: App, req: QueryHistory) -> Device:
        """The device a history query names. An unknown one is 200/100418 as in the command
        family, or with ``oceanconnect_history_unknown_device="100403"`` 404/100403 as in
        device management (404/100418: another application's) (spec A.9 [?])."""
        if self.options.oceanconnect_history_unknown_device == "100403":
            device = self._device_of(app, req.device_id)
            missing = E.DEVICE_NOT_FOUND
        else:
            device = self._command_device(app, req.device_id)
            missing = E.COMMAND_DEVICE_NOT_FOUND
        if req.gateway_id != device.device_id:
            # a directly connected device is its own gateway (spec A.9)
            raise ApiError(
                missing,
                f"gatewayId {req.gateway_id[:64]!r} is not device {device.device_id}'s gateway",
            )
        return device

    def _history(
        self, device: Device, req: QueryHistory, entries: list[list[Any]]
    ) -> tuple[list[list[Any]], int, int, int]:
        """The entries matching ``req``, newest first, paged: (page, total, pageNo, pageSize)."""
        self._prune(entries, self.platform.clock.now(), self._retention(device))
        start, end = _window(req.start_time, req.end_time)
        wanted, prop = req.service_id, req.property
        matching = []
        for at, service_id, values in reversed(entries):
            if wanted is not None and service_id != wanted:
                continue
            if prop is not None:
                if prop not in values:
                    continue
                values = {prop: values[prop]}
            if _inside(at, start, end):
                matching.append([at, service_id, values])
        if req.page_no is None:
            page = matching[:UNPAGED_CAP]
            return page, len(matching), 0, len(page)
        page_size = req.page_size or 1
        first = req.page_no * page_size
        return matching[first : first + page_size], len(matching), req.page_no, page_size

    @route(
        "GET",
        "/iocm/app/data/{version}/deviceDataHistory",
        versions=("v1.1.0", "v1.2.0"),
        auth="app",
        trailing_slash=True,
    )
    def _query_device_data_history(self, app: App, req: QueryHistory) -> DataHistoryAnswer:
        """A device's reported data, newest first (no ``pageNo``: all of it, unpaged)."""
        device = self._history_device(app, req)
        page, total, page_no, page_size = self._history(device, req, device.history)
        return {
            "totalCount": total,
            "pageNo": page_no,
            "pageSize": page_size,
            "deviceDataHistoryDTOs": [
                {
                    "deviceId": device.device_id,
                    "gatewayId": device.device_id,
                    "appId": device.app_id,
                    "serviceId": service_id,
                    "data": values,
                    "timestamp": wire_time(at),
                }
                for at, service_id, values in page
            ],
        }

    @route(
        "GET",
        "/iocm/app/shadow/{version}/deviceDesiredHistory",
        versions=("v1.5.0",),
        auth="app",
        trailing_slash=True,
    )
    def _query_device_desired_history(self, app: App, req: QueryHistory) -> DesiredHistoryAnswer:
        """The desired values set on a device's shadow, newest first."""
        device = self._history_device(app, req)
        page, total, page_no, page_size = self._history(device, req, device.desired_history)
        return {
            "totalCount": total,
            "pageNo": page_no,
            "pageSize": page_size,
            "deviceDesiredHistoryDTOs": [
                {
                    "deviceId": device.device_id,
                    "gatewayId": device.device_id,
                    "appId": device.app_id,
                    "serviceId": service_id,
                    "desired": values,
                    "timestamp": wire_time(at),
                }
                for at, service_id, values in page
            ],
        }

    @route(
        "GET",
        "/iocm/app/data/{version}/deviceCapabilities",
        versions=("v1.1.0",),
        auth="app",
        trailing_slash=True,
    )
    def _query_device_capabilities(self, app: App, req: QueryCapabilities) -> CapabilitiesAnswer:
        """A device's service capabilities, from its product's profile (none: empty)."""
        wanted = req.device_id or req.gateway_id
        if wanted is None:
            raise ApiError(E.MODIFY_INPUT_INVALID, "give deviceId or gatewayId")
        device = self._command_device(app, wanted)
        if req.gateway_id is not None and req.gateway_id != device.device_id:
            raise ApiError(E.COMMAND_DEVICE_NOT_FOUND, "the gatewayId is not the device's")
        return {
            "deviceCapabilities": [
                {"deviceId": device.device_id, "serviceCapabilities": self._profile(device) or []}
            ]
        }

    @route(
        "PUT",
        "/iocm/app/shadow/{version}/devices/{deviceId}",
        versions=("v1.5.0",),
        auth="app",
        trailing_slash=True,
        media_type=None,
    )
    def _modify_device_shadow(self, app: App, req: ModifyShadow) -> None:
        """Set desired values on a device's shadow: handed to the device now if it is
        reachable, else when it next connects or reports; answers 200 with no body."""
        device = self._device_of(app, req.device_id)
        profile = self._profile(device)
        for item in req.service_desireds:
            if profile is not None:
                self._check_writable(profile, item.service_id, item.desired)
        now = self.platform.clock.now()
        reachable = self._reachable(device)
        for item in req.service_desireds:
            service = device.services.get(item.service_id)
            if service is None:
                service = device.services[item.service_id] = {
                    "serviceType": self._service_type(device, item.service_id),
                    "data": {},
                    "eventTime": None,
                }
            service["desired"] = {**service.get("desired", {}), **item.desired}
            service["desiredPending"] = True
            device.desired_history.append([now, item.service_id, dict(item.desired)])
            self._prune(device.desired_history, now, self._retention(device))
        device.modified = now
        self.platform.emit(
            FACE,
            "shadow",
            device.device_id,
            {"services": [i.service_id for i in req.service_desireds]},
        )
        if reachable:
            self._deliver_desired(device, now)

    def _check_writable(
        self, profile: list[dict[str, Any]], service_id: str, desired: dict[str, Any]
    ) -> None:
        """The profile's rules for a desired value (spec A.12 errors)."""
        if not profile:
            raise ApiError(E.CAPABILITY_NOT_EXIST, "the device's profile declares no services")
        capability = next((c for c in profile if c.get("serviceId") == service_id), None)
        if capability is None:
            raise ApiError(E.SERVICE_TYPE_NOT_EXIST, f"no service {service_id[:64]!r}")
        properties = {p.get("propertyName"): p for p in capability.get("properties") or ()}
        if not properties:
            raise ApiError(E.PROPERTIES_EMPTY, f"service {service_id!r} has no properties")
        for name in desired:
            found = properties.get(name)
            if found is None:
                raise ApiError(E.PROPERTIES_UNKNOWN, f"no property {name[:64]!r}")
            if "W" not in str(found.get("method") or "").upper():
                raise ApiError(E.PROPERTY_NOT_WRITABLE, f"property {name!r} is not writable")
