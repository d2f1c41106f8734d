"""A small EnOS client over ``Platform.handle`` for fakeiot's own tests.

It authenticates with the documented access-token scheme and signs every call; the signature
is computed here independently of ``fakeiot._enos._auth`` (the docs' test vector pins both).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

import fakeiot
from fakeiot._enos import Organization

DEVICES = "/connect-service/v2.1/devices"
DEVICES_V20 = "/connect-service/v2.0/devices"
PRODUCTS = "/connect-service/v2.1/products"
TOKEN_GET = "/apim-token-service/v2.0/token/get"
TOKEN_REFRESH = "/apim-token-service/v2.0/token/refresh"
AUTH_FAILED = {"message": "Invalid authentication credentials"}


def signature(token: str, query: dict[str, str], body: bytes, timestamp: str, secret: str) -> str:
    params = "".join(f"{k}{query[k]}" for k in sorted(query))
    data = token.encode() + params.encode() + body + timestamp.encode() + secret.encode()
    return hashlib.sha256(data).hexdigest()


def product_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productName": {"defaultValue": "Turbine", "i18nValue": {"zh_CN": "风机"}},
        "modelId": "turbine_model",
        "dataFormat": "Json",
        "productType": "Device",
        "biDirectionalAuth": False,
    }
    body.update(overrides)
    return body


def device_body(product_key: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productKey": product_key,
        "deviceName": {"defaultValue": "turbine-1"},
        "timezone": "+08:00",
    }
    body.update(overrides)
    return body


class EnosClient:
    """Gets an access token for ``org`` and sends signed requests to ``platform.handle``."""

    def __init__(self, platform: fakeiot.Platform, org: Organization | None = None) -> None:
        self.platform = platform
        self.org = org if org is not None else platform.enos.create_org()
        self.token = ""
        self._last_token_ts = 0
        response = self.token_call(TOKEN_GET)
        self.token = response.json_body()["data"]["accessToken"]

    def now_ms(self) -> str:
        return str(int(self.platform.clock.now() * 1000))

    def token_call(
        self, path: str, *, timestamp: str | None = None, **extra: Any
    ) -> fakeiot.HttpResponse:
        if timestamp is None:
            # a fresh millisecond per request: the same encryption twice is a replay (1001)
            stamp = max(int(self.now_ms()), self._last_token_ts + 1)
            self._last_token_ts = stamp
            timestamp = str(stamp)
        ts = timestamp
        key, secret = self.org.access_key, self.org.secret_key
        body = {
            "appKey": key,
            "encryption": hashlib.sha256((key + ts + secret).encode()).hexdigest(),
            "timestamp": int(ts),
            **extra,
        }
        return self.platform.handle(
            fakeiot.HttpRequest("POST", path, body=json.dumps(body).encode())
        )

    def request(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> fakeiot.HttpResponse:
        """Send a signed request; ``headers`` replace the signed ones when given."""
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        if headers is None:
            timestamp = self.now_ms()
            headers = {
                "apim-accesstoken": self.token,
                "apim-timestamp": timestamp,
                "apim-signature": signature(
                    self.token, query, data, timestamp, self.org.secret_key
                ),
                "Content-Type": "application/json;charset=UTF-8",
            }
        return self.platform.handle(
            fakeiot.HttpRequest(
                method, path, query_string=urlencode(query), headers=headers, body=data
            )
        )

    def call(
        self,
        path: str,
        action: str | None,
        body: Any = None,
        *,
        method: str = "POST",
        raw: bytes | None = None,
        org_id: str | None = None,
        **query: str,
    ) -> dict[str, Any]:
        """A Connect Service call; returns the envelope (asserting HTTP 200)."""
        params = {} if action is None else {"action": action}
        params["orgId"] = self.org.org_id if org_id is None else org_id
        params.update(query)
        response = self.request(method, path, params, body, raw=raw)
        assert response.status == 200, response.body
        payload: dict[str, Any] = response.json_body()
        return payload

    def devices(self, action: str | None, body: Any = None, **query: Any) -> dict[str, Any]:
        return self.call(DEVICES, action, body, **query)

    def products(self, action: str | None, body: Any = None, **query: Any) -> dict[str, Any]:
        return self.call(PRODUCTS, action, body, **query)

    def create_product(self, **overrides: Any) -> str:
        reply = self.products("create", product_body(**overrides))
        assert reply["code"] == 0, reply
        product_key: str = reply["data"]
        return product_key

    def create_device(self, product_key: str, **overrides: Any) -> dict[str, str]:
        reply = self.devices("create", device_body(product_key, **overrides))
        assert reply["code"] == 0, reply
        data: dict[str, str] = reply["data"]
        return data

    def get_device(self, asset_id: str) -> dict[str, Any]:
        reply = self.devices("get", method="GET", assetId=asset_id)
        assert reply["code"] == 0, reply
        data: dict[str, Any] = reply["data"]
        return data


def error_of(reply: dict[str, Any]) -> tuple[int, str]:
    """(code, msg) of an envelope, checking the error envelope's shape on the way."""
    assert set(reply) == {"code", "msg", "requestId", "data"}, reply
    assert reply["data"] is None
    return reply["code"], reply["msg"]


INVALID = (99400, "Invalid arguments")
