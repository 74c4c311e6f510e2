"""The S3-compatible store against moto's S3 server (real HTTP, boto3's own client): the
same files, in a bucket, and a delete that removes the objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.files import service
from sahod.files.store import S3, S3FileStore, current_store
from sahod.kit.clock import ManualClock
from sahod.runtime import Runtime
from sahod.tenants.schemas import TenantMode
from sahod.tenants.service import create_tenant
from tests.factories import store_file

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

BUCKET = "sahod-test-files"


def _client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_runtime(runtime: Runtime, s3_endpoint: str) -> Runtime:
    settings: Settings = runtime.settings.model_copy(
        update={
            "file_store": S3,
            "s3_bucket": BUCKET,
            "s3_endpoint_url": s3_endpoint,
            "s3_access_key_id": "test",
            "s3_secret_access_key": "test",
        }
    )
    return replace(runtime, settings=settings, extras={})


def _objects(endpoint: str) -> list[str]:
    listed = _client(endpoint).list_objects_v2(Bucket=BUCKET)
    return [item["Key"] for item in listed.get("Contents", [])]


async def test_files_go_to_the_bucket_and_a_delete_removes_them(
    s3_runtime: Runtime, s3_endpoint: str, session: AsyncSession, clock: ManualClock
) -> None:
    store = current_store(s3_runtime.extras, s3_runtime.settings)
    assert isinstance(store, S3FileStore)
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    keys = await create_tenant(session, "Bucket Bank", TenantMode.SANDBOX, clock.now())
    row = await store_file(
        session,
        s3_runtime,
        keys.tenant_id,
        clock.now(),
        name="id.png",
        file_format="PNG",
        data=data,
        owner_id="u-x",
    )
    assert row.store == S3
    key = f"sahod/{keys.tenant_id}/{row.id}"
    assert key in _objects(s3_endpoint)
    assert await service.read_bytes(session, s3_runtime.extras, s3_runtime.settings, row) == data

    await service.delete_files(session, s3_runtime.extras, s3_runtime.settings, [row], clock.now())

    assert key not in _objects(s3_endpoint)
    assert await service.read_bytes(session, s3_runtime.extras, s3_runtime.settings, row) is None


async def test_an_account_revoke_deletes_its_exports_objects(
    s3_runtime: Runtime, s3_endpoint: str, session: AsyncSession, clock: ManualClock
) -> None:
    """With the S3 store, the revoke deletes the export's object during its transaction."""
    from sahod.accounts import service as accounts_service
    from tests.factories import seed_connected_user

    keys = await create_tenant(session, "Export Bank", TenantMode.SANDBOX, clock.now())
    _, account, _ = await seed_connected_user(session, keys.tenant_id, clock.now())
    row = await store_file(
        session,
        s3_runtime,
        keys.tenant_id,
        clock.now(),
        name="export.csv",
        file_format="CSV",
        data=b"kind,id\n",
        owner_id=account.id,  # as sahod.exports stores an export
    )
    key = f"sahod/{keys.tenant_id}/{row.id}"
    assert key in _objects(s3_endpoint)

    await accounts_service.revoke(
        session, account, clock.now(), extras=s3_runtime.extras, settings=s3_runtime.settings
    )
    await session.commit()

    assert key not in _objects(s3_endpoint)
    assert await service.read_bytes(session, s3_runtime.extras, s3_runtime.settings, row) is None


async def test_an_archive_revoke_deletes_its_objects_from_the_bucket(
    s3_runtime: Runtime, s3_endpoint: str, session: AsyncSession, clock: ManualClock
) -> None:
    from sahod.archives import service as archives_service
    from sahod.archives.schemas import TENANT_PROVIDED, UploadedFile
    from sahod.tenants.schemas import TenantContext
    from tests.archives.helpers import b64, sandbox_document

    keys = await create_tenant(session, "Archive Bank", TenantMode.SANDBOX, clock.now())
    view = await archives_service.create_archive(
        session,
        s3_runtime.extras,
        s3_runtime.settings,
        tenant=TenantContext(id=keys.tenant_id, mode=TenantMode.SANDBOX),
        user_id=None,
        provider_id=TENANT_PROVIDED,
        declared_type="PAYSLIP",
        uploads=[UploadedFile("p.pdf", "PDF", b64(sandbox_document().data()), None)],
        now=clock.now(),
    )
    await session.commit()
    [row] = view.files
    key = f"sahod/{keys.tenant_id}/{row.id}"
    assert row.store == S3 and key in _objects(s3_endpoint)

    await archives_service.revoke_archive(
        session,
        s3_runtime.extras,
        s3_runtime.settings,
        keys.tenant_id,
        view.archive.id,
        clock.now(),
    )
    await session.commit()

    assert key not in _objects(s3_endpoint)


def test_an_s3_store_without_a_bucket_is_refused_before_starting(runtime: Runtime) -> None:
    from sahod.files.store import FileStoreConfigurationError, check_file_store

    settings = runtime.settings.model_copy(update={"file_store": S3, "s3_bucket": None})
    with pytest.raises(FileStoreConfigurationError, match="SAHOD_S3_BUCKET"):
        check_file_store(settings)
    check_file_store(settings.model_copy(update={"s3_bucket": BUCKET}))
