"""A tenant's mode picks its portals: production accounts never reach a sandbox portal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus
from sahod.config import Settings
from sahod.kit.clock import ManualClock
from sahod.portal_routing.targets import PortalConfigurationError, check_portal_urls
from sahod.providers.base import Credentials, ErrorCode
from sahod.providers.sandbox import BackgroundPortals
from sahod.runtime import Runtime
from sahod.sync.pipeline import Pipeline
from sahod.tenants.schemas import TenantMode
from sahod.tenants.service import create_tenant
from tests.factories import link_and_commit, make_user

PERSONA = Credentials("nomfa@sahod.test", "sandbox1")


@pytest.fixture(scope="module")
def sandbox_portals() -> Iterator[BackgroundPortals]:
    with BackgroundPortals(mount_path="/sandbox/portals") as running:
        yield running


@pytest.fixture(scope="module")
def live_portals() -> Iterator[BackgroundPortals]:
    """Stands in for the agencies' real portals at the production URLs."""
    with BackgroundPortals() as running:
        yield running


def _requests(portals: BackgroundPortals) -> int:
    return sum(
        portals.portal(p).stats["requests"] for p in ("sss", "gsis", "philhealth", "pagibig")
    )


async def _link_and_run(
    runtime: Runtime, session: AsyncSession, clock: ManualClock, mode: TenantMode
) -> Account:
    keys = await create_tenant(session, f"{mode.value} tenant", mode, clock.now())
    user = await make_user(session, keys.tenant_id, clock.now())
    account, task_id = await link_and_commit(
        session,
        tenant_id=keys.tenant_id,
        user_id=user.id,
        provider_id="pagibig",
        credentials=PERSONA,
        sealer=runtime.sealer,
        now=clock.now(),
    )
    await Pipeline(runtime, keys.tenant_id).advance(account.id, task_id)
    await session.refresh(account)
    return account


def _runtime(runtime: Runtime, **settings: object) -> Runtime:
    return replace(runtime, settings=runtime.settings.model_copy(update=settings), connectors={})


async def test_a_production_account_without_a_portal_url_fails_and_never_reaches_the_sandbox(
    runtime: Runtime,
    session: AsyncSession,
    clock: ManualClock,
    sandbox_portals: BackgroundPortals,
    caplog: pytest.LogCaptureFixture,
) -> None:
    routed = _runtime(runtime, portal_base_url=sandbox_portals.base_url, portal_urls={})
    before = _requests(sandbox_portals)

    account = await _link_and_run(routed, session, clock, TenantMode.PRODUCTION)

    assert account.connection_status == ConnectionStatus.ERROR
    assert account.error_code == ErrorCode.SERVICE_UNAVAILABLE
    assert _requests(sandbox_portals) == before
    assert "no production portal URL is configured" in caplog.text

    # The same persona from a sandbox tenant does reach them: the counter counts.
    sandbox_account = await _link_and_run(routed, session, clock, TenantMode.SANDBOX)
    assert sandbox_account.connection_status == ConnectionStatus.CONNECTED
    assert _requests(sandbox_portals) > before


async def test_a_production_account_reaches_its_configured_portal_only(
    runtime: Runtime,
    session: AsyncSession,
    clock: ManualClock,
    sandbox_portals: BackgroundPortals,
    live_portals: BackgroundPortals,
) -> None:
    routed = _runtime(
        runtime,
        portal_base_url=sandbox_portals.base_url,
        portal_urls={"pagibig": live_portals.base_url},
    )
    sandbox_before, live_before = _requests(sandbox_portals), _requests(live_portals)

    account = await _link_and_run(routed, session, clock, TenantMode.PRODUCTION)

    assert account.connection_status == ConnectionStatus.CONNECTED
    assert _requests(live_portals) > live_before
    assert _requests(sandbox_portals) == sandbox_before


@pytest.mark.parametrize(
    "url",
    [
        "http://sahod.example/sandbox/portals",
        "http://127.0.0.1:8000/sandbox/portals/",
        "http://localhost:8000/sandbox",
        "http://[::1]:8000/sandbox/portals",
        "ftp://portal.example/",
        "member.sss.gov.ph",
    ],
)
def test_a_production_portal_url_at_the_own_sandbox_mount_is_refused_at_start(url: str) -> None:
    settings = Settings(public_url="http://sahod.example", port=8000, portal_urls={"sss": url})
    with pytest.raises(PortalConfigurationError, match="sss"):
        check_portal_urls(settings)


def test_a_production_portal_url_elsewhere_is_accepted() -> None:
    settings = Settings(
        public_url="http://sahod.example",
        portal_urls={"sss": "https://member.sss.gov.ph/members/", "gsis": "http://10.0.0.5:9000"},
    )
    check_portal_urls(settings)


def test_a_server_with_a_database_mounts_the_sandbox_portals_only_when_asked() -> None:
    assert Settings().mounts_sandbox_portals()
    assert not Settings(database_url="postgresql://db/sahod").mounts_sandbox_portals()
    assert Settings(
        database_url="postgresql://db/sahod", sandbox_portals=True
    ).mounts_sandbox_portals()
    assert not Settings(production=True).mounts_sandbox_portals()


def test_a_production_app_has_no_sandbox_portals_mounted() -> None:
    from sahod.app import create_app

    def mounted(settings: Settings) -> bool:
        app = create_app(settings)
        return any(getattr(route, "path", "") == "/sandbox/portals" for route in app.routes)

    assert not mounted(Settings(database_url="postgresql://db/sahod"))
    assert mounted(Settings(database_url="postgresql://db/sahod", sandbox_portals=True))
