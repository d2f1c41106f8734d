"""The EnOS Connect Service v2.1 face: the API gateway's two authentication schemes, products,
devices, and the device side (MQTT login, logout, dynamic activation) that tests drive directly.

Vocabulary on the core lifecycle (:mod:`fakeiot._lifecycle`): ``assetId`` is the stable
identity, ``deviceKey`` the replaceable hardware key, ``deviceSecret`` the credential, and the
first login is activation. ``inactive``/``online``/``offline``/``disable`` are the wire names of
REGISTERED/ONLINE/OFFLINE/DISABLED.
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, final

from .._errors import ApiError, ConnectRefused, InvariantError, NotFoundError, UsageError
from .._face import Face
from .._http import JSON_CONTENT_TYPE, HttpRequest, HttpResponse
from .._lifecycle import State, step
from .._routes import Route, route
from . import _persist
from . import _validate as v
from ._auth import KeyPair, sign, token_encryption
from ._errors import PROFILE_2_1, EnosError
from ._model import STATUS, Device, EnosState, Gone, Org, Product, Token
from ._search import ExpressionError, Fields, Predicate, compile_expression, project

if TYPE_CHECKING:
    from .._platform import Platform

E = EnosError
FACE = "enos"

DEVICES = "/connect-service/{version}/devices"
PRODUCTS = "/connect-service/{version}/products"
TOKEN = "/apim-token-service/v2.0/token"
V21 = ("v2.1",)
#: batchCreate is documented at v2.0; the vendor's Python sample posts it to v2.1 (spec §4.2).
BATCH_VERSIONS = ("v2.0", "v2.1")
#: every action accepts GET and POST: the official client sends GET for delete/enable/disable.
ANY = ("GET", "POST")

#: the UUID variant digit (8, 9, a or b) for each hex digit drawn in its place.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}

DEVICE_FIELDS = Fields(
    plain=frozenset(
        {
            "modelId",
            "productKey",
            "deviceKey",
            "assetId",
            "productType",
            "status",
            "firmwareVersion",
        }
    ),
    maps=frozenset({"deviceAttributes", "deviceTags"}),
    names="deviceName",
)
PRODUCT_FIELDS = Fields(
    plain=frozenset({"productKey", "modelId"}),
    maps=frozenset({"productTags"}),
    names="productName",
)


# =============================================================================================
# Values handed to tests
# =============================================================================================
@final
@dataclass(frozen=True, slots=True)
class Organization:
    """An EnOS organization (OU) and its service account's keys, as ``create_org`` returns."""

    org_id: str
    access_key: str
    secret_key: str


@final
@dataclass(frozen=True, slots=True)
class Limits:
    """The platform limits of spec §2.9 ("can be expanded by an administrator")."""

    max_devices_per_product: int = 10_000
    max_devices_per_org: int = 100_000
    max_batch_size: int = 1_000


@final
@dataclass(frozen=True, slots=True)
class DeviceView:
    """A read-only copy of a device as the platform holds it."""

    asset_id: str
    org_id: str
    product_key: str
    device_key: str
    device_secret: str
    state: State
    status: str
    activated: bool
    active_time: int
    last_online_time: int
    last_offline_time: int
    name: str
    timezone: str


def _view(d: Device) -> DeviceView:
    return DeviceView(
        d.asset_id,
        d.org_id,
        d.product_key,
        d.device_key,
        d.device_secret,
        d.state,
        d.status,
        d.activated,
        d.active_time,
        d.last_online_time,
        d.last_offline_time,
        d.name["defaultValue"],
        d.timezone,
    )


@dataclass(frozen=True, slots=True)
class _CreateOption:
    """A validated create-device body (one item of a batch)."""

    product_key: str
    name: dict[str, Any]
    timezone: str
    device_key: str | None
    desc: str | None
    attributes: dict[str, Any]
    tags: dict[str, str]


def _device_view(d: Device, product: Product) -> dict[str, Any]:
    """The flat record device search expressions are evaluated against."""
    return {
        "modelId": product.model_id,
        "productKey": d.product_key,
        "deviceKey": d.device_key,
        "assetId": d.asset_id,
        "productType": product.product_type,
        "status": STATUS[d.state],
        "firmwareVersion": None,
        "deviceAttributes": d.attributes,
        "deviceTags": d.tags,
        "deviceName": d.name,
    }


def _product_view(p: Product) -> dict[str, Any]:
    return {
        "productKey": p.product_key,
        "modelId": p.model_id,
        "productTags": p.tags or {},
        "productName": p.name,
    }


