"""Contract state machines: check a client against random but legal platform histories.

Subclass :class:`OceanConnectContract` (or :class:`EnosContract`), return your client from
:meth:`~OceanConnectContract.make_client`, and expose ``TestCase``::

    class MyClientContract(OceanConnectContract):
        def make_client(self, base_url, app):
            return MyClient(base_url, app.app_id, app.secret)

    TestMyClient = MyClientContract.TestCase

Hypothesis then interleaves your client's calls (OceanConnect: register, activation status,
refresh key, delete; EnOS: create, get, replace, disable, enable) with the platform's own moves
(devices connecting and disconnecting or logging in and out, time jumping past verify-code and
token expiry, tokens superseded, throttling and internal errors on the next call), and after
every step compares three views: a small reference model, the platform's truth (its objects,
and what fakeiot's own client reads over HTTP), and what your client reports. ``fakeiot.mock``
routes every ``requests`` call to the machine's platform while it runs, so a client built on
``requests`` needs no changes.

Against a real tenant: set :attr:`Contract.target` to a :class:`Target` (the pytest plugin does
so for ``--fakeiot-target=URL`` and its credential options). The machines then call the
target's URL instead of an in-process platform; the platform's moves run only where the target
offers fakeiot's control API (a ``fakeiot serve`` process), and every disagreement with the
model is recorded as a :class:`Deviation` in ``target.deviations`` instead of failing the test,
so one run reports all of them (``target.report()``).

Failures: :class:`ContractViolation` (an ``AssertionError``) in-process; the default clients
raise :class:`ClientError` for an error answer.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import urlencode

import requests

from ._extras import missing

try:
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        Bundle,
        RuleBasedStateMachine,
        initialize,
        invariant,
        precondition,
        rule,
    )
except ModuleNotFoundError as exc:
    raise missing(exc, "fakeiot.contract") from None

from . import strategies
from ._clock import ManualClock
from ._enos import EnosError, Organization
from ._errors import ConnectRefused
from ._oceanconnect import Application, OcError
from ._platform import Platform
from ._transports._requests import mock

__all__ = [
    "ClientError",
    "Contract",
    "ContractViolation",
    "Deviation",
    "EnosClient",
    "EnosContract",
    "EnosCredentials",
    "EnosDevice",
    "HttpEnosClient",
    "HttpOceanConnectClient",
    "OceanConnectClient",
    "OceanConnectContract",
    "Target",
    "apim_signature",
]

BASE_URL = "https://iot.example:8743"
ENOS_URL = "https://apim.enos.example"
CONTROL = "/_fakeiot/api"
#: an ``apim-timestamp`` window wide enough for a client that stamps with ``time.time()`` while
#: the machine's manual clock jumps (ten years).
WIDE_TIMESTAMP_WINDOW = 10 * 365 * 86400
#: what the EnOS machine compares for every device.
FIELDS = "deviceKey, secret, status, activated"


class ClientError(Exception):
    """What the default clients raise when the platform answers an error."""

    def __init__(self, status: int, code: str, text: str) -> None:
        self.status, self.code, self.text = status, code, text
        super().__init__(f"{status} {code} {text}")


class ContractViolation(AssertionError):
    """The model, the platform and the client disagree (in-process runs)."""


# =============================================================================================
# Real-tenant mode: the target, its control API, deviations
# =============================================================================================
@dataclass(frozen=True)
class Deviation:
    """One disagreement between the reference model and a target."""

    contract: str
    example: int
    steps: tuple[str, ...]
    check: str
    subject: str
    source: str
    expected: str
    got: str

    @property
    def step(self) -> str:
        return self.steps[-1] if self.steps else "(before the first step)"

    def key(self) -> tuple[str, ...]:
        """What identifies a deviation across examples: the rule and the check, not the
        rule's arguments or the device."""
        rule = self.step.partition("(")[0]
        return (self.contract, rule, self.check, self.source, self.expected, self.got)


