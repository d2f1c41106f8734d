"""Contract state machines: check a client against random but legal platform histories.

Subclass :class:`OceanConnectContract`, return your client from :meth:`make_client`, and expose
``TestCase``::

    class MyClientContract(OceanConnectContract):
        def make_client(self, base_url, app):
            return MyClient(base_url, app.app_id, app.secret)

    TestMyClient = MyClientContract.TestCase

Hypothesis then interleaves your client's calls (register, activation status, refresh key,
delete) with the platform's own moves (devices connecting and disconnecting, time jumping past
verify-code expiry, tokens superseded, throttling and internal errors on the next call), and
after every step checks three views against each other: a small reference model, the
platform's truth, and what your client reports. ``fakeiot.mock`` routes every ``requests`` call
to the machine's platform while it runs, so a client built on ``requests`` needs no changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import requests
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from . import strategies
from ._clock import ManualClock
from ._errors import ConnectRefused, NotFoundError
from ._oceanconnect import Application, OcError
from ._platform import Platform
from ._transports._requests import mock

__all__ = [
    "ClientError",
    "HttpOceanConnectClient",
    "OceanConnectClient",
    "OceanConnectContract",
]

BASE_URL = "https://iot.example:8743"


class ClientError(Exception):
    """What the default client raises when the platform answers an error."""

    def __init__(self, status: int, code: str, text: str) -> None:
        self.status, self.code, self.text = status, code, text
        super().__init__(f"{status} {code} {text}")


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

    def __init__(self, base_url: str, app_id: str, secret: str) -> None:
        self.base = f"{base_url}/iocm/app"
        self.app_id, self.secret = app_id, secret
        self.token: str | None = None

    def _login(self) -> None:
        response = requests.post(
            f"{self.base}/sec/v1.1.0/login",
            data={"appId": self.app_id, "secret": self.secret},
            timeout=10,
        )
        self._check(response)
        self.token = response.json()["accessToken"]

    def _call(self, method: str, path: str, body: Any = None) -> requests.Response:
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


def _code(response: requests.Response) -> str | None:
    if not response.content or not response.content.startswith(b"{"):
        return None
    payload = response.json()
    code = payload.get("error_code", payload.get("resultcode"))
    return None if code is None else str(code)


@dataclass
class ModelDevice:
    """The reference model's view of one device."""

    node_id: str
    deadline: float | None
    activated: bool = False
    online: bool = False