class Enos(Face):
    """``platform.enos``: EnOS Connect Service v2.1 behind the APIM gateway, and its device side."""

    name: ClassVar[str] = FACE
    errors: ClassVar[type[EnosError]] = EnosError

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.state: EnosState = EnosState()
        self.keys = KeyPair()
        #: spec §2.9's limits; replace with ``dataclasses.replace(enos.limits, ...)``.
        self.limits = Limits()
        self._expressions: dict[tuple[str, str], Predicate] = {}

    # =========================================================================================
    # Test-side API
    # =========================================================================================
    def create_org(
        self,
        *,
        org_id: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> Organization:
        """Create an organization with one service account.

        Keys are UUID-like (hex groups joined by ``-``) because ``enos-poseidon`` derives a pin
        from their second group; give your own to match a recorded fixture.
        """
        ids = self.platform.ids
        state = self.state
        with self.platform.operation():
            if org_id is None:
                org_id = "o" + str(int(ids.hex(12), 16) % 10**14).zfill(14)
            access_key = access_key if access_key is not None else ids.uuid()
            secret_key = secret_key if secret_key is not None else ids.uuid()
            if not org_id or org_id in state.orgs:
                raise UsageError(f"an org {org_id!r} already exists (or the id is empty)")
            if not access_key or access_key in state.by_access_key or not secret_key:
                raise UsageError(f"access key {access_key!r} is taken (or a key is empty)")
            org = Org(org_id, access_key, secret_key)
            state.orgs[org_id] = org
            state.by_access_key[access_key] = org
            return Organization(org_id, access_key, secret_key)

    def orgs(self) -> list[Organization]:
        with self.platform.operation():
            return [
                Organization(o.org_id, o.access_key, o.secret_key) for o in self.state.orgs.values()
            ]

    def create_model(self, model_id: str, *, parent: str | None = None) -> str:
        """Declare a thing model (needed with ``enos_strict_models``); returns its modelIdPath.

        ``parent`` is a model declared earlier: the path becomes ``<parent path>/<model_id>``.
        """
        if not model_id or not isinstance(model_id, str):
            raise UsageError("create_model needs a non-empty modelId")
        with self.platform.operation():
            models = self.state.models
            if parent is not None and parent not in models:
                raise NotFoundError(f"no model {parent!r} to derive from; models: {list(models)}")
            path = (models[parent] if parent is not None else "") + "/" + model_id
            models[model_id] = path
            return path

    @property
    def poseidon_public_key(self) -> bytes:
        """The platform's RSA public key as base64 DER: install it as
        ``poseidon.poseidon.pubkey`` so ``enos-poseidon`` encrypts its tokens for this platform.
        """
        return self.keys.public_key_b64()

    def expire_poseidon_token(
        self, org: Organization | str, *, refresh_expired: bool = False
    ) -> str:
        """Make the next ``enos-poseidon`` call of ``org`` answer a refresh signal (spec §6.1).

        Without ``refresh_expired``: ``{"apim_status": 4011, "apim_refreshtoken": ...}`` until a
        request carries that refresh token (the client retries at once); with it: one
        ``{"apim_status": 4012}``. Returns the refresh token ("" for 4012).
        """
        with self.platform.operation():
            found = self._org_of(org)
            if refresh_expired:
                found.poseidon_signal, found.poseidon_refresh = 4012, ""
            else:
                found.poseidon_signal = 4011
                found.poseidon_refresh = self.platform.ids.hex(64)
            return found.poseidon_refresh

    def device(self, asset_id: str) -> DeviceView:
        """The device as the platform holds it now."""
        with self.platform.operation():
            return _view(self._known(asset_id))

    def devices(self, org: Organization | str | None = None) -> list[DeviceView]:
        """Every device, or those of ``org``, in creation order."""
        with self.platform.operation():
            pool = self._org_of(org).devices if org is not None else self.state.devices
            return [_view(d) for d in pool.values()]

    def login_device(self, product_key: str, device_key: str, device_secret: str) -> DeviceView:
        """The device side logs in over MQTT with its secret (spec §7, securemode 2).

        The first login activates the device (``activeTime``) and every login sets it online.
        Raises :class:`ConnectRefused` for an unknown, replaced or deleted key, a wrong secret
        or a disabled device; its ``reason`` names which.
        """
        platform = self.platform
        with platform.operation():
            device = self._login_target(product_key, device_key)
            if not hmac.compare_digest(
                device.device_secret.encode(), device_secret.encode("utf-8", "replace")
            ):
                raise ConnectRefused(
                    "wrong_secret",
                    f"device {device_key!r} of product {product_key} (assetId {device.asset_id}) "
                    "refused the login: the deviceSecret does not match the device's current "
                    "secret (replaceDevice issues a new one)",
                )
            self._refuse_disabled(device)
            self._login(device)
            self._check(device.asset_id)
            return _view(device)

    def dynamic_activate(
        self, product_key: str, device_key: str, product_secret: str
    ) -> DeviceView:
        """Dynamic activation (spec §7, securemode 3): a pre-registered, never-activated device
        of a product with ``dynamicActivateEnabled`` logs in with the product secret; it is
        activated and online, and the returned view carries the deviceSecret the platform
        sends it for later logins."""
        platform = self.platform
        with platform.operation():
            device = self._login_target(product_key, device_key)
            product = self.state.products[product_key]
            if not product.dynamic_activate:
                raise ConnectRefused(
                    "dynamic_activation_disabled",
                    f"product {product_key} does not allow dynamic activation "
                    "(dynamicActivateEnabled is false)",
                )
            if not hmac.compare_digest(
                product.product_secret.encode(), product_secret.encode("utf-8", "replace")
            ):
                raise ConnectRefused(
                    "wrong_product_secret",
                    f"the productSecret presented for product {product_key} does not match",
                )
            self._refuse_disabled(device)
            if device.activated:
                raise ConnectRefused(
                    "already_activated",
                    f"device {device_key!r} (assetId {device.asset_id}) is activated already; "
                    "it logs in with its deviceSecret (securemode 2)",
                )
            self._login(device)
            self._check(device.asset_id)
            return _view(device)

    def logout_device(self, product_key: str, device_key: str) -> DeviceView:
        """The device side disconnects: an online device goes offline (``lastOfflineTime``)."""
        platform = self.platform
        with platform.operation():
            product = self.state.products.get(product_key)
            org = self.state.orgs[product.org_id] if product is not None else None
            device = org.by_key.get(device_key) if org is not None else None
            if device is None or device.product_key != product_key:
                raise NotFoundError(f"no device {device_key!r} in product {product_key!r}")
            if device.state is not State.ONLINE:
                raise UsageError(
                    f"device {device_key!r} is {device.status}; only an online device can log out"
                )
            now = platform.clock.now()
            device.last_offline_time = int(now * 1000)
            self._move(device, "disconnect")
            self._check(device.asset_id)
            return _view(device)

    # -- device-side helpers --------------------------------------------------------------------
    def _login_target(self, product_key: str, device_key: str) -> Device:
        state = self.state
        product = state.products.get(product_key)
        device = None
        if product is not None:
            device = state.orgs[product.org_id].by_key.get(device_key)
        if device is not None and device.product_key == product_key:
            return device
        gone = state.gone.get((product_key, device_key))
        if gone is not None and gone.reason == "replaced":
            raise ConnectRefused(
                "replaced",
                f"deviceKey {device_key!r} of product {product_key} was replaced by "
                f"{gone.new_key!r} (replaceDevice on assetId {gone.asset_id}); the device must "
                "log in with the new deviceKey and deviceSecret",
            )
        if gone is not None:
            raise ConnectRefused(
                "deleted",
                f"device {device_key!r} of product {product_key} (assetId {gone.asset_id}) "
                "was deleted",
            )
        if product is None:
            raise ConnectRefused(
                "unknown", f"no product {product_key!r}; products: {list(state.products)[:10]}"
            )
        keys = [d.device_key for d in state.orgs[product.org_id].devices.values()]
        raise ConnectRefused(
            "unknown",
            f"product {product_key} has no device {device_key!r}; deviceKeys of its org: "
            f"{keys[:10] or 'none'}",
        )

    def _refuse_disabled(self, device: Device) -> None:
        if device.state is State.DISABLED:
            raise ConnectRefused(
                "disabled",
                f"device {device.device_key!r} (assetId {device.asset_id}) is disabled; "
                "enable it (action=enable) before it can log in",
            )

    def _login(self, device: Device) -> None:
        now_ms = int(self.platform.clock.now() * 1000)
        device.last_online_time = now_ms
        if device.state is State.REGISTERED:
            device.activated = True
            device.active_time = now_ms
            self._move(device, "bind", {"activeTime": now_ms})
        else:
            self._move(device, "connect")

    def export_state(self) -> dict[str, Any]:
        with self.platform.lock:
            return _persist.export_state(self.state)

    def import_state(self, data: dict[str, Any]) -> None:
        state = _persist.import_state(data)
        with self.platform.operation():
            previous, self.state = self.state, state
            try:
                self.check_invariants(None)
            except InvariantError as exc:
                self.state = previous
                raise UsageError(f"the EnOS state is inconsistent: {exc}") from None

    # =========================================================================================
    # Lifecycle moves and invariants
    # =========================================================================================
    def _move(self, device: Device, transition: str, data: dict[str, Any] | None = None) -> None:
        device.state = step(device.state, transition)
        payload: dict[str, Any] = {"status": STATUS[device.state], "deviceKey": device.device_key}
        if data:
            payload.update(data)
        self.platform.emit(FACE, transition, device.asset_id, payload)

    def _check(self, subject: str) -> None:
        if self.platform.settings.check_invariants:
            self.check_invariants((subject,))

    def check_invariants(self, subjects: Iterable[str] | None = None) -> None:
        state = self.state
        if subjects is None:
            listed = sum(len(o.devices) for o in state.orgs.values())
            keyed = sum(len(o.by_key) for o in state.orgs.values())
            owned = sum(len(p.devices) for p in state.products.values())
            if not len(state.devices) == listed == keyed == owned:
                raise InvariantError(
                    f"index sizes differ: {len(state.devices)} devices, {listed} in orgs, "
                    f"{keyed} deviceKeys, {owned} in products"
                )
            for product in state.products.values():
                owner = state.orgs.get(product.org_id)
                if owner is None or owner.products.get(product.product_key) is not product:
                    raise InvariantError(f"product {product.product_key} has no owning org")
            subjects = list(state.devices)
        for asset_id in subjects:
            device = state.devices.get(asset_id)
            if device is None:
                continue
            org = state.orgs.get(device.org_id)
            if org is None or org.devices.get(asset_id) is not device:
                raise InvariantError(f"device {asset_id} has no owning org")
            if org.by_key.get(device.device_key) is not device:
                raise InvariantError(f"deviceKey {device.device_key!r} does not lead to {asset_id}")
            listing = org.products.get(device.product_key)
            if listing is None or asset_id not in listing.devices:
                raise InvariantError(f"device {asset_id} is not listed by its product")
            if device.state not in STATUS:
                raise InvariantError(f"device {asset_id} is in state {device.state}")
            if device.activated != (device.active_time != 0):
                raise InvariantError(f"device {asset_id}: activated and activeTime disagree")
            if (device.state is State.REGISTERED and device.activated) or (
                device.state in (State.ONLINE, State.OFFLINE) and not device.activated
            ):
                raise InvariantError(
                    f"device {asset_id} is {device.status} but activated={device.activated}"
                )

    # =========================================================================================
    # Wire helpers
    # =========================================================================================
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

    def _ok(self, data: Any, route_name: str, **extra: Any) -> HttpResponse:
        payload = {"code": 0, "msg": "OK", "requestId": self._request_id(), "data": data}
        if extra:
            payload.update(extra)
        return HttpResponse.json(200, payload, route_name)

    def _ok_bytes(self, data: bytes, route_name: str) -> HttpResponse:
        """:meth:`_ok` for data already encoded: byte-identical to ``HttpResponse.json``."""
        body = b'{"code":0,"msg":"OK","requestId":"%s","data":%s}' % (
            self._request_id().encode(),
            data,
        )
        return HttpResponse(200, body, {"Content-Type": JSON_CONTENT_TYPE}, route_name)

    def _request_id(self) -> str:
        """A version-4 UUID from the seeded generator (cheaper than ``uuid.UUID``)."""
        h = self.platform.ids.hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"

    def _now_ms(self) -> int:
        return int(self.platform.clock.now() * 1000)

    def _org_of(self, org: Organization | str | None) -> Org:
        org_id = org.org_id if isinstance(org, Organization) else org
        found = self.state.orgs.get(org_id or "")
        if found is None:
            raise NotFoundError(f"no EnOS org {org_id!r}; orgs: {list(self.state.orgs)}")
        return found

    def _known(self, asset_id: str) -> Device:
        device = self.state.devices.get(asset_id)
        if device is None:
            raise NotFoundError(
                f"no device with assetId {asset_id!r}; assetIds: "
                f"{list(self.state.devices)[:10] or 'none'}"
            )
        return device

    # -- authentication (spec §6) ---------------------------------------------------------------
    def _caller(self, request: HttpRequest) -> Org:
        """The API gateway: authenticate the call, then scope it to ``?orgId=``."""
        org = self._authenticate(request)
        org_id = request.query.get("orgId")
        if not org_id:
            raise ApiError(E.ORG_MISSING, "every call needs ?orgId=")
        if org_id != org.org_id:
            if org_id in self.state.orgs:
                raise ApiError(E.DENIED, f"the keys belong to {org.org_id}", org_id=org_id)
            raise ApiError(E.ORG_NOT_EXIST, f"no org {org_id[:40]!r}")
        return org

    def _authenticate(self, request: HttpRequest) -> Org:
        headers = request.headers
        token = headers.get("apim-accesstoken")
        if not token:
            raise ApiError(E.UNAUTHORIZED, "no apim-accesstoken header")
        mode = self.platform.settings.enos_auth_mode
        state = self.state
        if "apim-signature" in headers or "apim-timestamp" in headers or token in state.tokens:
            if mode == "poseidon":
                raise ApiError(E.UNAUTHORIZED, "enos_auth_mode='poseidon' refuses signed calls")
            return self._check_signature(request, token)
        if mode == "signature":
            raise ApiError(E.UNAUTHORIZED, "enos_auth_mode='signature' needs apim-signature")
        return self._check_poseidon(token)

    def _check_signature(self, request: HttpRequest, token: str) -> Org:
        state = self.state
        entry = state.tokens.get(token)
        if entry is None:
            raise ApiError(E.UNAUTHORIZED, "unknown access token")
        now = self.platform.clock.now()
        if entry.expires <= now:
            raise ApiError(E.UNAUTHORIZED, "the access token expired")
        org = state.by_access_key.get(entry.app_key)
        if org is None:
            raise ApiError(E.UNAUTHORIZED, "the token's app no longer exists")
        headers = request.headers
        timestamp = headers.get("apim-timestamp", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 16):
            raise ApiError(E.UNAUTHORIZED, "apim-timestamp must be epoch milliseconds")
        window = self.platform.settings.enos_timestamp_window
        if abs(int(timestamp) / 1000 - now) > window:
            raise ApiError(E.UNAUTHORIZED, f"apim-timestamp is more than {window}s off")
        expected = sign(token, request.query, request.body, timestamp, org.secret_key)
        given = headers.get("apim-signature", "").lower().encode("utf-8", "replace")
        if not hmac.compare_digest(expected.encode(), given):
            raise ApiError(E.UNAUTHORIZED, "apim-signature does not match")
        return org

    def _check_poseidon(self, header: str) -> Org:
        state = self.state
        token = self.keys.decrypt(header)
        if token is None:
            if self.platform.settings.enos_poseidon_lenient and len(state.orgs) == 1:
                return next(iter(state.orgs.values()))
            raise ApiError(
                E.UNAUTHORIZED, "apim-accesstoken is not encrypted with this platform's key"
            )
        if not token.well_formed():
            raise ApiError(E.UNAUTHORIZED, "apim-accesstoken's pin or token is malformed")
        org = state.by_access_key.get(token.app_key)
        if org is None or not hmac.compare_digest(
            org.secret_key.encode(), token.app_secret.encode("utf-8", "replace")
        ):
            raise ApiError(E.UNAUTHORIZED, "unknown access key or wrong secret key")
        signal = org.poseidon_signal
        if signal is not None:
            if signal == 4011:
                if token.refresh != org.poseidon_refresh:
                    raise ApiError(
                        E.POSEIDON_ACCESS_EXPIRED, "token expired", refresh=org.poseidon_refresh
                    )
            else:
                org.poseidon_signal = None
                raise ApiError(E.POSEIDON_REFRESH_EXPIRED, "refresh token expired")
            org.poseidon_signal, org.poseidon_refresh = None, ""
        return org

    # -- request pieces ------------------------------------------------------------------------
    def _device(self, request: HttpRequest, org: Org, missing: EnosError) -> Device:
        """The device named by ``assetId`` or ``productKey``+``deviceKey`` (spec §2.8)."""
        query = request.query
        asset_id = query.get("assetId")
        if asset_id:
            device = org.devices.get(asset_id)
        else:
            product_key, device_key = query.get("productKey"), query.get("deviceKey")
            if not product_key or not device_key:
                raise ApiError(E.DEVICE_INFO_INVALID, "give assetId or productKey+deviceKey")
            device = org.by_key.get(device_key)
            if device is not None and device.product_key != product_key:
                device = None
        if device is None:
            raise ApiError(missing, "no such device in the org")
        return device

    def _product(self, request: HttpRequest, org: Org, missing: EnosError) -> Product:
        product_key = request.query.get("productKey")
        if not product_key:
            raise ApiError(E.INVALID_ARGUMENTS, "productKey is mandatory")
        product = org.products.get(product_key)
        if product is None:
            raise ApiError(missing, f"no product {product_key[:40]!r}")
        return product

    def _predicate(self, body: dict[str, Any], fields: Fields) -> Predicate | None:
        expression = body.get("expression")
        if expression is None or expression == "":
            return None
        if not isinstance(expression, str):
            raise v.bad("expression must be a string")
        cache_key = (fields.names, expression)
        predicate = self._expressions.get(cache_key)
        if predicate is None:
            try:
                predicate = compile_expression(expression, fields)
            except (ExpressionError, RecursionError) as exc:
                raise v.bad(f"expression: {exc}") from None
            if len(self._expressions) >= 256:
                self._expressions.clear()
            self._expressions[cache_key] = predicate
        return predicate

    def _new_id(self, taken: Mapping[str, object], length: int) -> str:
        ids = self.platform.ids
        while True:
            candidate = ids.alnum(length)
            if candidate not in taken:
                return candidate

    # =========================================================================================
    # Token service (spec §6.3)
    # =========================================================================================
    @route("POST", f"{TOKEN}/get", name="enos.token_get")
    def token_get(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Get an access token with appKey, timestamp and encryption (same token until expiry)."""
        org, _body = self._token_request(request, refresh=False)
        state = self.state
        now = self.platform.clock.now()
        current = state.token_by_app.get(org.access_key)
        entry = state.tokens.get(current) if current is not None else None
        if current is not None and entry is not None and entry.expires > now:
            return self._token_ok(current, int(entry.expires - now), "enos.token_get")
        return self._token_ok(
            self._issue(org, now), self.platform.settings.enos_token_ttl, "enos.token_get"
        )

    @route("POST", f"{TOKEN}/refresh", name="enos.token_refresh")
    def token_refresh(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Exchange a live access token (with the get-body fields) for a new one."""
        org, body = self._token_request(request, refresh=True)
        old = body["accessToken"]
        return self._token_ok(
            self._issue(org, self.platform.clock.now(), old),
            self.platform.settings.enos_token_ttl,
            "enos.token_refresh",
        )

    def _token_request(self, request: HttpRequest, *, refresh: bool) -> tuple[Org, dict[str, Any]]:
        if not request.body.strip():
            raise ApiError(E.TOKEN_PARAMETER_EMPTY, "no body")
        try:
            body = v.json_object(request.body)
        except ApiError:
            raise ApiError(E.TOKEN_INVALID_PARAMETER, "the body is not a JSON object") from None
        names = ("appKey", "encryption", "timestamp") + (("accessToken",) if refresh else ())
        for name in names:
            if body.get(name) in (None, ""):
                raise ApiError(E.TOKEN_PARAMETER_EMPTY, f"{name} is empty")
        app_key, encryption, raw_ts = body["appKey"], body["encryption"], body["timestamp"]
        if not isinstance(app_key, str) or not isinstance(encryption, str):
            raise ApiError(E.TOKEN_INVALID_PARAMETER, "appKey and encryption are strings")
        if refresh and not isinstance(body["accessToken"], str):
            raise ApiError(E.TOKEN_INVALID_PARAMETER, "accessToken is a string")
        if isinstance(raw_ts, int) and not isinstance(raw_ts, bool):
            timestamp = str(raw_ts)
        elif isinstance(raw_ts, str) and raw_ts.isascii() and raw_ts.isdigit():
            timestamp = raw_ts
        else:
            raise ApiError(E.TOKEN_INVALID_PARAMETER, "timestamp is epoch milliseconds")
        state = self.state
        org = state.by_access_key.get(app_key)
        if org is None:
            raise ApiError(E.TOKEN_APP_KEY_UNKNOWN, f"no appKey {app_key[:40]!r}")
        now = self.platform.clock.now()
        window = self.platform.settings.enos_timestamp_window
        if len(timestamp) > 16 or abs(int(timestamp) / 1000 - now) > window:
            raise ApiError(E.TOKEN_INVALID_PARAMETER, f"timestamp is more than {window}s off")
        expected = token_encryption(app_key, timestamp, org.secret_key)
        if not hmac.compare_digest(
            expected.encode(), encryption.lower().encode("utf-8", "replace")
        ):
            raise ApiError(E.TOKEN_ENCRYPTION_INVALID, "encryption does not match")
        order = state.encryptions
        horizon = now - 2 * window
        queue = state.encryption_order
        while queue and queue[0][0] < horizon:
            _when, old = queue.popleft()
            order.pop(old, None)
        if expected in order:
            raise ApiError(E.TOKEN_REPLAYED, "this encryption was used already")
        if refresh:
            entry = state.tokens.get(body["accessToken"])
            if entry is None or entry.app_key != app_key:
                raise ApiError(E.TOKEN_REFRESH_FAILED, "unknown access token")
            if entry.expires <= now:
                raise ApiError(E.TOKEN_EXPIRED, "the access token expired; get a new one")
        order[expected] = now
        queue.append((now, expected))
        return org, body

    def _issue(self, org: Org, now: float, old: str | None = None) -> str:
        state = self.state
        previous = state.token_by_app.get(org.access_key)
        if previous is not None:
            state.tokens.pop(previous, None)
        if old is not None:
            state.tokens.pop(old, None)
        token = self.platform.ids.uuid()
        state.tokens[token] = Token(org.access_key, now + self.platform.settings.enos_token_ttl)
        state.token_by_app[org.access_key] = token
        return token

    def _token_ok(self, token: str, expire: int, route_name: str) -> HttpResponse:
        return HttpResponse.json(
            200,
            {
                "status": 0,
                "msg": "SUCCESS",
                "business": "apim-token-service",
                "data": {"accessToken": token, "expire": expire},
            },
            route_name,
        )

    # =========================================================================================
    # Products (spec §3)
    # =========================================================================================
    @route(ANY, PRODUCTS, name="enos.create_product", versions=V21, query={"action": "create"})
    def create_product(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Create a product; ``data`` is the new productKey."""
        org = self._caller(request)
        body = v.json_object(request.body)
        name = v.req_i18n_name(body, "productName", forbidden=v.PRODUCT_NAME_FORBIDDEN)
        desc = v.opt_str(body, "productDesc", max_len=512)
        model_id = v.req_str(body, "modelId", max_len=256)
        data_format = v.req_enum(body, "dataFormat", ("Custom", "Json"))
        product_type = v.req_enum(body, "productType", ("Device", "Gateway"))
        bi_auth = v.req_bool(body, "biDirectionalAuth")
        dynamic = v.opt_bool(body, "dynamicActivateEnabled")
        tags = v.tags(body, "productTags")
        default_days = v.opt_int(body, "defaultValidDay", low=1)
        max_days = v.opt_int(body, "maxValidDay", low=1)
        state = self.state
        path = state.models.get(model_id)
        if path is None:
            if self.platform.settings.enos_strict_models:
                raise ApiError(E.MODEL_NOT_EXIST, f"no model {model_id!r} (enos_strict_models)")
            path = "/" + model_id
        product_key = self._new_id(state.products, 8)
        product = Product(
            org.org_id,
            product_key,
            self.platform.ids.alnum(16),
            model_id,
            path,
            self._now_ms(),
            org.access_key,
        )
        product.name, product.desc, product.tags = name, desc, tags
        product.data_format, product.product_type = data_format, product_type
        product.bi_directional_auth, product.dynamic_activate = bi_auth, bool(dynamic)
        product.default_valid_day, product.max_valid_day = default_days, max_days
        state.products[product_key] = product
        org.products[product_key] = product
        self.platform.emit(FACE, "create_product", product_key, {"modelId": model_id})
        return self._ok(product_key, "enos.create_product")

    @route(ANY, PRODUCTS, name="enos.get_product", versions=V21, query={"action": "get"})
    def get_product(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """One product, with its productSecret in clear text (v2.1)."""
        org = self._caller(request)
        product = self._product(request, org, E.PRODUCT_NOT_FOUND)
        return self._ok(product.wire(), "enos.get_product")

    @route(ANY, PRODUCTS, name="enos.search_product", versions=V21, query={"action": "search"})
    def search_product(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Products matching an expression, newest first, paged."""
        org = self._caller(request)
        body = v.json_object(request.body, empty_ok=True)
        predicate = self._predicate(body, PRODUCT_FIELDS)
        page_no, page_size = v.pagination(body)
        pool: Iterable[Product] = reversed(list(org.products.values()))
        if predicate is not None:
            pool = [p for p in pool if predicate(_product_view(p))]
        matching = list(pool)
        first = (page_no - 1) * page_size
        data = [p.wire() for p in matching[first : first + page_size]]
        return self._ok(
            data, "enos.search_product", pagination=_pagination(page_no, page_size, len(matching))
        )

    @route(ANY, PRODUCTS, name="enos.update_product", versions=V21, query={"action": "update"})
    def update_product(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Change a product's name, description, tags, auth flags (patch semantics)."""
        org = self._caller(request)
        product = self._product(request, org, E.PRODUCT_NOT_FOUND)
        body = v.json_object(request.body, empty_ok=True)
        name = v.i18n_name(body, "productName", forbidden=v.PRODUCT_NAME_FORBIDDEN)
        desc = v.opt_str(body, "productDesc", max_len=512)
        bi_auth = v.opt_bool(body, "biDirectionalAuth")
        dynamic = v.opt_bool(body, "dynamicActivateEnabled")
        tags = v.tags(body, "productTags")
        default_days = v.opt_int(body, "defaultValidDay", low=1)
        max_days = v.opt_int(body, "maxValidDay", low=1)
        if name is not None:
            product.name = name
        if desc is not None:
            product.desc = desc
        if bi_auth is not None:
            product.bi_directional_auth = bi_auth
        if dynamic is not None:
            product.dynamic_activate = dynamic
        if tags is not None:
            product.tags = tags
        if default_days is not None:
            product.default_valid_day = default_days
        if max_days is not None:
            product.max_valid_day = max_days
        product.update_time = self._now_ms()
        product.update_by = org.access_key
        self.platform.emit(FACE, "update_product", product.product_key, {})
        return self._ok(product.product_key, "enos.update_product")

    @route(ANY, PRODUCTS, name="enos.delete_product", versions=V21, query={"action": "delete"})
    def delete_product(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Delete a product that has no devices."""
        org = self._caller(request)
        product = self._product(request, org, E.NOT_FOUND)
        if product.devices:
            raise ApiError(E.PRODUCT_HAS_DEVICES, f"{len(product.devices)} devices remain")
        del org.products[product.product_key]
        del self.state.products[product.product_key]
        self.platform.emit(FACE, "delete_product", product.product_key, {})
        return self._ok(product.product_key, "enos.delete_product")

    @route(ANY, PRODUCTS, name="enos.product_action_unknown", versions=V21)
    def product_action_unknown(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """A missing or unknown ``action`` on products: 99400."""
        self._caller(request)
        return self._unknown_action(request)

    def _unknown_action(self, request: HttpRequest) -> HttpResponse:
        action = request.query.get("action")
        if not action:
            raise ApiError(E.ACTION_MISSING, "no ?action=")
        shown = action[:64].encode("utf-8", "replace").decode("utf-8")
        raise ApiError(E.ACTION_UNKNOWN, "unknown action", action=shown)

    # =========================================================================================
    # Devices (spec §4)
    # =========================================================================================
    def _create_option(self, body: Any) -> _CreateOption:
        if not isinstance(body, dict):
            raise v.bad("a create option must be an object")
        product_key = v.req_str(body, "productKey", max_len=64)
        name = v.req_i18n_name(body, "deviceName")
        tz = v.req_timezone(body)
        attributes = v.attributes(body)
        raw_key = body.get("deviceKey")
        device_key = None if raw_key is None else v.device_key(raw_key, "deviceKey")
        desc = v.opt_str(body, "deviceDesc", max_len=1024)
        tags = v.tags(body, "deviceTags")
        return _CreateOption(product_key, name, tz, device_key, desc, attributes or {}, tags or {})

    def _create_device(self, org: Org, option: _CreateOption) -> dict[str, Any]:
        product = org.products.get(option.product_key)
        if product is None:
            raise v.bad(f"no product {option.product_key[:40]!r} in the org")
        limits = self.limits
        if (
            len(product.devices) >= limits.max_devices_per_product
            or len(org.devices) >= limits.max_devices_per_org
        ):
            raise ApiError(E.EXCEED_MAX_DEVICES, "device limit reached")
        state = self.state
        device_key = option.device_key
        if device_key is not None:
            if device_key in org.by_key:
                raise ApiError(E.DEVICE_KEY_EXISTED, f"deviceKey {device_key!r} exists")
        else:
            device_key = self._new_id(org.by_key, 10)
        ids = self.platform.ids
        asset_id = self._new_id(state.devices, 8)
        state.device_seq += 1
        device = Device(
            org.org_id,
            asset_id,
            product.product_key,
            device_key,
            ids.alnum(20),
            self._now_ms(),
            state.device_seq,
        )
        device.name, device.timezone, device.desc = option.name, option.timezone, option.desc
        device.attributes, device.tags = dict(option.attributes), dict(option.tags)
        state.devices[asset_id] = device
        org.devices[asset_id] = device
        org.by_key[device_key] = device
        product.devices.add(asset_id)
        state.gone.pop((product.product_key, device_key), None)
        device.state = step(None, "register")
        self.platform.emit(
            FACE,
            "register",
            asset_id,
            {"status": "inactive", "deviceKey": device_key, "productKey": product.product_key},
        )
        return {
            "assetId": asset_id,
            "productKey": product.product_key,
            "deviceKey": device_key,
            "deviceSecret": device.device_secret,
        }

    @route(ANY, DEVICES, name="enos.create_device", versions=V21, query={"action": "create"})
    def create_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Create a device (inactive); ``data`` has assetId, deviceKey and deviceSecret."""
        org = self._caller(request)
        option = self._create_option(v.json_object(request.body))
        return self._ok(self._create_device(org, option), "enos.create_device")

    @route(
        ANY,
        DEVICES,
        name="enos.batch_create_devices",
        versions=BATCH_VERSIONS,
        query={"action": "batchCreate"},
    )
    def batch_create_devices(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Create up to 1,000 devices; each item succeeds or fails on its own."""
        org = self._caller(request)
        body = v.json_object(request.body)
        items = body.get("deviceList")
        if not isinstance(items, list):
            raise v.bad("deviceList must be a list")
        if len(items) > self.limits.max_batch_size:
            raise v.bad(f"deviceList holds more than {self.limits.max_batch_size} devices")
        results = []
        success = 0
        for item in items:
            try:
                created = self._create_device(org, self._create_option(item))
            except ApiError as error:
                member = error.error
                row = member.value if isinstance(member, EnosError) else E.INVALID_ARGUMENTS.value
                results.append({"code": -1, "msg": row.msg, "data": None})
            else:
                success += 1
                results.append({"code": 0, "msg": "OK", "data": created})
        return self._ok(
            results, "enos.batch_create_devices", successSize=success, totalSize=len(items)
        )

    @route(ANY, DEVICES, name="enos.get_device", versions=V21, query={"action": "get"})
    def get_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """One device, by assetId or productKey+deviceKey."""
        org = self._caller(request)
        device = self._device(request, org, E.DEVICE_NOT_FOUND)
        return self._ok_bytes(
            device.wire_bytes(org.products[device.product_key]), "enos.get_device"
        )

    @route(ANY, DEVICES, name="enos.search_device", versions=V21, query={"action": "search"})
    def search_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Devices matching an expression, newest first, paged, optionally projected."""
        org = self._caller(request)
        body = v.json_object(request.body, empty_ok=True)
        predicate = self._predicate(body, DEVICE_FIELDS)
        page_no, page_size = v.pagination(body)
        paths = v.projection(body)
        products = org.products
        pool: Iterable[Device] = reversed(list(org.devices.values()))
        if predicate is not None:
            pool = [d for d in pool if predicate(_device_view(d, products[d.product_key]))]
        matching = list(pool)
        first = (page_no - 1) * page_size
        data = [d.wire(products[d.product_key]) for d in matching[first : first + page_size]]
        if paths is not None:
            data = [project(item, paths) for item in data]
        return self._ok(
            data, "enos.search_device", pagination=_pagination(page_no, page_size, len(matching))
        )

    @route(ANY, DEVICES, name="enos.update_device", versions=V21, query={"action": "update"})
    def update_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Update a device: patch (default) or full (``isPatchUpdate=false``)."""
        org = self._caller(request)
        device = self._device(request, org, E.DEVICE_NOT_FOUND)
        patch = v.query_bool(request.query, "isPatchUpdate", True)
        body = v.json_object(request.body, empty_ok=patch)
        name = v.i18n_name(body, "deviceName")
        tz = v.timezone(body)
        if not patch and (name is None or tz is None):
            raise v.bad("a full update (isPatchUpdate=false) needs deviceName and timezone")
        attributes = v.attributes(body)
        tags = v.tags(body, "deviceTags")
        desc = v.opt_str(body, "deviceDesc", max_len=1024)
        changed: list[str] = []
        if patch:
            if name is not None:
                device.name = name
                changed.append("deviceName")
            if tz is not None:
                device.timezone = tz
                changed.append("timezone")
            if attributes is not None:
                device.attributes = attributes
                changed.append("deviceAttributes")
            if tags is not None:
                device.tags = tags
                changed.append("deviceTags")
            if desc is not None:
                device.desc = desc
                changed.append("deviceDesc")
        else:
            device.name = name or device.name
            device.timezone = tz or device.timezone
            device.desc = desc
            device.attributes, device.tags = attributes or {}, tags or {}
            changed = ["deviceName", "timezone", "deviceAttributes", "deviceTags", "deviceDesc"]
        self.platform.emit(FACE, "update", device.asset_id, {"fields": changed, "patch": patch})
        return self._ok(None, "enos.update_device")

    @route(ANY, DEVICES, name="enos.delete_device", versions=V21, query={"action": "delete"})
    def delete_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Delete a device; its assetId no longer resolves and its key no longer logs in."""
        org = self._caller(request)
        device = self._device(request, org, E.DEVICE_NOT_FOUND)
        state = self.state
        device.state = step(device.state, "delete")
        del state.devices[device.asset_id]
        del org.devices[device.asset_id]
        del org.by_key[device.device_key]
        org.products[device.product_key].devices.discard(device.asset_id)
        now = self.platform.clock.now()
        state.bury((device.product_key, device.device_key), Gone(device.asset_id, "deleted", now))
        self.platform.emit(
            FACE, "delete", device.asset_id, {"status": "deleted", "deviceKey": device.device_key}
        )
        return self._ok(None, "enos.delete_device")

    @route(ANY, DEVICES, name="enos.enable_device", versions=V21, query={"action": "enable"})
    def enable_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Enable a disabled device: back to inactive, or offline if it was ever activated."""
        org = self._caller(request)
        device = self._device(request, org, E.ENABLE_NOT_FOUND)
        if device.state is not State.DISABLED:
            conflict = {
                State.REGISTERED: E.ENABLE_INACTIVE,
                State.OFFLINE: E.ENABLE_OFFLINE,
            }.get(device.state, E.ENABLE_ONLINE)
            raise ApiError(conflict, f"device is {device.status}, not disabled")
        self._move(device, "enable" if device.activated else "enable_inactive")
        return self._ok(None, "enos.enable_device")

    @route(ANY, DEVICES, name="enos.disable_device", versions=V21, query={"action": "disable"})
    def disable_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Disable a device: it is kicked off if online and refused at login until enabled."""
        org = self._caller(request)
        device = self._device(request, org, E.DEVICE_NOT_FOUND)
        if device.state is State.DISABLED:
            raise ApiError(E.DISABLE_DISABLED, "already disabled")
        if device.state is State.ONLINE:
            device.last_offline_time = self._now_ms()
        self._move(device, "disable")
        return self._ok(None, "enos.disable_device")

    @route(
        ANY, DEVICES, name="enos.replace_device", versions=V21, query={"action": "replaceDevice"}
    )
    def replace_device(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Give a device a new deviceKey and secret; same assetId, back to inactive."""
        org = self._caller(request)
        device = self._device(request, org, E.INVALID_ARGUMENTS)
        body = v.json_object(request.body)
        raw = body.get("newDeviceKey")
        if raw is None:
            raise v.bad("newDeviceKey is mandatory")
        new_key = v.device_key(raw, "newDeviceKey", limit_special=True)
        if new_key == device.device_key:
            raise ApiError(E.DEVICE_KEY_REPETITIVE, "the new key is the current key")
        if new_key in org.by_key:
            raise ApiError(E.DEVICE_KEY_EXISTED, f"deviceKey {new_key!r} exists")
        now = self.platform.clock.now()
        old_key = device.device_key
        if device.state is State.ONLINE:
            device.last_offline_time = int(now * 1000)
            self._move(device, "disconnect", {"reason": "replaced"})
        del org.by_key[old_key]
        org.by_key[new_key] = device
        device.device_key = new_key
        device.device_secret = self.platform.ids.alnum(20)
        device.activated = False
        device.active_time = 0
        self.state.bury(
            (device.product_key, old_key), Gone(device.asset_id, "replaced", now, new_key)
        )
        self.state.gone.pop((device.product_key, new_key), None)
        if device.state is State.DISABLED:
            self.platform.emit(
                FACE,
                "replace_key",
                device.asset_id,
                {"status": "disable", "deviceKey": new_key, "oldDeviceKey": old_key},
            )
        else:
            self._move(device, "rekey", {"oldDeviceKey": old_key})
        return self._ok(
            {
                "assetId": device.asset_id,
                "productKey": device.product_key,
                "deviceKey": new_key,
                "deviceSecret": device.device_secret,
            },
            "enos.replace_device",
        )

    @route(ANY, DEVICES, name="enos.get_device_stats", versions=V21, query={"action": "getStats"})
    def get_device_stats(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """Device counts by status, of the org or of one product (``productKey``)."""
        org = self._caller(request)
        if request.query.get("productKey"):
            product = self._product(request, org, E.PRODUCT_NOT_FOUND)
            pool: Iterable[Device] = (org.devices[a] for a in product.devices)
        else:
            pool = org.devices.values()
        counts = dict.fromkeys(STATUS.values(), 0)
        total = 0
        for device in pool:
            counts[STATUS[device.state]] += 1
            total += 1
        return self._ok(
            {
                "totalCount": total,
                "onlineCount": counts["online"],
                "offlineCount": counts["offline"],
                "inactiveCount": counts["inactive"],
                "disabledCount": counts["disable"],
            },
            "enos.get_device_stats",
        )

    @route(ANY, DEVICES, name="enos.device_action_unknown", versions=V21)
    def device_action_unknown(self, request: HttpRequest, params: dict[str, str]) -> HttpResponse:
        """A missing or unknown ``action`` on devices: 99400."""
        self._caller(request)
        return self._unknown_action(request)

    # -- serve layer: the state store and the dashboard (fakeiot/serve) -------------------------
    #: device-side methods the dashboard's buttons may call (``overview()`` rows name them)
    dashboard_actions: ClassVar[tuple[str, ...]] = ("login_device", "logout_device")

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
                    "cells": [d.asset_id, d.product_key, d.device_key, d.status],
                    "status": d.status,
                    "actions": actions,
                }
            )
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
                    "columns": ["assetId", "productKey", "deviceKey", "status"],
                    "rows": devices,
                    "empty": "no devices",
                },
            ],
        }


def _pagination(page_no: int, page_size: int, total: int) -> dict[str, Any]:
    return {"sortedBy": None, "pageNo": page_no, "pageSize": page_size, "totalSize": total}
