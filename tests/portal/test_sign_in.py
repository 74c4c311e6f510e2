"""Signing in and out of the portal, and the lock-out after ten wrong passwords."""

from __future__ import annotations

from datetime import timedelta

import httpx

from sahod.kit.clock import ManualClock
from sahod.portal.schemas import Role
from tests.conftest import TenantClient
from tests.portal.conftest import MemberFactory, csrf_of, sign_in


async def test_a_member_signs_in_sees_the_home_page_and_signs_out(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    browser = await member_of(tenant.tenant_id, Role.DEVELOPER, signed_in=False)
    answer = await sign_in(browser.http, browser.email, browser.password)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/portal" in cookie
    home = await browser.http.get("/portal/")
    assert home.status_code == 200
    assert "Acme Lending" in home.text and 'href="/v1/docs"' in home.text
    out = await browser.http.post("/portal/sign-out", data={"csrf": csrf_of(home.text)})
    assert out.status_code == 303 and out.headers["location"] == "/portal/sign-in"
    again = await browser.http.get("/portal/")
    assert again.status_code == 303 and again.headers["location"].startswith("/portal/sign-in")


async def test_a_wrong_password_is_refused_without_saying_which_half_was_wrong(
    tenant: TenantClient, member_of: MemberFactory, anonymous: httpx.AsyncClient
) -> None:
    browser = await member_of(tenant.tenant_id, signed_in=False)
    wrong = await sign_in(browser.http, browser.email, "not-the-password")
    unknown = await sign_in(anonymous, "nobody@example.com", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match a member" in wrong.text and "do not match a member" in unknown.text
    assert "sahod_portal=" not in wrong.headers.get("set-cookie", "")


async def test_ten_wrong_passwords_lock_the_member_out_for_a_while(
    tenant: TenantClient, member_of: MemberFactory, clock: ManualClock
) -> None:
    browser = await member_of(tenant.tenant_id, signed_in=False)
    for _ in range(9):
        assert (await sign_in(browser.http, browser.email, "guess")).status_code == 401
    tenth = await sign_in(browser.http, browser.email, "guess")
    assert "locked out" in tenth.text
    # Even the right password is refused while the lock holds.
    right = await sign_in(browser.http, browser.email, browser.password)
    assert right.status_code == 401 and "locked out" in right.text
    clock.advance(timedelta(minutes=16))
    after = await sign_in(browser.http, browser.email, browser.password)
    assert after.status_code == 303


async def test_a_right_password_resets_the_count_of_wrong_ones(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    browser = await member_of(tenant.tenant_id, signed_in=False)
    for _ in range(9):
        await sign_in(browser.http, browser.email, "guess")
    assert (await sign_in(browser.http, browser.email, browser.password)).status_code == 303
    browser.http.cookies.clear()
    for _ in range(9):
        answer = await sign_in(browser.http, browser.email, "guess")
        assert "locked out" not in answer.text


async def test_the_sign_in_form_needs_its_own_token(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    browser = await member_of(tenant.tenant_id, signed_in=False)
    forged = await browser.http.post(
        "/portal/sign-in", data={"email": browser.email, "password": browser.password}
    )
    assert forged.status_code == 401 and "sahod_portal=" not in forged.headers.get("set-cookie", "")


async def test_the_session_ends_after_the_idle_time(
    tenant: TenantClient, member_of: MemberFactory, clock: ManualClock
) -> None:
    browser = await member_of(tenant.tenant_id)
    clock.advance(timedelta(hours=13))
    answer = await browser.http.get("/portal/keys")
    assert answer.status_code == 303


async def test_sign_in_goes_back_to_the_page_asked_for_and_only_inside_the_portal(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    browser = await member_of(tenant.tenant_id, signed_in=False)
    asked = await browser.http.get("/portal/keys")
    assert asked.headers["location"] == "/portal/sign-in?next=%2Fportal%2Fkeys"
    page = await browser.http.get(asked.headers["location"])
    answer = await browser.http.post(
        "/portal/sign-in",
        data={
            "email": browser.email,
            "password": browser.password,
            "csrf": csrf_of(page.text),
            "next": "https://evil.example/portal/",
        },
    )
    assert answer.headers["location"] == "/portal/"
