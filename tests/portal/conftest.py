"""Portal members signed in through the real sign-in form, as a browser does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.kit.clock import ManualClock
from sahod.portal.schemas import Role
from sahod.portal.service import create_member

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Browser:
    """A signed-in member's cookie jar; ``post`` sends the page's CSRF token along."""

    http: httpx.AsyncClient
    email: str
    password: str
    csrf: str = ""

    async def post(
        self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True
    ) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form["csrf"] = self.csrf
        return await self.http.post(path, data=form)


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await http.get("/portal/sign-in")
    return await http.post(
        "/portal/sign-in",
        data={"email": email, "password": password, "csrf": csrf_of(page.text), "next": ""},
    )


MemberFactory = Callable[..., Awaitable[Browser]]


@pytest.fixture
async def member_of(
    app: object, session: AsyncSession, clock: ManualClock
) -> AsyncIterator[MemberFactory]:
    """``await member_of(tenant_id, role)``: a member of that tenant, signed in."""
    clients: list[httpx.AsyncClient] = []

    async def make(tenant_id: str, role: Role = Role.OWNER, *, signed_in: bool = True) -> Browser:
        issued = await create_member(
            session, tenant_id, f"{role.value}{len(clients)}@{tenant_id}.example", role, clock.now()
        )
        await session.commit()
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
            base_url="http://testserver",
        )
        clients.append(http)
        browser = Browser(http=http, email=issued.email, password=issued.password)
        if signed_in:
            answer = await sign_in(http, issued.email, issued.password)
            assert answer.status_code == 303, answer.text
            home = await http.get("/portal/")
            browser.csrf = csrf_of(home.text)
        return browser

    yield make
    for http in clients:
        await http.aclose()
