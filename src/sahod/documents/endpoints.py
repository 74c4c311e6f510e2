"""Sandbox documents over HTTP: an index of every persona's payslip, BIR 2316 and
certificate of employment (PDF and photo), and the files themselves, so a tenant can try
the archives flow with documents whose extraction is known exactly.

Mounted with the sandbox portals (only when ``settings.mounts_sandbox_portals()``): the
personas are fictional and their documents public, so no API key is needed.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from sahod.documents.sandbox import document_index, find_document
from sahod.errors import MissingResource
from sahod.kit.deps import AppClock
from sahod.kit.envelope import envelope
from sahod.sandbox.personas import today_in_manila

# Not part of the Smile API, so not in its OpenAPI document (like the widget and health).
router = APIRouter(prefix="/sandbox/documents", include_in_schema=False)

PREFIX = "/sandbox/documents"

PersonaKey = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9-]+$")]
FileName = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9.-]+$")]


@router.get("")
async def list_sandbox_documents(request: Request, clock: AppClock) -> Response:
    """Every sandbox persona's documents: a payslip for last month, a BIR Form 2316 for
    last year and a certificate of employment issued today, each as a text PDF and as a
    photo (JPEG). `url` downloads the file; `expectedExtraction` is exactly what an
    archive of that file extracts (`extraction` of the Archive)."""
    items = document_index(today_in_manila(clock.now()), PREFIX)
    return envelope(request, {"nextCursor": None, "items": items})


@router.get("/{persona}/{file_name}")
async def get_sandbox_document(
    persona: PersonaKey, file_name: FileName, clock: AppClock
) -> Response:
    """One sandbox document's bytes (`application/pdf` or `image/jpeg`)."""
    doc = find_document(persona, file_name, today_in_manila(clock.now()))
    if doc is None:
        raise MissingResource(f"There is no sandbox document {persona}/{file_name}.")
    # Rendering a photo takes a few hundred milliseconds: not on the event loop.
    data = await asyncio.to_thread(doc.data)
    return Response(
        data,
        media_type=doc.media_type,
        headers={"content-disposition": f'inline; filename="{persona}-{doc.file_name}"'},
    )
