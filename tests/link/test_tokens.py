"""Link tokens as Smile has them: one widget session each, dead once the user's accounts
are revoked, in the query string only on the events stream, never cached."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from sahod.kit.clock import ManualClock
from tests.conftest import TenantClient


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def new_user(tenant: TenantClient) -> tuple[str, str]:
    created = await tenant.http.post("/v1/users")
    assert created.headers["cache-control"] == "no-store"
    data = created.json()["data"]
    return data["user"]["id"], data["token"]["accessToken"]


async def test_a_link_token_opens_one_session_and_is_then_spent(
    tenant: TenantClient, anonymous: httpx.AsyncClient
) -> None:
    user_id, token = await new_user(tenant)
    opened = await anonymous.post("/link/v1/session", headers=bearer(token))
    assert opened.status_code == 201, opened.text
    assert opened.headers["cache-control"] == "no-store"
    session_token = opened.json()["data"]["sessionToken"]
    assert opened.json()["data"]["userId"] == user_id
    # The widget's session works…
    listed = await anonymous.get("/link/v1/accounts", headers=bearer(session_token))
    assert listed.status_code == 200
    # …and the spent link token is 401, for a second session as for anything else.
    again = await anonymous.post("/link/v1/session", headers=bearer(token))
    assert (again.status_code, again.json()["code"]) == (401, "INVALID_TOKEN")
    assert "new one" in again.json()["message"]
    spent = await anonymous.get("/link/v1/accounts", headers=bearer(token))
    assert spent.status_code == 401
    # A link token never exchanged is no widget session either.
    _, unopened = await new_user(tenant)
    direct = await anonymous.get("/link/v1/accounts", headers=bearer(unopened))
    assert direct.status_code == 401 and "POST /link/v1/session" in direct.json()["message"]
    # A session token cannot open a session of its own.
    chained = await anonymous.post("/link/v1/session", headers=bearer(session_token))
    assert chained.status_code == 401


async def test_a_fresh_token_from_post_tokens_opens_a_new_session(
    tenant: TenantClient, anonymous: httpx.AsyncClient
) -> None:
    user_id, token = await new_user(tenant)
    assert (await anonymous.post("/link/v1/session", headers=bearer(token))).status_code == 201
    issued = await tenant.http.post("/v1/tokens", params={"userId": user_id})
    assert issued.headers["cache-control"] == "no-store"
    fresh = issued.json()["data"]["accessToken"]
    assert (await anonymous.post("/link/v1/session", headers=bearer(fresh))).status_code == 201


async def test_the_query_string_token_is_taken_only_by_the_events_stream(
    tenant: TenantClient, anonymous: httpx.AsyncClient
) -> None:
    _, token = await new_user(tenant)
    for method, path in (
        ("GET", "/link/v1/accounts"),
        ("GET", "/link/v1/session"),
        ("POST", "/link/v1/session"),
        ("POST", "/link/v1/accounts"),
    ):
        response = await anonymous.request(method, path, params={"access_token": token})
        assert response.status_code == 401, (method, path, response.text)
    # On the events stream the widget's session token is read there (a 404 for an account
    # that is not the user's).
    opened = await anonymous.post("/link/v1/session", headers=bearer(token))
    session_token = opened.json()["data"]["sessionToken"]
    events = await anonymous.get(
        "/link/v1/accounts/acc-none/events", params={"access_token": session_token}
    )
    assert events.status_code == 404


@pytest.mark.parametrize("revoked_by", ["tenant", "widget"])
async def test_link_tokens_stop_working_once_the_users_accounts_are_revoked(
    tenant: TenantClient, anonymous: httpx.AsyncClient, clock: ManualClock, revoked_by: str
) -> None:
    user_id, token = await new_user(tenant)
    spare = (await tenant.http.post("/v1/tokens", params={"userId": user_id})).json()["data"]
    launch = (await tenant.http.post("/v1/tokens", params={"userId": user_id})).json()["data"]
    opened = await anonymous.post("/link/v1/session", headers=bearer(launch["accessToken"]))
    widget_session = opened.json()["data"]["sessionToken"]
    created = await anonymous.post(
        "/link/v1/accounts",
        headers=bearer(widget_session),
        json={
            "providerId": "sss",
            "consent": True,
            "credentials": {"username": "nomfa@sahod.test", "password": "sandbox1"},
        },
    )
    assert created.status_code == 201, created.text
    account_id = created.json()["data"]["id"]
    clock.advance(timedelta(seconds=1))
    if revoked_by == "tenant":
        revoked = await tenant.http.delete(f"/v1/accounts/{account_id}")
    else:
        revoked = await anonymous.delete(
            f"/link/v1/accounts/{account_id}", headers=bearer(widget_session)
        )
    assert revoked.status_code == 200, revoked.text
    for old in (token, spare["accessToken"]):
        refused = await anonymous.get("/link/v1/accounts", headers=bearer(old))
        assert refused.status_code == 401 and "revoked" in refused.json()["message"]
    clock.advance(timedelta(seconds=1))
    fresh = (await tenant.http.post("/v1/tokens", params={"userId": user_id})).json()["data"]
    reopened = await anonymous.post("/link/v1/session", headers=bearer(fresh["accessToken"]))
    assert reopened.status_code == 201
    session_token = reopened.json()["data"]["sessionToken"]
    after = await anonymous.get("/link/v1/accounts", headers=bearer(session_token))
    assert after.status_code == 200
