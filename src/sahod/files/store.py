"""Where stored files' bytes live: a small interface, two stores.

``PostgresFileStore`` (the default) writes them in the caller's transaction, so a file
exists exactly when the archive that holds it commits, and a revoke deletes them with it.
``S3FileStore`` puts them in an S3-compatible bucket (AWS, MinIO, Ceph, R2…) with boto3
(the ``s3`` extra); objects are written before the transaction commits, so a request that
then fails leaves an object no row names (harmless: unreadable through Sahod, and the
bucket's lifecycle rules can expire the prefix), and never a row without its bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.files import repository

POSTGRES = "postgres"
S3 = "s3"

FileKey = tuple[str, str]
"""(tenant id, file id): a store may lay files out by tenant."""


class FileStoreConfigurationError(ValueError):
    """Settings of the file store a server must not start with."""


def check_file_store(settings: Settings) -> None:
    """Refuse, before anything starts, an S3 store without a bucket or without boto3,
    rather than the first upload failing."""
    if settings.file_store != S3:
        return
    if not settings.s3_bucket:
        raise FileStoreConfigurationError("SAHOD_FILE_STORE=s3 needs SAHOD_S3_BUCKET")
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise FileStoreConfigurationError(
            "SAHOD_FILE_STORE=s3 needs boto3: pip install 'sahod[s3]'"
        ) from None


class FileStore(Protocol):
    name: str

    async def put(self, session: AsyncSession, key: FileKey, data: bytes) -> None: ...

    async def get(self, session: AsyncSession, key: FileKey) -> bytes | None: ...

    async def delete(self, session: AsyncSession, keys: Sequence[FileKey]) -> None: ...


class PostgresFileStore:
    """Bytes in ``file_blobs``, keyed by the file id, in the session's transaction."""

    name = POSTGRES

    async def put(self, session: AsyncSession, key: FileKey, data: bytes) -> None:
        await repository.put_blob(session, key[1], data)

    async def get(self, session: AsyncSession, key: FileKey) -> bytes | None:
        return await repository.get_blob(session, key[1])

    async def delete(self, session: AsyncSession, keys: Sequence[FileKey]) -> None:
        await repository.delete_blobs(session, [file_id for _, file_id in keys])


class S3FileStore:
    """Bytes in an S3-compatible bucket under ``prefix + key``."""

    name = S3

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        if not settings.s3_bucket:
            raise ValueError("SAHOD_FILE_STORE=s3 needs SAHOD_S3_BUCKET")
        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix
        self._client = client if client is not None else _boto3_client(settings)

    def _key(self, key: FileKey) -> str:
        return f"{self.prefix}{key[0]}/{key[1]}"

    async def put(self, session: AsyncSession, key: FileKey, data: bytes) -> None:
        await asyncio.to_thread(
            self._client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data
        )

    async def get(self, session: AsyncSession, key: FileKey) -> bytes | None:
        def read() -> bytes | None:
            try:
                answer = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
            except self._client.exceptions.NoSuchKey:
                return None
            body: bytes = answer["Body"].read()
            return body

        return await asyncio.to_thread(read)

    async def delete(self, session: AsyncSession, keys: Sequence[FileKey]) -> None:
        # DeleteObjects takes up to 1000 keys a call.
        for start in range(0, len(keys), 1000):
            objects = [{"Key": self._key(key)} for key in keys[start : start + 1000]]
            await asyncio.to_thread(
                self._client.delete_objects,
                Bucket=self.bucket,
                Delete={"Objects": objects, "Quiet": True},
            )


def _boto3_client(settings: Settings) -> Any:
    try:
        import boto3
    except ImportError:
        raise RuntimeError("SAHOD_FILE_STORE=s3 needs boto3: pip install 'sahod[s3]'") from None
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
    )


_EXTRAS_KEY = "files.stores"


def stores_of(extras: dict[str, Any], settings: Settings) -> dict[str, FileStore]:
    """This process's stores by name (kept in the runtime's extras): the configured one
    and PostgreSQL's, so files stored before a change of setting stay readable."""
    found = extras.get(_EXTRAS_KEY)
    if not isinstance(found, dict):
        found = {POSTGRES: PostgresFileStore()}
        if settings.file_store == S3 or settings.s3_bucket:
            found[S3] = S3FileStore(settings)
        extras[_EXTRAS_KEY] = found
    return found


def current_store(extras: dict[str, Any], settings: Settings) -> FileStore:
    """The store new files go to."""
    return stores_of(extras, settings)[settings.file_store]
