"""IoTDA's domain operations on typed arguments: the HTTP routes, the Python test API and the
device side all call these. Errors are raised by name (``ApiError(IotdaError.X, detail)``);
nothing here sees HTTP.

Time-driven work (registration timeouts, async command expiry, late answers and timeouts,
message ttl) sits in a heap of deadlines in the state, applied lazily by :meth:`tick`.
"""

from __future__ import annotations

import collections
import heapq
import hmac
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .. import _device
from .._errors import ApiError, ConnectRefused, InvariantError, UsageError
from . import _schemas as sc
from . import _search
from ._errors import IotdaError
from ._lifecycle import TERMINAL, CommandStatus, Status, step, step_command
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

if TYPE_CHECKING:
    from .._face import Host
    from ._face import Iotda

E = IotdaError
FACE = "iotda"
T = TypeVar("T")
_BAD_KEY = re.compile(r"[.$\x00]")
_MARKER = re.compile(r"[0-9a-f]{24}")
MAX_MESSAGES = 20
MAX_PENDING = 20
MAX_TAGS = 10
MAX_GROUPS = 10
DEFAULT_TOPIC = "$oc/devices/{}/sys/messages/down"


class Service:
    """The operations of one platform's IoTDA face."""

    def __init__(self, face: Iotda) -> None:
        self.face = face
        self.platform: Host = face.platform

    @property
    def state(self) -> IotdaState:
        return self.face.state

    def now(self) -> float:
        return self.platform.clock.now()

    # =========================================================================================
    # Projects
    # =========================================================================================
    def create_project(
        self,
        project_id: str | None = None,
        ak: str | None = None,
        sk: str | None = None,
        instance_id: str | None = None,
    ) -> Project:
        ids = self.platform.ids
        state = self.state
        project_id = project_id if project_id is not None else ids.hex(32)
        ak = ak if ak is not None else ids.alnum(20).upper()
        sk = sk if sk is not None else ids.alnum(40)
        instance_id = instance_id if instance_id is not None else ids.uuid()
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", project_id) or project_id in state.projects:
            raise UsageError(f"project id {project_id!r} is taken or not [A-Za-z0-9_-]{{1,64}}")
        if not ak or ak in state.by_ak or not sk:
            raise UsageError(f"access key {ak!r} is taken (or a key is empty)")
        default_app = ids.hex(32)
        project = Project(project_id, ak, sk, instance_id, default_app)
        project.apps[default_app] = App(default_app, "DefaultApp", self.now(), True)
        state.add_project(project)
        return project

    def project(self, project_id: str) -> Project:
        found = self.state.projects.get(project_id)
        if found is None:
            raise UsageError(
                f"no IoTDA project {project_id!r}; projects: {list(self.state.projects) or 'none'}"
            )
        return found

    def _app(self, project: Project, app_id: str | None) -> str:
        if app_id is None:
            return project.default_app
        if app_id not in project.apps:
            raise ApiError(E.APP_NOT_FOUND, f"app_id {app_id!r} is not a resource space")
        return app_id

    # =========================================================================================
    # Products (spec §4)
    # =========================================================================================
    def create_product(self, project: Project, req: sc.AddProduct) -> Product:
        app_id = self._app(project, req.app_id)
        product_id = req.product_id or self._new_hex(project.products, 24)
        if product_id in project.products:
            raise ApiError(E.PRODUCT_EXISTS, f"product_id {product_id!r} exists")
        product = Product(
            product_id,
            app_id,
            req.name,
            req.device_type,
            req.protocol_type,
            req.data_format,
            _capabilities(req.service_capabilities),
            req.manufacturer_name,
            req.industry,
            req.description,
            self.now(),
            self.state.marker(),
        )
        project.products[product_id] = product
        self._notify(project, "product", "create", None, {"product_id": product_id})
        return product

    def product(self, project: Project, product_id: str, app_id: str | None = None) -> Product:
        found = project.products.get(product_id)
        if found is None or (app_id is not None and found.app_id != app_id):
            raise ApiError(E.PRODUCT_NOT_FOUND, f"no product {product_id[:64]!r} in the project")
        return found

    def list_products(
        self, project: Project, page: Page, app_id: str | None, product_name: str | None
    ) -> tuple[list[Product], int, str | None]:
        rows = [
            p
            for p in project.products.values()
            if (app_id is None or p.app_id == app_id)
            and (product_name is None or p.name == product_name)
        ]
        return page.apply(rows, lambda p: p.marker)

    def update_product(self, project: Project, product_id: str, req: sc.UpdateProduct) -> Product:
        product = self.product(project, product_id)
        if req.protocol_type == "CoAP" and product.protocol_type != "CoAP":
            raise ApiError(E.INVALID_PARAM, "protocol_type: may not be changed to CoAP")
        for name in ("name", "device_type", "protocol_type", "data_format"):
            value = getattr(req, name)
            if value is not None:
                setattr(product, name, value)
        for name in ("manufacturer_name", "industry", "description"):
            value = getattr(req, name)
            if value is not None:
                setattr(product, name, value)
        if req.service_capabilities is not None:
            product.service_capabilities = _capabilities(req.service_capabilities)
        self._notify(project, "product", "update", None, {"product_id": product_id})
        return product

    def delete_product(self, project: Project, product_id: str, app_id: str | None) -> None:
        product = self.product(project, product_id, app_id)
        if product.devices:
            raise ApiError(E.PRODUCT_HAS_DEVICES, f"{product.devices} devices use it")
        del project.products[product_id]
        self._notify(project, "product", "delete", None, {"product_id": product_id})

    # =========================================================================================
    # Devices (spec §5)
    # =========================================================================================
    def add_device(self, project: Project, req: sc.AddDevice) -> Device:
        state = self.state
        app_id = self._app(project, req.app_id)
        product = self.product(project, req.product_id)
        device_id = req.device_id or f"{req.product_id}_{req.node_id}"
        if len(device_id) > 128:
            raise ApiError(E.INVALID_PARAM, "device_id: product_id_node_id exceeds 128 characters")
        if device_id in state.devices:
            raise ApiError(E.DEVICE_EXISTS, f"device_id {device_id!r} exists")
        node = (project.project_id, req.product_id, req.node_id)
        if node in state.nodes:
            raise ApiError(E.DEVICE_EXISTS, f"node_id {req.node_id!r} exists in the product")
        auth = req.auth_info or sc.AuthInfo()
        depth = 0
        gateway_id = req.gateway_id or device_id
        parent = None
        if gateway_id != device_id:
            parent = project.devices.get(gateway_id)
            if parent is None:
                raise ApiError(E.GATEWAY_NOT_FOUND, f"gateway_id {gateway_id!r} is no device")
            depth = parent.depth + 1
            if depth > 2:
                raise ApiError(E.GATEWAY_TOO_DEEP, f"{gateway_id!r} is a second-level child")
        secret = None
        if auth.auth_type == "SECRET":
            secret = auth.secret or self.platform.ids.hex(32)
        shadow = _initial_shadow(product, req.shadow or [], self.now())
        now = self.now()
        device = Device(
            device_id=device_id,
            project_id=project.project_id,
            app_id=app_id,
            node_id=req.node_id,
            product_id=req.product_id,
            device_name=req.device_name if req.device_name is not None else req.node_id,
            description=req.description,
            gateway_id=gateway_id,
            node_type="ENDPOINT" if parent is not None else "GATEWAY",
            auth_type=auth.auth_type,
            secret=secret,
            fingerprint=auth.fingerprint,
            secure_access=auth.secure_access,
            timeout=auth.timeout if parent is None else 0,
            extension_info=req.extension_info,
            create_time=now,
            marker=state.marker(),
            depth=depth,
            shadow=shadow,
        )
        device.status = step(None, "add")
        project.devices[device_id] = device
        state.devices[device_id] = device
        state.nodes[node] = device_id
        product.devices += 1
        if parent is not None:
            parent.children += 1
        if device.timeout > 0:
            self._at(now + device.timeout, "expire", device_id, device.marker)
        self._event(device, "add", {"product_id": device.product_id, "node_id": device.node_id})
        self._notify(project, "device", "create", device, {})
        return device

    def device(self, project: Project, device_id: str) -> Device:
        found = project.devices.get(device_id)
        if found is None:
            raise ApiError(E.DEVICE_NOT_FOUND, f"no device {device_id[:128]!r} in the project")
        return found

    def list_devices(
        self, project: Project, page: Page, f: DeviceFilter
    ) -> tuple[list[Device], int, str | None]:
        if f.start_time is not None and f.end_time is not None and f.start_time > f.end_time:
            raise ApiError(E.TIME_ORDER, "start_time is after end_time")
        under: set[str] | None = None
        if f.gateway_id is not None:
            under = self._children(project, f.gateway_id, f.cascade)
        rows = [
            d
            for d in project.devices.values()
            if (f.product_id is None or d.product_id == f.product_id)
            and (f.node_id is None or d.node_id == f.node_id)
            and (f.device_name is None or d.device_name == f.device_name)
            and (f.app_id is None or d.app_id == f.app_id)
            and (under is None or d.device_id in under)
            and (f.start_time is None or d.create_time >= f.start_time)
            and (f.end_time is None or d.create_time <= f.end_time)
        ]
        return page.apply(rows, lambda d: d.marker)

    def _children(self, project: Project, gateway_id: str, cascade: bool) -> set[str]:
        found: set[str] = set()
        frontier = {gateway_id}
        while frontier:
            level = {
                d.device_id
                for d in project.devices.values()
                if d.gateway_id in frontier and d.device_id != d.gateway_id
            }
            level -= found
            found |= level
            frontier = level if cascade else set()
        return found

    def update_device(self, project: Project, device_id: str, req: sc.UpdateDevice) -> Device:
        device = self.device(project, device_id)
        if req.device_name is not None:
            device.device_name = req.device_name
        if req.description is not None:
            device.description = req.description
        if req.extension_info is not None:
            device.extension_info = req.extension_info
        if req.auth_info is not None:
            if req.auth_info.secure_access is not None:
                device.secure_access = req.auth_info.secure_access
            if req.auth_info.timeout is not None and device.node_type == "GATEWAY":
                device.timeout = req.auth_info.timeout
                if device.status is Status.INACTIVE and device.timeout > 0:
                    self._at(
                        device.create_time + device.timeout, "expire", device_id, device.marker
                    )
        self._notify(project, "device", "update", device, {})
        return device

    def delete_device(self, project: Project, device_id: str) -> None:
        device = self.device(project, device_id)
        if device.children:
            raise ApiError(E.DEVICE_HAS_CHILDREN, f"{device.children} devices use it as gateway")
        self._remove(project, device, "delete")

    def _remove(self, project: Project, device: Device, transition: str) -> None:
        self._drop_link(device.device_id)
        device.status = step(device.status, transition)
        device.connected = False
        del project.devices[device.device_id]
        del self.state.devices[device.device_id]
        del self.state.nodes[project.project_id, device.product_id, device.node_id]
        project.products[device.product_id].devices -= 1
        if device.gateway_id != device.device_id:
            parent = project.devices.get(device.gateway_id)
            if parent is not None:
                parent.children -= 1
        for group_id in device.groups:
            group = project.groups.get(group_id)
            if group is not None and device.device_id in group.devices:
                group.devices.remove(device.device_id)
        self._event(device, transition, {})
        self._notify(project, "device", "delete", device, {})

    def reset_secret(
        self, project: Project, device_id: str, req: sc.ResetDeviceSecret
    ) -> tuple[Device, str]:
        device = self.device(project, device_id)
        if device.auth_type != "SECRET":
            raise ApiError(E.INVALID_PARAM, "device authenticates with a certificate")
        secret = req.secret or self.platform.ids.hex(32)
        if req.secret_type == "SECONDARY":
            device.secondary_secret = secret
        else:
            device.secret = secret
        self._event(device, "reset_secret", {"secret_type": req.secret_type})
        if req.force_disconnect and device.connected:
            self._disconnect(device)
        return device, secret

    def freeze(self, project: Project, device_id: str) -> None:
        device = self.device(project, device_id)
        if device.node_type == "ENDPOINT":
            raise ApiError(E.FREEZE_CHILD, f"{device_id!r} is a child device")
        if device.status is Status.FROZEN:
            return
        if device.connected:
            self._disconnect(device)
        device.status = step(device.status, "freeze")
        self._event(device, "freeze", {})

    def unfreeze(self, project: Project, device_id: str) -> None:
        device = self.device(project, device_id)
        if device.status is not Status.FROZEN:
            raise ApiError(E.NOT_FROZEN, f"{device_id!r} is {device.status}")
        name = "unfreeze" if device.active_time is not None else "unfreeze_inactive"
        device.status = step(device.status, name)
        self._event(device, name, {})

    def search(self, project: Project, sql: str) -> tuple[list[dict[str, Any]], int | None]:
        from . import _views

        query = self._query("sql", sql)
        rows = [_views.search_row(project, d) for d in project.devices.values()]
        for row in rows:  # conditions-only fields
            row["tag_key"] = [t["tag_key"] for t in row["tags"]]
            row["tag_value"] = [t["tag_value"] for t in row["tags"]]
            row["group_id"] = row["groups"]
            row["create_time"] = project.devices[row["device_id"]].create_time
        if query.predicate is not None:
            rows = [r for r in rows if query.predicate(r)]
        if query.count:
            return [], len(rows)
        rows.sort(key=lambda r: r["marker"], reverse=query.order == "desc")
        rows = rows[query.offset : query.offset + query.rows]
        extra = ("tag_key", "tag_value", "group_id", "create_time")
        out = []
        for row in rows:
            if query.columns is None:
                out.append({k: v for k, v in row.items() if k not in extra})
            else:
                out.append({k: row[k] for k in query.columns})
        return out, None

    # =========================================================================================
    # Shadow (spec §6)
    # =========================================================================================
    def update_desired(self, project: Project, device_id: str, req: sc.UpdateDesireds) -> Device:
        device = self.device(project, device_id)
        for i, entry in enumerate(req.shadow):
            current = device.shadow.get(entry.service_id)
            version = current.version if current is not None else 0
            if entry.version is not None and entry.version != version:
                raise ApiError(
                    E.SHADOW_VERSION,
                    f"shadow[{i}].version {entry.version} is not the current {version}",
                )
            _check_keys(f"shadow[{i}].desired", entry.desired)
            self._strict_properties(device, entry.service_id, entry.desired)
        now = self.now()
        for entry in req.shadow:
            service = device.shadow.setdefault(entry.service_id, ShadowService())
            if not entry.desired:
                service.desired = {}
            else:
                for key, value in entry.desired.items():
                    if value is None:
                        service.desired.pop(key, None)
                    else:
                        service.desired[key] = value
            service.desired_time = now
            service.version += 1
        return device

    def delete_shadow(self, project: Project, device_id: str) -> Device:
        device = self.device(project, device_id)
        device.shadow.clear()
        return device

    # =========================================================================================
    # Device side (spec §5.10): what the MQTT front and simulated devices call
    # =========================================================================================
    def mqtt_connect(self, client_id: str, username: str, password: str) -> Device:
        """Verify an MQTT CONNECT (one-device-one-secret) and set the device ONLINE.

        Raises :class:`ConnectRefused` with ``reason`` ``bad_client_id`` (CONNACK 0x02),
        ``bad_credentials`` (0x04) or ``not_authorized`` (a frozen device: the setting
        ``iotda_mqtt_frozen_connack``, 0x05 by default).
        """
        match = re.fullmatch(r"(.+)_(0)_([01])_(\d{10})", client_id)  # 0: "device id", fixed
        if match is None:
            raise ConnectRefused(
                "bad_client_id",
                f"client id {client_id[:80]!r} is not {{device_id}}_0_{{0|1}}_{{YYYYMMDDHH}}",
            )
        device_id, _id_type, sign_type, stamp = match.groups()
        if username != device_id:
            raise ConnectRefused(
                "bad_credentials", f"username {username[:80]!r} is not the client id's device"
            )
        device = self.state.devices.get(device_id)
        if device is None:
            raise ConnectRefused(
                "bad_credentials", f"no device {device_id!r} (never added, or deleted)"
            )
        if sign_type == "1":
            hour = _hour_stamp(self.now())
            window = (hour, _hour_stamp(self.now() - 3600), _hour_stamp(self.now() + 3600))
            if stamp not in window:
                raise ConnectRefused(
                    "bad_credentials",
                    f"timestamp {stamp} is not within an hour of the platform's {hour} "
                    "(sign type 1 checks it)",
                )
        secrets = [s for s in (device.secret, device.secondary_secret) if s]
        given = password.encode("utf-8", "replace")
        if not any(hmac.compare_digest(mqtt_password(s, stamp).encode(), given) for s in secrets):
            raise ConnectRefused(
                "bad_credentials",
                f"password of {device_id!r} is not HMAC-SHA256(key={stamp}, msg=secret) of its "
                "primary or secondary secret (reset_device_secret replaces them)",
            )
        if device.status is Status.FROZEN:  # authenticated first, then authorised
            raise ConnectRefused("not_authorized", f"device {device_id!r} is frozen")
        now = self.now()
        if device.status is Status.INACTIVE:
            device.active_time = now
            name = "activate"
        else:
            name = "connect"
        was_online = device.status is Status.ONLINE
        device.status = step(device.status, name)
        device.connected = True
        if not was_online:
            device.status_time = now
            self._event(device, name, {})
            self._notify_status(device)
        self._flush_queues(device)
        self.sync_desired(device_id)
        return device

    def abnormal(self, device_id: str) -> Device:
        """The device's link turns abnormal (a test hook: spec §5.9)."""
        device = self.state.devices.get(device_id)
        if device is None or device.status is not Status.ONLINE:
            raise UsageError(f"device {device_id!r} must be ONLINE to turn ABNORMAL")
        device.status = step(device.status, "abnormal")
        device.status_time = self.now()
        self._event(device, "abnormal", {})
        self._notify_status(device)
        return device

    def disconnect(self, device_id: str) -> Device:
        device = self.state.devices.get(device_id)
        if device is None or not device.connected:
            raise UsageError(f"device {device_id!r} is not connected")
        self._disconnect(device)
        return device

    def _disconnect(self, device: Device) -> None:
        self._drop_link(device.device_id)
        device.connected = False
        device.status = step(device.status, "disconnect")
        device.status_time = self.now()
        self._event(device, "disconnect", {})
        self._notify_status(device)

    def report(
        self,
        device_id: str,
        service_id: str,
        properties: dict[str, Any],
        via: str | None = None,
        at: float | None = None,
    ) -> Device:
        """Reported properties reach the shadow (``via``: the connected gateway of a child;
        ``at``: the report's own ``event_time``, else the time it arrives)."""
        device = self.state.devices.get(device_id)
        if device is None or not (device.connected or via is not None):
            raise UsageError(f"device {device_id!r} must connect() before it reports")
        _check_keys("properties", properties)
        now = self.now() if at is None else at
        service = device.shadow.setdefault(service_id, ShadowService())
        service.reported.update(properties)
        service.reported_time = now
        service.version += 1
        self._event(device, "report", {"service_id": service_id})
        project = self.state.projects[device.project_id]
        self._notify(
            project,
            "device.property",
            "report",
            device,
            {
                "services": [
                    {
                        "service_id": service_id,
                        "properties": properties,
                        "event_time": _compact(now),
                    }
                ]
            },
        )
        self._flush_queues(device)
        return device

    # -- over MQTT (spec device-traffic C): what the IoTDA device protocol calls ---------------
    def sync_desired(self, device_id: str) -> None:
        """Shadow sync (spec §6.2, device-traffic C.5): a device connected over MQTT whose
        desired properties differ from what it reported is sent them as a property set, when
        it comes online and when it reports. Its answer completes nothing: it reports again."""
        device = self.state.devices.get(device_id)
        link = self._link(device_id)
        if device is None or link is None:
            return
        services = []
        for service_id, entry in device.shadow.items():
            differ = {
                k: v
                for k, v in entry.desired.items()
                if k not in entry.reported or entry.reported[k] != v
            }
            if differ:
                services.append({"service_id": service_id, "properties": differ})
        if services:
            body = {"object_device_id": device_id, "services": services}
            rest = f"sys/properties/set/request_id={self.platform.ids.uuid()}"
            self.face.mqtt.send(link, rest, body)  # type: ignore[union-attr]
            self._event(device, "shadow_sync", {"services": len(services)})

    def _link(self, device_id: str) -> Any:
        """The device's MQTT connection (an ``IotdaSession``), if it has one."""
        protocol = self.face.mqtt
        return protocol.links.get(device_id) if protocol is not None else None

    def _drop_link(self, device_id: str) -> None:
        protocol = self.face.mqtt
        if protocol is not None:
            protocol.drop(device_id)

    def _mqtt_ask(self, device: Device, kind: str, request_id: str, body: Any) -> Any:
        """Ask the device over MQTT; its answer's JSON, or ``COMMAND_TIMEOUT``."""
        protocol = self.face.mqtt
        assert protocol is not None
        timeout = self.platform.settings.iotda_command_timeout
        try:
            return protocol.ask(device.device_id, kind, request_id, body, timeout)
        except TimeoutError:
            raise ApiError(
                E.COMMAND_TIMEOUT, f"the device did not answer within {timeout}s"
            ) from None

    def is_child(self, gateway_id: str, device_id: str) -> bool:
        device = self.state.devices.get(device_id)
        return device is not None and device.gateway_id == gateway_id != device_id

    def device_event(self, device_id: str, event: dict[str, Any]) -> None:
        """An event the device reported (``$sdk_info``, OTA, time sync...): recorded."""
        device = self.state.devices.get(device_id)
        if device is None:
            raise UsageError(f"no device {device_id!r}")
        data = {k: event.get(k) for k in ("service_id", "event_type") if event.get(k) is not None}
        self._event(device, "device_event", {k: str(v)[:64] for k, v in data.items()})

    def message_up(self, device_id: str, topic: str, payload: bytes) -> None:
        """A message up (opaque bytes, spec C.3): recorded and forwarded by the rules."""
        device = self.state.devices.get(device_id)
        if device is None:
            raise UsageError(f"no device {device_id!r}")
        try:
            content: Any = payload.decode("utf-8")
        except UnicodeDecodeError:
            import base64

            content = base64.b64encode(payload).decode()
        self._event(device, "message_up", {"topic": topic[:128], "size": len(payload)})
        project = self.state.projects[device.project_id]
        self._notify(project, "device.message", "report", device, {"topic": topic,
                     "content": content})  # fmt: skip

    def device_shadow(self, device_id: str, service_id: str | None) -> list[dict[str, Any]]:
        """The shadow as the device reads it (``$oc/.../sys/shadow/get``)."""
        device = self.state.devices.get(device_id)
        if device is None:
            raise UsageError(f"no device {device_id!r}")
        return [
            {
                "service_id": sid,
                "desired": {"properties": dict(s.desired), "event_time": _compact(s.desired_time)},
                "reported": {
                    "properties": dict(s.reported),
                    "event_time": _compact(s.reported_time),
                },
                "version": s.version,
            }
            for sid, s in device.shadow.items()
            if service_id is None or sid == service_id
        ]

    def complete(self, device_id: str, command_id: str, reply: _device.Reply) -> None:
        """A delivered async command's answer arrived (``SimulatedDevice.respond``)."""
        device = self.state.devices.get(device_id)
        command = device.commands.get(command_id) if device is not None else None
        if device is None or command is None or command.status is not CommandStatus.DELIVERED:
            raise LookupError(f"no command {command_id[:64]!r} of {device_id!r} awaits an answer")
        self._finish(command, reply.kind != "fail", reply.body, self.now())
        self._command_event(device, command)

    def _deliver_message(self, device: Device, message: Message, sim: Any) -> None:
        link = self._link(device.device_id)
        if link is not None:
            body = {"object_device_id": device.device_id, "name": message.name,
                    "id": message.message_id, "content": message.message}  # fmt: skip
            self.face.mqtt.send(link, message.topic, body)  # type: ignore[union-attr]
        sim.messages.append(message.message)

    def wake(self, device: Device) -> None:
        self._flush_queues(device)

    def _flush_queues(self, device: Device) -> None:
        """Send what waited for the device: cached messages and PENDING async commands."""
        sim = self.face.simulated(device.device_id)
        if sim.asleep or not device.connected:
            return
        now = self.now()
        for message in device.messages.values():
            if message.status == "PENDING":
                message.status, message.finished = "DELIVERED", now
                self._deliver_message(device, message, sim)
        for command in list(device.commands.values()):
            if command.status is CommandStatus.PENDING:
                self._send_async(device, command)

    # =========================================================================================
    # Commands and properties (spec §7)
    # =========================================================================================
    def _online(self, device: Device) -> None:
        if device.status is not Status.ONLINE or not device.connected:
            raise ApiError(E.DEVICE_NOT_ONLINE, f"{device.device_id!r} is {device.status}")

    def _strict_command(self, device: Device, service_id: str | None, name: str | None) -> None:
        if not self.platform.settings.iotda_strict_products or service_id is None:
            return
        project = self.state.projects[device.project_id]
        capability = project.products[device.product_id].service(service_id)
        if capability is None:
            raise ApiError(E.INVALID_PARAM, f"service_id {service_id!r} is not in the product")
        names = [c.get("command_name") for c in capability.get("commands") or ()]
        if name is not None and name not in names:
            raise ApiError(E.INVALID_PARAM, f"command_name {name!r} is not in {service_id!r}")

    def _strict_properties(self, device: Device, service_id: str, names: Iterable[str]) -> None:
        """With ``iotda_strict_products``: each property is declared and writable (``W``)."""
        if not self.platform.settings.iotda_strict_products:
            return
        project = self.state.projects[device.project_id]
        capability = project.products[device.product_id].service(service_id)
        if capability is None:
            raise ApiError(E.INVALID_PARAM, f"service_id {service_id!r} is not in the product")
        declared = {p.get("property_name"): p for p in capability.get("properties") or ()}
        for name in names:
            prop = declared.get(name)
            if prop is None or "W" not in str(prop.get("method", "")):
                raise ApiError(
                    E.INVALID_PARAM, f"property {name!r} of {service_id!r} is not writable"
                )

    def create_command(
        self, project: Project, device_id: str, req: sc.DeviceCommand
    ) -> tuple[str, Any]:
        """A synchronous command: the device's answer, or ``COMMAND_TIMEOUT`` (HTTP 200)."""
        device = self.device(project, device_id)
        self._online(device)
        self._strict_command(device, req.service_id, req.command_name)
        command_id = self.platform.ids.uuid()
        if self._link(device_id) is not None:
            body = {"object_device_id": device_id, "service_id": req.service_id,
                    "command_name": req.command_name, "paras": req.paras}  # fmt: skip
            self.face.simulated(device_id).commands.append(_device.Command(
                command_id, req.service_id, req.command_name, req.paras, self.now(), "sync"
            ))  # fmt: skip
            answer = self._mqtt_ask(device, "commands", command_id, body)
            self._event(device, "command", {"command_id": command_id, "reply": "mqtt"})
            return command_id, answer
        sim = self.face.simulated(device_id)
        reply = self._ask(sim, command_id, req.service_id, req.command_name, req.paras, "sync")
        self._event(device, "command", {"command_id": command_id, "reply": reply.kind})
        return command_id, reply.body

    def _ask(
        self,
        sim: _device.SimulatedDevice,
        command_id: str,
        service_id: str | None,
        name: str | None,
        paras: Any,
        mode: str,
    ) -> _device.Reply:
        """Ask the device synchronously; raise the timeout if it does not answer in time."""
        if sim.asleep:
            raise ApiError(E.COMMAND_TIMEOUT, "the device is asleep")
        cmd = _device.Command(command_id, service_id, name, paras, self.now(), mode)
        reply = sim.receive(cmd)
        timeout = self.platform.settings.iotda_command_timeout
        if not reply.answered or reply.delay > timeout:
            raise ApiError(E.COMMAND_TIMEOUT, f"the device did not answer within {timeout}s")
        return reply

    def list_properties(self, project: Project, device_id: str, service_id: str | None) -> Any:
        device = self.device(project, device_id)
        self._online(device)
        if self._link(device_id) is not None:
            body = {"object_device_id": device_id, "service_id": service_id}
            return self._mqtt_ask(device, "properties/get", self.platform.ids.uuid(), body)
        sim = self.face.simulated(device_id)
        if sim.asleep:
            raise ApiError(E.COMMAND_TIMEOUT, "the device is asleep")
        services = [
            {
                "service_id": sid,
                "properties": dict(s.reported),
                "event_time": _compact(s.reported_time),
            }
            for sid, s in device.shadow.items()
            if (service_id is None or sid == service_id) and s.reported_time is not None
        ]
        return {"services": services}

    def update_properties(
        self, project: Project, device_id: str, req: sc.DeviceProperties
    ) -> tuple[str, Any]:
        device = self.device(project, device_id)
        services: list[dict[str, Any]] = [
            {"service_id": x.service_id, "properties": x.properties} for x in req.services
        ]
        for i, service in enumerate(services):
            _check_keys(f"services[{i}].properties", service["properties"])
            self._strict_properties(device, service["service_id"], service["properties"])
        self._online(device)
        request_id = self.platform.ids.uuid()
        if self._link(device_id) is not None:
            body = {"object_device_id": device_id, "services": services}
            answer = self._mqtt_ask(device, "properties/set", request_id, body)
            code = answer.get("result_code", 0) if isinstance(answer, dict) else 0
            reply = _device.answer(answer) if code in (0, None) else _device.fail(answer)
        else:
            sim = self.face.simulated(device_id)
            reply = self._ask(sim, request_id, None, "$properties.set", services, "properties")
        if reply.kind != "fail":
            now = self.now()
            for service in services:
                entry = device.shadow.setdefault(service["service_id"], ShadowService())
                entry.reported.update(service["properties"])
                entry.reported_time = now
                entry.version += 1
        return request_id, reply.body

    # -- asynchronous commands (spec §7.2) -----------------------------------------------------
    def create_async_command(
        self, project: Project, device_id: str, req: sc.AsyncDeviceCommand
    ) -> AsyncCommand:
        device = self.device(project, device_id)
        self._strict_command(device, req.service_id, req.command_name)
        pending = sum(1 for c in device.commands.values() if c.status is CommandStatus.PENDING)
        if pending >= MAX_PENDING:
            raise ApiError(E.COMMAND_QUEUE_FULL, f"{pending} commands are PENDING")
        now = self.now()
        command = AsyncCommand(
            command_id=self.platform.ids.uuid(),
            device_id=device_id,
            service_id=req.service_id,
            command_name=req.command_name,
            paras=req.paras,
            expire_time=req.expire_time if req.send_strategy == "delay" else 0,
            send_strategy=req.send_strategy,
            status=CommandStatus.PENDING,
            created=now,
            marker=self.state.marker(),
        )
        device.commands[command.command_id] = command
        sim = self.face.simulated(device_id)
        reachable = device.connected and not sim.asleep
        if req.send_strategy == "immediately":
            if reachable:
                self._send_async(device, command, new=True)
            else:
                command.status = step_command(None, "refuse")
                command.result = {"error_code": E.DEVICE_NOT_ONLINE.row.code}
                command.responded = now
                self._command_event(device, command)
        else:
            command.status = step_command(None, "cache")
            self._at(now + command.expire_time, "cmd_expire", device_id, command.command_id)
            if reachable:
                self._send_async(device, command)
        return command

    def _send_async(self, device: Device, command: AsyncCommand, new: bool = False) -> None:
        now = self.now()
        command.status = step_command(None if new else command.status, "send")
        command.sent = now
        sim = self.face.simulated(device.device_id)
        cmd = _device.Command(
            command.command_id, command.service_id, command.command_name, command.paras, now,
            "async",
        )  # fmt: skip
        link = self._link(device.device_id)
        if link is not None:  # the device answers on its response topic (respond())
            body = {"object_device_id": device.device_id, "service_id": command.service_id,
                    "command_name": command.command_name, "paras": command.paras}  # fmt: skip
            self.face.mqtt.send(link, f"sys/commands/request_id={command.command_id}", body)  # type: ignore[union-attr]
            sim.commands.append(cmd)
            reply = _device.PENDING
        else:
            reply = sim.receive(cmd)
        command.status = step_command(command.status, "deliver")
        command.delivered = now
        if reply.kind == "now" or reply.kind == "fail":
            self._finish(command, reply.kind == "now", reply.body, now)
        elif reply.kind == "later":
            command.reply_at, command.reply = now + reply.delay, reply.body
            self._at(now + reply.delay, "cmd_reply", device.device_id, command.command_id)
        else:
            timeout = self.platform.settings.iotda_async_command_timeout
            self._at(now + timeout, "cmd_timeout", device.device_id, command.command_id)
        self._command_event(device, command)

    def _finish(self, command: AsyncCommand, ok: bool, body: Any, at: float) -> None:
        command.status = step_command(command.status, "succeed" if ok else "fail")
        command.result, command.responded = body, at

    def _command_event(self, device: Device, command: AsyncCommand) -> None:
        project = self.state.projects[device.project_id]
        self._notify(
            project,
            "device.command.status",
            "update",
            device,
            {
                "command_id": command.command_id,
                "created_time": _compact(command.created),
                "sent_time": _compact(command.sent),
                "delivered_time": _compact(command.delivered),
                "response_time": _compact(command.responded),
                "status": command.status.value,
                "result": command.result,
            },
        )

    def async_command(self, project: Project, device_id: str, command_id: str) -> AsyncCommand:
        device = self.device(project, device_id)
        found = device.commands.get(command_id)
        if found is None:
            raise ApiError(E.COMMAND_NOT_FOUND, f"no command {command_id[:64]!r} on the device")
        return found

    def list_async_commands(
        self, project: Project, device_id: str, page: Page, f: CommandFilter, history: bool
    ) -> tuple[list[AsyncCommand], int, str | None]:
        device = self.device(project, device_id)
        return page.apply(self._commands(device, f, history), lambda c: c.marker)

    def count_async_history(self, project: Project, device_id: str, f: CommandFilter) -> int:
        return len(self._commands(self.device(project, device_id), f, True))

    def _commands(self, device: Device, f: CommandFilter, history: bool) -> list[AsyncCommand]:
        if f.start_time is not None and f.end_time is not None and f.start_time > f.end_time:
            raise ApiError(E.TIME_ORDER, "start_time is after end_time")
        return [
            c
            for c in device.commands.values()
            if (c.status in TERMINAL) == history
            and (f.status is None or c.status.value == f.status)
            and (f.command_name is None or c.command_name == f.command_name)
            and (f.start_time is None or c.created >= f.start_time)
            and (f.end_time is None or c.created <= f.end_time)
        ]

    # -- messages (spec §7.4) ------------------------------------------------------------------
    def create_message(self, project: Project, device_id: str, req: sc.DeviceMessage) -> Message:
        device = self.device(project, device_id)
        if req.topic is not None and req.topic_full_name is not None:
            raise ApiError(E.INVALID_PARAM, "topic and topic_full_name exclude each other")
        if req.ttl % 5:
            raise ApiError(E.INVALID_PARAM, "ttl: must be a multiple of 5 minutes")
        message_id = req.message_id or self.platform.ids.uuid()
        if message_id in device.messages:
            raise ApiError(E.MESSAGE_EXISTS, f"message_id {message_id!r} exists on the device")
        if req.topic_full_name is not None:
            topic = req.topic_full_name
        elif req.topic is not None:
            topic = f"$oc/devices/{device_id}/user/{req.topic}"
        else:
            topic = DEFAULT_TOPIC.format(device_id)
        now = self.now()
        properties = None
        if req.properties is not None:
            properties = {
                "correlation_data": req.properties.correlation_data,
                "response_topic": req.properties.response_topic,
                "user_properties": [
                    {"prop_key": u.prop_key, "prop_value": u.prop_value}
                    for u in req.properties.user_properties or ()
                ],
            }
        message = Message(
            message_id, req.name, req.message, req.encoding, req.payload_format, topic,
            properties, req.ttl, "PENDING", now, self.state.marker(),
        )  # fmt: skip
        sim = self.face.simulated(device_id)
        if device.connected and not sim.asleep:
            message.status, message.finished = "DELIVERED", now
            self._deliver_message(device, message, sim)
        elif req.ttl == 0:
            message.status, message.finished = "FAILED", now
            message.error_info = {
                "error_code": E.DEVICE_NOT_ONLINE.row.code,
                "error_msg": E.DEVICE_NOT_ONLINE.row.msg,
            }
        else:
            self._at(now + req.ttl * 60, "msg_timeout", device_id, message_id)
        device.messages[message_id] = message
        while len(device.messages) > MAX_MESSAGES:
            del device.messages[next(iter(device.messages))]
        return message

    def message(self, project: Project, device_id: str, message_id: str) -> Message:
        device = self.device(project, device_id)
        found = device.messages.get(message_id)
        if found is None:
            raise ApiError(E.MESSAGE_NOT_FOUND, f"no message {message_id[:100]!r} on the device")
        return found

    def delete_message(self, project: Project, device_id: str, message_id: str) -> None:
        self.message(project, device_id, message_id)
        del project.devices[device_id].messages[message_id]

    # =========================================================================================
    # Groups, tags, resource spaces (spec §8)
    # =========================================================================================
    def add_group(self, project: Project, req: sc.AddDeviceGroup) -> Group:
        app_id = self._app(project, req.app_id)
        if any(g.name == req.name and g.app_id == app_id for g in project.groups.values()):
            raise ApiError(E.GROUP_EXISTS, f"group name {req.name!r} exists")
        if req.super_group_id is not None:
            if req.group_type == "DYNAMIC":
                raise ApiError(E.INVALID_PARAM, "super_group_id: not for dynamic groups")
            self.group(project, req.super_group_id)
        if req.group_type == "DYNAMIC":
            if not req.dynamic_group_rule:
                raise ApiError(E.INVALID_PARAM, "dynamic_group_rule: required for DYNAMIC")
            self._query(
                "dynamic_group_rule", f"select * from device where {req.dynamic_group_rule}"
            )
        group_id = self.platform.ids.uuid()
        group = Group(
            group_id, req.name, req.description, req.super_group_id, req.group_type,
            req.dynamic_group_rule, app_id, self.state.marker(),
        )  # fmt: skip
        project.groups[group_id] = group
        return group

    def group(self, project: Project, group_id: str) -> Group:
        found = project.groups.get(group_id)
        if found is None:
            raise ApiError(E.GROUP_NOT_FOUND, f"no group {group_id[:64]!r}")
        return found

    def group_devices(self, project: Project, group: Group) -> list[Device]:
        if group.group_type == "DYNAMIC" and group.dynamic_group_rule:
            from . import _views

            query = self._query(
                "dynamic_group_rule", f"select * from device where {group.dynamic_group_rule}"
            )
            assert query.predicate is not None
            out = []
            for d in project.devices.values():
                row = _views.search_row(project, d)
                row["tag_key"] = list(d.tags)
                row["tag_value"] = list(d.tags.values())
                row["group_id"] = d.groups
                row["create_time"] = d.create_time
                if query.predicate(row):
                    out.append(d)
            return out
        return [project.devices[i] for i in group.devices if i in project.devices]

    def delete_group(self, project: Project, group_id: str) -> None:
        group = self.group(project, group_id)
        for device_id in group.devices:
            device = project.devices.get(device_id)
            if device is not None and group_id in device.groups:
                device.groups.remove(group_id)
        del project.groups[group_id]

    def group_member(self, project: Project, group_id: str, action: str, device_id: str) -> None:
        group = self.group(project, group_id)
        device = self.device(project, device_id)
        if group.group_type == "DYNAMIC":
            raise ApiError(E.INVALID_PARAM, "a dynamic group's members follow its rule")
        if action == "addDevice":
            if group_id in device.groups:
                return
            if len(device.groups) >= MAX_GROUPS:
                raise ApiError(E.GROUP_LIMIT, f"{device_id!r} is in {MAX_GROUPS} groups")
            device.groups.append(group_id)
            group.devices.append(device_id)
        elif action == "removeDevice":
            if group_id in device.groups:
                device.groups.remove(group_id)
                group.devices.remove(device_id)
        else:
            raise ApiError(E.INVALID_PARAM, "action_id: must be addDevice or removeDevice")

    def tag(self, project: Project, req: sc.BindTags) -> None:
        device = self.device(project, req.resource_id)
        merged = dict(device.tags)
        for t in req.tags:
            merged[t.tag_key] = t.tag_value or ""
        if len(merged) > MAX_TAGS:
            raise ApiError(E.TAG_LIMIT, f"{len(merged)} tags")
        device.tags = merged

    def untag(self, project: Project, req: sc.UnbindTags) -> None:
        device = self.device(project, req.resource_id)
        missing = [k for k in req.tag_keys if k not in device.tags]
        if missing:
            raise ApiError(E.TAG_NOT_FOUND, f"tag keys {missing[:5]} are not on the device")
        for key in req.tag_keys:
            del device.tags[key]

    def by_tags(
        self, project: Project, req: sc.QueryResourceByTags, page: Page
    ) -> tuple[list[Device], int, str | None]:
        wanted = [(t.tag_key, t.tag_value) for t in req.tags or ()]
        rows = [
            d
            for d in project.devices.values()
            if any(k in d.tags and (v is None or d.tags[k] == v) for k, v in wanted)
        ]
        return page.apply(rows, lambda d: d.marker)

    def add_app(self, project: Project, name: str) -> App:
        if any(a.app_name == name for a in project.apps.values()):
            raise ApiError(E.APP_EXISTS, f"app_name {name!r} exists")
        app = App(self.platform.ids.hex(32), name, self.now(), False)
        project.apps[app.app_id] = app
        return app

    def app(self, project: Project, app_id: str) -> App:
        found = project.apps.get(app_id)
        if found is None:
            raise ApiError(E.APP_NOT_FOUND, f"no resource space {app_id[:64]!r}")
        return found

    def delete_app(self, project: Project, app_id: str) -> None:
        app = self.app(project, app_id)
        if app.default:
            raise ApiError(E.APP_DEFAULT, "the default resource space stays")
        for device in project.devices.values():
            if device.app_id == app_id:
                raise ApiError(E.FORBIDDEN, "the resource space still has devices")
        # the spec is silent on products: refused too (fake's choice), as a product listing
        # names its resource space
        for product in project.products.values():
            if product.app_id == app_id:
                raise ApiError(E.FORBIDDEN, "the resource space still has products")
        del project.apps[app_id]

    # =========================================================================================
    # Forwarding rules (spec §8.4)
    # =========================================================================================
    def add_rule(self, project: Project, req: sc.AddRule) -> Rule:
        if req.app_type == "APP":
            self._app(project, req.app_id)
        rule = Rule(
            self.platform.ids.uuid(), req.rule_name or "", req.description,
            req.subject.resource, req.subject.event, req.app_type, req.app_id,
            req.select, req.where, False, self.state.marker(),
        )  # fmt: skip
        project.rules[rule.rule_id] = rule
        return rule

    def rule(self, project: Project, rule_id: str) -> Rule:
        found = project.rules.get(rule_id)
        if found is None:
            raise ApiError(E.RULE_NOT_FOUND, f"no rule {rule_id[:64]!r}")
        return found

    def update_rule(self, project: Project, rule_id: str, req: sc.UpdateRule) -> Rule:
        rule = self.rule(project, rule_id)
        for name in ("rule_name", "description", "select", "where", "active"):
            value = getattr(req, name)
            if value is not None:
                setattr(rule, name, value)
        return rule

    def delete_rule(self, project: Project, rule_id: str) -> None:
        self.rule(project, rule_id)
        del project.rules[rule_id]
        for action_id in [a.action_id for a in project.actions.values() if a.rule_id == rule_id]:
            del project.actions[action_id]

    def add_action(self, project: Project, req: sc.AddAction) -> Action:
        self.rule(project, req.rule_id)
        http = req.channel_detail.http_forwarding
        if req.channel == "HTTP_FORWARDING":
            if http is None or http.url is None:
                raise ApiError(E.INVALID_PARAM, "channel_detail.http_forwarding.url: required")
            detail: dict[str, Any] = {
                "http_forwarding": {
                    "url": http.url, "cert_id": http.cert_id, "cn_name": http.cn_name,
                    "sni_enable": http.sni_enable, "signature_enable": http.signature_enable,
                    "token": http.token,
                }
            }  # fmt: skip
        else:
            detail = {}
        action = Action(
            self.platform.ids.uuid(), req.rule_id, req.channel, detail, self.state.marker()
        )
        project.actions[action.action_id] = action
        return action

    def action(self, project: Project, action_id: str) -> Action:
        found = project.actions.get(action_id)
        if found is None:
            raise ApiError(E.ACTION_NOT_FOUND, f"no action {action_id[:64]!r}")
        return found

    def _notify_status(self, device: Device) -> None:
        project = self.state.projects[device.project_id]
        self._notify(
            project,
            "device.status",
            "update",
            device,
            {
                "status": device.status.value,
                "last_online_time": _iso(device.status_time),
                "status_update_time": _iso(device.status_time),
            },
        )

    def _notify(
        self,
        project: Project,
        resource: str,
        event: str,
        device: Device | None,
        body: dict[str, Any],
    ) -> None:
        """Queue an HTTP push for every active rule on (resource, event) with an HTTP action."""
        if not project.rules:
            return
        self.face.push(project, resource, event, device, body)

    # =========================================================================================
    # Time
    # =========================================================================================
    def _at(self, when: float, kind: str, device_id: str, key: str) -> None:
        state = self.state
        state.counter += 1
        entry = (when, state.counter, kind, device_id, key)
        heapq.heappush(state.deadlines, entry)
        state.pending[state.counter] = entry

    def tick(self, now: float) -> None:
        deadlines, pending = self.state.deadlines, self.state.pending
        while deadlines and deadlines[0][0] <= now:
            when, seq, kind, device_id, key = heapq.heappop(deadlines)
            pending.pop(seq, None)
            device = self.state.devices.get(device_id)
            if device is None:
                continue
            if kind == "expire":
                if device.marker == key and device.status is Status.INACTIVE:
                    self._remove(self.state.projects[device.project_id], device, "expire")
                continue
            if kind == "msg_timeout":
                message = device.messages.get(key)
                if message is not None and message.status == "PENDING":
                    message.status, message.finished = "TIMEOUT", when
                continue
            command = device.commands.get(key)
            if command is None:
                continue
            if kind == "cmd_expire" and command.status is CommandStatus.PENDING:
                command.status = step_command(command.status, "expire")
                command.responded = when
                self._command_event(device, command)
            elif kind == "cmd_reply" and command.status is CommandStatus.DELIVERED:
                self._finish(command, True, command.reply, when)
                self._command_event(device, command)
            elif kind == "cmd_timeout" and command.status is CommandStatus.DELIVERED:
                command.status = step_command(command.status, "time_out")
                command.responded = when
                self._command_event(device, command)

    # =========================================================================================
    # Helpers
    # =========================================================================================
    def _query(self, where: str, sql: str) -> _search.Query:
        try:
            return self.face.compiled_search(sql)
        except (_search.SearchError, RecursionError) as exc:
            raise ApiError(E.INVALID_PARAM, f"{where}: {exc}") from None

    def _event(self, device: Device, kind: str, data: dict[str, Any]) -> None:
        payload = {"status": device.status.value, "project_id": device.project_id}
        payload.update(data)
        self.platform.emit(FACE, kind, device.device_id, payload)

    def _new_hex(self, taken: dict[str, Any], length: int) -> str:
        while True:
            candidate = self.platform.ids.hex(length)
            if candidate not in taken:
                return candidate

    def check_invariants(self, subjects: Iterable[str] | None) -> None:
        state = self.state
        if subjects is None:
            listed = sum(len(p.devices) for p in state.projects.values())
            if listed != len(state.devices):
                raise InvariantError(f"{len(state.devices)} devices but {listed} in projects")
            if len(state.nodes) != len(state.devices):
                raise InvariantError(f"{len(state.devices)} devices, {len(state.nodes)} nodes")
            if state.pending.keys() != {seq for _when, seq, *_rest in state.deadlines}:
                raise InvariantError("the deadline heap and its journal differ")
            subjects = list(state.devices)
            for tenant in state.projects.values():
                self._check_project(tenant)
        found = dict.get  # not NotingIndex.get: checking changes nothing the store must write
        for device_id in subjects:
            device = found(state.devices, device_id)
            if device is None:
                continue
            project = state.projects.get(device.project_id)
            if project is None or found(project.devices, device_id) is not device:
                raise InvariantError(f"device {device_id} has no owning project")
            if device.product_id not in project.products:
                raise InvariantError(f"device {device_id} has no product")
            if device.app_id not in project.apps:
                raise InvariantError(f"device {device_id} is in no resource space")
            if device.gateway_id != device_id and found(project.devices, device.gateway_id) is None:
                raise InvariantError(f"device {device_id}: its gateway is gone")
            if not set(device.groups) <= project.groups.keys():
                raise InvariantError(f"device {device_id}: in a group that does not exist")
            if not (0 <= device.depth <= 2 and device.children >= 0):
                raise InvariantError(f"device {device_id}: depth or child count out of range")
            if state.nodes.get((project.project_id, device.product_id, device.node_id)) != (
                device_id
            ):
                raise InvariantError(f"device {device_id}: not indexed by its node id")
            if (device.status is Status.INACTIVE) != (
                device.active_time is None and device.status is not Status.FROZEN
            ) and device.status is not Status.FROZEN:
                raise InvariantError(f"device {device_id}: status {device.status} vs active_time")
            if device.connected != (device.status in (Status.ONLINE, Status.ABNORMAL)):
                raise InvariantError(f"device {device_id}: {device.status} but connected")

    def _check_project(self, project: Project) -> None:
        """What holds for a whole project (counted over its devices: full checks only)."""
        state = self.state
        if state.by_ak.get(project.ak) is not project or project.default_app not in project.apps:
            raise InvariantError(f"project {project.project_id}: keys or default space")
        devices = list(dict.values(project.devices))
        per_product = collections.Counter(d.product_id for d in devices)
        for product in project.products.values():
            if product.app_id not in project.apps:
                raise InvariantError(f"product {product.product_id} is in no resource space")
            if product.devices != per_product[product.product_id]:
                raise InvariantError(f"product {product.product_id}: wrong device count")
        per_gateway = collections.Counter(
            d.gateway_id for d in devices if d.gateway_id != d.device_id
        )
        for device in devices:
            if device.children != per_gateway[device.device_id]:
                raise InvariantError(f"device {device.device_id}: wrong child count")
        for group in project.groups.values():
            if not set(group.devices) <= project.devices.keys():
                raise InvariantError(f"group {group.group_id}: lists a device that is gone")


