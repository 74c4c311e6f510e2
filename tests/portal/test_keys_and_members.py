"""API keys and members through the portal's pages."""

from __future__ import annotations

import re

import httpx

from sahod.portal.schemas import Role
from tests.conftest import TenantClient
from tests.portal.conftest import MemberFactory, sign_in


async def test_a_developer_creates_a_key_that_works_once_shown_and_revokes_it(
    tenant: TenantClient, member_of: MemberFactory, anonymous: httpx.AsyncClient
) -> None:
    browser = await member_of(tenant.tenant_id, Role.DEVELOPER)
    created = await browser.post("/portal/keys")
    assert created.status_code == 201
    key = re.search(r'id="issued-api-key">([^<]+)<', created.text)
    secret = re.search(r'id="issued-api-secret">([^<]+)<', created.text)
    assert key is not None and secret is not None
    api_key, api_secret = key.group(1), secret.group(1)
    assert api_key.startswith("sk_test_")
    assert (await anonymous.get("/v1/users", auth=(api_key, api_secret))).status_code == 200
    # The secret is shown on that answer only.
    listed = await browser.http.get("/portal/keys")
    assert api_key in listed.text and api_secret not in listed.text
    revoked = await browser.post(f"/portal/keys/{api_key}/revoke")
    assert revoked.status_code == 303
    assert (await anonymous.get("/v1/users", auth=(api_key, api_secret))).status_code == 401
    assert "revoked" in (await browser.http.get("/portal/keys")).text


async def test_the_last_active_key_cannot_be_revoked(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    browser = await member_of(tenant.tenant_id, Role.DEVELOPER)
    refused = await browser.post(f"/portal/keys/{tenant.keys.api_key}/revoke")
    assert refused.status_code == 400 and "create another key" in refused.text
    assert (await tenant.http.get("/v1/users")).status_code == 200


async def test_the_keys_page_shows_sandbox_and_production_side_by_side(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    browser = await member_of(tenant.tenant_id, Role.VIEWER)
    page = await browser.http.get("/portal/keys")
    assert 'id="keys-sandbox"' in page.text and 'id="keys-production"' in page.text
    assert tenant.keys.api_key in page.text
    assert "issued on request" in page.text
    # A viewer is not offered what it may not do.
    assert "Revoke" not in page.text and "Create a sandbox key" not in page.text


async def test_an_owner_adds_a_member_who_signs_in_then_changes_the_role_and_removes_them(
    app: object, tenant: TenantClient, member_of: MemberFactory
) -> None:
    owner = await member_of(tenant.tenant_id, Role.OWNER)
    added = await owner.post("/portal/members", {"email": "Dev@Acme.example", "role": "developer"})
    assert added.status_code == 201
    password = re.search(r'id="issued-password">([^<]+)<', added.text)
    assert password is not None
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
    ) as newcomer:
        assert (await sign_in(newcomer, "dev@acme.example", password.group(1))).status_code == 303
        page = await owner.http.get("/portal/members")
        member_id = re.search(r'for="role-([^"]+)" [^>]*>Role of dev@acme', page.text)
        assert member_id is not None
        changed = await owner.post(f"/portal/members/{member_id.group(1)}/role", {"role": "viewer"})
        assert changed.status_code == 303
        assert "Create a sandbox key" not in (await newcomer.get("/portal/keys")).text
        removed = await owner.post(f"/portal/members/{member_id.group(1)}/remove")
        assert removed.status_code == 303
        assert "dev@acme.example" not in (await owner.http.get("/portal/members")).text
        # Removing a member ends their sessions.
        assert (await newcomer.get("/portal/")).status_code == 303


async def test_the_last_owner_stays_an_owner(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    owner = await member_of(tenant.tenant_id, Role.OWNER)
    page = await owner.http.get("/portal/members")
    own_id = re.search(r"/portal/members/([^/]+)/remove", page.text)
    assert own_id is not None
    refused = await owner.post(f"/portal/members/{own_id.group(1)}/role", {"role": "viewer"})
    assert refused.status_code == 400 and "at least one owner" in refused.text


async def test_an_e_mail_already_a_member_is_refused(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    owner = await member_of(tenant.tenant_id, Role.OWNER)
    again = await owner.post("/portal/members", {"email": owner.email.upper(), "role": "viewer"})
    assert again.status_code == 400 and "already a portal member" in again.text
