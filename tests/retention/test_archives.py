"""Uploaded documents are kept ARCHIVE_RETENTION_DAYS (60) after the upload: then the
archive is revoked (ARCHIVE_REVOKED) and its files' bytes deleted, as a revoke would."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.files.models import FileBlob, StoredFile
from sahod.kit.clock import ManualClock
from sahod.retention.tasks import sweep_now
from sahod.runtime import Runtime
from tests.archives.helpers import events_of, raw_file, sandbox_document
from tests.conftest import TenantClient
from tests.factories import store_file


async def _upload(tenant: TenantClient) -> str:
    answer = await tenant.http.post(
        "/v1/archives",
        json={"fileType": "PAYSLIP", "rawFiles": [raw_file(sandbox_document().data(), "p.pdf")]},
    )
    assert answer.status_code == 200
    archive_id: str = answer.json()["data"]["id"]
    return archive_id


async def _status(tenant: TenantClient, archive_id: str) -> str:
    status: str = (await tenant.http.get(f"/v1/archives/{archive_id}")).json()["data"]["state"][
        "status"
    ]
    return status


async def _blobs(session: AsyncSession, tenant_id: str) -> int:
    # This tenant's only: other tests in this worker's database commit files too.
    count = (
        select(func.count())
        .select_from(FileBlob)
        .join(StoredFile, StoredFile.id == FileBlob.file_id)
        .where(StoredFile.tenant_id == tenant_id)
    )
    return int(await session.scalar(count) or 0)


async def test_archives_are_revoked_sixty_days_after_the_upload(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime, clock: ManualClock
) -> None:
    old = await _upload(tenant)
    clock.advance(timedelta(days=2))
    recent = await _upload(tenant)
    assert await _blobs(session, tenant.tenant_id) == 2

    clock.advance(timedelta(days=59))  # old: 61 days; recent: 59
    await sweep_now(runtime)

    assert await _status(tenant, old) == "REVOKED"
    assert await _status(tenant, recent) == "STARTED"
    assert await _blobs(session, tenant.tenant_id) == 1
    revoked = await events_of(session, tenant.tenant_id, "ARCHIVE_REVOKED")
    assert [event.data["archiveId"] for event in revoked] == [old]

    clock.advance(timedelta(days=2))
    await sweep_now(runtime)
    assert await _status(tenant, recent) == "REVOKED"
    assert await _blobs(session, tenant.tenant_id) == 0
    assert len(await events_of(session, tenant.tenant_id, "ARCHIVE_REVOKED")) == 2


async def test_other_expired_files_lose_their_bytes(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime, clock: ManualClock
) -> None:
    export = await store_file(
        session,
        runtime,
        tenant.tenant_id,
        clock.now(),
        name="account.csv",
        file_format="CSV",
        data=b"a,b\n1,2\n",
        owner_id="exp-1",
    )
    await session.commit()

    clock.advance(timedelta(days=61))
    await sweep_now(runtime)

    row = await session.get(StoredFile, export.id, populate_existing=True)
    assert row is not None and row.deleted_at is not None
    assert await _blobs(session, tenant.tenant_id) == 0
