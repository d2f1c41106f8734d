"""Helpers for the IoTDA tests: a signed raw client over ``Platform.handle`` and the SDK."""

from __future__ import annotations

import json
import os
import time
from typing import Any
from urllib.parse import quote

import fakeiot
from fakeiot import HttpRequest, HttpResponse
from fakeiot._iotda import IotdaError, ProjectKeys
from fakeiot._iotda._auth import (
    BASIC,
    DERIVED,
    canonical_request,
    derive_key,
    sign,
    string_to_sign,
)

HOST = "iotda.cn-north-4.myhuaweicloud.com"
REGION = "cn-north-4"
SECRET = "s3cret-01"
#: the SDK writes ~/.huaweicloud/application_id; keep it out of the real home directory
os.environ.setdefault("HOME", "/tmp")


def expected(error: IotdaError) -> tuple[int, str, str]:
    row = error.row
    return row.status, row.code, row.msg


def error_of(response: HttpResponse) -> tuple[int, str, str]:
    body = response.json_body()
    return response.status, body["error_code"], body["error_msg"]


def sdk_date(at: float | None = None) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if at is None else at))


class IoClient:
    """Signs requests as the SDK does and sends them through ``Platform.handle``."""

    def __init__(self, platform: fakeiot.Platform, project: ProjectKeys | None = None) -> None:
        self.platform = platform
        self.project = project if project is not None else platform.iotda.create_project()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, Any] | None = None,
        algorithm: str = BASIC,
        headers: dict[str, str] | None = None,
        sk: str | None = None,
        date: str | None = None,
        project_id: str | None = None,
        raw_body: bytes | None = None,
        sign_headers: tuple[str, ...] | None = None,
    ) -> HttpRequest:
        project = self.project
        pid = project.project_id if project_id is None else project_id
        full = f"/v5/iot/{pid}{path}"
        pairs = sorted(
            (k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (query or {}).items()
        )
        qs = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)
        data = (
            raw_body
            if raw_body is not None
            else (b"" if body is None else json.dumps(body).encode())
        )
        hdrs = {
            "Content-Type": "application/json",
            "Host": HOST,
            "User-Agent": "test-agent/1.0",
            "X-Project-Id": pid,
            "X-Sdk-Date": date if date is not None else sdk_date(self.platform.clock.now()),
        }
        hdrs.update(headers or {})
        lower = {k.lower(): v for k, v in hdrs.items()}
        signed = sign_headers if sign_headers is not None else tuple(sorted(lower))
        creq = canonical_request(method, full, qs, lower, signed, data)
        key = sk if sk is not None else project.sk
        info = ""
        if algorithm == DERIVED:
            info = f"{lower['x-sdk-date'][:8]}/{REGION}/iotdm"
            key = derive_key(project.ak, key, info)
        signature = sign(key, string_to_sign(algorithm, lower["x-sdk-date"], info, creq))
        cred = f"Credential={project.ak}/{info}" if algorithm == DERIVED else f"Access={project.ak}"
        hdrs["Authorization"] = (
            f"{algorithm} {cred}, SignedHeaders={';'.join(signed)}, Signature={signature}"
        )
        return HttpRequest(method, full, query_string=qs, headers=hdrs, body=data, host=HOST)

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> HttpResponse:
        return self.platform.handle(self.request(method, path, body, **kwargs))

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.call(method, path, body, **kwargs)
        assert response.status < 300, (response.status, response.body)
        assert response.headers.get("X-Request-Id")
        return response.json_body()

    # -- arrangements --------------------------------------------------------------------------
    def product(self, **fields: Any) -> str:
        body = {
            "name": "Meter",
            "device_type": "Meter",
            "protocol_type": "MQTT",
            "data_format": "json",
            "service_capabilities": [
                {
                    "service_id": "Temp",
                    "service_type": "Temp",
                    "properties": [
                        {"property_name": "t", "data_type": "int", "method": "RW"},
                        {
                            "property_name": "target",
                            "data_type": "int",
                            "method": "RW",
                            "default_value": 20,
                        },
                    ],
                    "commands": [{"command_name": "reboot"}],
                }
            ],
        }
        body.update(fields)
        return str(self.ok("POST", "/products", body)["product_id"])

    def device(self, product_id: str, node_id: str = "node-1", **fields: Any) -> dict[str, Any]:
        body = {"node_id": node_id, "product_id": product_id, "auth_info": {"secret": SECRET}}
        body.update(fields)
        result: dict[str, Any] = self.ok("POST", "/devices", body)
        return result


def sign_in_place(platform: fakeiot.Platform, keys: ProjectKeys, request: HttpRequest) -> None:
    """Sign an already built request for ``keys`` (its non-empty project segment becomes
    ``keys.project_id``), as the SDK would: for tests that generate requests."""
    parts = request.path.split("/", 4)
    if len(parts) > 3 and parts[1:3] == ["v5", "iot"] and parts[3]:
        parts[3] = keys.project_id
        request.path = "/".join(parts)
    request.headers.update(
        {
            "host": HOST,
            "user-agent": "test-agent/1.0",
            "x-project-id": keys.project_id,
            "x-sdk-date": sdk_date(platform.clock.now()),
        }
    )
    request.headers.setdefault("content-type", "application/json")
    signed = tuple(sorted(k for k in request.headers if k != "authorization" and "_" not in k))
    creq = canonical_request(
        request.method, request.path, request.query_string, request.headers, signed, request.body
    )
    signature = sign(keys.sk, string_to_sign(BASIC, request.headers["x-sdk-date"], "", creq))
    request.headers["authorization"] = (
        f"{BASIC} Access={keys.ak}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
