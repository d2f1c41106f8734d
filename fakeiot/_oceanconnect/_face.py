"""The OceanConnect northbound face: authentication, device credentials, device management,
and the device side (connect, disconnect, ageing) that tests drive directly."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, final

from .._delivery import Push, WsgiApp, deliver
from .._errors import ApiError, ConnectRefused, InvariantError, NotFoundError, UsageError
from .._face import Face
from .._http import HttpRequest, HttpResponse, parse_query
from .._lifecycle import State, step
from .._records import Event
from .._routes import Route, route
from . import _persist
from . import _validate as v
from ._errors import HTTP200_ROWS, OcError
from ._model import (
    SHORT_CONNECTION_PROTOCOLS,
    App,
    Connection,
    Device,
    OcState,
    Subscription,
    Token,
    Tombstone,
    wire_time,
)
from ._push import (
    MANAGEMENT_NOTIFY_TYPES,
    NOTIFY_TYPES,
    PUSH_HEADERS,
    callback_url_problem,
    notifications,
)
from ._schemas import (
    ActivationAnswer,
    DevicePath,
    RegisterAnswer,
    RegisterDevice,
    vars_of,
)

if TYPE_CHECKING:
    from .._platform import Platform

E = OcError
FACE = "oceanconnect"

SEC = "/iocm/app/sec/{version}"
REG = "/iocm/app/reg/{version}"
DM = "/iocm/app/dm/{version}"
SEC_VERSIONS = ("v1.1.0",)
REG_VERSIONS = ("v1.1.0", "v1.2.0")
SUB = "/iocm/app/sub/{version}"
SUB_VERSIONS = ("v1.2.0",)
DM_VERSIONS = ("v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0")
QUERY_STATUSES = frozenset({"ONLINE", "OFFLINE", "INACTIVE", "ABNORMAL"})
_NO_BODY_HEADERS: dict[str, str] = {}

#: modify-device fields that land in deviceInfo, with their length limits.
_MODIFY_INFO = {
    "name": 256,
    "manufacturerId": 256,
    "manufacturerName": 256,
    "deviceType": 256,
    "model": 256,
    "protocolType": 256,
    "location": 1024,
}
_MODIFY_EXTRA = ("endUser", "region", "organization", "timezone", "ip")


@final
@dataclass(frozen=True, slots=True)
class Application:
    """An OceanConnect application's credentials, as ``create_app`` returns them."""

    app_id: str
    secret: str
    name: str


@final
@dataclass(frozen=True, slots=True)
class DeviceView:
    """A read-only copy of a device as the platform holds it."""

    device_id: str
    app_id: str
    node_id: str
    verify_code: str
    psk: str
    timeout: int
    state: State
    status: str
    status_detail: str
    activated: bool
    created_at: float
    code_expires_at: float | None
    last_seen_at: float | None
    connection: Connection | None
    name: str | None
    product_id: str | None
    is_secure: bool


def _view(d: Device) -> DeviceView:
    return DeviceView(
        d.device_id,
        d.app_id,
        d.node_id,
        d.verify_code,
        d.psk,
        d.timeout,
        d.state,
        d.status,
        d.status_detail,
        d.activated,
        d.created,
        d.code_deadline,
        d.last_seen,
        d.connection,
        d.info.get("name"),
        d.product_id,
        d.is_secure,
    )


