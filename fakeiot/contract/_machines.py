"""The contract machines of each face."""

from __future__ import annotations

import contextlib
from functools import partial
from typing import ClassVar

import requests
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    initialize,
    invariant,
    precondition,
    rule,
)

from .. import strategies
from .._clock import ManualClock
from .._enos import EnosError, Organization
from .._iotda import ProjectKeys
from .._oceanconnect import Application, OcError
from .._platform import Platform
from ._clients import (
    EnosClient,
    HttpEnosClient,
    HttpIotdaClient,
    HttpOceanConnectClient,
    IotdaClient,
    OceanConnectClient,
)
from ._common import ENOS_URL, FIELDS, IOTDA_URL, WIDE_TIMESTAMP_WINDOW
from ._machine import Contract, _Abandoned, _step
from ._models import (
    ModelDevice,
    ModelEnosCommand,
    ModelEnosCommands,
    ModelEnosDevice,
    ModelIotdaDevice,
    ModelOcCommand,
)
from ._target import _refusal


class OceanConnectContract(Contract):
    """Random legal OceanConnect histories; override :meth:`make_client` for your client."""

    node_ids = strategies.node_ids()
    #: the access-token lifetime a target is expected to announce (documented: 3600 s).
    token_ttl: ClassVar[int] = 3600

    def __init__(self) -> None:
        super().__init__()
        if self.platform is not None:
            oc = self.platform.oceanconnect
            self.app = oc.create_app()
            reader_app = oc.create_app()
            oc.authorize(owner=self.app, grantee=reader_app)
            #: fakeiot's own view over HTTP, as an authorised second application.
            self.wire = HttpOceanConnectClient(
                self.url, reader_app.app_id, reader_app.secret, acting_for=self.app.app_id
            )
        else:
            assert self.remote is not None
            if not (self.remote.app_id and self.remote.secret):
                raise ValueError("an OceanConnect target needs app_id and secret")
            self.app = Application(self.remote.app_id, self.remote.secret, "target")
            self.wire = HttpOceanConnectClient(self.url, self.app.app_id, self.app.secret)
        self.client: OceanConnectClient = self.make_client(self.url, self.app)
        self.model: dict[str, ModelDevice] = {}
        #: devices this run deleted or saw expire: they must stay gone.
        self.gone: list[str] = []
        #: commands per deviceId, oldest first (sent by fakeiot's own client, answered by the
        #: default simulated device, which acknowledges every command at once)
        self.commands: dict[str, dict[str, ModelOcCommand]] = {}

    def make_client(self, base_url: str, app: Application) -> OceanConnectClient:
        """Your client, talking to ``base_url`` as application ``app``."""
        return HttpOceanConnectClient(base_url, app.app_id, app.secret)

    def teardown(self) -> None:
        if self.remote is not None:  # leave the tenant as it was
            for device_id in self.model:
                with contextlib.suppress(Exception):
                    self.wire.delete(device_id)
        super().teardown()

    devices = Bundle("devices")

    def _node_free(self, node_id: str) -> bool:
        return all(d.node_id != node_id for d in self.model.values())

    def _forget(self, device_id: str) -> None:
        del self.model[device_id]
        self.commands.pop(device_id, None)
        self.gone = [*self.gone[-9:], device_id]

    def _expire(self) -> None:
        """Unbound registrations whose verify code has expired are deleted."""
        now = self.side.now()
        for device_id, device in list(self.model.items()):
            if not device.activated and device.deadline is not None and device.deadline <= now:
                self._forget(device_id)

    # -- the client's moves ---------------------------------------------------------------------
    @initialize(target=devices, node_id=node_ids, timeout=st.sampled_from([0, 60, 600]))
    @_step(default="")
    def first_registration(self, node_id: str, timeout: int) -> str:
        """Every run starts with a device, so rules on devices have one from the first step."""
        return self._register(node_id, timeout)

    @rule(target=devices, node_id=node_ids, timeout=st.sampled_from([0, 60, 600]))
    @_step(default="")
    def register(self, node_id: str, timeout: int) -> str:
        return self._register(node_id, timeout)

    def _register(self, node_id: str, timeout: int) -> str:
        if not self._node_free(node_id):
            return ""
        device_id = self.call("register", lambda: self.client.register(node_id, timeout=timeout))
        deadline = self.side.now() + timeout if timeout else None
        self.model[device_id] = ModelDevice(node_id, deadline)
        return device_id

    @rule(device_id=devices, node_id=node_ids)
    @_step()
    def refresh_key(self, device_id: str, node_id: str) -> None:
        device = self.model.get(device_id)
        if device is None or not device.activated or device.online:
            return
        if not self._node_free(node_id):
            node_id = device.node_id
        code = self.call("refresh key", lambda: self.client.refresh_key(device_id, node_id=node_id))
        self.expect("the client", "verify code returned by refresh key", node_id, code)
        device.node_id = node_id
        device.deadline = None

    @rule(device_id=devices)
    @_step()
    def delete(self, device_id: str) -> None:
        if device_id in self.model:
            self.call("delete", lambda: self.client.delete(device_id))
            self._forget(device_id)

    @precondition(lambda self: self.device_side())
    @rule(
        node_id=node_ids,
        error=st.sampled_from([OcError.INTERNAL_ERROR.name, OcError.THROTTLED.name]),
    )
    @_step()
    def register_during_a_fault(self, node_id: str, error: str) -> None:
        """The next registration meets a fault: the client recovers or raises; either way the
        platform and the model must still agree."""
        if not self._node_free(node_id):
            return
        with self.side.fault("oceanconnect.register_device", error):
            try:
                device_id = self.client.register(node_id, timeout=0)
            except Exception:
                return
        self.model[device_id] = ModelDevice(node_id, None)

    @rule()
    @_step()
    def token_is_superseded(self) -> None:
        """Another process logs in as the same application: the client's token dies. The
        login's ``expiresIn`` is the documented token lifetime."""
        login = f"{self.url}/iocm/app/sec/v1.1.0/login"
        answer = requests.post(
            login, data={"appId": self.app.app_id, "secret": self.app.secret}, timeout=10
        )
        ttl = self.platform.settings.token_ttl if self.platform is not None else self.token_ttl
        self.expect("the platform", "expiresIn of a login", ttl, answer.json().get("expiresIn"))

    # -- the platform's moves -------------------------------------------------------------------
    @precondition(lambda self: self.device_side())
    @rule(device_id=devices)
    @_step()
    def device_connects(self, device_id: str) -> None:
        device = self.model.get(device_id)
        if device is None:
            return
        reason = _refusal(self.side.oc_connect, device.node_id)
        if self.expect(
            "the platform", "refusal of the connection", None, reason, of=device.node_id
        ):
            device.activated = device.online = True
            device.deadline = None
            self._deliver(device_id)

    @precondition(lambda self: self.device_side())
    @rule(device_id=devices)
    @_step()
    def device_reports_in_briefly(self, device_id: str) -> None:
        """A short-connection device connects and goes away again (activated, offline)."""
        device = self.model.get(device_id)
        if device is None or device.online:
            return
        reason = _refusal(self.side.oc_connect, device.node_id)
        if self.expect(
            "the platform", "refusal of the connection", None, reason, of=device.node_id
        ):
            self._deliver(device_id)  # what waited went out while it was connected
            self.side.oc_disconnect(device_id)
            device.activated, device.deadline = True, None

    @precondition(lambda self: self.device_side())
    @rule(device_id=devices)
    @_step()
    def device_disconnects(self, device_id: str) -> None:
        device = self.model.get(device_id)
        if device is not None and device.online:
            self.side.oc_disconnect(device_id)
            device.online = False

    @precondition(lambda self: self.time_travel())
    @rule(seconds=st.sampled_from([30, 61, 601]))
    @_step()
    def time_passes(self, seconds: int) -> None:
        self.side.advance(seconds)
        self._expire()
        self._expire_commands()

    # -- commands (spec device-traffic A.2-A.4) --------------------------------------------------
    EXPIRE_TIME: ClassVar[int] = 600

    def _deliver(self, device_id: str) -> None:
        """The device is reachable: every cached command goes out and is answered."""
        self._expire_commands()
        for command in self.commands.get(device_id, {}).values():
            if command.status == "PENDING":
                command.status = "SUCCESSFUL"

    def _expire_commands(self) -> None:
        now = self.side.now()
        for held in self.commands.values():
            for command in held.values():
                if command.status == "PENDING" and now >= command.expires:
                    command.status = "EXPIRED"

    @precondition(lambda self: self.device_side())
    @rule(device_id=devices)
    @_step()
    def command_is_sent(self, device_id: str) -> None:
        """fakeiot's client sends the device a command (``expireTime`` 600 s): answered at once
        if it is online, else cached until it connects, or EXPIRED when the time runs out."""
        device = self.model.get(device_id)
        if device is None:
            return
        self._expire_commands()
        command_id = self.wire.create_command(device_id, {"n": 1}, expire_time=self.EXPIRE_TIME)
        status = "SUCCESSFUL" if device.online else "PENDING"
        held = self.commands.setdefault(device_id, {})
        held[command_id] = ModelOcCommand(status, self.side.now() + self.EXPIRE_TIME)

    @precondition(lambda self: bool(self.model) and self.time_travel() and self.device_side())
    @rule()
    @_step()
    def expired_registration_refuses_the_device(self) -> None:
        """A device whose registration expired cannot connect."""
        now = self.side.now()
        for device in self.model.values():
            if not device.activated and device.deadline is not None:
                self.side.advance(max(device.deadline - now, 0) + 1)
                reason = _refusal(self.side.oc_connect, device.node_id)
                self.expect(
                    "the platform",
                    "refusal of the connection",
                    "expired",
                    reason,
                    of=device.node_id,
                )
                self._expire()
                return

    # -- the views must agree -------------------------------------------------------------------
    @invariant()
    def model_platform_and_client_agree(self) -> None:
        self._expire()
        if self.platform is not None:
            truth = {view.device_id: view for view in self.platform.oceanconnect.devices(self.app)}
            self.expect("the platform", "devices", sorted(self.model), sorted(truth))
            for device_id, device in self.model.items():
                view = truth[device_id]
                self.expect("the platform", "nodeId", device.node_id, view.node_id, of=device_id)
                self.expect(
                    "the platform", "activated", device.activated, view.activated, of=device_id
                )
                online = view.status == "ONLINE"
                self.expect("the platform", "online", device.online, online, of=device_id)
        for device_id in list(self.model):
            with contextlib.suppress(_Abandoned):
                self._compare_over_http(device_id, self.model[device_id])

    def _compare_over_http(self, device_id: str, device: ModelDevice) -> None:
        info = self.wire.device(device_id)
        if not self.expect(
            "fakeiot's HTTP view", "existence", True, info is not None, of=device_id
        ):
            self._forget(device_id)
            return
        assert info is not None
        if not self.expect(
            "fakeiot's HTTP view", "nodeId", device.node_id, info["nodeId"], of=device_id
        ):
            device.node_id = info["nodeId"]
        online = info["status"] == "ONLINE"
        if not self.expect("fakeiot's HTTP view", "online", device.online, online, of=device_id):
            device.online = online
        reported = self.call("activation status", lambda: self.client.is_activated(device_id))
        if not self.expect("the client", "activated", device.activated, reported, of=device_id):
            device.activated = reported

    @invariant()
    def command_statuses_agree(self) -> None:
        """Every command's status as the model has it: on the platform, and for the newest
        command of each device, as fakeiot's client and your client (if it has
        ``command_status(device_id, command_id)``) read it."""
        self._expire_commands()
        for device_id, held in self.commands.items():
            if device_id not in self.model or not held:
                continue
            expected = {i: c.status for i, c in held.items()}
            if self.platform is not None:
                truth = {
                    c["commandId"]: c["status"]
                    for c in self.platform.oceanconnect.commands(device_id)
                }
                self.expect("the platform", "command statuses", expected, truth, of=device_id)
            newest = next(reversed(held))
            seen = self.wire.command_status(device_id, newest)
            self.expect("fakeiot's HTTP view", "command status", expected[newest], seen, of=newest)
            reader = getattr(self.client, "command_status", None)
            if reader is not None:
                reported = self.call("command_status", partial(reader, device_id, newest))
                self.expect("the client", "command status", expected[newest], reported, of=newest)

    @invariant()
    def deleted_devices_stay_gone(self) -> None:
        for device_id in self.gone:
            info = self.wire.device(device_id)
            self.expect("fakeiot's HTTP view", "details after deletion", None, info, of=device_id)

    @invariant()
    def platform_invariants_hold(self) -> None:
        if self.platform is not None:
            self.platform.check_invariants()


