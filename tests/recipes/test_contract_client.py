"""Recipe: the OceanConnect contract machine checking your own client.

``fakeiot.contract.OceanConnectContract`` drives random but legal platform histories against
the client ``make_client`` returns; after every step a reference model, the platform's truth
and the client's answers must agree. The budget below keeps the run short and the same on
every run.
"""

from __future__ import annotations

from typing import Any

import requests
from hypothesis import settings

from fakeiot.contract import OceanConnectContract


class MyClient:
    """Our application's own OceanConnect client."""

    def __init__(self, base_url: str, app_id: str, secret: str) -> None:
        self.base = base_url + "/iocm/app"
        self.app_id, self.secret = app_id, secret
        self.token: str | None = None

    def _request(self, method: str, path: str, body: Any = None) -> requests.Response:
        for _attempt in range(3):
            if self.token is None:
                login = requests.post(
                    self.base + "/sec/v1.1.0/login",
                    data={"appId": self.app_id, "secret": self.secret},
                )
                self.token = login.json()["accessToken"]
            response = requests.request(
                method,
                self.base + path,
                json=body,
                headers={"app_key": self.app_id, "Authorization": f"Bearer {self.token}"},
            )
            code = response.json().get("resultcode") if response.status_code == 403 else None
            if code == "1010005":  # the token expired or another login superseded it
                self.token = None
            elif code != "1010009":  # not throttled: done
                response.raise_for_status()
                return response
        raise RuntimeError(f"{method} {path}: no answer after three attempts")

    def register(self, node_id: str, *, timeout: int | None = None) -> str:
        body = {"nodeId": node_id, "verifyCode": node_id, "timeout": timeout}
        answer = self._request("POST", "/reg/v1.1.0/deviceCredentials", body)
        device_id: str = answer.json()["deviceId"]
        return device_id

    def is_activated(self, device_id: str) -> bool:
        path = f"/reg/v1.1.0/deviceCredentials/{device_id}"
        return bool(self._request("GET", path).json()["activated"])

    def refresh_key(self, device_id: str, *, node_id: str | None = None) -> str:
        body = {"nodeId": node_id, "verifyCode": node_id, "timeout": 0}
        path = f"/reg/v1.1.0/deviceCredentials/{device_id}"
        code: str = self._request("PUT", path, body).json()["verifyCode"]
        return code

    def delete(self, device_id: str) -> None:
        self._request("DELETE", f"/dm/v1.4.0/devices/{device_id}")


class MyClientContract(OceanConnectContract):
    def make_client(self, base_url: str, app: Any) -> MyClient:
        return MyClient(base_url, app.app_id, app.secret)


TestMyClient = MyClientContract.TestCase
TestMyClient.settings = settings(
    max_examples=10, stateful_step_count=10, deadline=None, derandomize=True, database=None
)
