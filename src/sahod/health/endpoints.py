"""`GET /healthz` and `GET /readyz`, outside /v1 and without authentication."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from sahod.health.service import readiness
from sahod.kit.envelope import envelope
from sahod.kit.outage import RETRY_AFTER_SECONDS

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    """Alive: the process answers HTTP. Says nothing about the database or the worker."""
    return envelope(request, {"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    """Ready: the database answers, its schema is current, a job worker sent a heartbeat
    recently and the queue is not falling behind. 503 SERVER_UNAVAILABLE with the reasons
    otherwise."""
    result = await readiness(request.app.state.session_factory, request.app.state.settings)
    data = {"ready": result.ready, "checks": result.checks}
    if result.ready:
        return envelope(request, data, message="Ready")
    response = envelope(
        request,
        data,
        status_code=503,
        code="SERVER_UNAVAILABLE",
        message="Not ready: " + "; ".join(result.reasons) + ".",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
