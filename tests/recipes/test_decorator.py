"""Recipe: ``fakeiot.mock(platform)`` as a decorator, for code that builds its own platform."""

from __future__ import annotations

import requests

import fakeiot

platform = fakeiot.Platform(seed=0)
app = platform.oceanconnect.create_app(app_id="my-app", secret="s3cret")


@fakeiot.mock(platform)
def login() -> str:
    """Every ``requests`` call made while this function runs reaches ``platform``."""
    answer = requests.post(
        "https://iot.example:8743/iocm/app/sec/v1.1.0/login",
        data={"appId": "my-app", "secret": "s3cret"},
        timeout=10,
    )
    answer.raise_for_status()
    token: str = answer.json()["accessToken"]
    return token


def test_the_decorated_function_talks_to_the_platform() -> None:
    assert login() != login()  # each login issues a new token
    assert [call.response.status for call in platform.calls][-2:] == [200, 200]
