"""The webhook API (each test in its rolled-back transaction; nothing is sent here):
subscriptions as the contract shapes them, validation, secrets, isolation, and the
deliveries an event fans out to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.events.service import emit
from sahod.kit.clock import ManualClock
from sahod.tenants.schemas import TenantMode
from sahod.tenants.service import create_tenant
from sahod.webhooks.delivery import DELIVER_TASK
from sahod.webhooks.models import Webhook, WebhookDelivery
from tests.conftest import TenantClient
from tests.contract.smile import contract_errors

SECRET = "a little secret"


def webhook_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Event Notification Postback",
        "url": "https://webhook.clienturl.xyz/hooks",
        "eventTypes": ["ACCOUNT_CONNECTED", "IDENTITY_ADDED"],
        "active": True,
        "secret": SECRET,
    }
    return body | overrides


async def create(client: TenantClient, **overrides: Any) -> dict[str, Any]:
    response = await client.http.post("/v1/webhooks", json=webhook_body(**overrides))
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_the_four_contract_endpoints_answer_as_the_contract_says(
    tenant: TenantClient, anonymous: httpx.AsyncClient
) -> None:
    created = await tenant.http.post("/v1/webhooks", json=webhook_body(includePayload=True))
    hook_id = created.json()["data"]["id"]
    calls = [
        ("POST", "/webhooks", created),
        ("POST", "/webhooks", await tenant.http.post("/v1/webhooks", json={"name": "x"})),
        ("GET", "/webhooks", await tenant.http.get("/v1/webhooks")),
        ("GET", "/webhooks", await tenant.http.get("/v1/webhooks", params={"size": 0})),
        ("GET", "/webhooks", await anonymous.get("/v1/webhooks")),
        ("GET", f"/webhooks/{hook_id}", await tenant.http.get(f"/v1/webhooks/{hook_id}")),
        ("GET", "/webhooks/wh-none", await tenant.http.get("/v1/webhooks/wh-none")),
        ("DELETE", f"/webhooks/{hook_id}", await tenant.http.delete(f"/v1/webhooks/{hook_id}")),
        ("DELETE", f"/webhooks/{hook_id}", await tenant.http.delete(f"/v1/webhooks/{hook_id}")),
    ]
    statuses = [response.status_code for _, _, response in calls]
    assert statuses == [200, 400, 200, 400, 401, 200, 404, 200, 404]
    for method, path, response in calls:
        assert contract_errors(path, method, response.status_code, response.json()) == [], (
            method,
            path,
            response.text,
        )


async def test_create_shows_the_secret_once_then_masks_it(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    created = await create(tenant, secret=secret)
    assert created["secret"] == secret
    assert created["id"].startswith("wh-")
    assert created["eventTypes"] == ["ACCOUNT_CONNECTED", "IDENTITY_ADDED"]
    assert created["includePayload"] is False and created["disabledReason"] is None
    assert created["createdAt"] == created["updatedAt"] == "2026-11-02T01:00:00Z"
    got = (await tenant.http.get(f"/v1/webhooks/{created['id']}")).json()["data"]
    assert got["secret"] == "****" + secret[-4:]
    listed = (await tenant.http.get("/v1/webhooks")).json()["data"]["items"]
    assert [item["secret"] for item in listed] == ["****" + secret[-4:]]
    # A short secret shows nothing of itself.
    short = await create(tenant, secret="tiny")
    assert (await tenant.http.get(f"/v1/webhooks/{short['id']}")).json()["data"]["secret"] == (
        "****"
    )
    # Stored sealed: the secret's bytes appear nowhere in the row.
    row = (await session.execute(select(Webhook).where(Webhook.id == created["id"]))).scalar_one()
    assert secret.encode() not in row.secret_sealed
    raw = await session.execute(
        text("SELECT row_to_json(w)::text FROM webhooks w WHERE id = :id"), {"id": created["id"]}
    )
    assert secret not in raw.scalar_one()


async def test_lists_are_newest_first_with_keyset_cursors(
    tenant: TenantClient, clock: ManualClock
) -> None:
    ids = []
    for n in range(5):
        ids.append((await create(tenant, name=f"hook {n}"))["id"])
        clock.advance(timedelta(seconds=1))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"size": 2} | ({"cursor": cursor} if cursor else {})
        page = (await tenant.http.get("/v1/webhooks", params=params)).json()["data"]
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "   "}, "name"),
        ({"url": ""}, "url"),
        ({"url": "https://example.com/" + "a" * 500}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://user:pass@example.com/"}, "url"),
        ({"url": "https://example.com:99999/"}, "url"),
        ({"url": "http://169.254.169.254/"}, "url"),
        ({"url": "http://[fe80::1]/"}, "url"),
        ({"eventTypes": []}, "eventTypes"),
        ({"eventTypes": ["NOT_AN_EVENT"]}, "eventTypes"),
        ({"eventTypes": "ALL_EVENTS"}, "eventTypes"),
        ({"secret": ""}, "secret"),
        ({"secret": "s" * 65}, "secret"),
        ({"secret": "whsec_***not-base64***"}, "secret"),
        ({"secret": "a\x00b"}, "secret"),
        ({"active": "maybe"}, "active"),
        ({"includePayload": []}, "includePayload"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_bad_input_is_400_naming_the_field_and_stores_nothing(
    tenant: TenantClient, overrides: dict[str, Any], field: str
) -> None:
    response = await tenant.http.post("/v1/webhooks", json=webhook_body(**overrides))
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_PARAMETERS"
    assert field in response.json()["message"]
    assert (await tenant.http.get("/v1/webhooks")).json()["data"]["items"] == []


@pytest.mark.parametrize("missing", ["name", "url", "eventTypes", "active", "secret"])
async def test_the_contracts_required_fields_are_required(
    tenant: TenantClient, missing: str
) -> None:
    body = webhook_body()
    del body[missing]
    response = await tenant.http.post("/v1/webhooks", json=body)
    assert response.status_code == 400 and missing in response.json()["message"]


async def test_url_rules_depend_on_the_tenants_mode(
    tenant: TenantClient, app: object, session: AsyncSession, clock: ManualClock
) -> None:
    # Sandbox: http and a receiver on the developer's own machine are fine.
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/x"):
        assert (await tenant.http.post("/v1/webhooks", json=webhook_body(url=url))).status_code == (
            200
        )
    keys = await create_tenant(session, "Live Lender", TenantMode.PRODUCTION, clock.now())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
        auth=(keys.api_key, keys.api_secret),
    ) as live:
        http = await live.post("/v1/webhooks", json=webhook_body(url="http://example.com/"))
        assert http.status_code == 400 and "https" in http.json()["message"]
        for url, reason in (
            ("https://127.0.0.1/", "loopback"),
            ("https://10.0.0.8/", "private"),
            ("https://[::1]/", "loopback"),
            ("https://[::ffff:192.168.0.1]/", "private"),
            ("https://100.100.100.200/", "metadata"),
        ):
            refused = await live.post("/v1/webhooks", json=webhook_body(url=url))
            assert refused.status_code == 400, url
            assert reason in refused.json()["message"], (url, refused.json()["message"])
        ok = await live.post("/v1/webhooks", json=webhook_body(url="https://hooks.example.com/"))
        assert ok.status_code == 200
        patched = await live.patch(
            f"/v1/webhooks/{ok.json()['data']['id']}", json={"url": "http://hooks.example.com/"}
        )
        assert patched.status_code == 400


async def test_patch_changes_only_what_is_sent(tenant: TenantClient, clock: ManualClock) -> None:
    created = await create(tenant)
    clock.advance(timedelta(minutes=5))
    path = f"/v1/webhooks/{created['id']}"
    response = await tenant.http.patch(
        path, json={"active": False, "eventTypes": ["ALL_EVENTS", "ALL_EVENTS"]}
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["active"], data["eventTypes"], data["name"]) == (
        False,
        ["ALL_EVENTS"],
        created["name"],
    )
    assert data["updatedAt"] == "2026-11-02T01:05:00Z" and data["createdAt"] != data["updatedAt"]
    for bad in ({}, {"active": None}, {"url": "ftp://x"}, {"secret": ""}, {"id": "x"}):
        refused = await tenant.http.patch(path, json=bad)
        assert refused.status_code == 400, (bad, refused.text)
    renamed = await tenant.http.patch(path, json={"name": "renamed", "includePayload": True})
    assert renamed.json()["data"]["name"] == "renamed"
    assert renamed.json()["data"]["includePayload"] is True
    assert (await tenant.http.patch("/v1/webhooks/wh-none", json={"name": "x"})).status_code == 404


async def test_another_tenants_webhooks_do_not_exist_for_you(
    tenant: TenantClient, other_tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    created = await create(tenant)
    await emit(session, tenant.tenant_id, "IDENTITY_ADDED", {"count": 1}, clock.now())
    (delivery_id,) = (
        await session.execute(
            select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == created["id"])
        )
    ).scalars()
    base = f"/v1/webhooks/{created['id']}"
    intruder = other_tenant.http
    for method, path, body in (
        ("GET", base, None),
        ("PATCH", base, {"active": False}),
        ("DELETE", base, None),
        ("GET", f"{base}/deliveries", None),
        ("GET", f"{base}/deliveries/{delivery_id}", None),
        ("POST", f"{base}/deliveries/{delivery_id}/redeliver", None),
        ("POST", f"{base}/recover?since=2026-01-01", None),
    ):
        response = await intruder.request(method, path, json=body)
        assert (response.status_code, response.json()["code"]) == (404, "MISSING_RESOURCE"), path
    assert (await intruder.get("/v1/webhooks")).json()["data"]["items"] == []
    still = (await tenant.http.get(base)).json()["data"]
    assert still["active"] is True


async def _wake_ups(session: AsyncSession, webhook_ids: list[str]) -> list[dict[str, Any]]:
    """The waiting delivery jobs of these webhooks."""
    rows = await session.execute(
        text(
            "SELECT args, scheduled_at FROM procrastinate_jobs WHERE task_name = :task"
            " AND status = 'todo' AND args->>'webhook_id' = ANY(:ids) ORDER BY id"
        ),
        {"task": DELIVER_TASK, "ids": webhook_ids},
    )
    return [dict(row._mapping) for row in rows]


async def test_an_event_fans_out_to_every_matching_active_webhook_in_its_transaction(
    tenant: TenantClient,
    other_tenant: TenantClient,
    session: AsyncSession,
    clock: ManualClock,
) -> None:
    everything = await create(tenant, eventTypes=["ALL_EVENTS"])
    connected = await create(tenant, eventTypes=["ACCOUNT_CONNECTED"])
    identity = await create(tenant, eventTypes=["IDENTITY_ADDED"])
    await create(tenant, eventTypes=["ALL_EVENTS"], active=False)
    await create(other_tenant, eventTypes=["ALL_EVENTS"])

    event = await emit(
        session, tenant.tenant_id, "ACCOUNT_CONNECTED", {"accountId": "a-1"}, clock.now()
    )
    deliveries = (
        (await session.execute(select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)))
        .scalars()
        .all()
    )
    assert {d.webhook_id for d in deliveries} == {everything["id"], connected["id"]}
    assert identity["id"] not in {d.webhook_id for d in deliveries}
    for delivery in deliveries:
        assert delivery.tenant_id == tenant.tenant_id and delivery.status == "PENDING"
        assert delivery.body == (
            b'{"id":"%s","version":1,"type":"ACCOUNT_CONNECTED",'
            b'"createdAt":"2026-11-02T01:00:00Z","data":{"accountId":"a-1"}}' % event.id.encode()
        )
    # One wake-up per webhook delivered to, enqueued in the same (here uncommitted)
    # transaction, due now.
    hooks = [everything["id"], connected["id"], identity["id"]]
    jobs = await _wake_ups(session, hooks)
    assert sorted(job["args"]["webhook_id"] for job in jobs) == sorted(
        d.webhook_id for d in deliveries
    )
    assert all(job["args"]["tenant_id"] == tenant.tenant_id for job in jobs)
    assert all(job["scheduled_at"] <= datetime.now(UTC) for job in jobs)
    # Another event adds deliveries, not jobs: the waiting wake-ups drain them too.
    await emit(session, tenant.tenant_id, "ACCOUNT_CONNECTED", {"accountId": "a-2"}, clock.now())
    assert await _wake_ups(session, hooks) == jobs


async def test_a_wake_up_left_waiting_is_not_relied_on(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    """A worker can miss a job's notification and find it only at its next poll; a new
    event then adds a wake-up of its own (whose notification comes) instead of waiting."""
    created = await create(tenant, eventTypes=["ALL_EVENTS"])
    await emit(session, tenant.tenant_id, "USER_CREATED", {"userId": "u1"}, clock.now())
    (first,) = await _wake_ups(session, [created["id"]])
    await session.execute(
        text(
            "UPDATE procrastinate_jobs SET scheduled_at = scheduled_at - interval '1 second'"
            " WHERE args->>'webhook_id' = :id"
        ),
        {"id": created["id"]},
    )
    await emit(session, tenant.tenant_id, "USER_CREATED", {"userId": "u2"}, clock.now())
    waiting = await _wake_ups(session, [created["id"]])
    assert len(waiting) == 2 and waiting[0]["args"] == first["args"] == waiting[1]["args"]


async def test_an_event_nobody_subscribed_to_costs_no_delivery(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    event = await emit(session, tenant.tenant_id, "USER_CREATED", {"userId": "u"}, clock.now())
    found = await session.execute(
        select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)
    )
    assert found.first() is None


async def test_deliveries_list_filters_and_pages(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    created = await create(tenant, eventTypes=["ALL_EVENTS"])
    for n in range(4):
        await emit(session, tenant.tenant_id, "USER_CREATED", {"userId": f"u{n}"}, clock.now())
        await emit(session, tenant.tenant_id, "IDENTITY_ADDED", {"count": n}, clock.now())
    await session.execute(
        text("UPDATE webhook_deliveries SET status = 'FAILED' WHERE webhook_id = :id "),
        {"id": created["id"]},
    )
    base = f"/v1/webhooks/{created['id']}/deliveries"
    everything = (await tenant.http.get(base, params={"size": 150})).json()["data"]
    assert len(everything["items"]) == 8 and everything["nextCursor"] is None
    assert everything["items"][0]["eventType"] == "IDENTITY_ADDED"  # newest first
    users = (await tenant.http.get(base, params={"eventType": "USER_CREATED"})).json()["data"]
    assert {i["eventType"] for i in users["items"]} == {"USER_CREATED"} and len(users["items"]) == 4
    failed = (await tenant.http.get(base, params={"status": "FAILED", "size": 3})).json()["data"]
    assert len(failed["items"]) == 3 and failed["nextCursor"]
    rest = await tenant.http.get(
        base, params={"status": "FAILED", "size": 3, "cursor": failed["nextCursor"]}
    )
    assert len(rest.json()["data"]["items"]) == 3
    assert (await tenant.http.get(base, params={"status": "PENDING"})).json()["data"]["items"] == []
    for bad in ({"status": "LOST"}, {"eventType": "NOPE"}, {"cursor": "bogus"}, {"size": 151}):
        assert (await tenant.http.get(base, params=bad)).status_code == 400, bad
    one = everything["items"][0]
    got = await tenant.http.get(f"{base}/{one['id']}")
    assert got.json()["data"] == one and one["attempts"] == []


async def test_redeliver_and_recover_queue_new_jobs(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    created = await create(tenant, eventTypes=["ALL_EVENTS"])
    base = f"/v1/webhooks/{created['id']}"
    await emit(session, tenant.tenant_id, "USER_CREATED", {"userId": "old"}, clock.now())
    clock.advance(timedelta(hours=2))
    since = clock.now().isoformat()
    for n in range(3):
        await emit(session, tenant.tenant_id, "USER_CREATED", {"userId": f"u{n}"}, clock.now())
    await session.execute(
        text("UPDATE webhook_deliveries SET status = 'FAILED' WHERE webhook_id = :id"),
        {"id": created["id"]},
    )
    recovered = await tenant.http.post(f"{base}/recover", params={"since": since})
    assert recovered.status_code == 200 and recovered.json()["data"] == {"resent": 3}
    rows = (
        (
            await session.execute(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == created["id"])
                .order_by(WebhookDelivery.seq)
            )
        )
        .scalars()
        .all()
    )
    await session.refresh(rows[0])
    assert [r.status for r in rows] == ["FAILED", "PENDING", "PENDING", "PENDING"]
    assert [r.generation for r in rows] == [1, 2, 2, 2]
    # The wake-up the events' transaction added still waits, and drains the resent three.
    (waiting,) = await _wake_ups(session, [created["id"]])
    assert waiting["scheduled_at"] <= datetime.now(UTC)
    # Once it has run (here: removed), resending wakes the webhook up again, once.
    await session.execute(
        text("DELETE FROM procrastinate_jobs WHERE args->>'webhook_id' = :id"),
        {"id": created["id"]},
    )
    await session.execute(
        text("UPDATE webhook_deliveries SET status = 'FAILED' WHERE webhook_id = :id"),
        {"id": created["id"]},
    )
    again = await tenant.http.post(f"{base}/recover", params={"since": since})
    assert again.json()["data"] == {"resent": 3}
    (woken,) = await _wake_ups(session, [created["id"]])
    assert woken["args"] == {"tenant_id": tenant.tenant_id, "webhook_id": created["id"]}
    assert woken["scheduled_at"] <= datetime.now(UTC)

    redelivered = await tenant.http.post(f"{base}/deliveries/{rows[0].id}/redeliver")
    assert redelivered.status_code == 200 and redelivered.json()["data"]["status"] == "PENDING"
    assert await _wake_ups(session, [created["id"]]) == [woken]
    missing = await tenant.http.post(f"{base}/deliveries/dlv-none/redeliver")
    assert missing.status_code == 404
    for since_value in ("yesterday", "2026-13-01", "2099-01-01T00:00:00Z"):
        bad = await tenant.http.post(f"{base}/recover", params={"since": since_value})
        assert bad.status_code == 400 and "since" in bad.json()["message"], since_value
    assert (await tenant.http.post(f"{base}/recover")).status_code == 400
    # An inactive webhook cannot be resent to until it is switched on again.
    await tenant.http.patch(base, json={"active": False})
    refused = await tenant.http.post(f"{base}/recover", params={"since": since})
    assert refused.status_code == 400 and "active" in refused.json()["message"]


async def test_turning_a_webhook_off_fails_its_waiting_deliveries(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    created = await create(tenant, eventTypes=["ALL_EVENTS"])
    await emit(session, tenant.tenant_id, "USER_CREATED", {"userId": "u"}, clock.now())
    await tenant.http.patch(f"/v1/webhooks/{created['id']}", json={"active": False})
    items = (await tenant.http.get(f"/v1/webhooks/{created['id']}/deliveries")).json()["data"]
    (item,) = items["items"]
    assert item["status"] == "FAILED" and "turned off" in item["lastError"]
    assert item["nextAttemptAt"] is None
