"""Deliveries by the real worker to a real receiver on loopback: signatures, retries,
outages, 410, Retry-After, redirects, timeouts, the address guard, rotation, payloads,
redelivery and recovery, and one tenant never seeing another's events."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError as StandardVerificationError

from sahod.datapoints.kinds import DataPointKind
from sahod.db import session_scope
from sahod.tenants.schemas import TenantMode
from sahod.webhooks import WebhookVerificationError, verify
from sahod.webhooks.delivery import retry_wake_ups
from sahod.webhooks.models import WebhookDelivery
from tests.factories import make_account, make_datapoint, make_user
from tests.webhooks.conftest import Env
from tests.webhooks.receiver import Received, Receiver, Reply

EnvFactory = Callable[..., AbstractAsyncContextManager[Env]]


def all_in(status: str, count: int) -> Callable[[list[WebhookDelivery]], bool]:
    return lambda found: len(found) == count and all(d.status == status for d in found)


def smile_ok(received: Received, secret: str) -> bool:
    """The Smile-Signature, checked with nothing but hashlib (as a Smile integration does)."""
    expected = hmac.new(secret.encode(), received.body, hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected, received.headers["smile-signature"])


async def test_every_delivery_is_signed_both_ways_and_verifies_independently(
    delivery_env: EnvFactory,
) -> None:
    plain = "a little secret"
    standard = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    async with delivery_env() as env, Receiver() as receiver:
        tenant = await env.tenant()
        await tenant.create_webhook(f"{receiver.url}/plain", plain, eventTypes=["USER_CREATED"])
        await tenant.create_webhook(f"{receiver.url}/std", standard)
        user_id = await tenant.create_user()
        posts = await receiver.wait_for(lambda p: len(p) == 2)

    by_path = {post.path: post for post in posts}
    for path, secret in (("/plain", plain), ("/std", standard)):
        post = by_path[path]
        # The Standard Webhooks reference library: the key is the secret's bytes, or the
        # base64 after whsec_ (which is how the library reads such a string itself).
        library = StandardWebhook(secret if secret.startswith("whsec_") else secret.encode())
        body = library.verify(post.body, post.headers)
        assert smile_ok(post, secret)
        assert verify(post.body, post.headers, secret) == body
        # The seed's envelope, and webhook-id is the event id.
        assert list(body) == ["id", "version", "type", "createdAt", "data"]
        assert body["id"] == post.headers["webhook-id"] and body["id"].startswith("et-")
        assert (body["version"], body["type"]) == (1, "USER_CREATED")
        assert body["data"] == {"userId": user_id}
        assert body["createdAt"].endswith("Z")
        assert abs(int(post.headers["webhook-timestamp"]) - time.time()) < 30
        assert post.headers["content-type"] == "application/json"
        # A different secret, or a changed body, does not verify.
        with pytest.raises(StandardVerificationError):
            StandardWebhook(b"another secret").verify(post.body, post.headers)
        with pytest.raises(WebhookVerificationError):
            verify(post.body.replace(b"USER", b"USEr"), post.headers, secret)
    assert by_path["/plain"].body == by_path["/std"].body


async def test_a_receiver_that_is_down_gets_every_event_when_it_comes_back(
    delivery_env: EnvFactory,
) -> None:
    receiver = Receiver()
    await receiver.start()
    url = receiver.url
    await receiver.stop()  # down: nothing listens on the port
    async with delivery_env(webhook_retry_schedule=[0.3, 0.6, 1, 1, 1, 1]) as env:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(url, "s3cret-s3cret")
        users = [await tenant.create_user() for _ in range(5)]
        # Every delivery fails at least once while the receiver is down…
        await env.settled(hook["id"], lambda ds: len(ds) == 5 and all(d.attempt_count for d in ds))
        await receiver.start()  # …and it comes back on the same port.
        try:
            await env.settled(hook["id"], all_in("SUCCEEDED", 5))
        finally:
            await receiver.stop()
    got = {post.json()["data"]["userId"] for post in receiver.posts}
    assert got == set(users)
    for delivery in await env.deliveries(hook["id"]):
        attempts = await env.attempts(delivery.id)
        assert attempts[0].status_code is None and "connect" in (attempts[0].error or "")
        assert attempts[-1].succeeded and attempts[-1].status_code == 200


async def test_500s_are_retried_on_the_schedule_with_the_same_bytes(
    delivery_env: EnvFactory,
) -> None:
    answers = iter([500, 500, 500, 200])

    def respond(_: Received) -> Reply:
        status = next(answers)
        return Reply(status, b"boom " * 1000 if status == 500 else b"thanks")

    schedule = [0.4, 0.8, 1.2]
    async with delivery_env(webhook_retry_schedule=schedule) as env, Receiver(respond) as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await tenant.create_user()
        (delivery,) = await env.settled(hook["id"], all_in("SUCCEEDED", 1))
        attempts = await env.attempts(delivery.id)
        listed = await tenant.http.get(f"/v1/webhooks/{hook['id']}/deliveries")
        # The success ends the webhook's record of failure.
        assert (await env.webhook(hook["id"])).failing_since is None

    posts = receiver.posts
    assert len(posts) == 4 and delivery.attempt_count == 4
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(posts)]
    for gap, wanted in zip(gaps, schedule, strict=True):
        # Not before its time; the slack covers the worker's poll (50 ms) and a busy test host.
        assert wanted - 0.05 <= gap < wanted + 3, (gaps, schedule)
    # Byte-identical body and the same webhook-id every time; a fresh timestamp and
    # signature per attempt, each of which verifies.
    assert len({post.body for post in posts}) == 1
    assert len({post.headers["webhook-id"] for post in posts}) == 1
    for post in posts:
        verify(post.body, post.headers, "s3cret-s3cret")
    # Each attempt is a row: time, status, duration, error, the first 2 KB of the answer.
    assert [a.status_code for a in attempts] == [500, 500, 500, 200]
    assert [a.succeeded for a in attempts] == [False, False, False, True]
    assert attempts[0].error == "HTTP 500" and attempts[-1].error is None
    assert attempts[0].response is not None and len(attempts[0].response.encode()) == 2048
    assert attempts[-1].response == "thanks"
    assert all(a.duration_ms >= 0 for a in attempts)
    item = listed.json()["data"]["items"][0]
    assert item["status"] == "SUCCEEDED" and item["attemptCount"] == 4
    assert [a["statusCode"] for a in item["attempts"]] == [500, 500, 500, 200]


def test_retries_due_close_together_share_a_wake_up_that_comes_after_each() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    due = [start + timedelta(seconds=s) for s in (3.0, 0, 0.5, 0.9, 1.5, 1.6, 7)]
    wake_ups = retry_wake_ups(due, timedelta(seconds=1))
    assert [(w - start).total_seconds() for w in wake_ups] == [0.9, 1.6, 3.0, 7.0]
    for at in due:  # each retry is claimed by a wake-up at most a second after it is due
        assert any(timedelta(0) <= w - at <= timedelta(seconds=1) for w in wake_ups), at


async def test_a_delivery_is_given_up_when_the_schedule_runs_out(
    delivery_env: EnvFactory,
) -> None:
    async with (
        delivery_env(webhook_retry_schedule=[0.2, 0.2]) as env,
        Receiver(lambda _: Reply(500)) as receiver,
    ):
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await tenant.create_user()
        (delivery,) = await env.settled(hook["id"], all_in("FAILED", 1))
        webhook = await env.webhook(hook["id"])
    assert delivery.attempt_count == 3 and len(receiver.posts) == 3
    assert delivery.last_error == "HTTP 500" and delivery.next_attempt_at is None
    assert webhook.active  # one failed delivery does not disable a webhook
    assert webhook.failing_since is not None


async def test_410_gone_disables_the_webhook(delivery_env: EnvFactory) -> None:
    async with delivery_env() as env, Receiver(lambda _: Reply(410, b"gone")) as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await tenant.create_user()
        (delivery,) = await env.settled(hook["id"], all_in("FAILED", 1))
        shown = (await tenant.http.get(f"/v1/webhooks/{hook['id']}")).json()["data"]
        await tenant.create_user()  # no delivery for an inactive webhook
        assert len(await env.deliveries(hook["id"])) == 1
    assert delivery.attempt_count == 1 and len(receiver.posts) == 1
    assert (shown["active"], shown["disabledReason"]) == (False, "GONE")


async def test_a_webhook_failing_for_too_long_is_disabled(delivery_env: EnvFactory) -> None:
    settings = {"webhook_retry_schedule": [0.5] * 10, "webhook_disable_after_seconds": 1.2}
    async with delivery_env(**settings) as env, Receiver(lambda _: Reply(502)) as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await tenant.create_user()
        (delivery,) = await env.settled(hook["id"], all_in("FAILED", 1))
        webhook = await env.webhook(hook["id"])
        assert (webhook.active, webhook.disabled_reason) == (False, "FAILING")
        assert 2 <= delivery.attempt_count < 10
        assert "disabled" in (delivery.last_error or "")
        # Turning it on again through the API clears the record of failure.
        patched = await tenant.http.patch(f"/v1/webhooks/{hook['id']}", json={"active": True})
        assert patched.json()["data"]["disabledReason"] is None
        assert (await env.webhook(hook["id"])).failing_since is None
    assert len(receiver.posts) == delivery.attempt_count


async def test_retry_after_is_honoured(delivery_env: EnvFactory) -> None:
    answers = iter([Reply(503, headers={"Retry-After": "2"}), Reply(200)])
    async with (
        delivery_env(webhook_retry_schedule=[0.1]) as env,
        Receiver(lambda _: next(answers)) as receiver,
    ):
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await tenant.create_user()
        await env.settled(hook["id"], all_in("SUCCEEDED", 1))
    first, second = receiver.posts
    assert second.at - first.at >= 1.95


async def test_redirects_are_not_followed(delivery_env: EnvFactory) -> None:
    async with delivery_env(webhook_retry_schedule=[]) as env:
        async with Receiver() as target:

            def redirect(_: Received) -> Reply:
                return Reply(307, headers={"Location": f"{target.url}/elsewhere"})

            async with Receiver(redirect) as receiver:
                tenant = await env.tenant()
                hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
                await tenant.create_user()
                (delivery,) = await env.settled(hook["id"], all_in("FAILED", 1))
        assert target.posts == [] and len(receiver.posts) == 1
        (attempt,) = await env.attempts(delivery.id)
        assert attempt.status_code == 307 and "redirect" in (attempt.error or "")


async def test_no_2xx_within_the_timeout_is_a_failure(delivery_env: EnvFactory) -> None:
    async with (
        delivery_env(webhook_retry_schedule=[], webhook_timeout_seconds=0.5) as env,
        Receiver(lambda _: Reply(200, delay=3)) as receiver,
    ):
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await tenant.create_user()
        (delivery,) = await env.settled(hook["id"], all_in("FAILED", 1))
        (attempt,) = await env.attempts(delivery.id)
    assert attempt.status_code is None and attempt.error == "no answer within 0.5 s"
    assert 450 <= attempt.duration_ms < 5000


async def test_a_receiver_trickling_its_answer_cannot_stretch_the_timeout(
    delivery_env: EnvFactory,
) -> None:
    """The head comes at once, then a byte of the body every 50 ms: the deadline is the
    whole exchange's, not each read's."""
    trickled: list[int] = []

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        try:
            for _ in range(200):
                writer.write(b"x")
                await writer.drain()
                trickled.append(1)
                await asyncio.sleep(0.05)
        except ConnectionError:
            pass  # the sender gave up and closed the connection
        finally:
            writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, delivery_env(webhook_retry_schedule=[], webhook_timeout_seconds=0.5) as env:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(f"http://127.0.0.1:{port}/hook", "s3cret-s3cret")
        await tenant.create_user()
        (delivery,) = await env.settled(hook["id"], all_in("FAILED", 1))
        (attempt,) = await env.attempts(delivery.id)
    assert attempt.status_code is None and attempt.error == "no answer within 0.5 s"
    assert 450 <= attempt.duration_ms < 2000
    assert 3 <= len(trickled) < 40  # the answer had begun, and was cut short


async def test_a_tenant_never_receives_another_tenants_events(delivery_env: EnvFactory) -> None:
    async with delivery_env() as env, Receiver() as receiver:
        first, second = await env.tenant(), await env.tenant()
        hook_a = await first.create_webhook(f"{receiver.url}/a", "secret-of-a")
        hook_b = await second.create_webhook(f"{receiver.url}/b", "secret-of-b")
        users_a = {await first.create_user() for _ in range(3)}
        users_b = {await second.create_user() for _ in range(2)}
        # An event of a tenant without webhooks goes nowhere.
        third = await env.tenant()
        await third.create_user()
        await receiver.wait_for(lambda p: len(p) == 5)
        await env.settled(hook_a["id"], all_in("SUCCEEDED", 3))
        await env.settled(hook_b["id"], all_in("SUCCEEDED", 2))
        # Neither sees the other's webhook or deliveries.
        assert (await second.http.get(f"/v1/webhooks/{hook_a['id']}")).status_code == 404
        foreign = await second.http.get(f"/v1/webhooks/{hook_a['id']}/deliveries")
        assert foreign.status_code == 404
        ids = [i["id"] for i in (await second.http.get("/v1/webhooks")).json()["data"]["items"]]
        assert ids == [hook_b["id"]]
    posts = receiver.posts
    assert len(posts) == 5
    for post in posts:
        user_id = post.json()["data"]["userId"]
        secret, own, other = (
            ("secret-of-a", users_a, users_b)
            if post.path == "/a"
            else ("secret-of-b", users_b, users_a)
        )
        assert user_id in own and user_id not in other
        verify(post.body, post.headers, secret)
        wrong = "secret-of-b" if secret == "secret-of-a" else "secret-of-a"
        with pytest.raises(WebhookVerificationError):
            verify(post.body, post.headers, wrong)


async def test_production_deliveries_never_reach_loopback_unless_allowed(
    delivery_env: EnvFactory,
) -> None:
    async with delivery_env(webhook_retry_schedule=[]) as env, Receiver() as receiver:
        tenant = await env.tenant(TenantMode.PRODUCTION)
        # A literal loopback address is refused when the webhook is created…
        refused = await tenant.http.post(
            "/v1/webhooks",
            json={
                "name": "x",
                "url": f"https://127.0.0.1:{receiver.port}/",
                "eventTypes": ["ALL_EVENTS"],
                "active": True,
                "secret": "s3cret-s3cret",
            },
        )
        assert refused.status_code == 400 and "loopback" in refused.json()["message"]
        # …and a name that resolves to one is refused when the delivery connects.
        hook = await tenant.create_webhook(f"https://localhost:{receiver.port}/", "s3cret-s3cret")
        await tenant.create_user()
        (delivery,) = await env.settled(hook["id"], all_in("FAILED", 1))
        (attempt,) = await env.attempts(delivery.id)
    assert receiver.received == []
    assert attempt.error is not None and "refused" in attempt.error
    assert "loopback" in attempt.error

    # An operator's allow-list lets it through: the connection is made (and the TLS
    # handshake then fails, as the receiver speaks plain HTTP).
    async with (
        delivery_env(
            webhook_retry_schedule=[],
            webhook_allowed_networks=["127.0.0.0/8", "::1"],
            webhook_timeout_seconds=1,
        ) as env,
        Receiver() as receiver,
    ):
        tenant = await env.tenant(TenantMode.PRODUCTION)
        hook = await tenant.create_webhook(f"https://localhost:{receiver.port}/", "s3cret-s3cret")
        await tenant.create_user()
        (delivery,) = await env.settled(hook["id"], all_in("FAILED", 1))
        (attempt,) = await env.attempts(delivery.id)
    assert attempt.error is not None and "refused" not in attempt.error


async def test_sandbox_deliveries_never_reach_metadata_addresses(delivery_env: EnvFactory) -> None:
    async with delivery_env(webhook_retry_schedule=[]) as env:
        tenant = await env.tenant()
        response = await tenant.http.post(
            "/v1/webhooks",
            json={
                "name": "x",
                "url": "http://169.254.169.254/latest/meta-data/",
                "eventTypes": ["ALL_EVENTS"],
                "active": True,
                "secret": "s3cret-s3cret",
            },
        )
    assert response.status_code == 400 and "metadata" in response.json()["message"]


async def test_during_a_rotation_both_secrets_sign(delivery_env: EnvFactory) -> None:
    old, new = "the-old-secret-123", "whsec_" + base64.b64encode(b"k" * 32).decode()
    async with delivery_env() as env, Receiver() as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, old)
        rotated = await tenant.http.patch(f"/v1/webhooks/{hook['id']}", json={"secret": new})
        assert rotated.status_code == 200 and rotated.json()["data"]["secret"] == "****" + new[-4:]
        await tenant.create_user()
        (post,) = await receiver.wait_for(lambda p: len(p) == 1)
    signatures = post.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    # A receiver still on the old secret, and one already on the new, both accept it.
    StandardWebhook(old.encode()).verify(post.body, post.headers)
    StandardWebhook(new).verify(post.body, post.headers)
    verify(post.body, post.headers, old)
    verify(post.body, post.headers, new)
    assert smile_ok(post, new) and not smile_ok(post, old)


async def test_after_the_grace_period_only_the_new_secret_signs(delivery_env: EnvFactory) -> None:
    async with delivery_env(webhook_secret_grace_seconds=0) as env, Receiver() as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "the-old-secret-123")
        await tenant.http.patch(f"/v1/webhooks/{hook['id']}", json={"secret": "the-new-one-456"})
        await tenant.create_user()
        (post,) = await receiver.wait_for(lambda p: len(p) == 1)
    assert len(post.headers["webhook-signature"].split(" ")) == 1
    verify(post.body, post.headers, "the-new-one-456")
    with pytest.raises(WebhookVerificationError):
        verify(post.body, post.headers, "the-old-secret-123")


async def test_include_payload_puts_the_tasks_data_points_in_task_finished(
    delivery_env: EnvFactory,
) -> None:
    async with delivery_env() as env, Receiver() as receiver:
        tenant = await env.tenant()
        with_payload = await tenant.create_webhook(
            f"{receiver.url}/full", "s3cret-s3cret", includePayload=True
        )
        await tenant.create_webhook(f"{receiver.url}/lean", "s3cret-s3cret")
        task_id = f"tsk-{secrets.token_hex(16)}"
        now = env.runtime.clock.now()
        async with session_scope(env.runtime.session_factory) as session:
            user = await make_user(session, tenant.id, now - timedelta(days=1))
            account = await make_account(session, user, now)
            liabilities = [
                await make_datapoint(session, account, DataPointKind.LIABILITIES, now)
                for _ in range(302)
            ]
            identity = await make_datapoint(session, account, DataPointKind.IDENTITIES, now)
            untouched = await make_datapoint(session, account, DataPointKind.INCOMES, now)
            for point in [*liabilities, identity]:
                point.last_task_id = task_id
            untouched.last_task_id = "tsk-another"
        data = {
            "userId": user.id,
            "sourceId": account.id,
            "sourceType": "ACCOUNT",
            "providers": ["sss"],
            "datapoints": ["IDENTITIES", "LIABILITIES", "EMPLOYMENTS"],
            "taskId": task_id,
        }
        await env.emit(tenant.id, "TASK_FINISHED", data)
        await env.emit(tenant.id, "IDENTITY_ADDED", {"userId": user.id, "count": 1})
        await receiver.wait_for(lambda p: len(p) == 4)
        (first, *_) = await env.deliveries(with_payload["id"])
        stored = first.body

    posts = {(p.path, p.json()["type"]): p for p in receiver.posts}
    full = posts[("/full", "TASK_FINISHED")].json()["data"]
    lean = posts[("/lean", "TASK_FINISHED")].json()["data"]
    assert lean == data
    assert {k: v for k, v in full.items() if k in data} == data
    page = full["liabilities"]
    assert len(page["items"]) == 300 and page["nextCursor"]
    newest_first = sorted(liabilities, key=lambda p: p.seq, reverse=True)
    assert [i["id"] for i in page["items"]] == [p.id for p in newest_first[:300]]
    item = page["items"][0]
    assert item["metadata"]["sourceId"] == account.id and "loanAmount" in item
    assert [i["id"] for i in full["identities"]["items"]] == [identity.id]
    assert full["employments"] == {"nextCursor": None, "items": []}
    assert "incomes" not in full
    # Other events carry no payload; the payload body was built once and stored.
    assert posts[("/full", "IDENTITY_ADDED")].body == posts[("/lean", "IDENTITY_ADDED")].body
    assert stored == posts[("/full", "TASK_FINISHED")].body
    for post in receiver.posts:
        verify(post.body, post.headers, "s3cret-s3cret")


async def test_redeliver_and_recover_resend_through_the_api(delivery_env: EnvFactory) -> None:
    up = {"value": True}

    def respond(_: Received) -> Reply:
        return Reply(200 if up["value"] else 503)

    async with delivery_env(webhook_retry_schedule=[]) as env, Receiver(respond) as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await tenant.create_user()
        (done,) = await env.settled(hook["id"], all_in("SUCCEEDED", 1))
        # Redeliver a delivery that succeeded: the same bytes again.
        again = await tenant.http.post(f"/v1/webhooks/{hook['id']}/deliveries/{done.id}/redeliver")
        assert again.status_code == 200 and again.json()["data"]["status"] == "PENDING"
        await receiver.wait_for(lambda p: len(p) == 2)
        first, second = receiver.posts
        assert first.body == second.body and first.event_id == second.event_id

        up["value"] = False
        since = env.runtime.clock.now().isoformat()
        for _ in range(3):
            await tenant.create_user()
        await env.settled(
            hook["id"], lambda ds: len(ds) == 4 and sum(d.status == "FAILED" for d in ds) == 3
        )
        failed = await tenant.http.get(
            f"/v1/webhooks/{hook['id']}/deliveries", params={"status": "FAILED"}
        )
        assert len(failed.json()["data"]["items"]) == 3
        up["value"] = True
        recovered = await tenant.http.post(
            f"/v1/webhooks/{hook['id']}/recover", params={"since": since}
        )
        assert recovered.json()["data"] == {"resent": 3}
        await env.settled(hook["id"], all_in("SUCCEEDED", 4))
    assert len({post.event_id for post in receiver.posts}) == 4


async def test_deleting_a_webhook_stops_its_deliveries(delivery_env: EnvFactory) -> None:
    async with (
        delivery_env(webhook_retry_schedule=[0.5, 0.5, 0.5]) as env,
        Receiver(lambda _: Reply(500)) as receiver,
    ):
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await tenant.create_user()
        await receiver.wait_for(lambda p: len(p) == 1)
        deleted = await tenant.http.delete(f"/v1/webhooks/{hook['id']}")
        assert deleted.status_code == 200
        assert await env.deliveries(hook["id"]) == []
        sent = len(receiver.posts)
        await tenant.create_user()
        # Longer than the next retry would have waited.
        await asyncio.sleep(1.5)
    assert len(receiver.posts) == sent
