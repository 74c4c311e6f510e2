"""The Link API's limits: sign-ins per token and per user, rejected user names, streams."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest

from sahod.app import create_app
from sahod.limits.link import OpenStreams, record_rejected_sign_in
from sahod.limits.service import counters_of
from sahod.runtime import Runtime
from tests.conftest import TenantClient
from tests.limits.test_tenant_api import fresh_address


def sign_in(username: str, provider: str = "sss") -> dict[str, Any]:
    return {
        "providerId": provider,
        "consent": True,
        "credentials": {"username": username, "password": "whatever-1"},
    }


async def widget(app: object, tenant: TenantClient) -> httpx.AsyncClient:
    """A widget's client: the link token spent for a session, as the widget does."""
    token = (await tenant.http.post("/v1/users")).json()["data"]["token"]["accessToken"]
    transport = httpx.ASGITransport(app=app, client=(fresh_address(), 1))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as opener:
        opened = await opener.post("/link/v1/session", headers={"Authorization": f"Bearer {token}"})
    session_token = opened.json()["data"]["sessionToken"]
    return httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {session_token}"},
    )


async def test_account_creations_per_token_are_limited(
    runtime: Runtime, tenant: TenantClient
) -> None:
    settings = runtime.settings.model_copy(update={"link_accounts_per_token_hour": 3})
    app = create_app(runtime=replace(runtime, settings=settings))
    async with await widget(app, tenant) as link:
        made = [
            (await link.post("/link/v1/accounts", json=sign_in(f"user{n}@example.com")))
            for n in range(4)
        ]
    assert [r.status_code for r in made] == [201, 201, 201, 429]
    refused = made[3]
    assert refused.json()["code"] == "REQUEST_LIMIT_EXCEEDED"
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert '"link-token";q=3;w=3600' in refused.headers["ratelimit-policy"]


async def test_a_user_name_the_portal_keeps_rejecting_is_refused_before_signing_in(
    runtime: Runtime, tenant: TenantClient
) -> None:
    settings = runtime.settings.model_copy(update={"portal_sign_in_failures_per_hour": 2})
    app = create_app(runtime=replace(runtime, settings=settings))
    counters = counters_of(runtime.extras, runtime.engine)
    victim = f"victim-{fresh_address()}@example.com"
    for _ in range(2):
        await record_rejected_sign_in(counters, settings, "sss", victim)
    async with await widget(app, tenant) as link:
        refused = await link.post("/link/v1/accounts", json=sign_in(victim.upper()))
        other = await link.post("/link/v1/accounts", json=sign_in(victim, provider="gsis"))
    assert refused.status_code == 429, refused.text
    assert "user name" in refused.json()["message"]
    assert "retry-after" in refused.headers
    assert other.status_code == 201


def test_open_streams_are_counted_per_session() -> None:
    streams = OpenStreams()
    streams.acquire("a", 2)
    streams.acquire("a", 2)
    with pytest.raises(Exception, match="event streams"):
        streams.acquire("a", 2)
    streams.acquire("b", 2)
    streams.release("a")
    streams.acquire("a", 2)


async def test_document_uploads_per_user_are_limited(
    runtime: Runtime, tenant: TenantClient
) -> None:
    import base64

    from tests.documents.hostile_files import pdf

    settings = runtime.settings.model_copy(update={"link_archives_per_user_day": 2})
    app = create_app(runtime=replace(runtime, settings=settings))
    upload = {
        "type": "OTHERS",
        "rawFiles": [
            {"name": "a.pdf", "fileExtensionType": "PDF", "data": base64.b64encode(pdf()).decode()}
        ],
    }
    async with await widget(app, tenant) as link:
        made = [(await link.post("/link/v1/archives", json=upload)) for _ in range(3)]
    assert [r.status_code for r in made] == [201, 201, 429]
    assert made[2].json()["code"] == "REQUEST_LIMIT_EXCEEDED"
    assert '"link-archives";q=2;w=86400' in made[2].headers["ratelimit-policy"]
