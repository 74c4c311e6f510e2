"""Account exports: POST /v1/accounts/{id}/exports/generate as the contract has it, a PDF a
credit officer can print and a CSV of every data point, both downloaded through their
signed links and checked against the account's data points."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts.models import Account
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.models import DataPoint
from sahod.files.models import FileBlob, StoredFile
from sahod.kit.clock import ManualClock
from sahod.retention import service as retention_service
from sahod.retention.tasks import sweep_now
from sahod.runtime import Runtime
from sahod.tenants.models import Tenant
from sahod.users.models import User
from tests.conftest import TenantClient, signed_link_path
from tests.contract.smile import contract_errors
from tests.factories import make_account, make_datapoint, seed_connected_user, store_file

PATH = "/accounts/{id}/exports/generate"
# Six months of contributions (one month paid in two parts) and their estimated incomes.
CONTRIBUTIONS = [
    ("2024-01-31", 2250.0),
    ("2024-02-29", 2250.0),
    ("2024-03-31", 2700.0),
    ("2024-04-30", 2000.0),
    ("2024-04-30", 700.0),
    ("2024-05-31", 3150.0),
]
EINCOMES = [("2024-03", 20000.0), ("2024-04", 20000.0), ("2024-05", 23500.0)]


async def seed_account(
    session: AsyncSession, tenant_id: str, clock: ManualClock
) -> tuple[Account, list[DataPoint]]:
    """A connected SSS account with one record of each kind, plus a second employer, a
    second loan, six months of contributions and three estimated incomes."""
    _, account, first = await seed_connected_user(session, tenant_id, clock.now())
    more = [
        await make_datapoint(
            session,
            account,
            DataPointKind.EMPLOYMENTS,
            clock.now(),
            employer="Pasig Bakeshop, Inc.",
            employerNumber="03-1111111-1",
            status="Inactive",
            startDate="2010-06-01",
            endDate="2016-01-31",
        ),
        await make_datapoint(
            session,
            account,
            DataPointKind.LIABILITIES,
            clock.now(),
            type="Calamity Loan",
            referenceId="CL202301019999",
            loanAmount=20000.0,
            amortizationAmount=912.5,
            outstandingBalance=8212.5,
        ),
    ]
    for day, amount in CONTRIBUTIONS:
        more.append(
            await make_datapoint(
                session,
                account,
                DataPointKind.CONTRIBUTIONS,
                clock.now(),
                date=day,
                amount=amount,
                referenceId=f"PRN-{day}-{amount}",
            )
        )
    for month, amount in EINCOMES:
        more.append(
            await make_datapoint(
                session,
                account,
                DataPointKind.EINCOMES,
                clock.now(),
                month=month,
                amount=amount,
                baseAmount=amount,
            )
        )
    await session.commit()
    return account, [*first.values(), *more]


async def generate(tenant: TenantClient, account_id: str, kind: str) -> dict[str, Any]:
    response = await tenant.http.post(
        f"/v1/accounts/{account_id}/exports/generate", json={"exportExtensionType": kind}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert contract_errors(PATH, "post", 200, body) == []
    data: dict[str, Any] = body["data"]
    assert data["accountId"] == account_id and data["exportExtensionType"] == kind
    assert data["id"].startswith("export-")
    return data


async def download(anonymous: httpx.AsyncClient, export: dict[str, Any]) -> httpx.Response:
    """The file behind downloadUrl, with no API key, checked against md5."""
    response = await anonymous.get(signed_link_path(export["downloadUrl"]))
    assert response.status_code == 200, response.text
    assert hashlib.md5(response.content, usedforsecurity=False).hexdigest() == export["md5"]
    return response


def flat(text: str) -> str:
    return " ".join(text.split())


async def test_the_pdf_is_a_report_of_the_account(
    tenant: TenantClient, anonymous: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    account, points = await seed_account(session, tenant.tenant_id, clock)
    export = await generate(tenant, account.id, "PDF")
    response = await download(anonymous, export)
    assert response.headers["content-type"] == "application/pdf"
    assert export["id"] in response.headers["content-disposition"]

    reader = PdfReader(io.BytesIO(response.content))
    text = flat("\n".join(page.extract_text() for page in reader.pages))
    by_kind: dict[DataPointKind, list[DataPoint]] = {}
    for point in points:
        by_kind.setdefault(DataPointKind(point.kind), []).append(point)

    # The person.
    [identity] = by_kind[DataPointKind.IDENTITIES]
    for field in ("fullName", "dob", "referenceId", "maritalStatus"):
        assert identity.payload[field] in text, field
    assert "gpalomero1234@smileapi.io" in text and "12 Maybunga St, Pasig City" in text
    # The employers, each with the record it came from.
    for employment in by_kind[DataPointKind.EMPLOYMENTS]:
        assert employment.payload["employer"] in text
        assert employment.payload["employerNumber"] in text
        assert employment.id in text
    # The loans with their balances, and the total owed.
    for loan in by_kind[DataPointKind.LIABILITIES]:
        assert loan.payload["referenceId"] in text and loan.id in text
        assert f"PHP {Decimal(str(loan.payload['outstandingBalance'])):,.2f}" in text
    assert "Outstanding balance of all loans: PHP 22,812.26" in text
    # The contributions: April's two payments are one month; the sums are the records'.
    assert "Monthly contributions" in text
    total = sum(Decimal(str(p.payload["amount"])) for p in by_kind[DataPointKind.CONTRIBUTIONS])
    # (seed_connected_user's own contribution and estimate are June's.)
    assert "6 months from January 2024 to June 2024" in text
    assert f"PHP {total:,.2f} in all" in text
    assert "latest month PHP 2,800.00" in text
    # Estimated income, the latest first, with the schedule it was read back through.
    assert "Estimated monthly income, 2024-06: PHP 20,000.00" in text
    assert "2024-05 PHP 23,500.00" in text
    for estimate in by_kind[DataPointKind.EINCOMES]:
        assert estimate.id in text
    assert "SSS" in text and "Circular" in text
    # Where each figure came from.
    assert "Where each figure came from" in text
    assert f"account {account.id}" in text and "My.SSS" in text

    # The chart is drawn, not pasted: filled rectangles, one a month, and no images.
    drawn = b"".join(page.get_contents().get_data() for page in reader.pages)  # type: ignore[union-attr]
    assert drawn.count(b" re f") >= 5 or drawn.count(b"re\nf") >= 5 or drawn.count(b" re ") >= 5
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        assert "/XObject" not in resources
    assert reader.metadata is not None and reader.metadata.producer == "Sahod account export"


async def test_the_csv_holds_every_data_point(
    tenant: TenantClient, anonymous: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    account, points = await seed_account(session, tenant.tenant_id, clock)
    export = await generate(tenant, account.id, "CSV")
    response = await download(anonymous, export)
    assert response.headers["content-type"].startswith("text/csv")

    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(points)
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {point.id for point in points}
    for point in points:
        row = by_id[point.id]
        assert row["kind"] == point.kind and row["accountId"] == account.id
        assert row["providerId"] == "sss"
        for field, value in point.payload.items():
            cell = row[field]
            if value is None:
                assert cell == "", (point.kind, field)
            elif isinstance(value, list | dict):
                assert json.loads(cell) == value, (point.kind, field)
            elif isinstance(value, float):
                assert float(cell) == value, (point.kind, field)
            else:
                assert cell == str(value), (point.kind, field)
    # Fields of other kinds are left empty, not invented.
    contribution = next(r for r in rows if r["kind"] == "CONTRIBUTIONS")
    assert contribution["employer"] == "" and contribution["fullName"] == ""


async def test_text_a_spreadsheet_would_run_is_defused(
    tenant: TenantClient, anonymous: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    _, account, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
    await make_datapoint(
        session, account, DataPointKind.EMPLOYMENTS, clock.now(), employer="=HYPERLINK(1)"
    )
    await session.commit()
    export = await generate(tenant, account.id, "CSV")
    rows = list(csv.DictReader(io.StringIO((await download(anonymous, export)).text)))
    assert "'=HYPERLINK(1)" in [r["employer"] for r in rows]


async def test_an_account_without_records_still_exports(
    tenant: TenantClient, anonymous: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    _, account, points = await seed_connected_user(session, tenant.tenant_id, clock.now())
    for point in points.values():
        await session.delete(point)
    await session.commit()
    pdf = await download(anonymous, await generate(tenant, account.id, "PDF"))
    text = flat(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text())
    assert "My.SSS showed no identity record for this account." in text
    csv_export = await download(anonymous, await generate(tenant, account.id, "CSV"))
    assert csv_export.content.decode("utf-8-sig").strip().count("\n") == 0  # the header only


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"exportExtensionType": "DOCX"}, "exportExtensionType"),
        ({"exportExtensionType": "pdf"}, "exportExtensionType"),
        ({}, "exportExtensionType"),
        ({"exportExtensionType": "PDF", "extra": 1}, "extra"),
    ],
)
async def test_a_bad_request_is_400_naming_the_field(
    tenant: TenantClient,
    session: AsyncSession,
    clock: ManualClock,
    body: dict[str, Any],
    field: str,
) -> None:
    _, account, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
    response = await tenant.http.post(f"/v1/accounts/{account.id}/exports/generate", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_PARAMETERS"
    assert field in response.json()["message"]
    assert contract_errors(PATH, "post", 400, response.json()) == []


async def test_unknown_and_other_tenants_accounts_are_404(
    tenant: TenantClient,
    other_tenant: TenantClient,
    session: AsyncSession,
    clock: ManualClock,
) -> None:
    _, account, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
    for client, account_id in ((tenant, "a-0000"), (other_tenant, account.id)):
        response = await client.http.post(
            f"/v1/accounts/{account_id}/exports/generate", json={"exportExtensionType": "PDF"}
        )
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "MISSING_RESOURCE"
        assert contract_errors(PATH, "post", 404, response.json()) == []
    assert (await tenant.http.post(f"/v1/accounts/{account.id}/exports/generate")).status_code in (
        400,
        415,
    )


async def test_the_link_is_the_tenants_and_ends_with_the_file(
    tenant: TenantClient,
    other_tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    session: AsyncSession,
    clock: ManualClock,
) -> None:
    _, account, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
    export = await generate(tenant, account.id, "CSV")
    url = urlsplit(export["downloadUrl"])
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    # Signed for one tenant's file: another tenant id in it is refused.
    forged = {**query, "tenantId": other_tenant.tenant_id}
    refused = await anonymous.get(f"{url.path}?{urlencode(forged)}")
    assert refused.status_code == 403 and refused.json()["code"] == "UNAUTHORIZED_ACCESS"
    # It works for weeks (not only the hour an archive's links last)…
    clock.advance(timedelta(days=59))
    assert (await anonymous.get(f"{url.path}?{url.query}")).status_code == 200
    # …and not past the file's retention.
    clock.advance(timedelta(days=2))
    expired = await anonymous.get(f"{url.path}?{url.query}")
    assert expired.status_code == 403


async def export_bytes_left(session: AsyncSession, account_id: str) -> int:
    """How many of the account's export files still have their bytes or a live row."""
    blobs = await session.scalar(
        select(func.count())
        .select_from(FileBlob)
        .join(StoredFile, StoredFile.id == FileBlob.file_id)
        .where(StoredFile.owner_id == account_id)
    )
    live = await session.scalar(
        select(func.count())
        .select_from(StoredFile)
        .where(StoredFile.owner_id == account_id, StoredFile.deleted_at.is_(None))
        .execution_options(populate_existing=True)
    )
    return int(blobs or 0) + int(live or 0)


