"""The sandbox portals as a browser sees them, over real HTTP: forms, CSRF, cookies,
redirects, the code step, limits, faults and the admin endpoint."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from sahod.kit.clock import ManualClock
from sahod.providers.base import Credentials, MfaChallenge
from sahod.providers.registry import create_connector
from sahod.providers.sandbox import BackgroundPortals

# (provider, login path, code path, home path, username field, password field, code field)
PORTALS = {
    "sss": ("/login", "/login/otp", "/member/dashboard", "userId", "password", "otp"),
    "gsis": (
        "/mo/signin",
        "/mo/signin/verify",
        "/mo/home",
        "Email",
        "Password",
        "VerificationCode",
    ),
    "philhealth": (
        "/member/login",
        "/member/login/verify",
        "/member/home",
        "username",
        "password",
        "code",
    ),
    "pagibig": ("/vp/login", "/vp/login/otp", "/vp/dashboard", "email", "password", "otp_code"),
}


@pytest.fixture
async def browser(portals: BackgroundPortals) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=portals.base_url) as client:
        yield client


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', html))


async def log_in(
    browser: httpx.AsyncClient, provider: str, user: str, password: str
) -> httpx.Response:
    login, *_, user_field, password_field, _ = PORTALS[provider]
    form = await browser.get(f"/{provider}{login}")
    data = {**hidden_fields(form.text), user_field: user, password_field: password}
    return await browser.post(f"/{provider}{login}", data=data)


@pytest.mark.parametrize("provider", PORTALS)
async def test_a_member_signs_in_like_in_a_browser(
    provider: str, browser: httpx.AsyncClient
) -> None:
    _, otp, home, *_, code_field = PORTALS[provider]
    answer = await log_in(browser, provider, "ryan1234@smileapi.io", "654321")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/{provider}{otp}"

    code_page = await browser.get(answer.headers["location"])
    assert "0928 *** **87" in code_page.text or "r******4@smileapi.io" in code_page.text
    assert "ryan1234@smileapi.io" not in code_page.text, "where the code went is masked"

    done = await browser.post(
        f"/{provider}{otp}", data={**hidden_fields(code_page.text), code_field: "1234"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/{provider}{home}"
    assert "ryan" in (await browser.get(done.headers["location"])).text.lower()


@pytest.mark.parametrize("provider", PORTALS)
async def test_a_form_without_its_csrf_token_is_refused(
    provider: str, browser: httpx.AsyncClient
) -> None:
    login, *_, user_field, password_field, _ = PORTALS[provider]
    await browser.get(f"/{provider}{login}")
    answer = await browser.post(
        f"/{provider}{login}",
        data={user_field: "ryan1234@smileapi.io", password_field: "654321"},
    )
    assert answer.status_code == 403


async def test_portals_differ_in_how_members_sign_in(browser: httpx.AsyncClient) -> None:
    by_number = await log_in(browser, "sss", "34-1234567-2", "654321")
    assert by_number.status_code == 303, "My.SSS takes the SS number"
    by_number = await log_in(browser, "philhealth", "34-1234567-2", "654321")
    assert by_number.status_code == 200
    assert "Incorrect email address or password." in by_number.text


async def test_the_device_is_remembered_only_when_asked(browser: httpx.AsyncClient) -> None:
    _, otp, *_ = PORTALS["sss"]
    for remember, expect_cookie in ((False, False), (True, True)):
        await log_in(browser, "sss", "gpalomero1234@smileapi.io", "123456")
        page = await browser.get(f"/sss{otp}")
        data = {**hidden_fields(page.text), "otp": "1234"}
        if remember:
            data["trustDevice"] = "on"
        done = await browser.post(f"/sss{otp}", data=data)
        cookies = " ".join(done.headers.get_list("set-cookie"))
        assert ("SSS_TRUSTED_DEVICE=" in cookies) is expect_cookie


async def test_member_pages_need_a_live_session(
    portals: BackgroundPortals, browser: httpx.AsyncClient, sandbox_portal_clock: ManualClock
) -> None:
    anonymous = await browser.get("/gsis/mo/member/profile")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/gsis/mo/signin?expired=1"

    connector = create_connector("gsis", base_url=portals.base_url)
    step = await connector.login(Credentials("anisha98765@smileapi.io", "123456"))
    assert isinstance(step, MfaChallenge)
    session = await connector.submit_mfa(step.pending_state, "1234")
    cookies = cookie_header(session.cookies)
    fresh = await browser.get("/gsis/mo/member/profile", headers=cookies)
    assert fresh.status_code == 200 and "Dizon" in fresh.text

    sandbox_portal_clock.advance(timedelta(minutes=15, seconds=1))
    stale = await browser.get("/gsis/mo/member/profile", headers=cookies)
    assert stale.status_code == 303
    await connector.aclose()


async def test_maintenance_page(portals: BackgroundPortals, browser: httpx.AsyncClient) -> None:
    portals.portal("pagibig").faults.update({"maintenance": True})
    answer = await browser.get("/pagibig/vp/login")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "3600"
    assert "scheduled system maintenance" in answer.text
    assert (await browser.get("/sss/login")).status_code == 200, "faults are per portal"


async def test_hitting_the_portal_too_fast(
    portals: BackgroundPortals, browser: httpx.AsyncClient
) -> None:
    portals.portal("sss").faults.update({"rate_limit_burst": 3, "rate_limit_per_second": 1.0})
    await log_in(browser, "sss", "gpalomero1234@smileapi.io", "123456")
    statuses = [(await browser.get("/sss/login/otp")).status_code for _ in range(4)]
    assert statuses[:2] == [200, 200]
    assert 429 in statuses
    limited = await browser.get("/sss/login/otp")
    assert limited.headers["retry-after"] == "1"


async def test_injected_latency(portals: BackgroundPortals, browser: httpx.AsyncClient) -> None:
    await browser.put("/philhealth/_faults", json={"latency_ms": 120})
    answer = await browser.get("/philhealth/member/login")
    assert answer.elapsed >= timedelta(milliseconds=120)


async def test_fault_settings_over_http(browser: httpx.AsyncClient) -> None:
    current = (await browser.get("/gsis/_faults")).json()
    assert current["latency_ms"] == 0 and current["maintenance"] is False

    changed = await browser.put("/gsis/_faults", json={"latency_ms": 5, "error_rate": 0.5})
    assert changed.json()["latency_ms"] == 5 and changed.json()["error_rate"] == 0.5

    for wrong in ({"latency": 5}, {"latency_ms": "fast"}, {"error_rate": 2}, {"maintenance": 1}):
        refused = await browser.put("/gsis/_faults", json=wrong)
        assert refused.status_code == 400, wrong
    assert (await browser.get("/gsis/_faults")).json()["latency_ms"] == 5


async def test_the_cosmetic_variant_changes_the_markup_not_the_content(
    portals: BackgroundPortals, browser: httpx.AsyncClient
) -> None:
    connector = create_connector("sss", base_url=portals.base_url)
    step = await connector.login(Credentials("gpalomero1234@smileapi.io", "123456"))
    assert isinstance(step, MfaChallenge)
    cookies = cookie_header((await connector.submit_mfa(step.pending_state, "1234")).cookies)
    plain = (await browser.get("/sss/member/employment", headers=cookies)).text
    portals.portal("sss").faults.update({"layout_variant": 1})
    restyled = (await browser.get("/sss/member/employment", headers=cookies)).text
    assert plain != restyled
    assert "<th>Employer ID</th>" in plain
    assert "EMPLOYER ID" in restyled and "Remarks" in restyled
    assert restyled.index("DATE OF SEPARATION") < restyled.index("EMPLOYER ID")
    await connector.aclose()


async def test_the_portals_work_below_the_main_apps_mount_path() -> None:
    with BackgroundPortals(mount_path="/sandbox/portals") as mounted:
        assert mounted.base_url.endswith("/sandbox/portals")
        connector = create_connector("pagibig", base_url=mounted.base_url)
        step = await connector.login(Credentials("christina4321@smileapi.io", "YGUS1"))
        assert isinstance(step, MfaChallenge)
        records = await connector.fetch(await connector.submit_mfa(step.pending_state, "1234"))
        assert any(r.payload.get("type") == "Housing Loan" for r in records)
        await connector.aclose()
        async with httpx.AsyncClient() as client:
            index = await client.get(mounted.base_url + "/")
        assert all(name in index.text for name in ("My.SSS", "eGSIS MO", "Virtual Pag-IBIG"))
