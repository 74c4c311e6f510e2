from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from sahod.kit.dates import EndDate, StartDate, check_range, day_after, day_start
from sahod.kit.deps import Page, Session
from sahod.kit.envelope import Envelope, ListData, envelope, list_envelope
from sahod.kit.pagination import page_of
from sahod.tasks import service
from sahod.tasks.schemas import TaskOut
from sahod.tenants.endpoints import Tenant

router = APIRouter(tags=["Tasks"])


@router.get("/tasks", response_model=Envelope[ListData[TaskOut]])
async def list_tasks(
    request: Request,
    tenant: Tenant,
    session: Session,
    page: Page,
    user_id: Annotated[str | None, Query(alias="userId", max_length=200)] = None,
    source_id: Annotated[str | None, Query(alias="sourceId", max_length=200)] = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> Response:
    """List the tasks, newest first: an account's (LINK_ACCOUNT, then UPDATE_ACCOUNT each
    month) and an archive's analysis (ANALYZE_ARCHIVE); filter by user, by account or
    archive (`sourceId`) or by start date."""
    check_range(start_date, end_date)
    rows = await service.list_tasks(
        session,
        tenant,
        page,
        user_id=user_id,
        source_id=source_id,
        started_from=day_start(start_date) if start_date else None,
        started_before=day_after(end_date) if end_date else None,
    )
    result = page_of(rows, page, lambda row: int(row.seq))
    return list_envelope(request, [service.task_wire(r) for r in result.items], result.next_cursor)


@router.get("/tasks/{id}", response_model=Envelope[TaskOut])
async def get_task(request: Request, tenant: Tenant, session: Session, id: str) -> Response:
    """Retrieve one task: its type, status, timing and the data points it produced."""
    return envelope(request, await service.get_task(session, tenant, id))
