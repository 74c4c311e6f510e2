"""`GET /v1/providers/{id}/health`: beyond the contract."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from sahod.kit.deps import AppClock, AppSettings, Session
from sahod.kit.envelope import Envelope, envelope
from sahod.provider_health import service
from sahod.provider_health.schemas import ProviderHealth
from sahod.tenants.endpoints import Tenant

router = APIRouter(tags=["Providers"])


@router.get("/providers/{id}/health", response_model=Envelope[ProviderHealth])
async def get_provider_health(
    request: Request,
    _tenant: Tenant,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    id: str,
) -> Response:
    """How signing in to this provider is going, for every tenant's users together (beyond
    the Smile contract).

    Over the last `hour`, `day` and `week`: sign-ins (link and monthly sync tasks that
    finished; cancelled ones are left out), the success rate, each error code's share of
    the failures, the median and 95th percentile of the seconds from a link's start to
    `CONNECTED` (the user's one-time code entry included), and `series` of the same counts
    in 5-minute, hourly and 6-hour buckets for charts. `status` is `DEGRADED` when the last
    hour has at least `minAttempts` sign-ins and a success rate below `degradedBelow`,
    `UNKNOWN` with fewer sign-ins, `OPERATIONAL` otherwise. 404 for an unknown provider.
    """
    health = await service.provider_health(session, id, clock.now(), settings)
    return envelope(request, health)
