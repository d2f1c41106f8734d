"""The Huawei Cloud IoTDA v5 face: projects with AK/SK, the test-side API and the device side.

The routes live in :mod:`._routes` (a mixin); the domain in :mod:`._service`; this module
composes them, renders answers and errors (always with ``X-Request-Id``), and holds what a
test drives directly: ``create_project``, ``create_product``, ``add_device``, ``device`` and
``simulate``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast, final

from .. import _device
from .._delivery import Push, WsgiApp, deliver
from .._errors import ApiError, InvariantError, NotFoundError, UsageError
from .._face import Face
from .._http import HttpRequest, HttpResponse
from .._schema import Request, schema_of
from . import _persist, _search
from . import _schemas as sc
from ._auth import BASIC, DERIVED, SignatureError, Verifier, parse_authorization, parse_sdk_date
from ._errors import IotdaError
from ._model import Device, IotdaState, Project, compact_time, iso_time
from ._routes import IotdaRoutes
from ._service import Service, mqtt_password

if TYPE_CHECKING:
    from .._link import DeviceProtocol
    from .._platform import Platform
    from .._routes import Route, RouteSpec
    from ._mqtt import IotdaProtocol

FACE = "iotda"
E = IotdaError
T = TypeVar("T", bound=Request)
_JSON = "application/json"
PUSH_HEADERS = {"Content-Type": "application/json"}


@final
@dataclass(frozen=True, slots=True)
class ProjectKeys:
    """A tenant as ``create_project`` returns it: what ``BasicCredentials`` needs."""

    project_id: str
    ak: str
    sk: str
    instance_id: str
    default_app_id: str


@final
@dataclass(frozen=True, slots=True)
class DeviceView:
    """A read-only copy of a device as the platform holds it."""

    device_id: str
    project_id: str
    node_id: str
    product_id: str
    gateway_id: str
    node_type: str
    status: str
    secret: str | None
    secondary_secret: str | None
    connected: bool
    active_time: str | None
    tags: dict[str, str]
    #: service_id -> {"desired": {...}, "reported": {...}, "version": n}
    shadow: dict[str, dict[str, Any]]


def _view(d: Device) -> DeviceView:
    return DeviceView(
        d.device_id,
        d.project_id,
        d.node_id,
        d.product_id,
        d.gateway_id,
        d.node_type,
        d.status.value,
        d.secret,
        d.secondary_secret,
        d.connected,
        iso_time(d.active_time) if d.active_time is not None else None,
        dict(d.tags),
        {
            k: {"desired": dict(s.desired), "reported": dict(s.reported), "version": s.version}
            for k, s in d.shadow.items()
        },
    )


@dataclass(eq=False)
class IotdaDevice(_device.SimulatedDevice):
    """A simulated MQTT device of the IoTDA face (``platform.iotda.simulate``)."""

    secret: str = ""
    face: Any = None

    def connect(self, *, sign_type: int = 1, secret: str | None = None) -> IotdaDevice:
        """Connect as an MQTT device does: client id ``{device_id}_0_{sign_type}_{YYYYMMDDHH}``,
        username the device id, password HMAC-SHA256(key=the hour stamp, msg=secret).

        Raises :class:`fakeiot.ConnectRefused` (``reason`` ``bad_credentials`` or
        ``not_authorized``) for a wrong secret, a deleted or a frozen device.
        """
        face: Iotda = self.face
        stamp = time.strftime("%Y%m%d%H", time.gmtime(face.platform.clock.now()))
        password = mqtt_password(self.secret if secret is None else secret, stamp)
        face.mqtt_connect(f"{self.device_id}_0_{sign_type}_{stamp}", self.device_id, password)
        return self

    def disconnect(self) -> None:
        """Close the connection: the device goes OFFLINE."""
        face: Iotda = self.face
        with face.platform.operation():
            face.service.disconnect(self.device_id)

    def abnormal(self) -> None:
        """The link turns abnormal: ONLINE -> ABNORMAL (connect() or disconnect() ends it)."""
        face: Iotda = self.face
        with face.platform.operation():
            face.service.abnormal(self.device_id)

    def report(self, service_id: str, properties: dict[str, Any]) -> None:
        """Report properties: they reach the shadow's ``reported`` section."""
        if not isinstance(properties, dict):
            raise UsageError("report() takes a dict of properties")
        face: Iotda = self.face
        with face.platform.operation():
            face.service.report(self.device_id, service_id, properties)

    def wake(self) -> None:
        """Wake from sleep: cached messages and PENDING commands arrive now."""
        face: Iotda = self.face
        self.asleep = False
        with face.platform.operation():
            device = face.state.devices.get(self.device_id)
            if device is not None:
                face.service.wake(device)

    @property
    def status(self) -> str:
        face: Iotda = self.face
        return face.device(self.device_id).status