class EnosContract(Contract):
    """Random legal EnOS histories; override :meth:`make_client` for your client.

    The in-process platform accepts any ``apim-timestamp`` (a ten-year
    ``enos_timestamp_window``), so a client that stamps its requests with ``time.time()`` keeps
    working while the machine's clock jumps past token expiry.
    """

    base_url: ClassVar[str] = ENOS_URL
    device_keys = strategies.device_keys()

    def __init__(self) -> None:
        super().__init__()
        if self.platform is not None:
            self.org = self.platform.enos.create_org()
        else:
            assert self.remote is not None
            remote = self.remote
            if not (remote.org_id and remote.access_key and remote.secret_key):
                raise ValueError("an EnOS target needs org_id, access_key and secret_key")
            self.org = Organization(remote.org_id, remote.access_key, remote.secret_key)
        self.last_stamp_ms = 0
        #: fakeiot's own view over HTTP.
        self.wire = HttpEnosClient(self.url, self.org, clock=self.clock_for_clients)
        self.product_key = self.wire.create_product()
        self.client: EnosClient = self.make_client(self.url, self.org)
        self.model: dict[str, ModelEnosDevice] = {}
        #: (deviceKey, secret) pairs that replaceDevice retired: the device side is refused.
        self.retired: list[tuple[str, str]] = []
        #: cached commands per assetId (sent by fakeiot's own client, answered by the default
        #: simulated device, which acknowledges every command)
        self.commands: dict[str, ModelEnosCommands] = {}

    def make_platform(self, clock: ManualClock) -> Platform:
        return Platform(
            seed=0,
            clock=clock,
            flow_control_limit=None,
            enos_timestamp_window=WIDE_TIMESTAMP_WINDOW,
        )

    def make_client(self, base_url: str, org: Organization) -> EnosClient:
        """Your client, talking to ``base_url`` with ``org``'s keys."""
        return HttpEnosClient(base_url, org, clock=self.clock_for_clients)

    def clock_for_clients(self) -> float:
        """The platform's time, a millisecond later at every call: token requests of several
        clients in one virtual millisecond would otherwise be replays (1001)."""
        holder = self.remote if self.remote is not None else self
        holder.last_stamp_ms = max(int(self.side.now() * 1000), holder.last_stamp_ms + 1)
        return (holder.last_stamp_ms + 0.5) / 1000

    def teardown(self) -> None:
        if self.remote is not None:  # leave the tenant as it was
            with contextlib.suppress(Exception):
                for asset_id in self.model:
                    self.wire.delete(asset_id)
                self.wire.delete_product(self.product_key)
        super().teardown()

    devices = Bundle("enos_devices")

    def _key_free(self, device_key: str) -> bool:
        return all(d.device_key != device_key for d in self.model.values())

    # -- the client's moves ---------------------------------------------------------------------
    @initialize(target=devices)
    @_step(default="")
    def first_device(self) -> str:
        """Every run starts with a device, so rules on devices have one from the first step."""
        return self._create()

    @rule(target=devices)
    @_step(default="")
    def create(self) -> str:
        return self._create()

    def _create(self) -> str:
        made = self.call("create", lambda: self.client.create(self.product_key))
        self.model[made.asset_id] = ModelEnosDevice(made.device_key, made.device_secret)
        return made.asset_id

    @rule(asset_id=devices, new_key=device_keys)
    @_step()
    def replace(self, asset_id: str, new_key: str) -> None:
        device = self.model.get(asset_id)
        if device is None or not self._key_free(new_key):
            return
        made = self.call("replace", lambda: self.client.replace(asset_id, new_key))
        self.expect("the client", "assetId after replace", asset_id, made.asset_id)
        self.expect("the client", "deviceKey after replace", new_key, made.device_key)
        self.retired = [(k, s) for k, s in self.retired if k != new_key]
        self.retired.append((device.device_key, device.secret))
        device.device_key, device.secret = new_key, made.device_secret
        device.activated = False
        if device.status != "disable":
            device.status = "inactive"

    @rule(asset_id=devices)
    @_step()
    def disable(self, asset_id: str) -> None:
        device = self.model.get(asset_id)
        if device is not None and device.status != "disable":
            self.call("disable", lambda: self.client.disable(asset_id))
            device.status = "disable"

    @rule(asset_id=devices)
    @_step()
    def enable(self, asset_id: str) -> None:
        device = self.model.get(asset_id)
        if device is not None and device.status == "disable":
            self.call("enable", lambda: self.client.enable(asset_id))
            device.status = "offline" if device.activated else "inactive"

    @rule(asset_id=devices)
    @_step()
    def disabling_twice_is_refused(self, asset_id: str) -> None:
        """The platform refuses to disable a disabled device: the client must say so.

        The rule disables the device first if it is not disabled yet, so any draw of it checks
        the refusal (a check that waits for the right pair of draws is found by chance only).
        """
        device = self.model.get(asset_id)
        if device is None:
            return
        if device.status != "disable":
            self.call("disable", lambda: self.client.disable(asset_id))
            device.status = "disable"
        try:
            self.client.disable(asset_id)
        except Exception:
            return
        self.expect("the client", "answer to disabling twice", "an error", "success", of=asset_id)

    @precondition(lambda self: self.device_side())
    @rule(error=st.sampled_from([EnosError.INTERNAL.name, EnosError.RATE_LIMITED.name]))
    @_step()
    def create_during_a_fault(self, error: str) -> None:
        """The next create meets a fault: the client recovers or raises; either way the
        platform and the model must still agree."""
        with self.side.fault("enos.create_device", error):
            try:
                made = self.client.create(self.product_key)
            except Exception:
                return
        self.model[made.asset_id] = ModelEnosDevice(made.device_key, made.device_secret)

    @rule()
    @_step()
    def token_is_refreshed_elsewhere(self) -> None:
        """Another process refreshes the org's access token: the client's token dies."""
        HttpEnosClient(self.url, self.org, clock=self.clock_for_clients).refresh_token()

    # -- the platform's moves -------------------------------------------------------------------
    @precondition(lambda self: self.device_side())
    @rule(asset_id=devices)
    @_step()
    def device_logs_in(self, asset_id: str) -> None:
        device = self.model.get(asset_id)
        if device is None:
            return
        reason = _refusal(self.side.enos_login, self.product_key, device.device_key, device.secret)
        expected = "disabled" if device.status == "disable" else None
        if self.expect("the platform", "refusal of the login", expected, reason, of=asset_id) and (
            reason is None
        ):
            device.status, device.activated = "online", True
            self._expire_commands()
            for command in self._commands_of(asset_id):
                if command.state == 1:
                    command.state = 5  # released at login, acknowledged at once

    @precondition(lambda self: self.device_side())
    @rule(asset_id=devices)
    @_step()
    def device_logs_out(self, asset_id: str) -> None:
        device = self.model.get(asset_id)
        if device is not None and device.status == "online":
            self.side.enos_logout(self.product_key, device.device_key)
            device.status = "offline"

    @precondition(lambda self: bool(self.retired) and self.device_side())
    @rule()
    @_step()
    def retired_key_is_refused(self) -> None:
        """After replaceDevice the old deviceKey and secret no longer log in."""
        key, secret = self.retired[-1]
        reason = _refusal(self.side.enos_login, self.product_key, key, secret)
        self.expect("the platform", "refusal of a retired key", "replaced", reason, of=key)

    @precondition(lambda self: self.time_travel())
    @rule(seconds=st.sampled_from([60, 7201]))
    @_step()
    def time_passes(self, seconds: int) -> None:
        """Time jumps; past 7200 s the client's access token has expired."""
        self.side.advance(seconds)
        self._expire_commands()

    # -- commands (spec device-traffic B.1) ------------------------------------------------------
    PENDING_TTL: ClassVar[int] = 600

    def _commands_of(self, asset_id: str) -> list[ModelEnosCommand]:
        held = self.commands.get(asset_id)
        return list(held.commands.values()) if held is not None else []

    def _expire_commands(self) -> None:
        now = self.side.now()
        for held in self.commands.values():
            for command in held.commands.values():
                if command.state == 1 and now >= command.expires:
                    command.state = 3

    @precondition(lambda self: self.device_side())
    @rule(asset_id=devices)
    @_step()
    def command_is_cached(self, asset_id: str) -> None:
        """fakeiot's client caches a command for the device: delivered at once if it is online,
        else at its next login unless ``pendingTtl`` passes first."""
        device = self.model.get(asset_id)
        if device is None:
            return
        self._expire_commands()
        command_id = self.wire.invoke_service(
            asset_id, "contract", {"n": 1}, pending_ttl=self.PENDING_TTL
        )
        state = 5 if device.status == "online" else 1
        held = self.commands.setdefault(asset_id, ModelEnosCommands())
        held.commands[command_id] = ModelEnosCommand(state, self.side.now() + self.PENDING_TTL)

    @precondition(lambda self: self.device_side())
    @rule(asset_id=devices)
    @_step()
    def cached_commands_are_cancelled(self, asset_id: str) -> None:
        """Cancel every cached command of the device: only those still cached (state 1)."""
        if asset_id not in self.model:
            return
        self._expire_commands()
        cancelled = self.wire.cancel_commands(asset_id)
        held = self.commands.get(asset_id, ModelEnosCommands()).commands
        expected = [i for i, c in held.items() if c.state == 1]
        self.expect("the platform", "commands cancelled", expected, cancelled, of=asset_id)
        for command_id in expected:
            held[command_id].state = 2

    # -- the views must agree -------------------------------------------------------------------
    @invariant()
    def model_platform_and_client_agree(self) -> None:
        if self.platform is not None:
            truth = {view.asset_id: view for view in self.platform.enos.devices(self.org)}
            self.expect("the platform", "devices", sorted(self.model), sorted(truth))
            for asset_id, device in self.model.items():
                view = truth[asset_id]
                held = (view.device_key, view.device_secret, view.status, view.activated)
                self.expect(
                    "the platform",
                    FIELDS,
                    (device.device_key, device.secret, device.status, device.activated),
                    held,
                    of=asset_id,
                )
        for asset_id in list(self.model):
            with contextlib.suppress(_Abandoned):
                self._compare_over_http(asset_id, self.model[asset_id])

    def _compare_over_http(self, asset_id: str, device: ModelEnosDevice) -> None:
        seen = self.wire.device(asset_id)
        expected = (device.device_key, device.secret, device.status, device.activated)
        if not self.expect(
            "fakeiot's HTTP view",
            FIELDS,
            expected,
            None if seen is None else tuple(seen[1:]),
            of=asset_id,
        ):
            if seen is None:
                del self.model[asset_id]
                return
            _, device.device_key, device.secret, device.status, device.activated = seen
        reported = self.call("get", lambda: self.client.get(asset_id))
        expected = (device.device_key, device.secret, device.status, device.activated)
        self.expect("the client", FIELDS, expected, tuple(reported[1:]), of=asset_id)

    @invariant()
    def command_states_agree(self) -> None:
        """Every command's state as the model has it: on the platform, and for the newest
        command of each device, as fakeiot's client and your client (if it has
        ``command_state(asset_id, command_id)``) read it."""
        for asset_id, held in self.commands.items():
            if asset_id not in self.model or not held.commands:
                continue
            expected = {i: c.state for i, c in held.commands.items()}
            if self.platform is not None:
                truth = {c["commandId"]: c["state"] for c in self.platform.enos.commands(asset_id)}
                self.expect("the platform", "command states", expected, truth, of=asset_id)
            newest = next(reversed(held.commands))
            seen = self.wire.command_state(asset_id, newest)
            self.expect("fakeiot's HTTP view", "command state", expected[newest], seen, of=newest)
            reader = getattr(self.client, "command_state", None)
            if reader is not None:
                reported = self.call("command_state", partial(reader, asset_id, newest))
                self.expect("the client", "command state", expected[newest], reported, of=newest)

    @invariant()
    def platform_invariants_hold(self) -> None:
        if self.platform is not None:
            self.platform.check_invariants()


