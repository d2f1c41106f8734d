"""Recipe: an async httpx client served in-process by ``fakeiot.HttpxTransport`` (one transport
works for ``httpx.Client`` and ``httpx.AsyncClient``; no network, no event-loop plugin needed)."""

from __future__ import annotations

import asyncio

import httpx

import fakeiot

BASE = "https://iot.example:8743/iocm/app"


async def register(client: httpx.AsyncClient, app_id: str, secret: str, node_id: str) -> str:
    login = await client.post(f"{BASE}/sec/v1.1.0/login", data={"appId": app_id, "secret": secret})
    headers = {"app_key": app_id, "Authorization": "Bearer " + login.json()["accessToken"]}
    answer = await client.post(
        f"{BASE}/reg/v1.1.0/deviceCredentials", json={"nodeId": node_id}, headers=headers
    )
    answer.raise_for_status()
    device_id: str = answer.json()["deviceId"]
    return device_id


def test_async_client_registers_a_device(fakeiot_platform: fakeiot.Platform) -> None:
    app = fakeiot_platform.oceanconnect.create_app()

    async def scenario() -> str:
        transport = fakeiot.HttpxTransport(fakeiot_platform)
        async with httpx.AsyncClient(transport=transport) as client:
            return await register(client, app.app_id, app.secret, "861234567890123")

    device_id = asyncio.run(scenario())
    assert fakeiot_platform.oceanconnect.device(device_id).status_detail == "NOT_ACTIVE"