@dataclass
class Target:
    """An external platform for the contracts: a real tenant, or a ``fakeiot serve`` process.

    Give the OceanConnect application's ``app_id``/``secret`` and/or the EnOS organisation's
    ``org_id``/``access_key``/``secret_key``; a machine whose credentials are missing fails at
    once. ``control_token`` is for a ``fakeiot serve`` whose control API requires one.
    """

    url: str
    app_id: str | None = None
    secret: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    org_id: str | None = None
    control_token: str | None = None
    deviations: list[Deviation] = field(default_factory=list)
    examples: int = 0
    #: the last millisecond a token request was stamped with: the platform remembers every
    #: stamp for replay protection, across examples.
    last_stamp_ms: int = 0
    _control: _Control | None = field(default=None, repr=False)
    _probed: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")

    def control(self) -> _Control | None:
        """fakeiot's control API on the target, or ``None`` (a real tenant); probed once."""
        if not self._probed:
            self._probed = True
            self._control = _Control.probe(self.url, self.control_token)
        return self._control

    def report(self) -> str:
        """The deviations, grouped by contract, rule and check, each with its first history."""
        if not self.deviations:
            return f"no deviations from fakeiot's model ({self.examples} examples on {self.url})"
        groups: dict[tuple[str, ...], list[Deviation]] = {}
        for deviation in self.deviations:
            groups.setdefault(deviation.key(), []).append(deviation)
        count = len(self.deviations)
        lines = [
            f"{count} deviation{'s' if count > 1 else ''} from fakeiot's model "
            f"({len(groups)} distinct) in {self.examples} examples on {self.url}:"
        ]
        for number, seen in enumerate(groups.values(), 1):
            first = seen[0]
            lines += [
                f"{number}. {first.contract}: {first.check}"
                + (f" of {first.subject}" if first.subject else "")
                + f", per {first.source}, after {first.step}",
                f"   expected (fakeiot's model): {first.expected}",
                f"   got (target):               {first.got}",
                f"   seen {len(seen)} times; first in example {first.example}, steps:",
                *(f"     {n}. {step}" for n, step in enumerate(first.steps, 1)),
            ]
        return "\n".join(lines)


class _Control:
    """fakeiot's control API (``/_fakeiot/api``) of a ``fakeiot serve`` target."""

    def __init__(self, url: str, token: str | None, manual: bool) -> None:
        self.url, self.manual = url, manual
        self.headers = {"X-Fakeiot-Token": token} if token else {}

    @classmethod
    def probe(cls, url: str, token: str | None) -> _Control | None:
        headers = {"X-Fakeiot-Token": token} if token else {}
        try:
            response = requests.get(f"{url}{CONTROL}/clock", headers=headers, timeout=10)
            manual = response.json()["manual"] if response.status_code == 200 else None
        except (requests.RequestException, ValueError, KeyError, TypeError):
            return None
        return None if manual is None else cls(url, token, bool(manual))

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the control API; answers the JSON body, or raises on an unexpected status."""
        response = requests.request(
            method, f"{self.url}{CONTROL}{path}", json=body, headers=self.headers, timeout=10
        )
        payload = response.json() if response.content else None
        if response.status_code == 409 and isinstance(payload, dict) and "reason" in payload:
            raise ConnectRefused(str(payload["reason"]), str(payload.get("detail", "")))
        if response.status_code >= 300:
            raise RuntimeError(f"control API {method} {path}: {response.status_code} {payload}")
        return payload

    def now(self) -> float:
        return float(self.send("GET", "/clock")["now"]) if self.manual else time.time()


class _Side:
    """The platform's own moves: device side, clock and faults, in-process or over HTTP."""

    def __init__(
        self, platform: Platform | None, clock: ManualClock | None, control: _Control | None
    ):
        self.platform, self.clock, self.control = platform, clock, control

    @property
    def devices(self) -> bool:
        return self.platform is not None or self.control is not None

    @property
    def time_travel(self) -> bool:
        return self.clock is not None or (self.control is not None and self.control.manual)

    def now(self) -> float:
        if self.clock is not None:
            return self.clock.now()
        return self.control.now() if self.control is not None else time.time()

    def advance(self, seconds: float) -> None:
        if self.platform is not None and self.clock is not None:
            self.clock.advance(seconds)
            self.platform.tick()
        elif self.control is not None:
            self.control.send("POST", "/clock/advance", {"seconds": seconds})

    @contextlib.contextmanager
    def fault(self, route: str, error: str) -> Iterator[None]:
        """The next call to ``route`` answers ``error`` (a member name of the face's table)."""
        if self.platform is not None:
            with self.platform.faults.inject(route, error=error):
                yield
            return
        assert self.control is not None
        self.control.send("POST", "/faults", {"route": route, "error": error, "times": 1})
        try:
            yield
        finally:
            self.control.send("DELETE", "/faults")

    def oc_connect(self, node_id: str) -> None:
        if self.platform is not None:
            self.platform.oceanconnect.connect_device(node_id)
        elif self.control is not None:
            self.control.send("POST", "/oceanconnect/devices/connect", {"nodeId": node_id})

    def oc_disconnect(self, device_id: str) -> None:
        if self.platform is not None:
            self.platform.oceanconnect.disconnect_device(device_id)
        elif self.control is not None:
            self.control.send("POST", "/oceanconnect/devices/disconnect", {"deviceId": device_id})

    def enos_login(self, product_key: str, device_key: str, secret: str) -> None:
        if self.platform is not None:
            self.platform.enos.login_device(product_key, device_key, secret)
        elif self.control is not None:
            body = {"productKey": product_key, "deviceKey": device_key, "deviceSecret": secret}
            self.control.send("POST", "/enos/devices/login", body)

    def enos_logout(self, product_key: str, device_key: str) -> None:
        if self.platform is not None:
            self.platform.enos.logout_device(product_key, device_key)
        elif self.control is not None:
            body = {"productKey": product_key, "deviceKey": device_key}
            self.control.send("POST", "/enos/devices/logout", body)


