"""Real-tenant runs: the target, its control API, deviations."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from .._clock import ManualClock
from .._errors import ConnectRefused
from .._platform import Platform
from ._common import CONTROL


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

    def iotda_connect(self, device_id: str, secret: str) -> None:
        """The device connects as an MQTT device does (in-process only)."""
        assert self.platform is not None, "the IoTDA device side runs in-process only"
        self.platform.iotda.simulate(device_id, secret).connect()

    def iotda_disconnect(self, device_id: str, secret: str) -> None:
        assert self.platform is not None, "the IoTDA device side runs in-process only"
        self.platform.iotda.simulate(device_id, secret).disconnect()


def _refusal(connect: Callable[..., None], *args: str) -> str | None:
    """``None`` if the device side got in, else the platform's reason for refusing it."""
    try:
        connect(*args)
    except ConnectRefused as refused:
        return refused.reason
    return None
