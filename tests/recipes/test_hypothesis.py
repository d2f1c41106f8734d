"""Recipe: Hypothesis with fakeiot.

``@given`` runs the test body many times but sets function-scoped fixtures up only once, so a
test that takes ``fakeiot`` would share one platform between examples (Hypothesis refuses it
with the ``function_scoped_fixture`` health check). Build a fresh ``Platform()`` in the body
instead (it costs well under a millisecond), or use a contract machine
(``fakeiot.contract``), which creates one per run.
"""

from __future__ import annotations

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

import fakeiot
from fakeiot import strategies

BASE = "/iocm/app"


@settings(max_examples=25, derandomize=True, database=None, deadline=None)
@given(node_ids=st.lists(strategies.imeis(), min_size=1, max_size=4, unique=True))
def test_every_registered_device_is_listed_once(node_ids: list[str]) -> None:
    platform = fakeiot.Platform(seed=0)  # one platform per example
    oc = platform.oceanconnect
    oc.create_app(app_id="app", secret="s3cret")
    with fakeiot.mock(platform):
        login = requests.post(
            f"https://iot.example{BASE}/sec/v1.1.0/login",
            data={"appId": "app", "secret": "s3cret"},
        )
        headers = {"app_key": "app", "Authorization": "Bearer " + login.json()["accessToken"]}
        for node_id in node_ids:
            requests.post(
                f"https://iot.example{BASE}/reg/v1.1.0/deviceCredentials",
                json={"nodeId": node_id},
                headers=headers,
            ).raise_for_status()
        listed = requests.get(
            f"https://iot.example{BASE}/dm/v1.4.0/devices",
            params={"pageNo": 0, "pageSize": 100},
            headers=headers,
        ).json()
    assert sorted(d["deviceInfo"]["nodeId"] for d in listed["devices"]) == sorted(node_ids)
