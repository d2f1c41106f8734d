"""The default clients of each face, and the Protocols a user's client implements."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol, runtime_checkable
from urllib.parse import quote, urlencode

import requests

from .._enos import Organization
from .._iotda import ProjectKeys
from .._iotda._auth import BASIC, canonical_request, sign, string_to_sign
from ._common import ClientError


def _session() -> requests.Session:
    """One connection pool per client, as a real client keeps. Environment proxies are off: the
    contract talks to fakeiot in-process or on loopback, which a set ``HTTP_PROXY`` would break
    (and reading the environment on every call was a fifth of the machine's run time)."""
    session = requests.Session()
    session.trust_env = False
    return session


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
        self.session = _session()

    def _login(self) -> None:
        response = self.session.post(
            f"{self.base}/sec/v1.1.0/login",
            data={"appId": self.app_id, "secret": self.secret},
            timeout=10,
        )
        self._check(response)
        self.token = response.json()["accessToken"]

    def _call(self, method: str, path: str, body: Any = None) -> requests.Response:
        if self.acting_for is not None:
            path += f"{'&' if '?' in path else '?'}appId={self.acting_for}"
        for attempt in range(3):
            if self.token is None:
                self._login()
            response = self.session.request(
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

    def create_command(self, device_id: str, paras: dict[str, Any], *, expire_time: int) -> str:
        """``POST .../cmd/v1.4.0/deviceCommands`` (service ``Contract``, method ``PING``);
        returns the commandId."""
        body = {
            "deviceId": device_id,
            "command": {"serviceId": "Contract", "method": "PING", "paras": paras},
            "expireTime": expire_time,
        }
        response = self._call("POST", "/cmd/v1.4.0/deviceCommands", body)
        command_id: str = response.json()["commandId"]
        return command_id

    def command_status(self, device_id: str, command_id: str) -> str | None:
        """A command's ``status`` as the device's command list answers it (``None``: absent)."""
        response = self._call(
            "GET", f"/cmd/v1.4.0/deviceCommands?deviceId={device_id}&pageSize=100"
        )
        for command in response.json().get("data") or ():
            if command.get("commandId") == command_id:
                return str(command.get("status"))
        return None

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
COMMANDS = "/connect-service/v2.1/commands"


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
        self.session = _session()

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
        response = self.session.post(f"{self.base}{TOKEN_SERVICE}/{path}", json=body, timeout=10)
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
            response = self.session.post(url, data=data, headers=headers, timeout=10)
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

    def invoke_service(
        self, asset_id: str, service_id: str, inputs: dict[str, Any], *, pending_ttl: int = 0
    ) -> str:
        """``commands?action=invokeService``; returns the commandId."""
        data = self._call(
            COMMANDS,
            "invokeService",
            {"inputData": inputs},
            assetId=asset_id,
            serviceId=service_id,
            pendingTtl=str(pending_ttl),
        )
        command_id: str = data["commandId"]
        return command_id

    def command_state(self, asset_id: str, command_id: str) -> int:
        """A command's ``state`` (1-7) as ``commands?action=get`` answers it."""
        data = self._call(COMMANDS, "get", assetId=asset_id, commandId=command_id)
        return int(data["state"])

    def cancel_commands(self, asset_id: str) -> list[str]:
        """Cancel every cached command of the device; the commandIds cancelled."""
        data = self._call(COMMANDS, "cancel", assetId=asset_id)
        return [c["commandId"] for c in data]

    def device(self, asset_id: str) -> EnosDevice | None:
        """The device, or ``None`` if the platform answers that it does not exist."""
        try:
            return self.get(asset_id)
        except ClientError as error:
            if error.code in ("11404", "99404"):
                return None
            raise


# =============================================================================================
# IoTDA
# =============================================================================================
class IotdaCredentials(NamedTuple):
    """A device's id and secret, as add_device answers them."""

    device_id: str
    secret: str


class IotdaDeviceInfo(NamedTuple):
    """A device as show_device answers it: ``status`` is ``INACTIVE``, ``ONLINE``,
    ``OFFLINE``, ``ABNORMAL`` or ``FROZEN``."""

    device_id: str
    node_id: str
    status: str


@runtime_checkable
class IotdaClient(Protocol):
    """The small interface the IoTDA contract drives. Raise any exception on failure."""

    def add_device(self, product_id: str, node_id: str, *, timeout: int = 0) -> IotdaCredentials:
        """Add a device to the product (the platform generates its ``device_id`` and secret;
        ``timeout``: seconds it has to connect for the first time, 0 for ever)."""
        ...

    def show_device(self, device_id: str) -> IotdaDeviceInfo:
        """The device as the platform holds it now."""
        ...

    def freeze(self, device_id: str) -> None:
        """Freeze the device (it is disconnected and may not connect)."""
        ...

    def unfreeze(self, device_id: str) -> None:
        """Unfreeze a frozen device."""
        ...

    def reset_secret(self, device_id: str, *, force_disconnect: bool = False) -> str:
        """Have the platform issue a new primary secret; return it."""
        ...

    def delete(self, device_id: str) -> None:
        """Delete the device."""
        ...


IOTDA_HOST = "iotda.cn-north-4.myhuaweicloud.com"


class HttpIotdaClient:
    """The default IoTDA client: plain ``requests`` calls to ``/v5/iot/{project_id}``, signed
    with ``SDK-HMAC-SHA256`` as ``huaweicloudsdkcore`` signs them (every header it sets, none
    with ``_`` in its name; the path with a trailing ``/``; the sorted query; the body's
    SHA-256).

    ``clock`` dates requests (``X-Sdk-Date``; epoch seconds, ``time.time`` by default).
    """

    def __init__(
        self,
        base_url: str,
        keys: ProjectKeys,
        *,
        clock: Callable[[], float] = time.time,
        user_agent: str = "fakeiot-contract/1.0",
    ) -> None:
        self.base = base_url.rstrip("/")
        self.host = self.base.partition("://")[2] or self.base
        self.keys, self.clock, self.user_agent = keys, clock, user_agent
        self.session = _session()

    def signed_headers(
        self, method: str, path: str, query_string: str, body: bytes
    ) -> dict[str, str]:
        """The headers of a request, ``Authorization`` included, as the SDK sends them."""
        headers = {
            "Content-Type": "application/json",
            "Host": self.host,
            "User-Agent": self.user_agent,
            "X-Project-Id": self.keys.project_id,
            "X-Sdk-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.clock())),
        }
        lower = {k.lower(): v for k, v in headers.items()}
        signed = tuple(sorted(lower))
        canonical = canonical_request(method, path, query_string, lower, signed, body)
        signature = sign(self.keys.sk, string_to_sign(BASIC, lower["x-sdk-date"], "", canonical))
        headers["Authorization"] = (
            f"{BASIC} Access={self.keys.ak}, SignedHeaders={';'.join(signed)}, "
            f"Signature={signature}"
        )
        return headers

    def _call(
        self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None
    ) -> Any:
        full = f"/v5/iot/{self.keys.project_id}{path}"
        pairs = sorted((query or {}).items())
        query_string = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)
        data = b"" if body is None else json.dumps(body).encode()
        url = f"{self.base}{full}" + (f"?{query_string}" if query_string else "")
        response = self.session.request(
            method,
            url,
            data=data,
            headers=self.signed_headers(method, full, query_string, data),
            timeout=10,
        )
        payload = response.json() if response.content else None
        if response.status_code >= 300:
            answer = payload if isinstance(payload, dict) else {}
            raise ClientError(
                response.status_code,
                str(answer.get("error_code", "")),
                str(answer.get("error_msg", response.text)),
            )
        return payload

    def add_device(self, product_id: str, node_id: str, *, timeout: int = 0) -> IotdaCredentials:
        body = {"node_id": node_id, "product_id": product_id, "auth_info": {"timeout": timeout}}
        data = self._call("POST", "/devices", body)
        return IotdaCredentials(data["device_id"], data["auth_info"]["secret"])

    def show_device(self, device_id: str) -> IotdaDeviceInfo:
        data = self._call("GET", f"/devices/{quote(device_id, safe='')}")
        return IotdaDeviceInfo(data["device_id"], data["node_id"], data["status"])

    def freeze(self, device_id: str) -> None:
        self._call("POST", f"/devices/{quote(device_id, safe='')}/freeze")

    def unfreeze(self, device_id: str) -> None:
        self._call("POST", f"/devices/{quote(device_id, safe='')}/unfreeze")

    def reset_secret(self, device_id: str, *, force_disconnect: bool = False) -> str:
        data = self._call(
            "POST",
            f"/devices/{quote(device_id, safe='')}/action",
            {"force_disconnect": force_disconnect},
            {"action_id": "resetSecret"},
        )
        secret: str = data["secret"]
        return secret

    def delete(self, device_id: str) -> None:
        self._call("DELETE", f"/devices/{quote(device_id, safe='')}")

    # -- beyond the contract's interface: what the machine needs for its views ------------------
    def device(self, device_id: str) -> IotdaDeviceInfo | None:
        """The device, or ``None`` if the platform answers 404 (it does not know it)."""
        try:
            return self.show_device(device_id)
        except ClientError as error:
            if error.status == 404:
                return None
            raise
