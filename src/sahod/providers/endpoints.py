from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import FileResponse, Response

from sahod.kit.deps import AppSettings, Page
from sahod.kit.envelope import Envelope, ListData, envelope, list_envelope
from sahod.kit.pagination import encode_cursor
from sahod.providers import service
from sahod.providers.schemas import ProviderOut
from sahod.tenants.endpoints import Tenant

router = APIRouter(tags=["Providers"])

logos_router = APIRouter(include_in_schema=False)
"""Outside ``/v1``: the logos are files the widget loads, not API resources."""


@router.get("/providers", response_model=Envelope[ListData[ProviderOut]])
async def list_providers(
    request: Request,
    _tenant: Tenant,
    settings: AppSettings,
    page: Page,
    type: Annotated[str | None, Query(description="GOVERNMENT, GIG, …")] = None,
    sub_type: Annotated[str | None, Query(alias="subType")] = None,
    active: bool | None = None,
    enabled: bool | None = None,
    account_connection: Annotated[bool | None, Query(alias="accountConnection")] = None,
    name: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
    ids: Annotated[list[str] | None, Query(description="Only these provider ids.")] = None,
    top_ids: Annotated[
        list[str] | None,
        Query(alias="topIds", max_length=10, description="Listed first (at most 10)."),
    ] = None,
) -> Response:
    """List the data providers: SSS, GSIS, PhilHealth and Pag-IBIG."""
    found = service.find_providers(
        service.ProviderFilter(
            type=type,
            sub_type=sub_type,
            active=active,
            enabled=enabled,
            account_connection=account_connection,
            name=name,
            ids=service.split_list(ids),
            top_ids=service.split_list(top_ids),
        )
    )
    # The catalogue is four rows: the cursor is a position in the filtered list.
    start = page.after_seq or 0
    chunk = found[start : start + page.size]
    more = start + page.size < len(found)
    base = settings.resolved_public_url()
    return list_envelope(
        request,
        [service.provider_out(p, base) for p in chunk],
        encode_cursor(start + page.size) if more else None,
    )


@router.get("/providers/{id}", response_model=Envelope[ProviderOut])
async def get_provider(
    request: Request, _tenant: Tenant, settings: AppSettings, id: str
) -> Response:
    """Retrieve one provider."""
    provider = service.get_provider(id)
    return envelope(request, service.provider_out(provider, settings.resolved_public_url()))


@logos_router.api_route("/static/providers/{provider_id}.svg", methods=["GET", "HEAD"])
async def provider_logo(provider_id: str) -> FileResponse:
    """The provider's logo, from its package (``logoUrl`` points here)."""
    return FileResponse(service.logo_path(provider_id), media_type="image/svg+xml")
