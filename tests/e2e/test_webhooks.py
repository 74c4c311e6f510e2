"""Webhooks through a real `sahod serve` (API and in-process worker) to a real receiver:
a receiver that is down when the events happen gets every one of them once it is back,
signed both ways."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook as StandardWebhook

from tests.e2e.conftest import create_tenant_with_cli
from tests.e2e.server import SahodProcess, start_sahod
from tests.webhooks.receiver import Receiver

SECRET = "e2e-webhook-secret"


@pytest.fixture(scope="module")
def webhook_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SahodProcess, dict[str, str]]]:
    data_dir: Path = tmp_path_factory.mktemp("webhooks-live")
    keys = create_tenant_with_cli(database_url, data_dir, "Webhook Tenant")
    process = start_sahod(
        ["serve"],
        env={
            "SAHOD_DATABASE_URL": database_url,
            # Retries within seconds, not hours; the worker's poll (5 s) sets the pace.
            "SAHOD_WEBHOOK_RETRY_SCHEDULE": json.dumps([0.5, 1, 1, 2, 2, 3, 3, 5]),
            "SAHOD_WEBHOOK_RETRY_JITTER": "0",
        },
        ready=r"Sahod is running",
        data_dir=data_dir,
    )
    try:
        yield process, keys
    finally:
        process.stop()


@pytest.mark.slow
async def test_a_receiver_down_during_the_events_receives_all_of_them(
    webhook_server: tuple[SahodProcess, dict[str, str]],
) -> None:
    process, keys = webhook_server
    receiver = Receiver()
    await receiver.start()
    await receiver.stop()  # the port is known; nothing listens on it yet
    async with httpx.AsyncClient(
        base_url=process.base_url, auth=(keys["apiKey"], keys["apiSecret"]), timeout=10
    ) as api:
        created = await api.post(
            "/v1/webhooks",
            json={
                "name": "e2e",
                "url": f"{receiver.url}/sahod",
                "eventTypes": ["USER_CREATED"],
                "active": True,
                "secret": SECRET,
            },
        )
        assert created.status_code == 200, created.text
        hook_id = created.json()["data"]["id"]
        users = {(await api.post("/v1/users")).json()["data"]["user"]["id"] for _ in range(3)}

        async def deliveries() -> list[dict[str, object]]:
            page = await api.get(f"/v1/webhooks/{hook_id}/deliveries", params={"size": 150})
            items: list[dict[str, object]] = page.json()["data"]["items"]
            return items

        for _ in range(200):  # every delivery has failed at least once
            found = await deliveries()
            if len(found) == 3 and all(item["attemptCount"] for item in found):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"no failed attempts recorded: {found}")
        await receiver.start()
        try:
            await receiver.wait_for(lambda posts: len(posts) >= 3, within=60)
            for _ in range(100):
                found = await deliveries()
                if all(item["status"] == "SUCCEEDED" for item in found):
                    break
                await asyncio.sleep(0.1)
        finally:
            await receiver.stop()

    assert {post.json()["data"]["userId"] for post in receiver.posts} == users
    for post in receiver.posts:
        StandardWebhook(SECRET.encode()).verify(post.body, post.headers)
        expected = hmac.new(SECRET.encode(), post.body, hashlib.sha512).hexdigest()
        assert post.headers["smile-signature"] == expected
    assert all(item["status"] == "SUCCEEDED" for item in found)
    for item in found:
        attempts = item["attempts"]
        assert isinstance(attempts, list) and attempts[0]["statusCode"] is None
        assert attempts[-1]["statusCode"] == 200
