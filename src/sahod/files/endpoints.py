from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from sahod.files import service
from sahod.kit.deps import AppClock, AppSettings, Session
from sahod.kit.envelope import ErrorEnvelope

router = APIRouter(tags=["Files"])


@router.get(
    "/files/{fileId}",
    response_class=Response,
    responses={
        200: {"description": "The file's bytes", "content": {"application/pdf": {}}},
        403: {
            "model": ErrorEnvelope,
            "description": "UNAUTHORIZED_ACCESS: the link expired or was altered",
        },
    },
)
async def download_file(
    request: Request,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    file_id: Annotated[str, Path(alias="fileId", max_length=60)],
    tenant_id: Annotated[str, Query(alias="tenantId", max_length=60)],
    expires: Annotated[int, Query(ge=0, description="Unix time the link expires at.")],
    signature: Annotated[str, Query(max_length=128)],
) -> Response:
    """Download a stored file (an archive's `rawFiles[].url`) (beyond the Smile contract).

    The link is the authorization: it needs no API key, is signed for one tenant's file
    and expires (`SAHOD_FILE_URL_TTL_SECONDS`, one hour by default). An expired or altered
    link is `403 UNAUTHORIZED_ACCESS`; a file deleted by a revoke or by retention is
    `404 MISSING_RESOURCE`.
    """
    runtime = request.app.state.runtime
    row, data = await service.open_download(
        session,
        runtime.extras,
        settings,
        runtime.sealer,
        tenant_id=tenant_id,
        file_id=file_id,
        expires=expires,
        signature=signature,
        now=clock.now(),
    )
    return Response(
        data,
        media_type=service.CONTENT_TYPES.get(row.format, "application/octet-stream"),
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "ETag": f'"{row.md5}"',
        },
    )
