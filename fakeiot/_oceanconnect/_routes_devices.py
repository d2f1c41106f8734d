"""OceanConnect device routes: credentials (register, refresh key, activation status),
management (modify, delete, query one, query many) and the shadow."""

from __future__ import annotations

from typing import Any

from .._errors import ApiError
from .._lifecycle import State
from .._routes import route
from ._errors import OcError
from ._model import (
    App,
    Device,
)
from ._schemas import (
    MODIFY_EXTRA,
    MODIFY_INFO,
    ActivationAnswer,
    DeviceAnswer,
    DevicePath,
    DevicesAnswer,
    ModifyDevice,
    QueryDevice,
    QueryDevices,
    RefreshDeviceKey,
    RefreshKeyAnswer,
    RegisterAnswer,
    RegisterDevice,
    ShadowAnswer,
    parse_time,
    vars_of,
)
from ._service import DATA_AGING, FACE, OcService

E = OcError
REG = "/iocm/app/reg/{version}"
REG_VERSIONS = ("v1.1.0", "v1.2.0")
DM = "/iocm/app/dm/{version}"
DM_VERSIONS = ("v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0")


class DeviceRoutes(OcService):
    """``/iocm/app/reg``, ``/iocm/app/dm`` and ``/iocm/app/shadow``."""

    # =========================================================================================
    # Device credentials routes
    # =========================================================================================
    @route("POST", f"{REG}/deviceCredentials", versions=REG_VERSIONS, auth="app")
    def _register_device(self, app: App, req: RegisterDevice) -> RegisterAnswer:
        """Register a directly connected device in verification-code mode."""
        raw_info = req.device_info
        info = {}
        if raw_info is not None:
            info = {k: val for k, val in vars_of(raw_info).items() if val is not None}
        return self._register(
            app,
            req.node_id,
            verify_code=req.verify_code,
            timeout=req.timeout,
            psk=req.psk,
            end_user_id=req.end_user_id,
            imsi=req.imsi,
            is_secure=req.is_secure,
            product_id=req.product_id,
            device_name=req.device_name,
            info=info,
        )

    @route("PUT", f"{REG}/deviceCredentials/{{deviceId}}", versions=REG_VERSIONS, auth="app")
    def _refresh_device_key(self, app: App, req: RefreshDeviceKey) -> RefreshKeyAnswer:
        """Give an activated, offline device a new nodeId and verify code (same deviceId)."""
        device = self._device_of(app, req.device_id)
        if not device.activated:
            raise ApiError(E.DEVICE_NOT_ACTIVE, f"device {device.device_id} never connected")
        if device.state is State.ONLINE:
            raise ApiError(E.DEVICE_ONLINE, f"device {device.device_id} is online")
        state = self.state
        verify_code = req.verify_code
        new_node = req.node_id if req.node_id is not None else device.node_id
        holder = state.by_node.get(new_node)
        if holder is not None and holder is not device:
            raise ApiError(E.NODE_ID_DUPLICATED, f"nodeId {new_node!r} is registered already")
        if verify_code is not None:
            code_holder = state.by_code.get(verify_code.lower())
            if code_holder is not None and code_holder is not device:
                raise ApiError(E.INVALID_VERIFY_CODE, f"verify code {verify_code!r} is in use")
        now = self.platform.clock.now()
        code = self._new_code(verify_code, new_node, device)
        del state.by_node[device.node_id]
        del state.by_code[device.verify_code.lower()]
        device.node_id, device.verify_code = new_node, code
        device.code_generated = verify_code is None and code != new_node
        state.by_node[new_node] = device
        state.by_code[code.lower()] = device
        device.modified = now
        device.age_gen += 1
        device.rebind_pending = True
        settings = self.platform.settings
        timeout = req.timeout
        if timeout is None:
            # seed 000: "the default value 180 prevails" (refresh has its own default)
            timeout = settings.oceanconnect_refresh_timeout_default
        if timeout is None:
            timeout = settings.register_timeout_default
        self._set_code(device, timeout, now)
        if settings.oceanconnect_refresh_resets_activation:
            device.activated = False
            self._move(device, "rekey", now, {"nodeId": new_node})
        else:
            self._move(device, "rekey_keep_active", now, {"nodeId": new_node})
        return {"verifyCode": code, "timeout": device.timeout}

    @route("GET", f"{REG}/deviceCredentials/{{deviceId}}", versions=REG_VERSIONS, auth="app")
    def _query_activation_status(self, app: App, req: DevicePath) -> ActivationAnswer:
        """Whether the device has ever connected (``activated``) and its name."""
        device = self._device_of(app, req.device_id, foreign=E.DEVICE_NOT_FOUND)
        return {
            "deviceId": device.device_id,
            "activated": device.activated,
            "name": device.info.get("name"),
        }

    # =========================================================================================
    # Device management routes
    # =========================================================================================
    @route(
        "PUT",
        f"{DM}/devices/{{deviceId}}",
        versions=DM_VERSIONS,
        auth="app",
        status=204,
        media_type=None,
    )
    def _modify_device(self, app: App, req: ModifyDevice) -> None:
        """Change a device's information; answers 204 with no body."""
        device = self._device_of(app, req.device_id)
        changes: dict[str, Any] = {}
        for attr, key in MODIFY_INFO.items():
            value = getattr(req, attr)
            if value is not None:
                changes[key] = value
        is_secure, product_id = req.is_secure, req.product_id
        settings = self.platform.settings
        if (
            product_id is not None
            and settings.oceanconnect_strict_products
            and product_id not in self.state.products
        ):
            raise ApiError(E.INPUT_INVALID, f"no product {product_id!r}")
        if (
            is_secure is False
            and device.is_secure
            and settings.max_non_secure_devices is not None
            and sum(not d.is_secure for d in app.devices.values())
            >= settings.max_non_secure_devices
        ):
            raise ApiError(E.NON_SECURE_LIMIT, "max_non_secure_devices reached")

        now = self.platform.clock.now()
        device.info.update(changes)
        if is_secure is not None:
            device.is_secure = is_secure
            changes["isSecurity"] = "TRUE" if is_secure else "FALSE"
            device.info["isSecurity"] = changes["isSecurity"]
        if req.imsi is not None:
            device.imsi = req.imsi
        if req.psk is not None:
            device.psk = req.psk
        if product_id is not None:
            device.product_id = product_id
        kept = {key: getattr(req, attr) for attr, key in MODIFY_EXTRA.items()}
        config = req.device_config.data_config if req.device_config is not None else None
        if config is not None:
            # days of data history kept for this device (spec A.9, OC §4.4; 0: the default)
            kept[DATA_AGING] = config.data_aging_time
        kept = {key: value for key, value in kept.items() if value is not None}
        if kept:
            device.extra = {**(device.extra or {}), **kept}
        device.modified = now
        self.platform.emit(FACE, "modify", device.device_id, changes)

    @route(
        "DELETE",
        f"{DM}/devices/{{deviceId}}",
        versions=DM_VERSIONS,
        auth="app",
        status=204,
        media_type=None,
    )
    def _delete_device(self, app: App, req: DevicePath) -> None:
        """Delete a device (``cascade`` defaults to true; devices here have no children)."""
        device = self._device_of(app, req.device_id)
        self._remove(device, "delete", self.platform.clock.now(), reason="deleted")

    @route("GET", f"{DM}/devices/{{deviceId}}", versions=DM_VERSIONS, auth="app")
    def _query_device(self, app: App, req: QueryDevice) -> DeviceAnswer:
        """One device's details (``select=imsi`` adds the IMSI)."""
        device = self._device_of(app, req.device_id)
        return device.wire(imsi=req.select is not None)

    @route("GET", f"{DM}/devices", versions=DM_VERSIONS, auth="app")
    def _query_devices(self, app: App, req: QueryDevices) -> DevicesAnswer:
        """Devices of the application, filtered and paged (newest first by default)."""
        gateway_id = req.gateway_id
        if req.page_no is None and gateway_id is None:
            raise ApiError(E.GATEWAY_AND_PAGE_NULL, "give pageNo (0 is the first page)")
        page_no = req.page_no or 0
        page_size = req.page_size or 25
        status, node_type = req.status, req.node_type
        start = parse_time(req.start_time) if req.start_time else None
        end = parse_time(req.end_time) if req.end_time else None
        wanted = {
            key: value
            for key, value in (
                ("deviceType", req.device_type),
                ("location", req.location),
                ("name", req.name),
            )
            if value
        }

        def keep(d: Device) -> bool:
            if gateway_id is not None and d.device_id != gateway_id:
                return False
            if node_type is not None and node_type != "GATEWAY":
                return False
            if status is not None:
                shown = "INACTIVE" if d.state is State.REGISTERED else d.status
                if shown != status:
                    return False
            if start is not None and d.created < start:
                return False
            if end is not None and d.created > end:
                return False
            return all(d.info.get(key) == val for key, val in wanted.items())

        pool = app.devices.values()
        ordered = reversed(list(pool)) if req.sort != "ASC" else iter(pool)
        matching = [d for d in ordered if keep(d)]
        first = page_no * page_size
        page = matching[first : first + page_size]
        imsi = req.select is not None
        return {
            "totalCount": len(matching),
            "pageNo": page_no,
            "pageSize": page_size,
            "devices": [d.wire(imsi=imsi) for d in page],
        }

    @route(
        "GET",
        "/iocm/app/shadow/{version}/devices/{deviceId}",
        versions=("v1.5.0",),
        auth="app",
        trailing_slash=True,
    )
    def _query_device_shadow(self, app: App, req: DevicePath) -> ShadowAnswer:
        """A device's shadow: its info and status, and per service the reported and desired
        properties (spec A.12)."""
        device = self._device_of(app, req.device_id)
        wire = device.wire()
        return {
            "deviceId": wire["deviceId"],
            "gatewayId": wire["gatewayId"],
            "nodeType": wire["nodeType"],
            "createTime": wire["createTime"],
            "lastModifiedTime": wire["lastModifiedTime"],
            "deviceInfo": wire["deviceInfo"],
            "services": [
                {
                    "serviceId": sid,
                    "serviceType": svc["serviceType"],
                    "reportedProps": dict(svc["data"]),
                    "desiredProps": dict(svc.get("desired") or {}),
                    "eventTime": svc.get("eventTime"),
                }
                for sid, svc in device.services.items()
            ],
        }
