"""Storing files, signing their download URLs, and deleting their bytes.

A download URL is ``/v1/files/{fileId}?tenantId=…&expires=…&signature=…``: the signature
is an HMAC-SHA256 over the tenant, the file and the expiry, with a key derived from the
sealing keyring, so it needs no API key (a browser or a credit officer's tool can follow
it), works only until it expires, and only for that tenant's file. Rotating the sealing
key invalidates the URLs signed under the old one once it leaves the ring; URLs are
short-lived and every read of an archive signs fresh ones.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.errors import MissingResource, UnauthorizedAccess
from sahod.files import repository
from sahod.files.models import StoredFile
from sahod.files.store import FileKey, FileStore, current_store, stores_of
from sahod.kit.crypto import Sealer
from sahod.kit.ids import new_id

FILE = "f"
URL_PURPOSE = "file-download-urls"
EXPIRE_BATCH = 100

CONTENT_TYPES = {
    "PDF": "application/pdf",
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "TIFF": "image/tiff",
    "CSV": "text/csv",
}


@dataclass(frozen=True, slots=True)
class NewFile:
    name: str
    format: str
    data: bytes
    sub_type: str | None = None


async def store_files(
    session: AsyncSession,
    extras: dict[str, Any],
    settings: Settings,
    *,
    tenant_id: str,
    owner_id: str,
    files: Sequence[NewFile],
    now: datetime,
    expires_at: datetime | None,
) -> list[StoredFile]:
    """Each file's row and bytes, in the caller's transaction (see ``sahod.files.store``)."""
    store = current_store(extras, settings)
    stored = []
    for position, new in enumerate(files):
        row = StoredFile(
            id=new_id(FILE),
            tenant_id=tenant_id,
            owner_id=owner_id,
            name=new.name,
            format=new.format,
            sub_type=new.sub_type,
            size=len(new.data),
            md5=hashlib.md5(new.data, usedforsecurity=False).hexdigest(),
            store=store.name,
            position=position,
            created_at=now,
            expires_at=expires_at,
        )
        await repository.add_file(session, row)
        await store.put(session, _key(row), new.data)
        stored.append(row)
    return stored


def _key(row: StoredFile) -> FileKey:
    return (row.tenant_id, row.id)


async def files_of(
    session: AsyncSession, tenant_id: str, owner_ids: Sequence[str]
) -> dict[str, list[StoredFile]]:
    """Each owner's files, in upload order."""
    grouped: dict[str, list[StoredFile]] = {owner: [] for owner in owner_ids}
    for row in await repository.files_of_owners(session, tenant_id, owner_ids):
        grouped[row.owner_id].append(row)
    return grouped


async def read_bytes(
    session: AsyncSession, extras: dict[str, Any], settings: Settings, row: StoredFile
) -> bytes | None:
    """A file's bytes; None once they were deleted."""
    if row.deleted_at is not None:
        return None
    store = stores_of(extras, settings).get(row.store)
    if store is None:
        raise RuntimeError(f"file {row.id} is in the {row.store} store, which is not set up")
    return await store.get(session, _key(row))


async def delete_files(
    session: AsyncSession,
    extras: dict[str, Any],
    settings: Settings,
    rows: Sequence[StoredFile],
    now: datetime,
) -> int:
    """Deletes the bytes (not only the rows' claim to them) and marks the rows deleted."""
    live = [row for row in rows if row.deleted_at is None]
    by_store: dict[str, list[StoredFile]] = {}
    for row in live:
        by_store.setdefault(row.store, []).append(row)
    stores = stores_of(extras, settings)
    for name, of_store in by_store.items():
        await _store_named(stores, name).delete(session, [_key(row) for row in of_store])
    by_tenant: dict[str, list[str]] = {}
    for row in live:
        row.deleted_at = now
        by_tenant.setdefault(row.tenant_id, []).append(row.id)
    for tenant_id, ids in by_tenant.items():
        await repository.mark_deleted(session, tenant_id, ids, now)
    return len(live)


def _store_named(stores: dict[str, FileStore], name: str) -> FileStore:
    store = stores.get(name)
    if store is None:
        raise RuntimeError(f"files are kept in the {name} store, which is not set up")
    return store


async def expired_files(session: AsyncSession, now: datetime) -> list[StoredFile]:
    return await repository.expired_files_across_tenants(session, now, EXPIRE_BATCH)


def _signature(sealer: Sealer, tenant_id: str, file_id: str, expires: int, key_id: str) -> str:
    message = f"{tenant_id}\n{file_id}\n{expires}".encode()
    key = sealer.derived_key(URL_PURPOSE, key_id)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_url(
    settings: Settings,
    sealer: Sealer,
    row: StoredFile,
    now: datetime,
    *,
    ttl_seconds: int | None = None,
) -> str:
    """A download URL for ``row`` valid for ``ttl_seconds`` (FILE_URL_TTL_SECONDS unless
    given: an export's link lives as long as its file), never past the file's own expiry."""
    ttl = settings.file_url_ttl_seconds if ttl_seconds is None else ttl_seconds
    expires = int(now.timestamp()) + ttl
    if row.expires_at is not None:
        expires = min(expires, int(row.expires_at.timestamp()))
    query = urlencode(
        {
            "tenantId": row.tenant_id,
            "expires": expires,
            "signature": _signature(sealer, row.tenant_id, row.id, expires, sealer.current_key_id),
        }
    )
    return f"{settings.resolved_public_url()}/v1/files/{row.id}?{query}"


def check_signature(
    sealer: Sealer, tenant_id: str, file_id: str, expires: int, signature: str, now: datetime
) -> None:
    """Raises 403 unless ``signature`` is one of ours for this tenant, file and expiry,
    and the expiry has not passed. Any key of the ring may have signed it."""
    if expires < now.timestamp():
        raise UnauthorizedAccess("This download link has expired; read the archive again.")
    given = signature.lower().encode()  # bytes: compare_digest refuses non-ASCII text
    for key_id in sealer.key_ids:
        expected = _signature(sealer, tenant_id, file_id, expires, key_id)
        if hmac.compare_digest(expected.encode(), given):
            return
    raise UnauthorizedAccess("This download link is not valid.")


async def open_download(
    session: AsyncSession,
    extras: dict[str, Any],
    settings: Settings,
    sealer: Sealer,
    *,
    tenant_id: str,
    file_id: str,
    expires: int,
    signature: str,
    now: datetime,
) -> tuple[StoredFile, bytes]:
    """The file a signed URL names, and its bytes. The signature is checked before the
    database is asked anything."""
    check_signature(sealer, tenant_id, file_id, expires, signature, now)
    row = await repository.get_file(session, tenant_id, file_id)
    if row is None:
        raise MissingResource(f"There is no file {file_id}.")
    data = await read_bytes(session, extras, settings, row)
    if data is None:
        raise MissingResource(f"The file {file_id} was deleted.")
    return row, data
