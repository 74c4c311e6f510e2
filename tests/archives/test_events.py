"""The four archive events reach a tenant's webhook as the contract names them, in the
order the archive went through its states, each with the archive it is about."""

from __future__ import annotations

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.runtime import Runtime
from sahod.webhooks.models import WebhookDelivery
from tests.archives.helpers import raw_file, run_analyses, sandbox_document
from tests.conftest import TenantClient
from tests.contract.smile import schema_errors
from tests.documents.hostile_files import image

ARCHIVE_EVENTS = ["ARCHIVE_STARTED", "ARCHIVE_ANALYZED", "ARCHIVE_FAILED", "ARCHIVE_REVOKED"]


async def test_archive_events_are_delivered_to_webhooks(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime
) -> None:
    webhook_id = await tenant.create_webhook(
        "https://hooks.example.com/sahod", "a little secret", eventTypes=ARCHIVE_EVENTS
    )

    good = await tenant.http.post(
        "/v1/archives", json={"rawFiles": [raw_file(sandbox_document().data(), "p.pdf")]}
    )
    blank = await tenant.http.post(
        "/v1/archives",
        json={"fileType": "PAYSLIP", "rawFiles": [raw_file(image("PNG"), "b.png", "PNG")]},
    )
    good_id, blank_id = good.json()["data"]["id"], blank.json()["data"]["id"]
    await run_analyses(session, runtime)
    assert (await tenant.http.delete(f"/v1/archives/{good_id}")).status_code == 200

    deliveries = (
        await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.seq)
        )
    ).all()
    bodies = [orjson.loads(delivery.body) for delivery in deliveries]
    seen = [(body["type"], body["data"]["archiveId"]) for body in bodies]
    assert seen == [
        ("ARCHIVE_STARTED", good_id),
        ("ARCHIVE_STARTED", blank_id),
        ("ARCHIVE_ANALYZED", good_id),
        ("ARCHIVE_FAILED", blank_id),
        ("ARCHIVE_REVOKED", good_id),
    ]
    for body in bodies:
        assert schema_errors("RefWebhookEventType", body["type"]) == []
        assert set(body) == {"id", "version", "type", "createdAt", "data"}
        assert body["data"]["providers"] == ["tenant-provided"]
        assert body["data"]["userId"]
    failed = bodies[3]["data"]
    assert failed["status"] in ("UNSUPPORTED", "ERROR") and failed["errorCode"]