class Iotda(IotdaRoutes, Face):
    """``platform.iotda``: Huawei Cloud IoTDA v5, served to the official SDK unmodified."""

    name: ClassVar[str] = FACE
    errors: ClassVar[type[IotdaError]] = IotdaError
    #: OpenAPI: every route is AK/SK-signed (both headers are needed together)
    security_schemes: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "project": {
            "iotda.signature": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "SDK-HMAC-SHA256 (Access=AK) or V11-HMAC-SHA256 (Credential="
                "AK/YYYYMMDD/region/iotdm) over the canonical request, as huaweicloudsdkcore signs",
            },
            "iotda.date": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Sdk-Date",
                "description": "yyyyMMddTHHmmssZ, signed, within iotda_date_skew of the clock",
            },
        }
    }
    invalid: ClassVar[Mapping[str, IotdaError]] = {
        "*": IotdaError.INVALID_PARAM,
        "malformed": IotdaError.BAD_REQUEST,
    }

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.state: IotdaState = IotdaState()
        self.service = Service(self)
        self.verifier = Verifier()
        self.pushes: list[Push] = []
        self._push_listeners: list[Callable[[Push], object]] = []
        self._push_routes: list[tuple[str, WsgiApp]] = []
        self._sims: dict[str, _device.SimulatedDevice] = {}
        self._searches: dict[str, _search.Query] = {}
        #: the device side over MQTT, made on first use by the MQTT front
        self.mqtt: IotdaProtocol | None = None

    # =========================================================================================
    # Face plumbing
    # =========================================================================================
    def tick(self, now: float) -> None:
        if self.state.deadlines and self.state.deadlines[0][0] <= now:
            self.service.tick(now)

    def check_invariants(self, subjects: Iterable[str] | None = None) -> None:
        self.service.check_invariants(subjects)

    def request_id(self) -> str:
        return self.platform.ids.hex(32)

    def render(self, route: str, spec: RouteSpec, data: Any) -> HttpResponse:
        """A success answer (``None``: no body), always with ``X-Request-Id``."""
        if data is None or spec.media_type is None:
            response = HttpResponse(spec.status, b"", {}, route)
        else:
            response = HttpResponse.json(spec.status, data, route)
        response.headers["X-Request-Id"] = self.request_id()
        return response

    def render_error(self, error: ApiError, route: Route | None) -> HttpResponse:
        member = error.error
        if not isinstance(member, IotdaError):
            raise TypeError(f"the IoTDA face cannot render {member!r}")
        row = member.value
        name = route.name if route is not None else "iotda.no_route"
        response = HttpResponse.json(
            row.status, {"error_code": row.code, "error_msg": row.msg}, name
        )
        response.headers["X-Request-Id"] = self.request_id()
        return response

    # -- authentication (spec §1.3-§1.5) -------------------------------------------------------
    def authenticate(self, scheme: str, request: HttpRequest) -> Project:
        """The API gateway: verify the signature, then scope the call to the path's project."""
        headers = request.headers
        value = headers.get("authorization")
        if not value:
            raise ApiError(E.UNAUTHORIZED, "no Authorization header")
        try:
            auth = parse_authorization(value)
        except SignatureError as exc:
            raise ApiError(E.UNAUTHORIZED, str(exc)) from None
        settings = self.platform.settings
        schemes = settings.iotda_auth_schemes
        if (schemes == "basic" and auth.algorithm != BASIC) or (
            schemes == "derived" and auth.algorithm != DERIVED
        ):
            raise ApiError(E.UNAUTHORIZED, f"iotda_auth_schemes={schemes!r} refuses it")
        project = self.state.by_ak.get(auth.access_key)
        if project is None:
            raise ApiError(E.UNAUTHORIZED, "unknown access key")
        date = headers.get("x-sdk-date")
        if not date:
            raise ApiError(E.UNAUTHORIZED, "no X-Sdk-Date header")
        try:
            at = parse_sdk_date(date)
            if abs(at - self.platform.clock.now()) > settings.iotda_date_skew:
                raise SignatureError(f"X-Sdk-Date is more than {settings.iotda_date_skew}s off")
            self.verifier.verify(
                auth,
                project.sk,
                method=request.method,
                path=request.path,
                query_string=request.query_string,
                headers=headers,
                body=request.body,
            )
        except SignatureError as exc:
            raise ApiError(E.UNAUTHORIZED, str(exc)) from None
        parts = request.path.split("/", 4)
        wanted = parts[3] if len(parts) > 3 else ""
        header_project = headers.get("x-project-id")
        # an empty project segment is left to the route's schema (400: project_id is missing)
        if (wanted and wanted != project.project_id) or (
            header_project is not None and header_project != project.project_id
        ):
            raise ApiError(E.FORBIDDEN, "the access key does not own this project")
        instance = headers.get("instance-id")
        if instance is not None and instance != project.instance_id:
            raise ApiError(
                E.INSTANCE_UNKNOWN, f"Instance-Id {instance[:40]!r} is not the project's"
            )
        if instance is None and settings.iotda_require_instance_id:
            raise ApiError(E.INSTANCE_UNKNOWN, "iotda_require_instance_id: Instance-Id missing")
        return project

    def _input(self, cls: type[T], params: dict[str, str], data: dict[str, Any]) -> T:
        """Validate a test-side call's arguments exactly as the route would."""
        payload = {k: v for k, v in data.items() if v is not None}
        request = HttpRequest("POST", "/", body=json.dumps(payload).encode())
        return schema_of(cls).parse(request, params, self.invalid)  # type: ignore[no-any-return]

    def compiled_search(self, sql: str) -> _search.Query:
        query = self._searches.get(sql)
        if query is None:
            query = _search.parse(sql)
            if len(self._searches) >= 256:
                self._searches.clear()
            self._searches[sql] = query
        return query

    def simulated(self, device_id: str) -> _device.SimulatedDevice:
        """The simulated device behind ``device_id`` (a default, acknowledging one if none)."""
        sim = self._sims.get(device_id)
        if sim is None:
            sim = self._sims[device_id] = IotdaDevice(device_id, face=self)
            sim._complete = self._completer(device_id)
        return sim

    def _completer(self, device_id: str) -> Callable[[str, _device.Reply], None]:
        def complete(command_id: str, reply: _device.Reply) -> None:
            with self.platform.operation():
                self.service.complete(device_id, command_id, reply)

        return complete

    def device_protocol(self) -> DeviceProtocol:
        """IoTDA's device side over MQTT (spec device-traffic C), for the MQTT front."""
        if self.mqtt is None:
            from ._mqtt import IotdaProtocol

            with self.platform.lock:  # the front's threads may ask at once: make only one
                if self.mqtt is None:
                    self.mqtt = IotdaProtocol(self)
        return cast("DeviceProtocol", self.mqtt)

    # =========================================================================================
    # Test-side API
    # =========================================================================================
    def create_project(
        self,
        *,
        project_id: str | None = None,
        ak: str | None = None,
        sk: str | None = None,
        instance_id: str | None = None,
    ) -> ProjectKeys:
        """A tenant: an IAM project with one IoTDA instance and its AK/SK (each optional)."""
        with self.platform.operation():
            p = self.service.create_project(project_id, ak, sk, instance_id)
            return ProjectKeys(p.project_id, p.ak, p.sk, p.instance_id, p.default_app)

    def projects(self) -> list[ProjectKeys]:
        with self.platform.operation():
            return [
                ProjectKeys(p.project_id, p.ak, p.sk, p.instance_id, p.default_app)
                for p in self.state.projects.values()
            ]

    def _project(self, project: ProjectKeys | str) -> Project:
        project_id = project.project_id if isinstance(project, ProjectKeys) else project
        return self.service.project(project_id)

    def create_product(
        self,
        project: ProjectKeys | str,
        *,
        name: str = "Product",
        product_id: str | None = None,
        protocol_type: str = "MQTT",
        device_type: str = "Default",
        service_capabilities: list[dict[str, Any]] | None = None,
    ) -> str:
        """Create a product as ``create_product`` would; returns its ``product_id``."""
        body: dict[str, Any] = {
            "name": name,
            "device_type": device_type,
            "protocol_type": protocol_type,
            "service_capabilities": service_capabilities or [],
            "product_id": product_id,
        }
        with self.platform.operation():
            found = self._project(project)
            req = self._input(sc.AddProduct, {"project_id": found.project_id}, body)
            return self.service.create_product(found, req).product_id

    def add_device(
        self,
        project: ProjectKeys | str,
        product_id: str,
        *,
        node_id: str,
        secret: str | None = None,
        device_id: str | None = None,
        gateway_id: str | None = None,
        device_name: str | None = None,
        timeout: int = 0,
    ) -> DeviceView:
        """Add a device as ``add_device`` would (the product must exist)."""
        auth: dict[str, Any] = {"timeout": timeout}
        if secret is not None:
            auth["secret"] = secret
        body = {
            "node_id": node_id,
            "product_id": product_id,
            "device_id": device_id,
            "gateway_id": gateway_id,
            "device_name": device_name,
            "auth_info": auth,
        }
        with self.platform.operation():
            found = self._project(project)
            req = self._input(sc.AddDevice, {"project_id": found.project_id}, body)
            return _view(self.service.add_device(found, req))

    def device(self, device_id: str) -> DeviceView:
        """The device as the platform holds it now."""
        with self.platform.operation():
            self.tick(self.platform.clock.now())
            found = self.state.devices.get(device_id)
            if found is None:
                known = list(self.state.devices)[:10]
                raise NotFoundError(f"no IoTDA device {device_id!r}; devices: {known or 'none'}")
            return _view(found)

    def devices(self, project: ProjectKeys | str | None = None) -> list[DeviceView]:
        with self.platform.operation():
            self.tick(self.platform.clock.now())
            pool = self._project(project).devices if project is not None else self.state.devices
            return [_view(d) for d in pool.values()]

    def simulate(self, device_id: str, secret: str) -> IotdaDevice:
        """A simulated MQTT device for ``device_id`` that logs in with ``secret``."""
        sim = IotdaDevice(device_id, secret=secret, face=self)
        sim._complete = self._completer(device_id)
        previous = self._sims.get(device_id)
        if previous is not None:
            sim._handler = previous._handler
        self._sims[device_id] = sim
        return sim

    def mqtt_connect(self, client_id: str, username: str, password: str) -> DeviceView:
        """The device side's MQTT CONNECT (what the MQTT front calls)."""
        with self.platform.operation():
            self.tick(self.platform.clock.now())
            return _view(self.service.mqtt_connect(client_id, username, password))

    def overview(self) -> dict[str, Any]:
        """What the dashboard shows (the serve layer's generic shape): projects and devices."""
        with self.platform.operation():
            projects = [
                {"cells": [p.project_id, p.ak, len(p.products), len(p.devices)]}
                for p in self.state.projects.values()
            ]
            links = self.mqtt.links if self.mqtt is not None else {}
            devices = [
                {
                    "cells": [
                        d.device_id,
                        p.project_id,
                        d.node_id,
                        d.status.value,
                        "connected" if d.device_id in links else "",
                    ],
                    "status": d.status.value,
                    "actions": [],
                }
                for p in self.state.projects.values()
                for d in p.devices.values()
            ]
        return {
            "title": "IoTDA",
            "tables": [
                {
                    "id": "projects",
                    "title": "Projects",
                    "columns": ["projectId", "ak", "products", "devices"],
                    "rows": projects,
                    "empty": "no projects",
                },
                {
                    "id": "devices",
                    "title": "Devices",
                    "columns": ["deviceId", "projectId", "nodeId", "status", "mqtt"],
                    "rows": devices,
                    "empty": "no devices",
                },
            ],
        }

    # =========================================================================================
    # Pushes (data forwarding with HTTP actions, spec §8.4)
    # =========================================================================================
    def on_push(self, listener: Callable[[Push], object]) -> Callable[[Push], object]:
        """Call ``listener(push)`` for every push as it is delivered (usable as a decorator)."""
        self._push_listeners.append(listener)
        return listener

    def route_pushes(self, prefix: str, app: WsgiApp) -> None:
        """Deliver pushes whose URL starts with ``prefix`` to a WSGI ``app``, in-process."""
        self._push_routes.append((prefix, app))

    def push(
        self,
        project: Project,
        resource: str,
        event: str,
        device: Device | None,
        body: dict[str, Any],
    ) -> None:
        now = self.platform.clock.now()
        for rule in project.rules.values():
            if not rule.active or rule.resource != resource or rule.event != event:
                continue
            if rule.app_type == "APP" and device is not None and device.app_id != rule.app_id:
                continue
            for action in project.actions.values():
                http = action.channel_detail.get("http_forwarding")
                if action.rule_id != rule.rule_id or not http:
                    continue
                header: dict[str, Any] = {}
                if device is not None:
                    header = {
                        "app_id": device.app_id,
                        "device_id": device.device_id,
                        "node_id": device.node_id,
                        "product_id": device.product_id,
                        "gateway_id": device.gateway_id,
                        "tags": [{"tag_key": k, "tag_value": v} for k, v in device.tags.items()],
                    }
                payload = {
                    "resource": resource,
                    "event": event,
                    "event_time": compact_time(now),
                    "event_time_ms": iso_time(now),
                    "request_id": self.platform.ids.uuid(),
                    "notify_data": {"header": header, "body": body},
                }
                push = Push(
                    len(self.pushes), now, f"{resource}:{event}", http["url"], payload,
                    dict(PUSH_HEADERS), rule.rule_id, project.project_id,
                )  # fmt: skip
                self.pushes.append(push)
                self.platform.after(lambda push=push: self._send(push))  # type: ignore[misc]

    def _send(self, push: Push) -> None:
        settings = self.platform.settings
        deliver(
            push,
            listeners=list(self._push_listeners),
            routes=list(self._push_routes),
            timeout=settings.push_timeout,
            retries=settings.push_retries,
        )

    def export_state(self) -> dict[str, Any]:
        with self.platform.lock:
            return _persist.export_state(self.state)

    # -- the state store: each device a row (see ``Face.persist``) ------------------------------
    #: the store writes devices one at a time; which ones, it learns from the device indexes:
    #: every device a request looked up or changed by id (``IotdaState.noted``)
    persist: ClassVar[Any] = _persist

    def export_entities(self, subjects: Iterable[str] | None = None) -> dict[str, Any]:
        """The devices ``subjects`` names and every device noted since the last call (each
        ``None`` if gone), or all devices (``subjects=None``); notes from now on."""
        with self.platform.lock:
            devices = self.state.devices
            noted = self.state.noted.take() or set()
            keys = list(dict.keys(devices)) if subjects is None else noted.union(subjects)
            found = dict.get
            return {
                "devices": {
                    key: None if (d := found(devices, key)) is None else _persist.export_device(d)
                    for key in keys
                }
            }

    def export_rest(self) -> dict[str, Any]:
        with self.platform.lock:
            return _persist.export_state(self.state, rest=True)

    def journal(self) -> None:
        super().journal()
        self.state.noted.take()

    def import_state(self, data: dict[str, Any]) -> None:
        try:
            state = _persist.import_state(data)
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise UsageError(f"the IoTDA state is malformed: {exc!r:.200}") from None
        with self.platform.operation():
            previous, self.state = self.state, state
            try:
                self.check_invariants(None)
            except InvariantError as exc:
                self.state = previous
                raise UsageError(f"the IoTDA state is inconsistent: {exc}") from None
            if self.mqtt is not None:  # the connections belonged to the replaced state
                for device_id in list(self.mqtt.links):
                    self.mqtt.drop(device_id)

    def transcript_lines(self) -> list[str]:
        lines = [p.line() for p in self.pushes]
        if self.mqtt is not None:
            lines += list(self.mqtt.log)
        return lines
