"""A small OceanConnect client over ``Platform.handle``, for fakeiot's own tests."""

from __future__ import annotations

import json
from typing import Any

import fakeiot
from fakeiot._oceanconnect import Application

BASE = "https://iot.example:8743"
LOGIN = "/iocm/app/sec/v1.1.0/login"
REFRESH = "/iocm/app/sec/v1.1.0/refreshToken"
LOGOUT = "/iocm/app/sec/v1.1.0/logout"
REGISTER = "/iocm/app/reg/v1.1.0/deviceCredentials"
CREDENTIALS = "/iocm/app/reg/v1.1.0/deviceCredentials/{}"
DEVICES = "/iocm/app/dm/v1.4.0/devices"
DEVICE = "/iocm/app/dm/v1.4.0/devices/{}"
IMEI = "861234567890123"


class OcClient:
    """Logs in as ``app`` and sends requests straight to ``platform.handle``."""

    def __init__(self, platform: fakeiot.Platform, app: Application | None = None) -> None:
        self.platform = platform
        self.app = app if app is not None else platform.oceanconnect.create_app()
        self.token = ""
        self.refresh_token = ""
        self.login()

    def login(self) -> fakeiot.HttpResponse:
        form = f"appId={self.app.app_id}&secret={self.app.secret}"
        response = self.platform.handle(
            fakeiot.HttpRequest(
                "POST",
                LOGIN,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=form.encode(),
            )
        )
        assert response.status == 200, response.body
        payload = response.json_body()
        self.token, self.refresh_token = payload["accessToken"], payload["refreshToken"]
        return response

    @property
    def headers(self) -> dict[str, str]:
        return {
            "app_key": self.app.app_id,
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
        }

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> fakeiot.HttpResponse:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        request = fakeiot.HttpRequest.from_url(
            method, path, headers=self.headers if headers is None else headers, body=data
        )
        return self.platform.handle(request)

    def register(self, node_id: str = IMEI, **fields: Any) -> fakeiot.HttpResponse:
        return self.call("POST", REGISTER, {"nodeId": node_id, **fields})

    def register_ok(self, node_id: str = IMEI, **fields: Any) -> str:
        response = self.register(node_id, **fields)
        assert response.status == 200, response.body
        device_id: str = response.json_body()["deviceId"]
        return device_id


def error_of(response: fakeiot.HttpResponse) -> tuple[int, str, str]:
    """(HTTP status, vendor code, vendor text) of an error response, in either body shape."""
    body = response.json_body()
    if "resultcode" in body:
        return response.status, body["resultcode"], body["resultmsg"]
    return response.status, body["error_code"], body["error_desc"]
