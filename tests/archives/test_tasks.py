"""An archive's analysis is a Task, as Smile has them: ANALYZE_ARCHIVE, opened with the
upload, finished by the analysis job with the archive's outcome and error code, cancelled
by a revoke, and served by GET /v1/tasks with its filters; every answer against the
contract."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from sahod.archives import service as archives_service
from sahod.datapoints.models import DataPoint
from sahod.kit.clock import ManualClock
from sahod.metrics import repository as metrics_repository
from sahod.runtime import Runtime
from sahod.tasks.models import Task
from tests.archives.helpers import events_of, raw_file, run_analyses
from tests.archives.test_endpoints import ok, upload
from tests.conftest import TenantClient
from tests.documents.hostile_files import image
from tests.factories import seed_connected_user


async def archive_tasks(tenant: TenantClient, archive_id: str) -> list[dict[str, Any]]:
    found = ok(await tenant.http.get("/v1/tasks", params={"sourceId": archive_id}), "/tasks")
    return found["items"]  # type: ignore[no-any-return]


async def task_row(session: AsyncSession, task_id: str) -> Task:
    row = await session.scalar(
        select(Task).where(Task.id == task_id).execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def test_an_upload_opens_its_analyze_archive_task(
    tenant: TenantClient, session: AsyncSession
) -> None:
    archive = await upload(tenant, fileType="PAYSLIP")

    [task] = await archive_tasks(tenant, archive["id"])

    assert task["type"] == "ANALYZE_ARCHIVE"
    assert task["status"] == "Started" and task["finishedAt"] is None
    assert task["datapoints"] == []
    assert task["startedAt"] == archive["createdAt"]
    metadata = task["metadata"]
    assert metadata["sourceId"] == archive["id"] and metadata["sourceType"] == "ARCHIVE"
    assert metadata["userId"] == archive["userId"]
    assert metadata["providerId"] == "tenant-provided"
    assert metadata["createdAt"] == archive["createdAt"]
    assert "accountId" not in metadata  # an archive has no account
    assert ok(await tenant.http.get(f"/v1/tasks/{task['id']}"), "/tasks/x") == task
    [started] = await events_of(session, tenant.tenant_id, "TASK_STARTED")
    assert started.data["sourceId"] == archive["id"]
    assert started.data["sourceType"] == "ARCHIVE"
    assert started.data["type"] == "ANALYZE_ARCHIVE"
    assert started.data["taskId"] == task["id"]


async def test_a_refused_upload_leaves_no_task(tenant: TenantClient) -> None:
    refused = await tenant.http.post(
        "/v1/archives",
        json={"rawFiles": [raw_file(b"just some text, not a PDF", "payslip.pdf")]},
    )

    assert refused.status_code == 400
    assert ok(await tenant.http.get("/v1/tasks"), "/tasks")["items"] == []


async def test_the_analysis_finishes_the_task_with_what_it_published(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime
) -> None:
    archive = await upload(tenant, fileType="PAYSLIP")

    await run_analyses(session, runtime)

    [task] = await archive_tasks(tenant, archive["id"])
    assert task["status"] == "Finished" and task["finishedAt"] is not None
    assert "INCOMES" in task["datapoints"]
    analysed = ok(await tenant.http.get(f"/v1/archives/{archive['id']}"), "/archives/x")
    assert task["finishedAt"] == analysed["state"]["updatedAt"]
    row = await task_row(session, task["id"])
    assert row.outcome == "SUCCEEDED" and row.error_code is None
    [finished] = await events_of(session, tenant.tenant_id, "TASK_FINISHED")
    assert finished.data["status"] == "SUCCEEDED"
    assert finished.data["sourceType"] == "ARCHIVE"
    assert finished.data["datapoints"] == task["datapoints"]
    # includePayload webhooks find the task's data points by its id.
    incomes = ok(
        await tenant.http.get("/v1/incomes", params={"sourceId": archive["id"]}), "/incomes"
    )
    last_tasks = await session.scalars(
        select(DataPoint.last_task_id).where(
            DataPoint.id.in_([item["id"] for item in incomes["items"]])
        )
    )
    assert set(last_tasks) == {task["id"]}


async def test_an_unreadable_document_fails_the_task_with_the_archives_error_code(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime
) -> None:
    archive = await upload(
        tenant, fileType="PAYSLIP", rawFiles=[raw_file(image("PNG", (300, 200)), "b.png", "PNG")]
    )

    await run_analyses(session, runtime)

    failed = ok(await tenant.http.get(f"/v1/archives/{archive['id']}"), "/archives/x")
    code = failed["state"]["errorCode"]
    assert code
    [task] = await archive_tasks(tenant, archive["id"])
    assert task["status"] == "Finished" and task["datapoints"] == []
    row = await task_row(session, task["id"])
    assert row.outcome == "FAILED" and row.error_code == code
    [finished] = await events_of(session, tenant.tenant_id, "TASK_FINISHED")
    assert finished.data["status"] == "FAILED" and finished.data["errorCode"] == code


async def test_a_broken_analysis_fails_the_task_with_system_error(
    tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    archive = await upload(tenant, fileType="PAYSLIP")

    await archives_service.record_failure(
        session, tenant.tenant_id, archive["id"], "broken", clock.now()
    )
    await session.commit()

    [task] = await archive_tasks(tenant, archive["id"])
    row = await task_row(session, task["id"])
    assert task["status"] == "Finished"
    assert row.outcome == "FAILED" and row.error_code == "SYSTEM_ERROR"


async def test_a_revoke_before_the_analysis_cancels_the_task(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime
) -> None:
    archive = await upload(tenant, fileType="PAYSLIP")

    assert (await tenant.http.delete(f"/v1/archives/{archive['id']}")).status_code == 200
    await run_analyses(session, runtime)  # finds the archive revoked: changes nothing

    [task] = await archive_tasks(tenant, archive["id"])
    assert task["status"] == "Finished" and task["datapoints"] == []
    row = await task_row(session, task["id"])
    assert row.outcome == "CANCELLED"
    assert await events_of(session, tenant.tenant_id, "TASK_FINISHED") == []


async def test_tasks_filter_by_source_user_and_date_across_accounts_and_archives(
    tenant: TenantClient, other_tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    user, account, _ = await seed_connected_user(session, tenant.tenant_id, clock.now())
    clock.advance(timedelta(days=3))
    mine = await upload(tenant, fileType="PAYSLIP", userId=user.id)
    stranger = await upload(tenant, fileType="PAYSLIP")

    def ids(answer: dict[str, Any]) -> list[str]:
        return [item["metadata"]["sourceId"] for item in answer["items"]]

    everything = ok(await tenant.http.get("/v1/tasks"), "/tasks")
    assert ids(everything) == [stranger["id"], mine["id"], account.id]  # newest first
    by_user = ok(await tenant.http.get("/v1/tasks", params={"userId": user.id}), "/tasks")
    assert ids(by_user) == [mine["id"], account.id]
    by_account = ok(await tenant.http.get("/v1/tasks", params={"sourceId": account.id}), "/tasks")
    assert ids(by_account) == [account.id]
    assert by_account["items"][0]["metadata"]["sourceType"] == "ACCOUNT"
    today = clock.now().date().isoformat()
    recent = ok(await tenant.http.get("/v1/tasks", params={"startDate": today}), "/tasks")
    assert ids(recent) == [stranger["id"], mine["id"]]
    older = ok(
        await tenant.http.get(
            "/v1/tasks", params={"endDate": (clock.now() - timedelta(days=1)).date().isoformat()}
        ),
        "/tasks",
    )
    assert ids(older) == [account.id]
    paged = ok(await tenant.http.get("/v1/tasks", params={"size": 1}), "/tasks")
    assert ids(paged) == [stranger["id"]] and paged["nextCursor"]
    rest = ok(
        await tenant.http.get("/v1/tasks", params={"size": 2, "cursor": paged["nextCursor"]}),
        "/tasks",
    )
    assert ids(rest) == [mine["id"], account.id]

    [task] = await archive_tasks(tenant, mine["id"])
    assert (await other_tenant.http.get(f"/v1/tasks/{task['id']}")).status_code == 404
    theirs = await other_tenant.http.get("/v1/tasks", params={"sourceId": mine["id"]})
    assert theirs.json()["data"]["items"] == []


async def test_archive_tasks_are_not_counted_as_portal_sign_ins(
    tenant: TenantClient, session: AsyncSession, runtime: Runtime, db_connection: AsyncConnection
) -> None:
    await upload(
        tenant, fileType="PAYSLIP", rawFiles=[raw_file(image("PNG", (300, 200)), "b.png", "PNG")]
    )
    await run_analyses(session, runtime)

    def read(connection: Connection) -> list[tuple[str, str, str, str | None, int]]:
        return metrics_repository.finished_tasks(connection)

    counted = await db_connection.run_sync(read)
    assert [row for row in counted if row[1] == "ANALYZE_ARCHIVE"] == []
