"""Recipe: ``fakeiot.strategies`` in your own tests. Valid strategies generate what the real
platform accepts; each ``invalid_*`` strategy generates what it rejects, with the vendor code."""

from __future__ import annotations

from typing import Any

import requests
from hypothesis import given, settings

import fakeiot
from fakeiot import strategies

BASE = "https://iot.example:8743/iocm/app"
BUDGET = settings(max_examples=30, derandomize=True, database=None, deadline=None)


def my_register(platform: fakeiot.Platform, body: Any) -> requests.Response:
    """Stand-in for the code under test: log in and send ``body`` as a registration."""
    app = platform.oceanconnect.create_app()
    with fakeiot.mock(platform):
        login = requests.post(
            f"{BASE}/sec/v1.1.0/login", data={"appId": app.app_id, "secret": app.secret}
        )
        token = login.json()["accessToken"]
        return requests.post(
            f"{BASE}/reg/v1.1.0/deviceCredentials",
            json=body,
            headers={"app_key": app.app_id, "Authorization": f"Bearer {token}"},
        )


@BUDGET
@given(strategies.register_bodies())
def test_valid_bodies_are_accepted(body: dict[str, Any]) -> None:
    answer = my_register(fakeiot.Platform(seed=0), body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["verifyCode"]


@BUDGET
@given(strategies.invalid_register_bodies())
def test_invalid_bodies_get_the_vendor_code(case: tuple[Any, str]) -> None:
    body, code = case
    answer = my_register(fakeiot.Platform(seed=0), body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == code