# =============================================================================================
# Paging and filters (spec §3)
# =============================================================================================
class Page:
    """``limit`` / ``marker`` / ``offset`` paging: newest first, ``marker`` exclusive."""

    __slots__ = ("limit", "marker", "offset")

    def __init__(self, limit: int = 10, marker: str | None = None, offset: int = 0) -> None:
        if not 1 <= limit <= 50:
            raise ApiError(E.LIMIT_RANGE, f"limit {limit} is not 1..50")
        if not 0 <= offset <= 500:
            raise ApiError(E.INVALID_PARAM, f"offset: {offset} is not 0..500")
        if marker is not None and _MARKER.fullmatch(marker) is None:
            raise ApiError(E.INVALID_PARAM, "marker: must be 24 lowercase hex digits")
        self.limit, self.marker, self.offset = limit, marker, offset

    def apply(self, rows: Sequence[T], key: Callable[[T], str]) -> tuple[list[T], int, str | None]:
        """(this page's rows, the total count, the marker of the page's last row)."""
        ordered = sorted(rows, key=key, reverse=True)
        count = len(ordered)
        if self.marker is not None:
            ordered = [r for r in ordered if key(r) < self.marker]
        chosen = ordered[self.offset : self.offset + self.limit]
        return chosen, count, key(chosen[-1]) if chosen else None


