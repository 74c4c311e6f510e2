"""Webhooks in the portal: subscriptions, a delivery with its body, signature headers and
the receiver's answer, redeliver, recover since and the test event, against a real
receiver on loopback."""

from __future__ import annotations

import html
import re

from sahod.kit.clock import ManualClock
from sahod.portal.schemas import Role
from sahod.runtime import Runtime
from sahod.webhooks.signing import verify
from sahod.webhooks.tasks import drain, settle_second_looks
from tests.conftest import TenantClient
from tests.portal.conftest import MemberFactory
from tests.webhooks.receiver import Receiver, Reply


async def test_a_developer_adds_a_webhook_and_sees_its_secret_once(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    developer = await member_of(tenant.tenant_id, Role.DEVELOPER)
    created = await developer.post(
        "/portal/webhooks",
        {"name": "Backend", "url": "http://127.0.0.1:9/in", "eventTypes": "ACCOUNT_CONNECTED"},
    )
    assert created.status_code == 201
    secret = re.search(r'id="created-secret">(whsec_[^<]+)<', created.text)
    assert secret is not None
    listed = (await tenant.http.get("/v1/webhooks")).json()["data"]["items"]
    assert [(w["name"], w["eventTypes"]) for w in listed] == [("Backend", ["ACCOUNT_CONNECTED"])]
    page = await developer.http.get("/portal/webhooks")
    assert "Backend" in page.text and secret.group(1) not in page.text


async def test_a_bad_url_is_refused_naming_the_field(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    developer = await member_of(tenant.tenant_id, Role.DEVELOPER)
    refused = await developer.post("/portal/webhooks", {"url": "not a url"})
    assert refused.status_code == 400 and "url" in refused.text


async def test_a_delivery_shows_body_signatures_and_answer_and_is_redelivered(
    tenant: TenantClient, member_of: MemberFactory, runtime: Runtime, clock: ManualClock
) -> None:
    async with Receiver(lambda _: Reply(status=500, body=b"receiver is sad")) as receiver:
        secret = "a-secret-of-sixteen-chars"
        webhook_id = await tenant.create_webhook(receiver.url, secret)
        developer = await member_of(tenant.tenant_id, Role.DEVELOPER)
        sent = await developer.post(f"/portal/webhooks/{webhook_id}/test")
        assert sent.status_code == 303
        await drain(runtime, tenant.tenant_id, webhook_id)
        await settle_second_looks(runtime)
        assert len(receiver.posts) == 1
        arrived = receiver.posts[0]
        assert arrived.json()["type"] == "WEBHOOK_TEST"
        verify(arrived.body, arrived.headers, secret, now=clock.now().timestamp())

        listing = await developer.http.get(f"/portal/webhooks/{webhook_id}")
        delivery_id = re.search(r"/deliveries/(dlv[^\"]+)\"", listing.text)
        assert delivery_id is not None and "WEBHOOK_TEST" in listing.text
        page = await developer.http.get(
            f"/portal/webhooks/{webhook_id}/deliveries/{delivery_id.group(1)}"
        )
        text = html.unescape(page.text)
        assert "receiver is sad" in text and "500" in text
        # The signature headers shown are the ones the receiver got.
        for name in ("smile-signature", "webhook-id", "webhook-timestamp", "webhook-signature"):
            assert arrived.headers[name] in text
        assert '"type": "WEBHOOK_TEST"' in text

        receiver.respond = lambda _: Reply(status=204, body=b"")
        again = await developer.post(
            f"/portal/webhooks/{webhook_id}/deliveries/{delivery_id.group(1)}/redeliver"
        )
        assert again.status_code == 303
        await drain(runtime, tenant.tenant_id, webhook_id)
        await settle_second_looks(runtime)
        assert len(receiver.posts) == 2 and receiver.posts[1].body == arrived.body
        after = await developer.http.get(again.headers["location"])
        assert "Sent again" in after.text and 'id="delivery-status">SUCCEEDED' in after.text


async def test_recover_since_resends_what_failed_and_disable_stops_it(
    tenant: TenantClient, member_of: MemberFactory, runtime: Runtime
) -> None:
    async with Receiver(lambda _: Reply(status=503)) as receiver:
        webhook_id = await tenant.create_webhook(receiver.url, eventTypes=["USER_CREATED"])
        for _ in range(2):
            await tenant.http.post("/v1/users", json={})
        await drain(runtime, tenant.tenant_id, webhook_id)
        await settle_second_looks(runtime)
        assert len(receiver.posts) == 2
        developer = await member_of(tenant.tenant_id, Role.DEVELOPER)
        recovered = await developer.post(
            f"/portal/webhooks/{webhook_id}/recover", {"since": "2026-11-01T00:00"}
        )
        assert recovered.headers["location"].endswith("?resent=2")
        shown = await developer.http.get(recovered.headers["location"])
        assert "2 deliveries queued" in shown.text
        await drain(runtime, tenant.tenant_id, webhook_id)
        await settle_second_looks(runtime)
        assert len(receiver.posts) == 4

        disabled = await developer.post(f"/portal/webhooks/{webhook_id}/disable")
        assert disabled.status_code == 303
        served = (await tenant.http.get(f"/v1/webhooks/{webhook_id}")).json()["data"]
        assert served["active"] is False
        refused = await developer.post(f"/portal/webhooks/{webhook_id}/test")
        assert refused.status_code in (400, 404)
