"""Every portal page refuses a signed-out visitor (to the sign-in page), another tenant's
member (404, as the API: existence does not leak) and a viewer who tries to write (403);
a form posted without its CSRF token is refused; every answer carries a strict CSP."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.kit.clock import ManualClock
from sahod.portal.schemas import Role
from tests.conftest import TenantClient
from tests.portal.conftest import Browser, MemberFactory


@dataclass
class Objects:
    """One of everything a page can be about, in the first tenant."""

    key: str
    member_id: str
    user_id: str
    account_id: str
    webhook_id: str
    delivery_id: str


@pytest.fixture
async def objects(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock, member_of: MemberFactory
) -> Objects:
    from tests.portal.seed import seed_tenant_objects

    return await seed_tenant_objects(tenant, session, clock, member_of)


def read_pages(o: Objects) -> list[str]:
    return [
        "/portal/",
        "/portal/keys",
        "/portal/members",
        "/portal/users",
        f"/portal/users/{o.user_id}",
        "/portal/webhooks",
        f"/portal/webhooks/{o.webhook_id}",
        f"/portal/webhooks/{o.webhook_id}/deliveries/{o.delivery_id}",
        "/portal/data-sources",
        "/portal/data-sources/sss",
        "/portal/emulator",
        f"/portal/emulator/{o.user_id}",
        f"/portal/emulator/{o.user_id}/events",
    ]


def owned_read_pages(o: Objects) -> list[str]:
    return [p for p in read_pages(o) if o.user_id in p or o.webhook_id in p]


def write_forms(o: Objects) -> list[tuple[str, dict[str, str]]]:
    """Each form a developer or owner posts, with valid fields."""
    return [
        ("/portal/keys", {}),
        (f"/portal/keys/{o.key}/revoke", {}),
        ("/portal/members", {"email": "new@acme.example", "role": "viewer"}),
        (f"/portal/members/{o.member_id}/role", {"role": "developer"}),
        (f"/portal/members/{o.member_id}/remove", {}),
        (f"/portal/users/{o.user_id}/accounts/{o.account_id}/revoke", {}),
        ("/portal/webhooks", {"url": "http://127.0.0.1:9/hook", "eventTypes": "ALL_EVENTS"}),
        (f"/portal/webhooks/{o.webhook_id}/disable", {}),
        (f"/portal/webhooks/{o.webhook_id}/enable", {}),
        (f"/portal/webhooks/{o.webhook_id}/recover", {"since": "2026-11-01T00:00"}),
        (f"/portal/webhooks/{o.webhook_id}/test", {}),
        (f"/portal/webhooks/{o.webhook_id}/deliveries/{o.delivery_id}/redeliver", {}),
        ("/portal/emulator", {}),
        (f"/portal/emulator/{o.user_id}/token", {}),
    ]


async def test_a_signed_out_visitor_is_sent_to_the_sign_in_page_from_every_page(
    objects: Objects, anonymous: httpx.AsyncClient
) -> None:
    for path in read_pages(objects):
        answer = await anonymous.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/portal/sign-in?next="), path
    for path, form in write_forms(objects):
        answer = await anonymous.post(path, data={**form, "csrf": "x"})
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/portal/sign-in"), path
    assert (await anonymous.post("/portal/sign-out")).status_code == 303


async def test_a_member_of_another_tenant_finds_nothing(
    objects: Objects, other_tenant: TenantClient, member_of: MemberFactory
) -> None:
    stranger = await member_of(other_tenant.tenant_id, Role.OWNER)
    for path in owned_read_pages(objects):
        answer = await stranger.http.get(path)
        assert answer.status_code == 404, path
        assert objects.user_id not in answer.text
    for path, form in write_forms(objects):
        if (
            objects.key in path
            or objects.member_id in path
            or objects.user_id in path
            or (objects.webhook_id in path)
        ):
            answer = await stranger.post(path, form)
            assert answer.status_code == 404, path
    # Their lists show their own tenant only.
    for path in ("/portal/keys", "/portal/users", "/portal/webhooks", "/portal/members"):
        answer = await stranger.http.get(path)
        assert answer.status_code == 200
        for value in (objects.key, objects.user_id, objects.webhook_id, objects.member_id):
            assert value not in answer.text, (path, value)


async def test_a_viewer_reads_every_page_and_may_write_nothing(
    objects: Objects, tenant: TenantClient, member_of: MemberFactory
) -> None:
    viewer = await member_of(tenant.tenant_id, Role.VIEWER)
    for path in read_pages(objects):
        assert (await viewer.http.get(path)).status_code == 200, path
    for path, form in write_forms(objects):
        answer = await viewer.post(path, form)
        assert answer.status_code == 403, path
        assert "needs the" in answer.text


async def test_a_developer_may_not_manage_members(
    objects: Objects, tenant: TenantClient, member_of: MemberFactory
) -> None:
    developer = await member_of(tenant.tenant_id, Role.DEVELOPER)
    for path, form in write_forms(objects):
        if path.startswith("/portal/members"):
            assert (await developer.post(path, form)).status_code == 403, path


async def test_a_form_without_its_csrf_token_is_refused(
    objects: Objects, tenant: TenantClient, member_of: MemberFactory
) -> None:
    owner = await member_of(tenant.tenant_id, Role.OWNER)
    for path, form in write_forms(objects):
        missing = await owner.post(path, form, csrf=False)
        assert missing.status_code == 403, path
        assert "did not come from this portal" in missing.text
        wrong = await owner.http.post(path, data={**form, "csrf": "x" * 43})
        assert wrong.status_code == 403, path
    # Nothing was changed: the key still works, the member is still there.
    assert (await tenant.http.get("/v1/users")).status_code == 200
    assert objects.member_id in (await owner.http.get("/portal/members")).text


async def test_another_sessions_token_does_not_pass(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    first: Browser = await member_of(tenant.tenant_id, Role.OWNER)
    second: Browser = await member_of(tenant.tenant_id, Role.OWNER)
    answer = await second.http.post("/portal/keys", data={"csrf": first.csrf})
    assert answer.status_code == 403


async def test_every_portal_answer_has_a_strict_content_security_policy(
    objects: Objects, tenant: TenantClient, member_of: MemberFactory, anonymous: httpx.AsyncClient
) -> None:
    viewer = await member_of(tenant.tenant_id, Role.VIEWER)
    answers = [await viewer.http.get(p) for p in read_pages(objects)]
    answers += [
        await anonymous.get("/portal/sign-in"),
        await anonymous.get("/portal/keys"),
        await anonymous.get("/portal/static/portal.css"),
        await viewer.http.get("/portal/users/nobody"),
    ]
    for answer in answers:
        policy = answer.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert answer.headers["x-frame-options"] == "DENY"
    for answer in answers[:-2]:
        # No inline scripts, no inline styles, nothing from another origin.
        assert "<script>" not in answer.text and " style=" not in answer.text
        assert 'src="http' not in answer.text and 'href="https://' not in answer.text


async def test_nul_characters_are_a_400_page_not_a_server_error(
    tenant: TenantClient, member_of: MemberFactory, anonymous: httpx.AsyncClient
) -> None:
    viewer = await member_of(tenant.tenant_id, Role.VIEWER)
    for path in ("/portal/users/a%00b", "/portal/webhooks/w%00", "/portal/users?q=a%00"):
        answer = await viewer.http.get(path)
        assert answer.status_code == 400, path
        assert "NUL" in answer.text and "<!doctype html>" in answer.text
    from tests.portal.conftest import sign_in

    refused = await sign_in(anonymous, "a\x00b@example.com", "whatever")
    assert refused.status_code == 401


def test_the_session_cookie_is_secure_when_the_public_url_is_https() -> None:
    from starlette.responses import Response

    from sahod.config import Settings
    from sahod.portal.web import SESSION_COOKIE, set_cookie

    for public_url, secure in (("https://sahod.example", True), ("http://127.0.0.1", False)):
        response = Response()
        set_cookie(response, Settings(public_url=public_url), SESSION_COOKIE, "token")
        cookie = response.headers["set-cookie"]
        assert ("; secure" in cookie.lower()) is secure
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