async def revoke_by_widget(
    tenant: TenantClient, anonymous: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> tuple[str, str]:
    """An account of a user with an open widget session, exported, then revoked by the
    user in the widget: (account id, the export's download path)."""
    created = (await tenant.http.post("/v1/users")).json()["data"]
    opened = await anonymous.post(
        "/link/v1/session",
        headers={"Authorization": f"Bearer {created['token']['accessToken']}"},
    )
    token = opened.json()["data"]["sessionToken"]
    user = await session.get(User, created["user"]["id"])
    assert user is not None
    account = await make_account(session, user, clock.now())
    await session.commit()
    export = await generate(tenant, account.id, "PDF")
    await download(anonymous, export)
    answer = await anonymous.delete(
        f"/link/v1/accounts/{account.id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    return account.id, signed_link_path(export["downloadUrl"])


@pytest.mark.parametrize("by", ["account", "user", "widget"])
async def test_a_revoke_deletes_the_accounts_exports_at_once(
    by: str,
    tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    session: AsyncSession,
    clock: ManualClock,
) -> None:
    """No sweep runs here: the revoke itself deletes the bytes (the contract's downloadUrl
    works "until account revoked"), and another account's export is untouched."""
    _, other, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
    kept = await generate(tenant, other.id, "CSV")
    if by == "widget":
        account_id, link = await revoke_by_widget(tenant, anonymous, session, clock)
    else:
        user, account, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
        account_id = account.id
        exports = [await generate(tenant, account.id, kind) for kind in ("PDF", "CSV")]
        link = signed_link_path(exports[0]["downloadUrl"])
        if by == "account":
            answer = await tenant.http.delete(f"/v1/accounts/{account.id}")
        else:
            answer = await tenant.http.delete("/v1/accounts", params={"userId": user.id})
        assert answer.status_code == 200, answer.text

    refused = await anonymous.get(link)
    assert refused.status_code == 404 and refused.json()["code"] == "MISSING_RESOURCE"
    assert await export_bytes_left(session, account_id) == 0
    await download(anonymous, kept)


async def test_retention_revokes_an_account_with_its_exports(
    tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    _, account, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
    export = await generate(tenant, account.id, "PDF")
    await session.execute(
        update(Tenant).where(Tenant.id == tenant.tenant_id).values(cds_enabled=False)
    )
    later = clock.now() + timedelta(days=1)

    revoked = await retention_service.revoke_expired_batch(
        session, runtime.extras, runtime.settings, later, timedelta(hours=1)
    )
    await session.commit()

    assert revoked == 1
    assert await export_bytes_left(session, account.id) == 0
    assert (await anonymous.get(signed_link_path(export["downloadUrl"]))).status_code == 404


async def test_the_sweep_deletes_an_export_stored_after_its_account_was_revoked(
    tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    """An export generated while its account was being revoked commits after the revoke
    did: the hourly sweep deletes its bytes."""
    _, account, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
    assert (await tenant.http.delete(f"/v1/accounts/{account.id}")).status_code == 200
    await store_file(
        session,
        runtime,
        tenant.tenant_id,
        clock.now(),
        name="late.csv",
        file_format="CSV",
        data=b"a,b\n",
        owner_id=account.id,
    )
    await session.commit()
    assert await export_bytes_left(session, account.id) == 2

    await sweep_now(runtime)

    assert await export_bytes_left(session, account.id) == 0
