"""OceanConnect's domain operations on typed arguments.

The set-up API tests call from Python (DESIGN §2), the operations the routes call once their
input is validated, and the device side (connect, disconnect, ageing, data): usable from
Python tests, the HTTP routes and a device front alike. Nothing here reads an HTTP request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, final

from .._errors import ApiError, ConnectRefused, InvariantError, NotFoundError, UsageError
from .._face import Face
from .._http import HttpResponse
from .._lifecycle import State, step
from . import _persist
from ._errors import OcError
from ._model import (
    SHORT_CONNECTION_PROTOCOLS,
    App,
    Connection,
    Device,
    OcState,
    Tombstone,
    wire_time,
)
from ._schemas import (
    RegisterAnswer,
)

if TYPE_CHECKING:
    from .._platform import Platform

E = OcError
FACE = "oceanconnect"
DAY = 86_400.0
#: where a device's ``deviceConfig.dataConfig.dataAgingTime`` (days) is kept, in ``extra``
DATA_AGING = "dataAgingTime"


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


class OcService(Face):
    """The face's state and its domain operations (the route families build on it)."""

    name: ClassVar[str] = FACE
    errors: ClassVar[type[OcError]] = OcError

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.state: OcState = OcState()
        settings = platform.settings
        self.coerce = settings.oceanconnect_coercion == "jackson"
        self.strict_media = settings.oceanconnect_strict_content_type

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

        ``verify_code`` defaults to the code the platform generated when the registration gave
        none (the device was provisioned with it), else to ``node_id`` (NB-IoT devices present
        their IMEI as both).
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
            if verify_code is not None:
                presented = verify_code
            else:
                presented = device.verify_code if device.code_generated else node_id
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
            self._contact(device, now, reported=False)
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

    def export_state(self) -> dict[str, Any]:
        with self.platform.lock:
            return _persist.export_state(self.state)

    def import_state(self, data: dict[str, Any]) -> None:
        state = _persist.import_state(data)
        settings = self.platform.settings
        _persist.rebuild_deadlines(state, settings.abnormal_after, settings.offline_after)
        with self.platform.operation():
            self.state = state
            self._rebuild_command_timers()
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
            if kind.startswith("cmd_"):
                self._tick_command(when, device_id, kind, gen)
                continue
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

    # -- hooks the traffic mixin (``_traffic``) fills in ---------------------------------------
    def _tick_command(self, when: float, command_id: str, kind: str, gen: int) -> None:
        """Apply a command timer that fell due at ``when``."""

    def _contact(self, device: Device, now: float, *, reported: bool) -> None:
        """The device connected (or reported, ``reported``): hand it what waited for it."""

    def _forget(self, device: Device) -> None:
        """The device is gone: drop what refers to it from elsewhere."""

    def _rebuild_command_timers(self) -> None:
        """Push the timers of every command back onto the deadline heap (after an import)."""

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
        self._forget(device)
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
    # =========================================================================================
    # Lookups
    # =========================================================================================
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

    def _act_as(self, caller: App, target: str | None) -> App:
        """The application ``target`` names, if ``caller`` may act for it (403 otherwise)."""
        if not target or target == caller.app_id:
            return caller
        owner = self.state.apps.get(target)
        if owner is None:
            raise ApiError(E.APP_NOT_EXIST, f"no application {target!r}")
        if caller.app_id not in owner.grantees:
            raise ApiError(E.APP_NOT_AUTHORIZED, f"{caller.app_id} may not act for {target}")
        return owner

    def _new_code(self, wanted: str | None, node_id: str, device: Device | None) -> str:
        """The verify code to use: the one given, else a generated one (spec §4.1 [C]); with
        ``oceanconnect_verify_code_default="node_id"``, the nodeId unless another device holds
        it."""
        taken = self.state.by_code
        if wanted is not None:
            return wanted
        if self.platform.settings.oceanconnect_verify_code_default == "node_id":
            holder = taken.get(node_id.lower())
            if holder is None or holder is device:
                return node_id
        while True:
            code = self.platform.ids.hex(16).upper()
            if code.lower() not in taken:
                return code

    # =========================================================================================
    # Registration
    # =========================================================================================
    def register_device(
        self,
        app: Application | str,
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
        info: Mapping[str, str] | None = None,
    ) -> RegisterAnswer:
        """Register a device for ``app`` as ``POST .../deviceCredentials`` does, without HTTP.

        Returns what the API returns (``deviceId``, ``verifyCode``, ``timeout``, ``psk``) and
        raises the :class:`~fakeiot._errors.ApiError` the API would answer with (a duplicated
        nodeId, a quota). The arguments are the body's fields; ``info`` is ``deviceInfo``.
        """
        with self.platform.operation():
            owner = self._app(app)
            self.tick(self.platform.clock.now())
            return self._register(
                owner,
                node_id,
                verify_code=verify_code,
                timeout=timeout,
                psk=psk,
                end_user_id=end_user_id,
                imsi=imsi,
                is_secure=is_secure,
                product_id=product_id,
                device_name=device_name,
                info=dict(info or {}),
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
        if is_secure is not None:
            # the register body's isSecure shows in deviceInfo as modify's does (issue 16 item 6)
            info["isSecurity"] = "TRUE" if is_secure else "FALSE"
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
        device.code_generated = verify_code is None and code != node_id
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

    def _profile(self, device: Device) -> list[dict[str, Any]] | None:
        """The device's service capabilities, from its product (``None``: no profile)."""
        if device.product_id is None:
            return None
        product = self.state.products.get(device.product_id)
        if product is None or "serviceCapabilities" not in product:
            return None
        services: list[dict[str, Any]] = product["serviceCapabilities"]
        return services

    def _service_type(self, device: Device, service_id: str) -> str:
        """The serviceType of ``service_id``: its profile's (spec A.11), else the serviceId."""
        for capability in self._profile(device) or ():
            if capability.get("serviceId") == service_id and capability.get("serviceType"):
                return str(capability["serviceType"])
        return service_id

    def _retention(self, device: Device) -> float:
        """How long the device's history is kept: its ``dataAgingTime`` in days (spec A.9,
        OC §4.4), else ``oceanconnect_history_retention``."""
        days = (device.extra or {}).get(DATA_AGING)
        if days:
            return float(days) * DAY
        retention: float = self.options.oceanconnect_history_retention
        return retention

    def _record_report(
        self,
        device: Device,
        service_id: str,
        data: dict[str, Any],
        service_type: str | None,
        now: float,
    ) -> None:
        """Spec A.16 steps 1-2: merge ``data`` into the shadow's reported properties (those
        now reported as desired leave desiredProps) and append it to the data history."""
        service = device.services.get(service_id)
        if service is None:
            service = device.services[service_id] = {
                "serviceType": self._service_type(device, service_id),
                "data": {},
            }
        service["serviceType"] = service_type or service["serviceType"]
        service["data"] = {**service["data"], **data}
        service["eventTime"] = wire_time(now)
        desired = service.get("desired")
        if desired:
            service["desired"] = {k: v for k, v in desired.items() if k not in data or data[k] != v}
        device.modified = now
        device.history.append([now, service_id, dict(data)])
        self._prune(device.history, now, self._retention(device))

    def _prune(self, history: list[list[Any]], now: float, retention: float) -> None:
        """Drop history entries older than ``retention``, and the oldest beyond the limit."""
        horizon = now - retention
        drop = 0
        while drop < len(history) and history[drop][0] < horizon:
            drop += 1
        drop = max(drop, len(history) - self.options.oceanconnect_history_limit)
        if drop > 0:
            del history[:drop]

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
        return self._report(device_id, [(service_id, data, service_type)])

    def report_services(self, device_id: str, services: Mapping[str, dict[str, Any]]) -> DeviceView:
        """The device side reports several services at once (one ``deviceReq`` with several
        elements, spec A.8): each is recorded as ``report_data`` records one, and besides
        ``deviceDataChanged`` per service, ``deviceDatasChanged`` subscribers get them all in
        one push (OC §6.6)."""
        if not isinstance(services, Mapping) or not services:
            raise UsageError("services must be a non-empty dict of serviceId -> property values")
        return self._report(device_id, [(sid, data, None) for sid, data in services.items()])

    def _report(
        self, device_id: str, reports: list[tuple[str, dict[str, Any], str | None]]
    ) -> DeviceView:
        for service_id, data, _type in reports:
            if not isinstance(service_id, str) or not service_id:
                raise UsageError(f"a serviceId must be a non-empty string, got {service_id!r}")
            if not isinstance(data, dict):
                raise UsageError(
                    f"data must be a dict of property values, got {type(data).__name__}"
                )
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
            changed = []
            for service_id, data, service_type in reports:
                self._record_report(device, service_id, data, service_type, now)
                changed.append(
                    {
                        "serviceId": service_id,
                        "serviceType": device.services[service_id]["serviceType"],
                        "data": dict(data),
                    }
                )
            for one in changed:
                platform.emit(FACE, "data", device_id, one)
            if len(changed) > 1:
                platform.emit(FACE, "datas", device_id, {"services": changed})
            self._contact(device, now, reported=True)
            self._check(device_id)
            return _view(device)
