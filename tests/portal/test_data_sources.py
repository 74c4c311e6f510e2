"""The Data Sources page: every provider's data points and fields, and its health drawn
from real links against the sandbox portals (one put into maintenance)."""

from __future__ import annotations

import re

import httpx

from sahod.kit.clock import ManualClock
from sahod.portal.schemas import Role
from sahod.provider_health.service import data_sources
from sahod.providers.sandbox import BackgroundPortals
from tests.conftest import TenantClient
from tests.portal.conftest import MemberFactory
from tests.provider_health.conftest import (  # noqa: F401
    Linker,
    health_week,
    linker,
    portals_clock,
)

_TAG = re.compile(r"<[^>]+>")


def words(html: str) -> str:
    return " ".join(_TAG.sub(" ", html).split())


def status_of(html: str, provider_id: str) -> str:
    found = re.search(rf'id="status-{provider_id}" data-status="([A-Z]+)"', html)
    assert found is not None, f"no status for {provider_id}"
    return found.group(1)


async def test_every_provider_data_point_and_field_is_listed(
    tenant: TenantClient,
    member_of: MemberFactory,
    health_week: ManualClock,  # noqa: F811
) -> None:
    browser = await member_of(tenant.tenant_id, Role.VIEWER)
    overview = await browser.http.get("/portal/data-sources")
    assert overview.status_code == 200
    for source in data_sources():
        assert f'id="provider-{source.id}"' in overview.text
        assert status_of(overview.text, source.id) == "UNKNOWN"
        page = await browser.http.get(f"/portal/data-sources/{source.id}")
        assert page.status_code == 200
        for datapoint in source.datapoints:
            assert f'id="dp-{datapoint.kind}"' in page.text
            section = page.text.split(f'id="dp-{datapoint.kind}"', 1)[1].split("</section>")[0]
            for field in datapoint.fields:
                assert f"<code>{field.name}</code>" in section, (source.id, field.name)
    # Nested fields are listed too (an employment's employer address, for one).
    sss = await browser.http.get("/portal/data-sources/sss")
    assert 'class="depth-1"' in sss.text
    assert "<script" not in overview.text and "http" not in words(overview.text).lower().replace(
        "http basic", ""
    )


async def test_maintenance_shows_the_provider_degraded_with_its_rates_and_errors(
    tenant: TenantClient,
    member_of: MemberFactory,
    linker: Linker,  # noqa: F811
    portals: BackgroundPortals,
) -> None:
    browser = await member_of(tenant.tenant_id, Role.VIEWER)
    await linker.link("gsis", "nomfa@sahod.test", "sandbox1", takes=12)
    await linker.link("gsis", "nomfa@sahod.test", "sandbox1", takes=30)
    page = await browser.http.get("/portal/data-sources")
    assert status_of(page.text, "gsis") == "UNKNOWN"
    assert "2 sign-ins in the last hour; it takes 5 to judge." in words(page.text)

    portals.portal("gsis").faults.update({"maintenance": True})
    for _ in range(6):
        await linker.link("gsis", "nomfa@sahod.test", "sandbox1")

    page = await browser.http.get("/portal/data-sources")
    assert status_of(page.text, "gsis") == "DEGRADED"
    assert status_of(page.text, "sss") == "UNKNOWN"
    text = words(page.text)
    assert "Degraded. Only 25% of the 8 sign-ins of the last hour succeeded (below 80%)" in text
    row = page.text.split('id="gsis-window-hour">', 1)[1].split("</tr>")[0]
    assert words(row).split() == [
        "Last",
        "hour",
        "8",
        "25%",
        "6",
        "SERVICE_UNAVAILABLE",
        "(100%)",
        "21",
        "s",
        "29",
        "s",
    ]
    detail = await browser.http.get("/portal/data-sources/gsis")
    assert 'id="gsis-hour-errors"' in detail.text
    # The hour's chart: one bucket holds the 8 sign-ins, 2 green and 6 red.
    chart = detail.text.split('id="gsis-hour"', 1)[1].split("</svg>")[0]
    assert ": 2 succeeded</title>" in chart and ": 6 failed</title>" in chart


async def test_unknown_provider_and_signed_out_visitor(
    tenant: TenantClient, member_of: MemberFactory, anonymous: httpx.AsyncClient
) -> None:
    browser = await member_of(tenant.tenant_id, Role.VIEWER)
    assert (await browser.http.get("/portal/data-sources/nowhere")).status_code == 404
    for path in ("/portal/data-sources", "/portal/data-sources/sss"):
        answer = await anonymous.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/portal/sign-in?next=")


async def test_following_live_reloads_the_page_without_a_script(
    tenant: TenantClient, member_of: MemberFactory
) -> None:
    browser = await member_of(tenant.tenant_id, Role.VIEWER)
    still = await browser.http.get("/portal/data-sources")
    assert "refresh" not in still.headers
    assert 'href="/portal/data-sources?live=true"' in still.text
    live = await browser.http.get("/portal/data-sources?live=true")
    assert live.headers["refresh"] == "30; url=/portal/data-sources?live=true"
    assert "this page reloads every 30 seconds" in words(live.text)
    assert "<script" not in live.text