class OceanConnectContract(RuleBasedStateMachine):
    """Random legal OceanConnect histories; override :meth:`make_client` for your client."""

    base_url = BASE_URL
    node_ids = strategies.node_ids()

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.platform = self.make_platform(self.clock)
        self.app = self.platform.oceanconnect.create_app()
        self._mock = mock(self.platform)
        self._mock.__enter__()
        self.client: OceanConnectClient = self.make_client(self.base_url, self.app)
        self.model: dict[str, ModelDevice] = {}

    def make_platform(self, clock: ManualClock) -> Platform:
        """The platform each run uses (override to change settings)."""
        return Platform(seed=0, clock=clock, flow_control_limit=None)

    def make_client(self, base_url: str, app: Application) -> OceanConnectClient:
        """Your client, talking to ``base_url`` as application ``app``."""
        return HttpOceanConnectClient(base_url, app.app_id, app.secret)

    def teardown(self) -> None:
        self._mock.__exit__(None, None, None)

    devices = Bundle("devices")

    # -- the client's moves ---------------------------------------------------------------------
    def _node_free(self, node_id: str) -> bool:
        return all(d.node_id != node_id for d in self.model.values())

    @rule(target=devices, node_id=node_ids, timeout=st.sampled_from([0, 60, 600]))
    def register(self, node_id: str, timeout: int) -> str:
        if not self._node_free(node_id):
            return ""
        device_id = self.client.register(node_id, timeout=timeout)
        deadline = self.clock.now() + timeout if timeout else None
        self.model[device_id] = ModelDevice(node_id, deadline)
        return device_id

    @rule(device_id=devices, node_id=node_ids)
    def refresh_key(self, device_id: str, node_id: str) -> None:
        device = self.model.get(device_id)
        if device is None or not device.activated or device.online:
            return
        if not self._node_free(node_id):
            node_id = device.node_id
        code = self.client.refresh_key(device_id, node_id=node_id)
        assert code == node_id, f"refresh key returned verify code {code!r}, sent {node_id!r}"
        device.node_id = node_id
        device.deadline = None

    @rule(device_id=devices)
    def delete(self, device_id: str) -> None:
        if device_id in self.model:
            self.client.delete(device_id)
            del self.model[device_id]

    @rule(node_id=node_ids, error=st.sampled_from([OcError.INTERNAL_ERROR, OcError.THROTTLED]))
    def register_during_a_fault(self, node_id: str, error: OcError) -> None:
        """The next registration meets a fault: the client recovers or raises; either way the
        platform and the model must still agree."""
        if not self._node_free(node_id):
            return
        with self.platform.faults.inject("oceanconnect.register_device", error=error):
            try:
                device_id = self.client.register(node_id, timeout=0)
            except Exception:
                return
        self.model[device_id] = ModelDevice(node_id, None)

    # -- the platform's moves -------------------------------------------------------------------
    @rule(device_id=devices)
    def device_connects(self, device_id: str) -> None:
        device = self.model.get(device_id)
        if device is None:
            return
        self.platform.oceanconnect.connect_device(device.node_id)
        device.activated = device.online = True
        device.deadline = None

    @rule(device_id=devices)
    def device_disconnects(self, device_id: str) -> None:
        device = self.model.get(device_id)
        if device is not None and device.online:
            self.platform.oceanconnect.disconnect_device(device_id)
            device.online = False

    @rule(seconds=st.sampled_from([30, 61, 601]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)
        now = self.clock.now()
        for device_id, device in list(self.model.items()):
            if not device.activated and device.deadline is not None and device.deadline <= now:
                del self.model[device_id]

    @rule()
    def token_is_superseded(self) -> None:
        """Another process logs in as the same application: the client's token dies."""
        login = f"{self.base_url}/iocm/app/sec/v1.1.0/login"
        requests.post(
            login, data={"appId": self.app.app_id, "secret": self.app.secret}, timeout=10
        ).close()

    @precondition(lambda self: bool(self.model))
    @rule()
    def expired_registration_refuses_the_device(self) -> None:
        """A device whose registration expired cannot connect."""
        now = self.clock.now()
        for device in self.model.values():
            if not device.activated and device.deadline is not None:
                self.clock.advance(max(device.deadline - now, 0) + 1)
                self.platform.tick()
                reason = None
                try:
                    self.platform.oceanconnect.connect_device(device.node_id)
                except ConnectRefused as refused:
                    reason = refused.reason
                assert reason == "expired", f"{device.node_id!r}: expired code gave {reason!r}"
                self.time_passes(0)
                return

    # -- the three views must agree -------------------------------------------------------------
    @invariant()
    def model_platform_and_client_agree(self) -> None:
        truth = {view.device_id: view for view in self.platform.oceanconnect.devices(self.app)}
        assert set(truth) == set(self.model), (
            f"platform holds {sorted(truth)}, the model expects {sorted(self.model)}"
        )
        for device_id, device in self.model.items():
            view = truth[device_id]
            assert (view.node_id, view.activated) == (device.node_id, device.activated)
            assert (view.status == "ONLINE") == device.online
            reported = self.client.is_activated(device_id)
            assert reported == view.activated, (
                f"client says activated={reported} for {device_id}, platform says {view.activated}"
            )

    @invariant()
    def platform_invariants_hold(self) -> None:
        self.platform.check_invariants()

    @invariant()
    def deleted_devices_stay_gone(self) -> None:
        for view in self.platform.oceanconnect.devices(self.app):
            try:
                self.platform.oceanconnect.device(view.device_id)
            except NotFoundError as missing:  # pragma: no cover - would be a fakeiot bug
                raise AssertionError(str(missing)) from missing