#: IoTDA node ids (letters, digits, ``_`` and ``-``): IMEIs and short free-form ids.
_IOTDA_NODE_IDS = st.one_of(
    strategies.imeis(), st.from_regex(r"[A-Za-z0-9_-]{1,24}", fullmatch=True)
)


class IotdaContract(Contract):
    """Random legal IoTDA histories; override :meth:`make_client` for your client.

    Your client adds devices to a product the machine creates, shows them, freezes and
    unfreezes them, resets their secrets (with and without ``force_disconnect``) and deletes
    them, while simulated devices connect and disconnect (with their current secret, and with
    a secret a reset retired) and time jumps past registration timeouts. After every step the
    model, the platform (``platform.iotda.devices``), fakeiot's own signed HTTP view and your
    client's ``show_device`` must agree on which devices exist, their status and node id.

    In-process only for now: the set-up creates the project and product through
    ``platform.iotda``, and :class:`Target` carries no IoTDA project credentials, so a machine
    given a target raises ``ValueError`` (set ``target = None`` on your subclass to keep it
    in-process under ``--fakeiot-target``). The in-process platform accepts any ``X-Sdk-Date``
    within ten years, so a client that dates requests with ``time.time()`` keeps working while
    the machine's clock jumps.
    """

    base_url: ClassVar[str] = IOTDA_URL
    node_ids = _IOTDA_NODE_IDS

    def __init__(self) -> None:
        super().__init__()
        if self.platform is None:
            raise ValueError(
                "IotdaContract runs in-process only: a target carries no IoTDA project "
                "credentials (set target = None on the subclass)"
            )
        io = self.platform.iotda
        self.keys = io.create_project()
        self.product_id = io.create_product(self.keys, name="fakeiot_contract")
        #: fakeiot's own view over HTTP.
        self.wire = HttpIotdaClient(self.url, self.keys, clock=self.side.now)
        self.client: IotdaClient = self.make_client(self.url, self.keys)
        self.model: dict[str, ModelIotdaDevice] = {}
        #: devices this run deleted or saw expire: they must stay gone.
        self.gone: list[str] = []
        #: (device_id, secret) pairs a reset, a deletion or an expiry retired: the device side
        #: is refused with them.
        self.retired: list[tuple[str, str]] = []

    def make_platform(self, clock: ManualClock) -> Platform:
        return Platform(
            seed=0,
            clock=clock,
            flow_control_limit=None,
            iotda_date_skew=WIDE_TIMESTAMP_WINDOW,
        )

    def make_client(self, base_url: str, keys: ProjectKeys) -> IotdaClient:
        """Your client, talking to ``base_url`` with the project's ``keys`` (``project_id``,
        ``ak``, ``sk``)."""
        return HttpIotdaClient(base_url, keys, clock=self.side.now)

    devices = Bundle("iotda_devices")

    def _node_free(self, node_id: str) -> bool:
        return all(d.node_id != node_id for d in self.model.values())

    def _forget(self, device_id: str) -> None:
        device = self.model.pop(device_id)
        self.gone = [*self.gone[-9:], device_id]
        self.retired = [*self.retired[-9:], (device_id, device.secret)]

    # -- the client's moves ---------------------------------------------------------------------
    @initialize(target=devices, node_id=node_ids, timeout=st.sampled_from([0, 60, 600]))
    @_step(default="")
    def first_device(self, node_id: str, timeout: int) -> str:
        """Every run starts with a device, so rules on devices have one from the first step."""
        return self._add(node_id, timeout)

    @rule(target=devices, node_id=node_ids, timeout=st.sampled_from([0, 60, 600]))
    @_step(default="")
    def add_device(self, node_id: str, timeout: int) -> str:
        return self._add(node_id, timeout)

    def _add(self, node_id: str, timeout: int) -> str:
        if not self._node_free(node_id):
            return ""
        made = self.call(
            "add_device", lambda: self.client.add_device(self.product_id, node_id, timeout=timeout)
        )
        deadline = self.side.now() + timeout if timeout else None
        self.model[made.device_id] = ModelIotdaDevice(node_id, made.secret, deadline)
        # the default device_id is product_id + "_" + node_id: a deleted one can come back
        self.gone = [g for g in self.gone if g != made.device_id]
        return made.device_id

    @rule(device_id=devices)
    @_step()
    def adding_a_taken_node_id_is_refused(self, device_id: str) -> None:
        """The node id is unique in the product: the platform refuses it, the client must
        say so (raise)."""
        device = self.model.get(device_id)
        if device is None:
            return
        try:
            self.client.add_device(self.product_id, device.node_id)
        except Exception:
            return
        self.expect(
            "the client", "answer to adding a taken node id", "an error", "success", of=device_id
        )

    @rule(device_id=devices)
    @_step()
    def freeze(self, device_id: str) -> None:
        device = self.model.get(device_id)
        if device is not None:
            self.call("freeze", lambda: self.client.freeze(device_id))
            device.status = "FROZEN"

    @rule(device_id=devices)
    @_step()
    def unfreeze(self, device_id: str) -> None:
        device = self.model.get(device_id)
        if device is not None and device.status == "FROZEN":
            self.call("unfreeze", lambda: self.client.unfreeze(device_id))
            device.status = "OFFLINE" if device.activated else "INACTIVE"

    @rule(device_id=devices)
    @_step()
    def unfreezing_a_device_not_frozen_is_refused(self, device_id: str) -> None:
        """The platform refuses to unfreeze a device that is not frozen (IOTDA.014040):
        the client must say so."""
        device = self.model.get(device_id)
        if device is None or device.status == "FROZEN":
            return
        try:
            self.client.unfreeze(device_id)
        except Exception:
            return
        self.expect(
            "the client", "answer to unfreezing a live device", "an error", "success", of=device_id
        )

    @rule(device_id=devices, force_disconnect=st.booleans())
    @_step()
    def reset_secret(self, device_id: str, force_disconnect: bool) -> None:
        device = self.model.get(device_id)
        if device is None:
            return
        secret = self.call(
            "reset_secret",
            lambda: self.client.reset_secret(device_id, force_disconnect=force_disconnect),
        )
        self.retired = [*self.retired[-9:], (device_id, device.secret)]
        device.secret = secret
        if force_disconnect and device.status == "ONLINE":
            device.status = "OFFLINE"

    @rule(device_id=devices)
    @_step()
    def delete(self, device_id: str) -> None:
        if device_id in self.model:
            self.call("delete", lambda: self.client.delete(device_id))
            self._forget(device_id)

    # -- the platform's moves -------------------------------------------------------------------
    @precondition(lambda self: self.device_side())
    @rule(device_id=devices)
    @_step()
    def device_connects(self, device_id: str) -> None:
        """The device connects with its current secret: refused while frozen."""
        device = self.model.get(device_id)
        if device is None:
            return
        reason = _refusal(self.side.iotda_connect, device_id, device.secret)
        expected = "not_authorized" if device.status == "FROZEN" else None
        if (
            self.expect("the platform", "refusal of the connection", expected, reason, of=device_id)
            and reason is None
        ):
            device.status, device.activated, device.deadline = "ONLINE", True, None

    @precondition(lambda self: self.device_side())
    @rule(device_id=devices)
    @_step()
    def device_disconnects(self, device_id: str) -> None:
        device = self.model.get(device_id)
        if device is not None and device.status == "ONLINE":
            self.side.iotda_disconnect(device_id, device.secret)
            device.status = "OFFLINE"

    @precondition(lambda self: bool(self.retired) and self.device_side())
    @rule()
    @_step()
    def retired_secret_is_refused(self) -> None:
        """After a secret reset the old secret no longer connects, nor does a deleted or
        expired device (the password is checked before a frozen device is refused)."""
        device_id, secret = self.retired[-1]
        device = self.model.get(device_id)
        if device is not None and device.secret == secret:
            return
        reason = _refusal(self.side.iotda_connect, device_id, secret)
        expected = "bad_credentials"
        self.expect("the platform", "refusal of a retired secret", expected, reason, of=device_id)

    @precondition(lambda self: self.time_travel())
    @rule(seconds=st.sampled_from([30, 61, 601]))
    @_step()
    def time_passes(self, seconds: int) -> None:
        """Time jumps. A device still INACTIVE when its registration timeout passes is
        deleted; one that connected, or is frozen at that moment, is kept for good."""
        self.side.advance(seconds)
        now = self.side.now()
        for device_id, device in list(self.model.items()):
            if device.deadline is not None and device.deadline <= now:
                if device.status == "INACTIVE":
                    self._forget(device_id)
                else:
                    device.deadline = None

    # -- the views must agree -------------------------------------------------------------------
    @invariant()
    def model_platform_and_client_agree(self) -> None:
        assert self.platform is not None
        truth = {v.device_id: v for v in self.platform.iotda.devices(self.keys)}
        self.expect("the platform", "devices", sorted(self.model), sorted(truth))
        for device_id, device in self.model.items():
            view = truth[device_id]
            self.expect(
                "the platform",
                "node_id, status, secret",
                (device.node_id, device.status, device.secret),
                (view.node_id, view.status, view.secret),
                of=device_id,
            )
        for device_id, device in self.model.items():
            expected = (device_id, device.node_id, device.status)
            seen = self.wire.device(device_id)
            self.expect(
                "fakeiot's HTTP view",
                "device_id, node_id, status",
                expected,
                None if seen is None else tuple(seen),
                of=device_id,
            )
            reported = self.call("show_device", partial(self.client.show_device, device_id))
            self.expect(
                "the client",
                "device_id, node_id, status",
                expected,
                (reported.device_id, reported.node_id, reported.status),
                of=device_id,
            )

    @invariant()
    def deleted_devices_stay_gone(self) -> None:
        for device_id in self.gone:
            seen = self.wire.device(device_id)
            self.expect("fakeiot's HTTP view", "device after deletion", None, seen, of=device_id)

    @invariant()
    def platform_invariants_hold(self) -> None:
        if self.platform is not None:
            self.platform.check_invariants()