class OceanConnect(Face):
    """``platform.oceanconnect``: Huawei OceanConnect's northbound API and its device side."""

    name: ClassVar[str] = FACE
    errors: ClassVar[type[OcError]] = OcError
    invalid: ClassVar[Mapping[str, OcError]] = {"*": E.INPUT_INVALID, "malformed": E.BAD_REQUEST}

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.state: OcState = OcState()
        #: every push notification sent or queued, in order (not part of snapshots)
        self.pushes: list[Push] = []
        self._push_listeners: list[Callable[[Push], object]] = []
        self._push_routes: list[tuple[str, WsgiApp]] = []

    # =========================================================================================
    # Test-side API
    # =========================================================================================
    def create_app(
        self, *, app_id: str | None = None, secret: str | None = None, name: str | None = None
    ) -> Application:
        """Create an application; ``app_id`` and ``secret`` are generated unless given."""
        ids = self.platform.ids
        with self.platform.operation():
            app_id = app_id if app_id is not None else ids.alnum(28)
            if not app_id or app_id in self.state.apps:
                raise UsageError(f"an application {app_id!r} already exists (or the id is empty)")
            app = App(app_id, secret if secret is not None else ids.alnum(28), name or app_id)
            self.state.apps[app_id] = app
            return Application(app.app_id, app.secret, app.name)

    def authorize(self, *, owner: Application | str, grantee: Application | str) -> None:
        """Let ``grantee`` act on ``owner``'s devices by passing ``?appId=<owner>``."""
        with self.platform.operation():
            owning = self._app(owner)
            owning.grantees.add(self._app(grantee).app_id)

    def freeze_app(self, app: Application | str, frozen: bool = True) -> None:
        """Freeze an application: its logins then fail with 100247."""
        with self.platform.operation():
            self._app(app).frozen = frozen

    def delete_app(self, app: Application | str) -> None:
        """Delete an application and its devices. Tokens already issued then get 500/100203."""
        with self.platform.operation():
            doomed = self._app(app)
            for device in list(doomed.devices.values()):
                self._remove(device, "delete", self.platform.clock.now(), reason="deleted")
            del self.state.apps[doomed.app_id]

    def create_product(self, product_id: str | None = None, **meta: Any) -> str:
        """Declare a product profile (checked only with ``oceanconnect_strict_products``)."""
        with self.platform.operation():
            pid = product_id if product_id is not None else self.platform.ids.hex(24)
            self.state.products[pid] = dict(meta)
            return pid

    def apps(self) -> list[Application]:
        with self.platform.operation():
            return [Application(a.app_id, a.secret, a.name) for a in self.state.apps.values()]

    def device(self, device_id: str) -> DeviceView:
        """The device as the platform holds it now."""
        with self.platform.operation():
            self.tick(self.platform.clock.now())
            return _view(self._known(device_id))

    def devices(self, app: Application | str | None = None) -> list[DeviceView]:
        """Every device, or those of ``app``, in registration order."""
        with self.platform.operation():
            self.tick(self.platform.clock.now())
            pool = (
                self._app(app).devices.values() if app is not None else self.state.devices.values()
            )
            return [_view(d) for d in pool]

    def connect_device(
        self, node_id: str, verify_code: str | None = None, *, connection: Connection | None = None
    ) -> DeviceView:
        """The device side connects: binds a new registration, or reconnects an active device.

        ``verify_code`` defaults to ``node_id`` (NB-IoT devices present their IMEI as both).
        ``connection`` is ``"short"`` for devices that age to ABNORMAL/OFFLINE when silent;
        by default CoAP and LWM2M devices are short-connection and the rest long-connection.
        Raises :class:`ConnectRefused` for an unknown, deleted or expired registration or a
        wrong verify code.
        """
        if connection not in (None, "long", "short"):
            raise UsageError(f"connection must be 'long' or 'short', got {connection!r}")
        platform = self.platform
        with platform.operation():
            now = platform.clock.now()
            self.tick(now)
            device = self.state.by_node.get(node_id)
            if device is None:
                raise self._refusal_for_missing(node_id)
            presented = node_id if verify_code is None else verify_code
            awaiting = device.state is State.REGISTERED or device.rebind_pending
            if awaiting and device.code_expired:
                platform.emit(
                    FACE,
                    "bind_failed",
                    device.device_id,
                    {"nodeId": node_id, "resultCode": "expired"},
                )
                raise ConnectRefused(
                    "expired",
                    f"the verify code of device {device.device_id} (nodeId {node_id!r}) expired at "
                    f"{wire_time(device.code_deadline or now)}; refresh the device key to rebind",
                )
            if awaiting and presented.lower() != device.verify_code.lower():
                hint = "" if verify_code is not None else " (none was given, so nodeId was used)"
                raise ConnectRefused(
                    "wrong_verify_code",
                    f"device {device.device_id} (nodeId {node_id!r}) expects verify code "
                    f"{device.verify_code!r}, the device presented {presented!r}{hint}",
                )
            if connection is not None:
                device.connection = connection
            elif device.connection is None:
                protocol = str(device.info.get("protocolType") or "").lower()
                device.connection = "short" if protocol in SHORT_CONNECTION_PROTOCOLS else "long"
            if device.state is State.REGISTERED:
                device.activated = True
                device.ever_bound = True
                self._move(device, "bind", now, {"resultCode": "succeeded"})
            elif device.rebind_pending:
                # a rekeyed device presenting its new verify code binds again (bindDevice push)
                self._move(device, "connect", now, {"resultCode": "succeeded"})
            else:
                self._move(device, "connect", now)
            device.code_deadline = None
            device.rebind_pending = False
            device.code_gen += 1
            device.last_seen = now
            self._schedule_ageing(device, now)
            self._check(device.device_id)
            return _view(device)

    def disconnect_device(self, device_id: str) -> DeviceView:
        """The device side disconnects: an ONLINE or ABNORMAL device goes OFFLINE."""
        platform = self.platform
        with platform.operation():
            now = platform.clock.now()
            self.tick(now)
            device = self._known(device_id)
            if device.state not in (State.ONLINE, State.ABNORMAL):
                raise UsageError(
                    f"device {device_id} is {device.status}/{device.status_detail}; only an "
                    "ONLINE or ABNORMAL device can disconnect"
                )
            device.age_gen += 1
            self._move(device, "disconnect", now)
            self._check(device_id)
            return _view(device)

    def transcript_lines(self) -> list[str]:
        return [push.line() for push in self.pushes]

    def export_state(self) -> dict[str, Any]:
        with self.platform.lock:
            return _persist.export_state(self.state)

    def import_state(self, data: dict[str, Any]) -> None:
        state = _persist.import_state(data)
        settings = self.platform.settings
        _persist.rebuild_deadlines(state, settings.abnormal_after, settings.offline_after)
        with self.platform.operation():
            self.state = state
            self.check_invariants(None)
            self.tick(self.platform.clock.now())

    # =========================================================================================
    # Time
    # =========================================================================================
    def tick(self, now: float) -> None:
        deadlines = self.state.deadlines
        heap = deadlines.heap
        if not heap or heap[0][0] > now:
            return
        devices = self.state.devices
        while (due := deadlines.due(now)) is not None:
            when, device_id, kind, gen = due
            device = devices.get(device_id)
            if device is None:
                continue
            if kind == "code":
                if gen != device.code_gen or device.code_deadline is None:
                    continue
                if device.state is State.REGISTERED and not device.ever_bound:
                    self._remove(device, "expire", when, reason="expired")
                else:
                    device.code_expired = True
                    self.platform.emit(FACE, "code_expired", device_id, {}, at=when)
            elif gen == device.age_gen:
                if kind == "abnormal" and device.state is State.ONLINE:
                    self._move(device, "age_abnormal", when)
                elif kind == "offline" and device.state in (State.ONLINE, State.ABNORMAL):
                    self._move(device, "age_offline", when)

    def _schedule_ageing(self, device: Device, now: float) -> None:
        device.age_gen += 1
        if device.connection != "short":
            return
        settings = self.platform.settings
        deadlines = self.state.deadlines
        deadlines.push(now + settings.abnormal_after, device.device_id, "abnormal", device.age_gen)
        deadlines.push(now + settings.offline_after, device.device_id, "offline", device.age_gen)

    def _set_code(self, device: Device, timeout: int, now: float) -> None:
        device.timeout = timeout
        device.code_expired = False
        device.code_gen += 1
        if timeout:
            device.code_deadline = now + timeout
            self.state.deadlines.push(
                device.code_deadline, device.device_id, "code", device.code_gen
            )
        else:
            device.code_deadline = None

    # =========================================================================================
    # Lifecycle moves
    # =========================================================================================
    def _move(
        self, device: Device, transition: str, at: float, data: dict[str, Any] | None = None
    ) -> None:
        previous = device.status
        device.state = step(device.state, transition)
        payload = {
            "status": device.status,
            "statusDetail": device.status_detail,
            "previousStatus": previous,
        }
        if data:
            payload.update(data)
        self.platform.emit(FACE, transition, device.device_id, payload, at=at)

    def _remove(self, device: Device, transition: str, at: float, *, reason: str) -> None:
        state = self.state
        step(device.state, transition)
        device.state = State.DELETED
        del state.devices[device.device_id]
        del state.by_node[device.node_id]
        if state.by_code.get(device.verify_code.lower()) is device:
            del state.by_code[device.verify_code.lower()]
        owner = state.apps.get(device.app_id)
        if owner is not None:
            owner.devices.pop(device.device_id, None)
        state.bury(device.node_id, Tombstone(device.device_id, reason, at, device.app_id))  # type: ignore[arg-type]
        self.platform.emit(
            FACE,
            transition,
            device.device_id,
            {"nodeId": device.node_id, "appId": device.app_id},
            at=at,
        )

    def _refusal_for_missing(self, node_id: str) -> ConnectRefused:
        stone = self.state.tombstones.get(node_id)
        if stone is not None and stone.reason == "expired":
            self.platform.emit(
                FACE,
                "bind_failed",
                stone.device_id,
                {"nodeId": node_id, "resultCode": "expired", "appId": stone.app_id},
            )
            return ConnectRefused(
                "expired",
                f"nodeId {node_id!r} was registered as device {stone.device_id}, but its verify "
                f"code expired at {wire_time(stone.when)} and the registration was deleted",
            )
        if stone is not None:
            return ConnectRefused(
                "deleted",
                f"nodeId {node_id!r} belonged to device {stone.device_id}, deleted at "
                f"{wire_time(stone.when)}; register it again",
            )
        known = list(self.state.by_node)[:10]
        return ConnectRefused(
            "unknown",
            f"no device is registered with nodeId {node_id!r} (nodeIds are compared exactly: "
            f"'urn:imei:X' and 'X' differ). Registered nodeIds: {known or 'none'}",
        )

    # =========================================================================================
    # Invariants
    # =========================================================================================
    def _check(self, device_id: str) -> None:
        if self.platform.settings.check_invariants:
            self.check_invariants((device_id,))

    def check_invariants(self, subjects: Iterable[str] | None = None) -> None:
        state = self.state
        if subjects is None:
            if not len(state.devices) == len(state.by_node) == len(state.by_code):
                raise InvariantError(
                    f"index sizes differ: {len(state.devices)} devices, {len(state.by_node)} "
                    f"nodeIds, {len(state.by_code)} verify codes"
                )
            subjects = list(state.devices)
            for app in state.apps.values():
                for device_id in app.devices:
                    if device_id not in state.devices:
                        raise InvariantError(f"app {app.app_id} lists a lost device {device_id}")
        for device_id in subjects:
            device = state.devices.get(device_id)
            if device is None:
                continue
            if state.by_node.get(device.node_id) is not device:
                raise InvariantError(f"nodeId {device.node_id!r} does not lead to {device_id}")
            if state.by_code.get(device.verify_code.lower()) is not device:
                raise InvariantError(f"verify code of {device_id} is not uniquely indexed")
            owner = state.apps.get(device.app_id)
            if owner is None or owner.devices.get(device_id) is not device:
                raise InvariantError(f"device {device_id} has no owning application")
            if device.state is State.DELETED:
                raise InvariantError(f"deleted device {device_id} is still held")
            if (device.state is State.REGISTERED) == device.activated:
                raise InvariantError(
                    f"device {device_id} is {device.state} but activated={device.activated}"
                )

    # =========================================================================================
    # Wire helpers
    # =========================================================================================
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

    def _app(self, app: Application | str | None) -> App:
        app_id = app.app_id if isinstance(app, Application) else app
        found = self.state.apps.get(app_id or "")
        if found is None:
            raise NotFoundError(
                f"no OceanConnect application {app_id!r}; applications: {list(self.state.apps)}"
            )
        return found

    def _known(self, device_id: str) -> Device:
        device = self.state.devices.get(device_id)
        if device is None:
            stones = {s.device_id: (n, s) for n, s in self.state.tombstones.items()}
            if device_id in stones:
                node, stone = stones[device_id]
                raise NotFoundError(
                    f"device {device_id} (nodeId {node!r}) was {stone.reason} at "
                    f"{wire_time(stone.when)}"
                )
            raise NotFoundError(
                f"no device {device_id!r}; devices: {list(self.state.devices)[:10] or 'none'}"
            )
        return device

    def authenticate(self, scheme: str, request: HttpRequest) -> App:
        """``"app"``: the gateway's checks, then the application acted for (``?appId=``)."""
        return self._acting_for(self._authenticate(request), request)

    def _authenticate(self, request: HttpRequest) -> App:
        """The API gateway's checks: app_key, the bearer token, then flow control."""
        headers = request.headers
        app_key = headers.get("app_key") or headers.get("x-app-key")
        if not app_key:
            raise ApiError(E.APP_KEY_MISSING, "no app_key (or x-app-key) header")
        authorization = headers.get("authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer":
                token = ""
        else:
            token = headers.get("access_token", "")
        state = self.state
        entry = state.tokens.get(token.strip())
        now = self.platform.clock.now()
        if entry is None or entry.app_id != app_key or entry.expires <= now:
            why = (
                "unknown"
                if entry is None
                else "issued to another app"
                if entry.app_id != app_key
                else "expired"
            )
            raise ApiError(E.TOKEN_INVALID, f"the access token is {why}")
        app = state.apps.get(app_key)
        if app is None:
            raise ApiError(E.APP_NOT_EXIST_INTERNAL, f"application {app_key} was deleted")
        settings = self.platform.settings
        limit = settings.flow_control_limit
        if limit is not None:
            window = app.calls
            horizon = now - settings.flow_control_window
            while window and window[0] <= horizon:
                window.popleft()
            if len(window) >= limit:
                raise ApiError(E.THROTTLED, f"{limit} calls in {settings.flow_control_window}s")
            window.append(now)
        return app

    def _acting_for(self, caller: App, request: HttpRequest) -> App:
        """The application whose devices the call acts on: the caller or ``?appId=``'s."""
        if not request.query_string:
            return caller
        target = request.query.get("appId")
        if not target or target == caller.app_id:
            return caller
        owner = self.state.apps.get(target)
        if owner is None:
            raise ApiError(E.APP_NOT_EXIST, f"no application {target!r}")
        if caller.app_id not in owner.grantees:
            raise ApiError(E.APP_NOT_AUTHORIZED, f"{caller.app_id} may not act for {target}")
        return owner

    def _device_of(
        self,
        app: App,
        device_id: str,
        *,
        empty: OcError = E.DEVICE_NOT_FOUND,
        foreign: OcError = E.DEVICE_DATA_NOT_FOUND,
    ) -> Device:
        if not device_id:
            raise ApiError(empty, "no deviceId in the path")
        device = app.devices.get(device_id)
        if device is None:
            if device_id in self.state.devices:
                raise ApiError(foreign, f"device {device_id} belongs to another application")
            raise ApiError(E.DEVICE_NOT_FOUND, f"no device {device_id}")
        return device

    def _new_code(self, wanted: str | None, node_id: str, device: Device | None) -> str:
        """The verify code to use: the one given, else the nodeId, else a generated one."""
        taken = self.state.by_code
        if wanted is not None:
            return wanted
        holder = taken.get(node_id.lower())
        if holder is None or holder is device:
            return node_id
        while True:
            code = self.platform.ids.hex(16).upper()
            if code.lower() not in taken:
                return code

    # =========================================================================================
    # Authentication routes
    # =========================================================================================
    @route(
        "POST",
        f"{SEC}/login",
        name="oceanconnect.login",
        versions=SEC_VERSIONS,
        request_media_type="application/x-www-form-urlencoded",
    )
    def login(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Log in with appId and secret (form body); returns an access and a refresh token."""
        form = {
            k.lower(): val
            for k, val in parse_query(request.body.decode("utf-8", "replace")).items()
        }
        app_id, secret = form.get("appid"), form.get("secret")
        if not app_id or not secret:
            raise ApiError(E.REQUIRED_PARAMETER_MISSING, "appId and secret are required")
        return self._issue(app_id, secret, None, "oceanconnect.login")

    @route("POST", f"{SEC}/refreshToken", name="oceanconnect.refresh_token", versions=SEC_VERSIONS)
    def refresh_token(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Exchange a refresh token (with appId and secret) for new tokens."""
        body = v.json_object(request.body, E.INPUT_INVALID)
        fields = {}
        for key in ("appId", "secret", "refreshToken"):
            value = body.get(key)
            if value is None or value == "":
                raise ApiError(E.REQUIRED_PARAMETER_MISSING, f"{key} is required")
            if not isinstance(value, str) or len(value) > 256:
                raise ApiError(E.INPUT_INVALID, f"{key} must be a string of at most 256")
            fields[key] = value
        return self._issue(
            fields["appId"], fields["secret"], fields["refreshToken"], "oceanconnect.refresh_token"
        )

    def _issue(
        self, app_id: str, secret: str, refresh: str | None, route_name: str
    ) -> HttpResponse:
        state = self.state
        app = state.apps.get(app_id)
        if app is None or app.secret != secret:
            raise ApiError(E.APP_OR_SECRET_WRONG, "unknown appId or wrong secret")
        now = self.platform.clock.now()
        if refresh is not None:
            entry = state.refresh_tokens.get(refresh)
            if entry is None or entry.app_id != app_id or entry.expires <= now:
                raise ApiError(E.APP_OR_SECRET_WRONG, "unknown or expired refresh token")
        if app.frozen:
            raise ApiError(E.APP_FROZEN, f"application {app_id} is frozen")
        if refresh is not None:
            del state.refresh_tokens[refresh]
            if app.refresh_token == refresh:
                app.refresh_token = None
        settings = self.platform.settings
        if settings.single_token_per_app and app.token is not None:
            state.tokens.pop(app.token, None)
        access = self.platform.ids.hex(32)
        new_refresh = self.platform.ids.hex(32)
        state.tokens[access] = Token(app_id, now + settings.token_ttl)
        state.refresh_tokens[new_refresh] = Token(app_id, now + settings.refresh_token_ttl)
        app.token, app.refresh_token = access, new_refresh
        return HttpResponse.json(
            200,
            {
                "scope": "default",
                "tokenType": "bearer",
                "expiresIn": settings.token_ttl,
                "accessToken": access,
                "refreshToken": new_refresh,
            },
            route_name,
        )

    @route(
        "POST", f"{SEC}/logout", name="oceanconnect.logout", versions=SEC_VERSIONS, media_type=None
    )
    def logout(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Invalidate an access token (``{"accessToken": ...}``)."""
        body = v.json_object(request.body, E.INPUT_INVALID)
        token = body.get("accessToken")
        if token is None or token == "":
            raise ApiError(E.REQUIRED_PARAMETER_MISSING, "accessToken is required")
        if not isinstance(token, str):
            raise ApiError(E.INPUT_INVALID, "accessToken must be a string")
        entry = self.state.tokens.pop(token, None)
        if entry is not None:
            app = self.state.apps.get(entry.app_id)
            if app is not None and app.token == token:
                app.token = None
        return HttpResponse(200, b"", _NO_BODY_HEADERS, "oceanconnect.logout")

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

    def _register(
        self,
        app: App,
        node_id: str,
        *,
        verify_code: str | None = None,
        timeout: int | None = None,
        psk: str | None = None,
        end_user_id: str | None = None,
        imsi: str | None = None,
        is_secure: bool | None = None,
        product_id: str | None = None,
        device_name: str | None = None,
        info: dict[str, str] | None = None,
    ) -> RegisterAnswer:
        """Register a device (the route's domain operation)."""
        info = dict(info or {})
        if device_name is not None and "name" not in info:
            info["name"] = device_name
        state = self.state
        settings = self.platform.settings
        if node_id in state.by_node:
            raise ApiError(E.NODE_ID_DUPLICATED, f"nodeId {node_id!r} is registered already")
        if verify_code is not None and verify_code.lower() in state.by_code:
            raise ApiError(E.ALREADY_BOUND, f"verify code {verify_code!r} is in use")
        if (
            product_id is not None
            and settings.oceanconnect_strict_products
            and product_id not in state.products
        ):
            raise ApiError(E.PRODUCT_NOT_EXIST, f"no product {product_id!r}")
        if settings.max_devices is not None and len(app.devices) >= settings.max_devices:
            raise ApiError(E.DEVICE_LIMIT, f"max_devices={settings.max_devices}")
        if (
            not is_secure
            and settings.max_non_secure_devices is not None
            and sum(not d.is_secure for d in app.devices.values())
            >= settings.max_non_secure_devices
        ):
            raise ApiError(
                E.NON_SECURE_LIMIT, f"max_non_secure_devices={settings.max_non_secure_devices}"
            )
        if settings.license_pool is not None and len(state.devices) >= settings.license_pool:
            raise ApiError(E.LICENSE_POOL_EXHAUSTED, f"license_pool={settings.license_pool}")

        ids = self.platform.ids
        now = self.platform.clock.now()
        device_id = ids.uuid()
        code = self._new_code(verify_code, node_id, None)
        state.device_seq += 1
        device = Device(
            device_id,
            app.app_id,
            node_id,
            code,
            psk if psk is not None else ids.hex(32),
            settings.register_timeout_default if timeout is None else timeout,
            now,
            state.device_seq,
        )
        device.info = info
        device.end_user_id = end_user_id
        device.imsi = imsi
        device.is_secure = bool(is_secure)
        device.product_id = product_id
        state.devices[device_id] = device
        state.by_node[node_id] = device
        state.by_code[code.lower()] = device
        app.devices[device_id] = device
        state.tombstones.pop(node_id, None)
        self._set_code(device, device.timeout, now)
        self.platform.emit(
            FACE,
            "register",
            device_id,
            {
                "nodeId": node_id,
                "status": device.status,
                "statusDetail": device.status_detail,
            },
        )
        return {
            "deviceId": device_id,
            "verifyCode": code,
            "timeout": device.timeout,
            "psk": device.psk,
        }

    @route(
        "PUT",
        f"{REG}/deviceCredentials/{{deviceId}}",
        name="oceanconnect.refresh_device_key",
        versions=REG_VERSIONS,
    )
    def refresh_device_key(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Give an activated, offline device a new nodeId and verify code (same deviceId)."""
        app = self._acting_for(self._authenticate(request), request)
        # ".../deviceCredentials/" (an unset deviceId) arrives with an empty one: 100007
        device = self._device_of(app, params["deviceId"], empty=E.BAD_REQUEST)
        body = v.json_object(request.body, E.BAD_REQUEST, empty_ok=True)
        verify_code = v.opt_str(body, "verifyCode", E.INVALID_VERIFY_CODE, min_len=1)
        node_id = v.opt_str(body, "nodeId", E.INPUT_INVALID) or None
        timeout = v.opt_int(body, "timeout", E.INPUT_INVALID)
        if not device.activated:
            raise ApiError(E.DEVICE_NOT_ACTIVE, f"device {device.device_id} never connected")
        if device.state is State.ONLINE:
            raise ApiError(E.DEVICE_ONLINE, f"device {device.device_id} is online")
        state = self.state
        new_node = node_id if node_id is not None else device.node_id
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
        state.by_node[new_node] = device
        state.by_code[code.lower()] = device
        device.modified = now
        device.age_gen += 1
        device.rebind_pending = True
        self._set_code(
            device,
            self.platform.settings.register_timeout_default if timeout is None else timeout,
            now,
        )
        if self.platform.settings.oceanconnect_refresh_resets_activation:
            device.activated = False
            self._move(device, "rekey", now, {"nodeId": new_node})
        else:
            self._move(device, "rekey_keep_active", now, {"nodeId": new_node})
        return HttpResponse.json(
            200, {"verifyCode": code, "timeout": device.timeout}, "oceanconnect.refresh_device_key"
        )

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
        name="oceanconnect.modify_device",
        versions=DM_VERSIONS,
        status=204,
        media_type=None,
    )
    def modify_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Change a device's information; answers 204 with no body."""
        app = self._acting_for(self._authenticate(request), request)
        device = self._device_of(app, params["deviceId"])
        body = v.json_object(request.body, E.MODIFY_INPUT_INVALID, empty_ok=True)
        changes: dict[str, Any] = {}
        for key, limit in _MODIFY_INFO.items():
            value = v.opt_str(body, key, E.INPUT_INVALID, min_len=1, max_len=limit)
            if value is not None:
                changes[key] = value
        mute = v.opt_str(body, "mute", E.INPUT_INVALID)
        if mute is not None:
            if mute not in ("TRUE", "FALSE"):
                raise ApiError(E.INPUT_INVALID, "mute must be 'TRUE' or 'FALSE'")
            changes["mute"] = mute
        extra = {key: v.opt_str(body, key, E.INPUT_INVALID) for key in _MODIFY_EXTRA}
        imsi = v.opt_str(body, "imsi", E.INPUT_INVALID, min_len=1, max_len=64)
        is_secure = v.opt_bool(body, "isSecure", E.IS_SECURE_INVALID)
        psk = v.opt_psk(body, "psk", E.INPUT_INVALID)
        product_id = v.opt_str(body, "productId", E.INPUT_INVALID)
        config = v.opt_object(body, "deviceConfig", E.INPUT_INVALID)
        if config is not None:
            data_config = v.opt_object(config, "dataConfig", E.INPUT_INVALID)
            if data_config is not None:
                v.opt_int(data_config, "dataAgingTime", E.INPUT_INVALID, low=0, high=90)
        for key in ("customFields", "tags"):
            value = body.get(key)
            if value is not None and not isinstance(value, list):
                raise ApiError(E.INPUT_INVALID, f"{key} must be a list")
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
        if imsi is not None:
            device.imsi = imsi
        if psk is not None:
            device.psk = psk
        if product_id is not None:
            device.product_id = product_id
        kept = {k: val for k, val in extra.items() if val is not None}
        if kept:
            device.extra = {**(device.extra or {}), **kept}
        device.modified = now
        self.platform.emit(FACE, "modify", device.device_id, changes)
        return HttpResponse(204, b"", _NO_BODY_HEADERS, "oceanconnect.modify_device")

    @route(
        "DELETE",
        f"{DM}/devices/{{deviceId}}",
        name="oceanconnect.delete_device",
        versions=DM_VERSIONS,
        status=204,
        media_type=None,
    )
    def delete_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Delete a device (``cascade`` defaults to true; devices here have no children)."""
        app = self._acting_for(self._authenticate(request), request)
        device = self._device_of(app, params["deviceId"])
        self._remove(device, "delete", self.platform.clock.now(), reason="deleted")
        return HttpResponse(204, b"", _NO_BODY_HEADERS, "oceanconnect.delete_device")

    @route(
        "GET", f"{DM}/devices/{{deviceId}}", name="oceanconnect.query_device", versions=DM_VERSIONS
    )
    def query_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """One device's details (``select=imsi`` adds the IMSI)."""
        app = self._acting_for(self._authenticate(request), request)
        select = request.query.get("select") if request.query_string else None
        if select not in (None, "", "imsi", "IMSI"):
            raise ApiError(E.REQUEST_PARAMETER_INVALID, "select only takes 'imsi'")
        device = self._device_of(app, params["deviceId"])
        return HttpResponse.json(200, device.wire(imsi=bool(select)), "oceanconnect.query_device")

    @route("GET", f"{DM}/devices", name="oceanconnect.query_devices", versions=DM_VERSIONS)
    def query_devices(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Devices of the application, filtered and paged (newest first by default)."""
        app = self._acting_for(self._authenticate(request), request)
        query = request.query
        bad = E.REQUEST_PARAMETER_INVALID
        page_no = v.query_int(query, "pageNo", bad, low=0, high=1_000_000)
        page_size = v.query_int(query, "pageSize", bad, low=1, high=250)
        gateway_id = query.get("gatewayId") or None
        if page_no is None and gateway_id is None:
            raise ApiError(E.GATEWAY_AND_PAGE_NULL, "give pageNo (0 is the first page)")
        page_no = page_no or 0
        page_size = page_size or 25
        status = query.get("status") or None
        if status is not None and status not in QUERY_STATUSES:
            raise ApiError(bad, f"status must be one of {sorted(QUERY_STATUSES)}")
        sort = query.get("sort") or "DESC"
        if sort not in ("ASC", "DESC"):
            raise ApiError(bad, "sort must be ASC or DESC")
        node_type = query.get("nodeType") or None
        if node_type is not None and node_type not in ("GATEWAY", "ENDPOINT", "UNKNOWN"):
            raise ApiError(bad, "nodeType must be GATEWAY, ENDPOINT or UNKNOWN")
        start = v.query_time(query, "startTime", bad)
        end = v.query_time(query, "endTime", bad)
        select = query.get("select")
        if select not in (None, "", "imsi", "IMSI"):
            raise ApiError(bad, "select only takes 'imsi'")
        wanted = {key: query[key] for key in ("deviceType", "location", "name") if query.get(key)}

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
        ordered = reversed(list(pool)) if sort == "DESC" else iter(pool)
        matching = [d for d in ordered if keep(d)]
        first = page_no * page_size
        page = matching[first : first + page_size]
        return HttpResponse.json(
            200,
            {
                "totalCount": len(matching),
                "pageNo": page_no,
                "pageSize": page_size,
                "devices": [d.wire(imsi=bool(select)) for d in page],
            },
            "oceanconnect.query_devices",
        )

    @route(
        "GET",
        "/iocm/app/shadow/{version}/devices/{deviceId}",
        name="oceanconnect.query_device_shadow",
        versions=("v1.5.0",),
    )
    def query_device_shadow(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """A device's shadow: its info and status (device tests read the status here)."""
        app = self._acting_for(self._authenticate(request), request)
        device = self._device_of(app, params["deviceId"])
        wire = device.wire()
        del wire["alarmInfo"]
        return HttpResponse.json(200, wire, "oceanconnect.query_device_shadow")

    # =========================================================================================
    # Device data (device side)
    # =========================================================================================
    def report_data(
        self,
        device_id: str,
        service_id: str,
        data: dict[str, Any],
        *,
        service_type: str | None = None,
    ) -> DeviceView:
        """The device side reports ``data`` for ``service_id``: the device is online again,
        the data shows in queries, and ``deviceDataChanged`` is pushed."""
        if not isinstance(data, dict):
            raise UsageError(f"data must be a dict of property values, got {type(data).__name__}")
        try:
            HttpResponse.json(200, data)
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            raise UsageError(f"data must be JSON-encodable text and numbers: {exc}") from None
        platform = self.platform
        with platform.operation():
            now = platform.clock.now()
            self.tick(now)
            device = self._known(device_id)
            if device.state is State.REGISTERED:
                raise ConnectRefused(
                    "not_bound",
                    f"device {device_id} has not bound yet; connect_device() it first",
                )
            if device.state is not State.ONLINE:
                self._move(device, "connect", now)
            device.last_seen = now
            self._schedule_ageing(device, now)
            kind = service_type or service_id
            device.services[service_id] = {
                "serviceType": kind,
                "data": dict(data),
                "eventTime": wire_time(now),
            }
            platform.emit(
                FACE,
                "data",
                device_id,
                {"serviceId": service_id, "serviceType": kind, "data": dict(data)},
            )
            self._check(device_id)
            return _view(device)

    # =========================================================================================
    # Push notifications: delivery control
    # =========================================================================================
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
        """Turn a domain event into the push notifications its subscriptions receive."""
        subscriptions = self.state.subscriptions
        if not subscriptions or event.face != FACE:
            return
        device = self.state.devices.get(event.subject)
        owner = device.app_id if device is not None else event.data.get("appId")
        if owner is None:
            return
        settings = self.platform.settings
        for notify_type, body in notifications(
            event, device, deleted_on_expiry=settings.oceanconnect_push_deleted_on_expiry
        ):
            for sub in subscriptions.values():
                if sub.app_id != owner or sub.notify_type != notify_type or sub.management:
                    continue
                push = Push(
                    len(self.pushes),
                    event.time,
                    notify_type,
                    sub.callback_url,
                    body,
                    dict(PUSH_HEADERS),
                    sub.subscription_id,
                    owner,
                )
                self.pushes.append(push)
                if settings.push_delivery == "sync":
                    self.platform.after(lambda push=push: self._send(push))  # type: ignore[misc]

    # =========================================================================================
    # Subscription routes
    # =========================================================================================
    def _subscription_body(self, request: HttpRequest) -> tuple[str, str, str]:
        body = v.json_object(request.body, E.SUBSCRIPTION_INPUT_INVALID)
        notify_type = body.get("notifyType")
        if not isinstance(notify_type, str) or notify_type not in NOTIFY_TYPES:
            raise ApiError(E.SUBSCRIPTION_INPUT_INVALID, f"unknown notifyType {notify_type!r}")
        url = body.get("callbackUrl")
        problem = callback_url_problem(
            url, https_only=self.platform.settings.oceanconnect_https_callbacks_only
        )
        if problem is not None:
            raise ApiError(E.CALLBACK_URL_ILLEGAL, problem)
        channel = body.get("channel")
        if channel is None:
            channel = "HTTP"
        if channel not in ("HTTP", "MQTT"):
            raise ApiError(E.SUBSCRIPTION_INPUT_INVALID, "channel must be HTTP or MQTT")
        return notify_type, str(url), channel

    @route(
        "POST",
        f"{SUB}/subscriptions",
        name="oceanconnect.subscribe",
        versions=SUB_VERSIONS,
        status=201,
    )
    def subscribe(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Subscribe a callback URL to one notifyType; answers 201."""
        app = self._acting_for(self._authenticate(request), request)
        owner_flag = request.query.get("ownerFlag") if request.query_string else None
        if owner_flag not in (None, "", "true", "false"):
            raise ApiError(E.SUBSCRIPTION_INPUT_INVALID, "ownerFlag must be true or false")
        notify_type, url, channel = self._subscription_body(request)
        subscriptions = self.state.subscriptions
        existing = next(
            (
                s
                for s in subscriptions.values()
                if s.app_id == app.app_id and s.notify_type == notify_type and not s.management
            ),
            None,
        )
        if existing is not None:
            if self.platform.settings.oceanconnect_duplicate_subscription == "conflict":
                raise ApiError(E.RESOURCE_CONFLICT, f"{notify_type} is subscribed already")
            del subscriptions[existing.subscription_id]
        sub = Subscription(
            self.platform.ids.uuid(), app.app_id, notify_type, url, channel, owner_flag or None
        )
        subscriptions[sub.subscription_id] = sub
        return HttpResponse.json(201, sub.wire(), "oceanconnect.subscribe")

    @route(
        "GET",
        f"{SUB}/subscriptions/{{subscriptionId}}",
        name="oceanconnect.query_subscription",
        versions=SUB_VERSIONS,
    )
    def query_subscription(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """One subscription of the application."""
        app = self._acting_for(self._authenticate(request), request)
        sub = self._subscription_of(app, params["subscriptionId"])
        return HttpResponse.json(200, sub.wire(), "oceanconnect.query_subscription")

    @route(
        "GET",
        f"{SUB}/subscriptions",
        name="oceanconnect.query_subscriptions",
        versions=SUB_VERSIONS,
    )
    def query_subscriptions(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """The application's subscriptions, optionally by notifyType, paged."""
        app = self._acting_for(self._authenticate(request), request)
        query = request.query
        bad = E.SUBSCRIPTION_INPUT_INVALID
        page_no = v.query_int(query, "pageNo", bad, low=0, high=1_000_000) or 0
        page_size = v.query_int(query, "pageSize", bad, low=1, high=250) or 10
        notify_type = query.get("notifyType") or None
        matching = [
            s
            for s in self._subscriptions_of(app)
            if notify_type is None or s.notify_type == notify_type
        ]
        first = page_no * page_size
        return HttpResponse.json(
            200,
            {
                "totalCount": len(matching),
                "pageNo": page_no,
                "pageSize": page_size,
                "subscriptions": [s.wire() for s in matching[first : first + page_size]],
            },
            "oceanconnect.query_subscriptions",
        )

    @route(
        "DELETE",
        f"{SUB}/subscriptions/{{subscriptionId}}",
        name="oceanconnect.delete_subscription",
        versions=SUB_VERSIONS,
        status=204,
        media_type=None,
    )
    def delete_subscription(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Delete one subscription; answers 204."""
        app = self._acting_for(self._authenticate(request), request)
        sub = self._subscription_of(app, params["subscriptionId"])
        del self.state.subscriptions[sub.subscription_id]
        return HttpResponse(204, b"", _NO_BODY_HEADERS, "oceanconnect.delete_subscription")

    @route(
        "DELETE",
        f"{SUB}/subscriptions",
        name="oceanconnect.delete_subscriptions",
        versions=SUB_VERSIONS,
        status=204,
        media_type=None,
    )
    def delete_subscriptions(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Delete the application's subscriptions matching notifyType, callbackUrl, channel."""
        app = self._acting_for(self._authenticate(request), request)
        query = request.query if request.query_string else {}
        wanted = {
            key: query[key] for key in ("notifyType", "callbackUrl", "channel") if query.get(key)
        }
        for sub in self._subscriptions_of(app):
            fields = {
                "notifyType": sub.notify_type,
                "callbackUrl": sub.callback_url,
                "channel": sub.channel,
            }
            if all(fields[key] == value for key, value in wanted.items()):
                del self.state.subscriptions[sub.subscription_id]
        return HttpResponse(204, b"", _NO_BODY_HEADERS, "oceanconnect.delete_subscriptions")

    @route(
        "POST",
        "/iodm/app/sub/{version}/subscribe",
        name="oceanconnect.subscribe_management",
        versions=("v1.1.0",),
        media_type=None,
    )
    def subscribe_management(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Subscribe to device-management (upgrade) notifications; answers 200, no body."""
        app = self._acting_for(self._authenticate(request), request)
        body = v.json_object(request.body, E.SUBSCRIPTION_INPUT_INVALID)
        notify_type = body.get("notifyType")
        if not isinstance(notify_type, str) or notify_type not in MANAGEMENT_NOTIFY_TYPES:
            raise ApiError(E.SUBSCRIPTION_INPUT_INVALID, f"unknown notifyType {notify_type!r}")
        url = body.get("callbackurl", body.get("callbackUrl"))
        problem = callback_url_problem(
            url, https_only=self.platform.settings.oceanconnect_https_callbacks_only
        )
        if problem is not None:
            raise ApiError(E.CALLBACK_URL_ILLEGAL, problem)
        subscriptions = self.state.subscriptions
        for sub in list(subscriptions.values()):
            if sub.app_id == app.app_id and sub.management and sub.notify_type == notify_type:
                del subscriptions[sub.subscription_id]
        sub = Subscription(
            self.platform.ids.uuid(),
            app.app_id,
            notify_type,
            str(url),
            "HTTP",
            None,
            management=True,
        )
        subscriptions[sub.subscription_id] = sub
        return HttpResponse(200, b"", _NO_BODY_HEADERS, "oceanconnect.subscribe_management")

    def _subscriptions_of(self, app: App) -> list[Subscription]:
        return [
            s
            for s in self.state.subscriptions.values()
            if s.app_id == app.app_id and not s.management
        ]

    def _subscription_of(self, app: App, subscription_id: str) -> Subscription:
        sub = self.state.subscriptions.get(subscription_id)
        if sub is None or sub.app_id != app.app_id or sub.management:
            raise ApiError(E.RESOURCE_NOT_FOUND, f"no subscription {subscription_id!r}")
        return sub

    # -- serve layer: the state store and the dashboard (fakeiot/serve) -------------------------
    #: device-side methods the dashboard's buttons may call (``overview()`` rows name them)
    dashboard_actions: ClassVar[tuple[str, ...]] = ("connect_device", "disconnect_device")

    def export_entities(self, subjects: Iterable[str] | None = None) -> dict[str, Any]:
        """``export_state()``'s devices, one entry each (``None``: gone), for the devices
        ``subjects`` names (``None``: all): what the state store writes after a request."""
        devices = self.state.devices
        with self.platform.lock:
            keys = list(devices) if subjects is None else subjects
            return {
                "devices": {
                    key: None
                    if (d := devices.get(key)) is None
                    else {
                        "state": d.state.value,
                        **{f: getattr(d, f) for f in _persist._DEVICE_FIELDS},
                    }
                    for key in keys
                }
            }

    def export_rest(self) -> dict[str, Any]:
        """``export_state()`` without the sections :meth:`export_entities` gives."""
        import copy

        with self.platform.lock:
            shallow = copy.copy(self.state)
            shallow.devices = {}
            rest = _persist.export_state(shallow)
        del rest["devices"]
        return rest

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
            ],
        }
