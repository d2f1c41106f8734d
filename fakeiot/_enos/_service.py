"""EnOS's domain operations on typed arguments, shared by the routes, the Python API of
``platform.enos`` and (later) the MQTT front.

Nothing here reads a request: the routes parse and validate their input
(:mod:`fakeiot._enos._schemas`) and call these methods, which change the state, emit events and
raise the vendor's errors. Tests call the public ones directly (``create_org``,
``create_product``, ``login_device``...).
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._errors import ApiError, ConnectRefused, InvariantError, NotFoundError, UsageError
from .._face import Face
from .._lifecycle import State, step
from .._schema import parse_object
from . import _persist
from ._auth import KeyPair
from ._errors import EnosError, bad
from ._model import (
    STATUS,
    Device,
    DeviceView,
    EnosState,
    Gone,
    Limits,
    Org,
    Organization,
    Product,
    ProductView,
    Token,
    product_view,
    view,
)
from ._schemas import CreateOption, CreateProduct, DeviceCall, DeviceKeys, DeviceStatsAnswer
from ._search import ExpressionError, Fields, Predicate, compile_expression

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .._face import Host

E = EnosError
FACE = "enos"

#: the UUID variant digit (8, 9, a or b) for each hex digit drawn in its place.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


@contextlib.contextmanager
def _arranging(what: str) -> Iterator[None]:
    """Turn the vendor error a set-up call would get over HTTP into a :class:`UsageError`."""
    try:
        yield
    except ApiError as error:
        member = error.error
        code = member.value.code if isinstance(member, EnosError) else "?"
        raise UsageError(
            f"{what}: the API would answer {code} ({member.name}): {error.detail}"
        ) from None


class EnosService(Face):
    """The EnOS state and every operation on it; the face composes it with its routes."""

    def __init__(self, platform: Host) -> None:
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

    def create_model(
        self,
        model_id: str,
        *,
        org: Organization | str | None = None,
        parent: str | None = None,
    ) -> str:
        """Declare a thing model of ``org`` (needed with ``enos_strict_models``); returns its
        modelIdPath. Models belong to an organization (spec §3.1): other orgs do not see it.
        Without ``org`` the model is shared by every org (a convenience of the fake).

        ``parent`` is a model declared earlier: the path becomes ``<parent path>/<model_id>``.
        """
        if not model_id or not isinstance(model_id, str):
            raise UsageError("create_model needs a non-empty modelId")
        with self.platform.operation():
            shared = self.state.models
            models = self._org_of(org).models if org is not None else shared
            parent_path = None
            if parent is not None:
                parent_path = models.get(parent, shared.get(parent))
                if parent_path is None:
                    raise NotFoundError(
                        f"no model {parent!r} to derive from; models: {list(models)}"
                    )
            path = (parent_path or "") + "/" + model_id
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

    def create_product(
        self,
        org: Organization | str,
        *,
        name: str = "Product",
        model_id: str = "model",
        data_format: str = "Json",
        product_type: str = "Device",
        bi_directional_auth: bool = False,
        dynamic_activate: bool = False,
        desc: str | None = None,
        tags: dict[str, str] | None = None,
        i18n: dict[str, str] | None = None,
    ) -> ProductView:
        """Create a product in ``org`` as ``?action=create`` would (same checks, same event).

        Raises :class:`UsageError` naming the field for what the API would answer 99400 to.
        """
        body = {
            "orgId": "-",
            "productName": {"defaultValue": name, "i18nValue": i18n},
            "productDesc": desc,
            "modelId": model_id,
            "dataFormat": data_format,
            "productType": product_type,
            "biDirectionalAuth": bi_directional_auth,
            "dynamicActivateEnabled": dynamic_activate,
            "productTags": tags,
        }
        with self.platform.operation(), _arranging("create_product"):
            found = self._org_of(org)
            req = parse_object(CreateProduct, body, self.invalid)
            product_key = self._new_product(
                found,
                req.product_name.wire(),
                model_id=req.model_id,
                data_format=req.data_format,
                product_type=req.product_type,
                bi_directional_auth=req.bi_directional_auth,
                dynamic_activate=bool(req.dynamic_activate_enabled),
                desc=req.product_desc,
                tags=req.product_tags,
                default_valid_day=None,
                max_valid_day=None,
            )
            return product_view(self.state.products[product_key])

    def create_device(
        self,
        org: Organization | str,
        product_key: str,
        *,
        device_key: str | None = None,
        name: str = "device",
        timezone: str = "+08:00",
        desc: str | None = None,
        attributes: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        i18n: dict[str, str] | None = None,
    ) -> DeviceView:
        """Create an inactive device as ``?action=create`` would; the view carries its
        ``asset_id`` and ``device_secret`` (``device_key`` is generated when not given)."""
        body = {
            "productKey": product_key,
            "deviceName": {"defaultValue": name, "i18nValue": i18n},
            "timezone": timezone,
            "deviceAttributes": attributes,
            "deviceKey": device_key,
            "deviceDesc": desc,
            "deviceTags": tags,
        }
        with self.platform.operation(), _arranging("create_device"):
            found = self._org_of(org)
            option = parse_object(CreateOption, body, self.invalid)
            created = self._new_device(found, option)
            self._check(created["assetId"])
            return view(self.state.devices[created["assetId"]])

    def product(self, product_key: str) -> ProductView:
        """The product as the platform holds it now."""
        with self.platform.operation():
            found = self.state.products.get(product_key)
            if found is None:
                raise NotFoundError(
                    f"no product {product_key!r}; products: {list(self.state.products)[:10]}"
                )
            return product_view(found)

    def device(self, key: str, device_key: str | None = None) -> DeviceView:
        """The device as the platform holds it now: ``device(asset_id)`` or
        ``device(product_key, device_key)``."""
        with self.platform.operation():
            if device_key is None:
                return view(self._known(key))
            product = self.state.products.get(key)
            device = None
            if product is not None:
                device = self.state.orgs[product.org_id].by_key.get(device_key)
            if device is None or device.product_key != key:
                raise NotFoundError(f"no device {device_key!r} in product {key!r}")
            return view(device)

    def devices(self, org: Organization | str | None = None) -> list[DeviceView]:
        """Every device, or those of ``org``, in creation order."""
        with self.platform.operation():
            pool = self._org_of(org).devices if org is not None else self.state.devices
            return [view(d) for d in pool.values()]

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
            return view(device)

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
            return view(device)

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
            return view(device)

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
    # Helpers
    # =========================================================================================
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

    # -- request pieces ------------------------------------------------------------------------
    def _device(
        self,
        org: Org,
        ref: DeviceCall,
        missing: EnosError,
    ) -> Device:
        """The device named by ``assetId`` or ``productKey``+``deviceKey`` (spec §2.8)."""
        if ref.asset_id:
            device = org.devices.get(ref.asset_id)
        else:
            product_key, device_key = ref.product_key, ref.device_key
            if not product_key or not device_key:
                raise ApiError(E.DEVICE_INFO_INVALID, "give assetId or productKey+deviceKey")
            device = org.by_key.get(device_key)
            if device is not None and device.product_key != product_key:
                device = None
        if device is None:
            raise ApiError(missing, "no such device in the org")
        return device

    def _product(self, org: Org, product_key: str, missing: EnosError) -> Product:
        product = org.products.get(product_key)
        if product is None:
            raise ApiError(missing, f"no product {product_key[:40]!r}")
        return product

    def _predicate(self, expression: str | None, fields: Fields) -> Predicate | None:
        if not expression:
            return None
        cache_key = (fields.names, expression)
        predicate = self._expressions.get(cache_key)
        if predicate is None:
            try:
                predicate = compile_expression(expression, fields)
            except (ExpressionError, RecursionError) as exc:
                raise bad(f"expression: {exc}") from None
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
    # Domain operations (the routes' work, on typed arguments)
    # =========================================================================================
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

    def _new_product(
        self,
        org: Org,
        name: dict[str, Any],
        *,
        model_id: str,
        data_format: str,
        product_type: str,
        bi_directional_auth: bool,
        dynamic_activate: bool,
        desc: str | None,
        tags: dict[str, str] | None,
        default_valid_day: int | None,
        max_valid_day: int | None,
    ) -> str:
        """Create a product (the domain operation); returns its productKey."""
        state = self.state
        path = org.models.get(model_id) or state.models.get(model_id)
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
        product.bi_directional_auth, product.dynamic_activate = (
            bi_directional_auth,
            dynamic_activate,
        )
        product.default_valid_day, product.max_valid_day = default_valid_day, max_valid_day
        state.products[product_key] = product
        org.products[product_key] = product
        self.platform.emit(FACE, "create_product", product_key, {"modelId": model_id})
        return product_key

    def _new_device(self, org: Org, option: CreateOption) -> DeviceKeys:
        """Create a device (the domain operation): inactive, with a new secret."""
        product = org.products.get(option.product_key)
        if product is None:
            raise bad(f"no product {option.product_key[:40]!r} in the org")
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
        device.name, device.timezone = option.device_name.wire(), option.timezone
        device.desc = option.device_desc
        device.attributes = dict(option.device_attributes or {})
        device.tags = dict(option.device_tags or {})
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

    def _patch_device(
        self,
        device: Device,
        *,
        patch: bool,
        name: dict[str, Any] | None,
        timezone: str | None,
        attributes: dict[str, Any] | None,
        tags: dict[str, str] | None,
        desc: str | None,
    ) -> None:
        """Patch a device (only what is given changes) or replace all its fields."""
        if not patch and (name is None or timezone is None):
            raise bad("a full update (isPatchUpdate=false) needs deviceName and timezone")
        changed: list[str] = []
        if patch:
            if name is not None:
                device.name = name
                changed.append("deviceName")
            if timezone is not None:
                device.timezone = timezone
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
            device.timezone = timezone or device.timezone
            device.desc = desc
            device.attributes, device.tags = attributes or {}, tags or {}
            changed = ["deviceName", "timezone", "deviceAttributes", "deviceTags", "deviceDesc"]
        self.platform.emit(FACE, "update", device.asset_id, {"fields": changed, "patch": patch})

    def _remove_device(self, org: Org, device: Device) -> None:
        """Delete a device; its assetId no longer resolves and its key no longer logs in."""
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

    def _enable(self, device: Device) -> None:
        """Enable a disabled device: back to inactive, or offline if it was ever activated."""
        if device.state is not State.DISABLED:
            conflict = {
                State.REGISTERED: E.ENABLE_INACTIVE,
                State.OFFLINE: E.ENABLE_OFFLINE,
            }.get(device.state, E.ENABLE_ONLINE)
            raise ApiError(conflict, f"device is {device.status}, not disabled")
        self._move(device, "enable" if device.activated else "enable_inactive")

    def _disable(self, device: Device) -> None:
        """Disable a device: it is kicked off if online and refused at login until enabled."""
        if device.state is State.DISABLED:
            raise ApiError(E.DISABLE_DISABLED, "already disabled")
        if device.state is State.ONLINE:
            device.last_offline_time = self._now_ms()
        self._move(device, "disable")

    def _rekey(self, org: Org, device: Device, new_key: str) -> DeviceKeys:
        """Give a device a new deviceKey and secret; same assetId, back to inactive."""
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
        # "reset to non-activated" (the seed): it reads as a device that never logged in
        device.last_online_time = device.last_offline_time = 0
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
        return {
            "assetId": device.asset_id,
            "productKey": device.product_key,
            "deviceKey": new_key,
            "deviceSecret": device.device_secret,
        }

    def _count_devices(self, org: Org, product: Product | None) -> DeviceStatsAnswer:
        """Device counts by status, of the org or of one product."""
        pool: Iterable[Device]
        if product is not None:
            pool = (org.devices[a] for a in product.devices)
        else:
            pool = org.devices.values()
        counts = dict.fromkeys(STATUS.values(), 0)
        total = 0
        for device in pool:
            counts[STATUS[device.state]] += 1
            total += 1
        return {
            "totalCount": total,
            "onlineCount": counts["online"],
            "offlineCount": counts["offline"],
            "inactiveCount": counts["inactive"],
            "disabledCount": counts["disable"],
        }

    def _patch_product(
        self,
        org: Org,
        product: Product,
        *,
        name: dict[str, Any] | None = None,
        desc: str | None = None,
        bi_directional_auth: bool | None = None,
        dynamic_activate: bool | None = None,
        tags: dict[str, str] | None = None,
        default_valid_day: int | None = None,
        max_valid_day: int | None = None,
    ) -> None:
        """Patch a product: only the fields given change."""
        if name is not None:
            product.name = name
        if desc is not None:
            product.desc = desc
        if bi_directional_auth is not None:
            product.bi_directional_auth = bi_directional_auth
        if dynamic_activate is not None:
            product.dynamic_activate = dynamic_activate
        if tags is not None:
            product.tags = tags
        if default_valid_day is not None:
            product.default_valid_day = default_valid_day
        if max_valid_day is not None:
            product.max_valid_day = max_valid_day
        product.update_time = self._now_ms()
        product.update_by = org.access_key
        self.platform.emit(FACE, "update_product", product.product_key, {})

    def _remove_product(self, org: Org, product: Product) -> None:
        """Delete a product that has no devices."""
        if product.devices:
            raise ApiError(E.PRODUCT_HAS_DEVICES, f"{len(product.devices)} devices remain")
        del org.products[product.product_key]
        del self.state.products[product.product_key]
        self.platform.emit(FACE, "delete_product", product.product_key, {})