class DeviceFilter:
    __slots__ = (
        "app_id", "cascade", "device_name", "end_time", "gateway_id", "node_id", "product_id",
        "start_time",
    )  # fmt: skip

    def __init__(
        self,
        product_id: str | None = None,
        gateway_id: str | None = None,
        cascade: bool = False,
        node_id: str | None = None,
        device_name: str | None = None,
        app_id: str | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
    ) -> None:
        self.product_id, self.gateway_id, self.cascade = product_id, gateway_id, cascade
        self.node_id, self.device_name, self.app_id = node_id, device_name, app_id
        self.start_time, self.end_time = start_time, end_time


class CommandFilter:
    __slots__ = ("command_name", "end_time", "start_time", "status")

    def __init__(
        self,
        status: str | None = None,
        command_name: str | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
    ) -> None:
        self.status, self.command_name = status, command_name
        self.start_time, self.end_time = start_time, end_time


# =============================================================================================
# Free functions
# =============================================================================================
def mqtt_password(secret: str, stamp: str) -> str:
    """The MQTT password of spec §5.10: hex HMAC-SHA256 keyed by the ``YYYYMMDDHH`` stamp."""
    import hashlib

    return hmac.new(stamp.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _hour_stamp(at: float) -> str:
    import time

    return time.strftime("%Y%m%d%H", time.gmtime(at))


def _compact(at: float | None) -> str | None:
    from ._model import compact_time

    return compact_time(at) if at is not None else None


def _iso(at: float | None) -> str | None:
    from ._model import iso_time

    return iso_time(at) if at is not None else None


def _check_keys(where: str, values: dict[str, Any]) -> None:
    for key in values:
        if _BAD_KEY.search(key) or not key:
            raise ApiError(E.INVALID_PARAM, f"{where}: key {key[:64]!r} may not hold . $ or NUL")


def _capabilities(capabilities: list[sc.ServiceCapability]) -> list[dict[str, Any]]:
    """The capabilities as the wire shows them; service ids must be unique (spec §4.1)."""
    import dataclasses

    seen: set[str] = set()
    out = []
    for i, capability in enumerate(capabilities):
        if capability.service_id in seen:
            raise ApiError(E.INVALID_PARAM, f"service_capabilities[{i}].service_id: duplicate")
        seen.add(capability.service_id)
        out.append(_no_null_lists(dataclasses.asdict(capability)))
    return out


_LISTS = frozenset({"properties", "commands", "events", "paras", "responses"})


def _no_null_lists(value: Any) -> Any:
    """Absent lists of a capability as ``[]`` on the wire, recursively."""
    if isinstance(value, dict):
        return {
            k: ([] if v is None and k in _LISTS else _no_null_lists(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_no_null_lists(v) for v in value]
    return value


def _initial_shadow(
    product: Product, initial: list[sc.InitialDesired], now: float
) -> dict[str, ShadowService]:
    shadow: dict[str, ShadowService] = {}
    for capability in product.service_capabilities:
        defaults = {
            p["property_name"]: p["default_value"]
            for p in capability.get("properties") or ()
            if p.get("default_value") is not None
        }
        if defaults:
            shadow[capability["service_id"]] = ShadowService(dict(defaults), now)
    for i, entry in enumerate(initial):
        _check_keys(f"shadow[{i}].desired", entry.desired)
        service = shadow.setdefault(entry.service_id, ShadowService())
        service.desired.update({k: v for k, v in entry.desired.items() if v is not None})
        service.desired_time = now
    return shadow