def _refusal(connect: Callable[..., None], *args: str) -> str | None:
    """``None`` if the device side got in, else the platform's reason for refusing it."""
    try:
        connect(*args)
    except ConnectRefused as refused:
        return refused.reason
    return None


# =============================================================================================
# The shared machine
# =============================================================================================
class _Abandoned(Exception):
    """A client call failed against a target; the deviation is recorded, the step ends."""


F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")


def _step(default: object = None) -> Callable[[F], F]:
    """Record the rule in the machine's history; a step abandoned on a target returns
    ``default`` (what a rule with a target bundle hands to it)."""

    def decorate(function: F) -> F:
        name = function.__name__

        @functools.wraps(function)
        def run(self: Contract, **kwargs: Any) -> Any:
            arguments = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
            self.history.append(f"{name}({arguments})")
            try:
                return function(self, **kwargs)
            except _Abandoned:
                return default

        return cast(F, run)

    return decorate


class Contract(RuleBasedStateMachine):
    """What both machines share: the platform or target, the platform's moves, and checking
    the model against the other views."""

    #: run against this external platform instead of an in-process one (``None``: in-process).
    target: ClassVar[Target | None] = None
    base_url: ClassVar[str] = BASE_URL

    def __init__(self) -> None:
        super().__init__()
        self.history: list[str] = []
        self.remote = type(self).target
        self.platform: Platform | None = None
        self._mock: contextlib.ExitStack | None = None
        if self.remote is None:
            self.clock = ManualClock()
            self.platform = self.make_platform(self.clock)
            self.url = self.base_url
            self._mock = contextlib.ExitStack()
            self._mock.enter_context(mock(self.platform))
            self.side = _Side(self.platform, self.clock, None)
        else:
            self.remote.examples += 1
            self.url = self.remote.url
            self.side = _Side(None, None, self.remote.control())

    def make_platform(self, clock: ManualClock) -> Platform:
        """The platform each run uses (override to change settings)."""
        return Platform(seed=0, clock=clock, flow_control_limit=None)

    def teardown(self) -> None:
        if self._mock is not None:
            self._mock.close()

    # -- checking -------------------------------------------------------------------------------
    def expect(
        self, source: str, check: str, expected: object, got: object, *, of: str = ""
    ) -> bool:
        """Whether ``got`` (what ``source`` says about ``check`` of ``of``) is what the model
        expects. In-process a difference raises :class:`ContractViolation`; against a target it
        is recorded and the caller adopts the target's answer."""
        if expected == got:
            return True
        what = f"{check} of {of}" if of else check
        message = f"{what}: the model expects {expected!r}, {source} says {got!r}"
        if self.remote is None:
            after = self.history[-1] if self.history else "the start"
            raise ContractViolation(f"{message} (after {after})")
        self.remote.deviations.append(
            Deviation(
                type(self).__name__,
                self.remote.examples,
                tuple(self.history),
                check,
                of,
                source,
                repr(expected),
                repr(got),
            )
        )
        return False

    def call(self, what: str, action: Callable[[], R]) -> R:
        """Run a client call the model expects to succeed. Against a target a failure is a
        deviation and abandons the step; in-process it propagates."""
        if self.remote is None:
            return action()
        try:
            return action()
        except Exception as exc:
            got = f"{type(exc).__name__}: {exc}"
            self.expect("the target", f"the outcome of {what}", "success", got)
            raise _Abandoned from exc

    def device_side(self) -> bool:
        return self.side.devices

    def time_travel(self) -> bool:
        return self.side.time_travel


