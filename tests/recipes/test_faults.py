"""Recipe: a client that retries a vendor 500 once, tested with an injected fault."""

from __future__ import annotations

from typing import Any

import requests

BASE = "https://iot.example:8743/iocm/app"


def register_with_one_retry(headers: dict[str, str], node_id: str) -> requests.Response:
    """The code under test: retry once when the platform answers 500."""
    for _attempt in range(2):
        answer = requests.post(
            f"{BASE}/reg/v1.1.0/deviceCredentials", json={"nodeId": node_id}, headers=headers
        )
        if answer.status_code != 500:
            break
    return answer


def test_one_internal_error_is_retried(fakeiot: Any, fakeiot_app: Any) -> None:
    login = requests.post(
        f"{BASE}/sec/v1.1.0/login",
        data={"appId": fakeiot_app.app_id, "secret": fakeiot_app.secret},
    )
    token = login.json()["accessToken"]
    headers = {"app_key": fakeiot_app.app_id, "Authorization": f"Bearer {token}"}

    # the next registration fails with the vendor's 500 / 100001; the one after succeeds
    with fakeiot.faults.inject("oceanconnect.register_device", error="100001"):
        answer = register_with_one_retry(headers, "861234567890123")

    assert answer.status_code == 200
    registrations = [c for c in fakeiot.calls if c.route == "oceanconnect.register_device"]
    assert [c.response.status for c in registrations] == [500, 200]
