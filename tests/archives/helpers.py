"""What the archive tests share: sandbox documents, uploads, running the analysis job."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.archives import service as archives_service
from sahod.archives.tasks import analyze_now
from sahod.documents.sandbox import SandboxDocument, documents_for
from sahod.events.models import Event
from sahod.runtime import Runtime

TODAY = date(2026, 11, 2)
PERSONA = "george"


def sandbox_document(stem: str = "payslip", file_format: str = "PDF") -> SandboxDocument:
    for doc in documents_for(PERSONA, TODAY):
        if doc.stem == stem and doc.format == file_format:
            return doc
    raise LookupError(stem)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def raw_file(data: bytes, name: str, extension: str = "PDF", **extra: Any) -> dict[str, Any]:
    return {"fileExtensionType": extension, "fileName": name, "fileContent": b64(data), **extra}


async def queued_analyses(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.execute(
        text("SELECT args FROM procrastinate_jobs WHERE task_name = :name ORDER BY id"),
        {"name": archives_service.ANALYZE},
    )
    return [dict(row.args) for row in rows]


async def run_analyses(session: AsyncSession, runtime: Runtime) -> int:
    """Run every queued analysis job as the worker would (the reader in a child process)."""
    jobs = await session.execute(
        text(
            "DELETE FROM procrastinate_jobs WHERE task_name = :name AND status = 'todo' "
            "RETURNING args"
        ),
        {"name": archives_service.ANALYZE},
    )
    wanted = [dict(row.args) for row in jobs]
    await session.commit()
    for args in wanted:
        await analyze_now(runtime, args["tenant_id"], args["archive_id"])
    return len(wanted)


async def events_of(session: AsyncSession, tenant_id: str, prefix: str = "") -> list[Event]:
    rows = await session.execute(
        select(Event)
        .where(Event.tenant_id == tenant_id, Event.type.startswith(prefix))
        .order_by(Event.seq)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())