# =============================================================================================
# OceanConnect
# =============================================================================================
@runtime_checkable
class OceanConnectClient(Protocol):
    """The small interface the OceanConnect contract drives. Raise any exception on failure."""

    def register(self, node_id: str, *, timeout: int | None = None) -> str:
        """Register ``node_id`` (verify code = nodeId) and return the deviceId."""
        ...

    def is_activated(self, device_id: str) -> bool:
        """Whether the device has ever connected."""
        ...

    def refresh_key(self, device_id: str, *, node_id: str | None = None) -> str:
        """Give the device a new nodeId (or keep it) and return the new verify code."""
        ...

    def delete(self, device_id: str) -> None:
        """Delete the device."""
        ...


class HttpOceanConnectClient:
    """The default client: plain ``requests`` calls to the northbound API, re-login on an
    invalid token and one retry on throttling, as a careful real client does."""

    def __init__(
        self, base_url: str, app_id: str, secret: str, *, acting_for: str | None = None
    ) -> None:
        self.base = f"{base_url}/iocm/app"
        self.app_id, self.secret = app_id, secret
        self.token: str | None = None
        #: act on another application's devices (``?appId=``), as an authorised application.
        self.acting_for = acting_for

    def _login(self) -> None:
        response = requests.post(
            f"{self.base}/sec/v1.1.0/login",
            data={"appId": self.app_id, "secret": self.secret},
            timeout=10,
        )
        self._check(response)
        self.token = response.json()["accessToken"]

    def _call(self, method: str, path: str, body: Any = None) -> requests.Response:
        if self.acting_for is not None:
            path += f"?appId={self.acting_for}"
        for attempt in range(3):
            if self.token is None:
                self._login()
            response = requests.request(
                method,
                f"{self.base}{path}",
                timeout=10,
                data=None if body is None else json.dumps(body),
                headers={
                    "app_key": self.app_id,
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                },
            )
            code = _code(response)
            if code == "1010005" and attempt < 2:
                self.token = None
                continue
            if code == "1010009" and attempt < 2:
                continue
            self._check(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _check(response: requests.Response) -> None:
        code = _code(response)
        if code is not None or response.status_code >= 300:
            payload = response.json() if response.content else {}
            text = payload.get("error_desc", payload.get("resultmsg", ""))
            raise ClientError(response.status_code, code or "", text)

    def register(self, node_id: str, *, timeout: int | None = None) -> str:
        response = self._call(
            "POST",
            "/reg/v1.1.0/deviceCredentials",
            {"nodeId": node_id, "verifyCode": node_id, "timeout": timeout},
        )
        device_id: str = response.json()["deviceId"]
        return device_id

    def is_activated(self, device_id: str) -> bool:
        response = self._call("GET", f"/reg/v1.1.0/deviceCredentials/{device_id}")
        return bool(response.json()["activated"])

    def refresh_key(self, device_id: str, *, node_id: str | None = None) -> str:
        response = self._call(
            "PUT",
            f"/reg/v1.1.0/deviceCredentials/{device_id}",
            {"nodeId": node_id, "verifyCode": node_id, "timeout": 0},
        )
        code: str = response.json()["verifyCode"]
        return code

    def delete(self, device_id: str) -> None:
        self._call("DELETE", f"/dm/v1.4.0/devices/{device_id}")

    def device(self, device_id: str) -> dict[str, Any] | None:
        """The device's ``deviceInfo`` (nodeId, status, ...), ``None`` if the platform answers
        404 (it does not know the device)."""
        try:
            response = self._call("GET", f"/dm/v1.4.0/devices/{device_id}")
        except ClientError as error:
            if error.status == 404:
                return None
            raise
        info: dict[str, Any] = response.json()["deviceInfo"]
        return info


def _code(response: requests.Response) -> str | None:
    if not response.content or not response.content.startswith(b"{"):
        return None
    payload = response.json()
    code = payload.get("error_code", payload.get("resultcode"))
    return None if code is None else str(code)


@dataclass
class ModelDevice:
    """The reference model's view of one OceanConnect device."""

    node_id: str
    deadline: float | None
    activated: bool = False
    online: bool = False


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
    def deleted_devices_stay_gone(self) -> None:
        for device_id in self.gone:
            info = self.wire.device(device_id)
            self.expect("fakeiot's HTTP view", "details after deletion", None, info, of=device_id)

    @invariant()
    def platform_invariants_hold(self) -> None:
        if self.platform is not None:
            self.platform.check_invariants()


# =============================================================================================
# EnOS
# =============================================================================================
class EnosCredentials(NamedTuple):
    """A device's identity and credentials, as create and replace answer them."""

    asset_id: str
    device_key: str
    device_secret: str


class EnosDevice(NamedTuple):
    """A device as get answers it: ``status`` is ``inactive``, ``online``, ``offline`` or
    ``disable``; ``activated`` whether it has logged in since its key was (re)issued."""

    asset_id: str
    device_key: str
    device_secret: str
    status: str
    activated: bool


@runtime_checkable
class EnosClient(Protocol):
    """The small interface the EnOS contract drives. Raise any exception on failure."""

    def create(self, product_key: str) -> EnosCredentials:
        """Create a device (with a generated deviceKey) in the product."""
        ...

    def get(self, asset_id: str) -> EnosDevice:
        """The device as the platform holds it now."""
        ...

    def replace(self, asset_id: str, new_device_key: str) -> EnosCredentials:
        """Give the device a new deviceKey; the platform issues a new secret."""
        ...

    def disable(self, asset_id: str) -> None:
        """Disable the device."""
        ...

    def enable(self, asset_id: str) -> None:
        """Enable a disabled device."""
        ...


TOKEN_SERVICE = "/apim-token-service/v2.0/token"
DEVICES = "/connect-service/v2.1/devices"
PRODUCTS = "/connect-service/v2.1/products"


def apim_signature(token: str, query: dict[str, str], body: bytes, stamp: str, secret: str) -> str:
    """``sha256_hex(token + concat(k + v for k, v in sorted(query)) + body + timestamp +
    secret)``, the documented ``apim-signature``."""
    params = "".join(k + query[k] for k in sorted(query))
    return hashlib.sha256(
        token.encode() + params.encode() + body + stamp.encode() + secret.encode()
    ).hexdigest()


class HttpEnosClient:
    """The default EnOS client: plain ``requests`` calls signed with the documented access
    token and ``apim-signature``, a new token on 401 and one retry on 429.

    ``clock`` stamps requests (epoch seconds; ``time.time`` by default).
    """

    def __init__(
        self,
        base_url: str,
        org: Organization,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.org, self.clock = org, clock
        self.token: str | None = None
        self._last_stamp = 0

    def _stamp(self) -> int:
        # a fresh millisecond per token request: the same encryption twice is a replay (1001)
        stamp = max(int(self.clock() * 1000), self._last_stamp + 1)
        self._last_stamp = stamp
        return stamp

    def _token_call(self, path: str, **extra: str) -> str:
        stamp = self._stamp()
        key, secret = self.org.access_key, self.org.secret_key
        body = {
            "appKey": key,
            "encryption": hashlib.sha256(f"{key}{stamp}{secret}".encode()).hexdigest(),
            "timestamp": stamp,
            **extra,
        }
        response = requests.post(f"{self.base}{TOKEN_SERVICE}/{path}", json=body, timeout=10)
        payload = response.json()
        if response.status_code != 200 or payload.get("status") != 0:
            raise ClientError(response.status_code, str(payload.get("status")), payload.get("msg"))
        token: str = payload["data"]["accessToken"]
        return token

    def refresh_token(self) -> None:
        """Exchange the current token for a new one (the old one stops working)."""
        current = self.token or self._token_call("get")
        self.token = self._token_call("refresh", accessToken=current)

    def _call(self, resource: str, action: str, body: Any = None, **query: str) -> Any:
        params = {"action": action, "orgId": self.org.org_id, **query}
        data = b"" if body is None else json.dumps(body).encode()
        url = f"{self.base}{resource}?{urlencode(params)}"
        for attempt in range(3):
            if self.token is None:
                self.token = self._token_call("get")
            stamp = str(int(self.clock() * 1000))
            headers = {
                "apim-accesstoken": self.token,
                "apim-timestamp": stamp,
                "apim-signature": apim_signature(
                    self.token, params, data, stamp, self.org.secret_key
                ),
                "Content-Type": "application/json;charset=UTF-8",
            }
            response = requests.post(url, data=data, headers=headers, timeout=10)
            if response.status_code == 401 and attempt < 2:
                self.token = None
                continue
            if response.status_code == 429 and attempt < 2:
                continue
            if response.status_code != 200:
                raise ClientError(response.status_code, str(response.status_code), response.text)
            payload = response.json()
            if payload.get("code") != 0:
                raise ClientError(200, str(payload.get("code")), str(payload.get("msg")))
            return payload.get("data")
        raise AssertionError("unreachable")  # pragma: no cover

    def create(self, product_key: str) -> EnosCredentials:
        body = {
            "productKey": product_key,
            "deviceName": {"defaultValue": "contract device"},
            "timezone": "+08:00",
        }
        data = self._call(DEVICES, "create", body)
        return EnosCredentials(data["assetId"], data["deviceKey"], data["deviceSecret"])

    def get(self, asset_id: str) -> EnosDevice:
        data = self._call(DEVICES, "get", assetId=asset_id)
        return EnosDevice(
            data["assetId"],
            data["deviceKey"],
            data["deviceSecret"],
            data["status"],
            bool(data["activeTime"]),
        )

    def replace(self, asset_id: str, new_device_key: str) -> EnosCredentials:
        data = self._call(
            DEVICES, "replaceDevice", {"newDeviceKey": new_device_key}, assetId=asset_id
        )
        return EnosCredentials(data["assetId"], data["deviceKey"], data["deviceSecret"])

    def disable(self, asset_id: str) -> None:
        self._call(DEVICES, "disable", assetId=asset_id)

    def enable(self, asset_id: str) -> None:
        self._call(DEVICES, "enable", assetId=asset_id)

    # -- beyond the contract's interface: what the machine needs for its set-up -----------------
    def delete(self, asset_id: str) -> None:
        self._call(DEVICES, "delete", assetId=asset_id)

    def create_product(self, model_id: str = "fakeiot_contract") -> str:
        body = {
            "productName": {"defaultValue": "fakeiot contract"},
            "modelId": model_id,
            "dataFormat": "Json",
            "productType": "Device",
            "biDirectionalAuth": False,
        }
        product_key: str = self._call(PRODUCTS, "create", body)
        return product_key

    def delete_product(self, product_key: str) -> None:
        self._call(PRODUCTS, "delete", productKey=product_key)

    def device(self, asset_id: str) -> EnosDevice | None:
        """The device, or ``None`` if the platform answers that it does not exist."""
        try:
            return self.get(asset_id)
        except ClientError as error:
            if error.code in ("11404", "99404"):
                return None
            raise


@dataclass
class ModelEnosDevice:
    """The reference model's view of one EnOS device."""

    device_key: str
    secret: str
    status: str = "inactive"
    activated: bool = False


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
        """The platform refuses to disable a disabled device: the client must say so."""
        device = self.model.get(asset_id)
        if device is None or device.status != "disable":
            return
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
    def platform_invariants_hold(self) -> None:
        if self.platform is not None:
            self.platform.check_invariants()
