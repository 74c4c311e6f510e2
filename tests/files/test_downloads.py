"""Stored files: their bytes apart from the hot rows, downloaded through signed links that
expire, name one tenant's file, and stop working once the bytes are deleted."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.files import service
from sahod.files.models import FileBlob, StoredFile
from sahod.kit.clock import ManualClock
from sahod.runtime import Runtime
from tests.conftest import TenantClient, signed_link_path
from tests.contract.smile import contract_errors
from tests.factories import store_file

PDF_BYTES = b"%PDF-1.4\n" + b"x" * 5000 + b"\n%%EOF\n"


async def _store(
    session: AsyncSession, runtime: Runtime, tenant_id: str, clock: ManualClock
) -> StoredFile:
    row = await store_file(
        session,
        runtime,
        tenant_id,
        clock.now(),
        name="payslip april.pdf",
        file_format="PDF",
        data=PDF_BYTES,
        owner_id="u-owner",
    )
    await session.commit()
    return row


async def test_a_signed_link_downloads_the_bytes_without_an_api_key(
    session: AsyncSession,
    runtime: Runtime,
    tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    clock: ManualClock,
) -> None:
    row = await _store(session, runtime, tenant.tenant_id, clock)
    assert row.size == len(PDF_BYTES) and len(row.md5) == 32
    url = service.signed_url(runtime.settings, runtime.sealer, row, clock.now())

    answer = await anonymous.get(signed_link_path(url))

    assert answer.status_code == 200
    assert answer.content == PDF_BYTES
    assert answer.headers["content-type"] == "application/pdf"
    assert "payslip%20april.pdf" in answer.headers["content-disposition"]
    assert answer.headers["cache-control"] == "no-store"


async def test_an_expired_or_altered_link_is_403_in_the_envelope(
    session: AsyncSession,
    runtime: Runtime,
    tenant: TenantClient,
    other_tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    clock: ManualClock,
) -> None:
    row = await _store(session, runtime, tenant.tenant_id, clock)
    url = service.signed_url(runtime.settings, runtime.sealer, row, clock.now())
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    path = urlsplit(url).path

    later = query | {"expires": str(int(query["expires"]) + 3600)}
    other = query | {"tenantId": other_tenant.tenant_id}
    forged = query | {"signature": "0" * 64}
    garbled = query | {"signature": "ù\U0010ff9a"}
    for changed in (later, other, forged, garbled):
        answer = await anonymous.get(f"{path}?{urlencode(changed)}")
        assert answer.status_code == 403, changed
        body = answer.json()
        assert body["code"] == "UNAUTHORIZED_ACCESS"
        assert contract_errors("/archives", "GET", 403, body) == []

    clock.advance(timedelta(seconds=runtime.settings.file_url_ttl_seconds + 1))
    expired = await anonymous.get(signed_link_path(url))
    assert expired.status_code == 403
    assert "expired" in expired.json()["message"]


async def test_deleting_a_file_deletes_its_bytes_and_the_link_is_404(
    session: AsyncSession,
    runtime: Runtime,
    tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    clock: ManualClock,
) -> None:
    row = await _store(session, runtime, tenant.tenant_id, clock)
    url = service.signed_url(runtime.settings, runtime.sealer, row, clock.now())

    deleted = await service.delete_files(
        session, runtime.extras, runtime.settings, [row], clock.now()
    )
    await session.commit()

    assert deleted == 1
    blobs = await session.scalar(
        select(func.count()).select_from(FileBlob).where(FileBlob.file_id == row.id)
    )
    assert blobs == 0
    answer = await anonymous.get(signed_link_path(url))
    assert answer.status_code == 404
    assert answer.json()["code"] == "MISSING_RESOURCE"


async def test_links_signed_under_an_older_key_of_the_ring_still_work(
    session: AsyncSession, runtime: Runtime, tenant: TenantClient, clock: ManualClock
) -> None:
    import base64
    import secrets
    from dataclasses import replace

    from sahod.kit.crypto import Sealer, decode_key

    row = await _store(session, runtime, tenant.tenant_id, clock)
    old_key = decode_key(runtime.settings.sealing_key or "")
    url = service.signed_url(runtime.settings, Sealer(old_key), row, clock.now())
    new_key = base64.b64decode(base64.b64encode(secrets.token_bytes(32)))
    ring = Sealer(keys={"new": new_key}, current="new", legacy=None, key=old_key)
    rotated = replace(runtime, sealer=ring)
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}

    found, data = await service.open_download(
        session,
        rotated.extras,
        rotated.settings,
        ring,
        tenant_id=query["tenantId"],
        file_id=row.id,
        expires=int(query["expires"]),
        signature=query["signature"],
        now=clock.now(),
    )
    assert found.id == row.id and data == PDF_BYTES
