"""The seven data point collections, each a list and a get, built from their specs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from sahod.datapoints import service
from sahod.datapoints.registry import SPECS
from sahod.datapoints.repository import of_source
from sahod.datapoints.schemas import KindSpec
from sahod.kit.dates import EndDate, StartDate
from sahod.kit.deps import Page, ReadConnection, UserIdFilter
from sahod.kit.envelope import Envelope, ListData, json_envelope, list_json_envelope
from sahod.kit.pagination import PageRequest
from sahod.tenants.endpoints import ReadTenant
from sahod.tenants.schemas import TenantContext

router = APIRouter()

SourceId = Annotated[
    str | None,
    Query(
        alias="sourceId",
        max_length=200,
        description="Only items of this account (`a-…`) or archive (`u-…`).",
    ),
]
AccountId = Annotated[
    str | None,
    Query(alias="accountId", max_length=200, deprecated=True, description="Use sourceId."),
]
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
StartMonth = Annotated[
    str | None, Query(alias="startMonth", pattern=_MONTH, description="YYYY-MM, inclusive.")
]
EndMonth = Annotated[
    str | None, Query(alias="endMonth", pattern=_MONTH, description="YYYY-MM, inclusive.")
]


def _register(spec: KindSpec) -> None:
    path = f"/{spec.kind.path}"

    async def respond(
        request: Request,
        tenant: TenantContext,
        connection: ReadConnection,
        page: PageRequest,
        user_id: str | None,
        source_id: str | None,
        account_id: str | None,
        date_from: date | None,
        date_to: date | None,
    ) -> Response:
        wanted = of_source(user_id, source_id or account_id, date_from, date_to)
        result = await service.list_datapoints(connection, tenant, spec.kind, page, wanted)
        return list_json_envelope(request, result.items_json, result.next_cursor)

    list_endpoint: Callable[..., Awaitable[Response]]
    if spec.filter_style == "date":

        async def list_dated(
            request: Request,
            tenant: ReadTenant,
            connection: ReadConnection,
            page: Page,
            user_id: UserIdFilter = None,
            source_id: SourceId = None,
            account_id: AccountId = None,
            start_date: StartDate = None,
            end_date: EndDate = None,
        ) -> Response:
            return await respond(
                request,
                tenant,
                connection,
                page,
                user_id,
                source_id,
                account_id,
                start_date,
                end_date,
            )

        list_endpoint = list_dated
    elif spec.filter_style == "month":

        async def list_monthly(
            request: Request,
            tenant: ReadTenant,
            connection: ReadConnection,
            page: Page,
            user_id: UserIdFilter = None,
            source_id: SourceId = None,
            account_id: AccountId = None,
            start_month: StartMonth = None,
            end_month: EndMonth = None,
        ) -> Response:
            return await respond(
                request,
                tenant,
                connection,
                page,
                user_id,
                source_id,
                account_id,
                service.parse_month_filter(start_month, "startMonth"),
                service.parse_month_filter(end_month, "endMonth"),
            )

        list_endpoint = list_monthly
    else:

        async def list_undated(
            request: Request,
            tenant: ReadTenant,
            connection: ReadConnection,
            page: Page,
            user_id: UserIdFilter = None,
            source_id: SourceId = None,
            account_id: AccountId = None,
        ) -> Response:
            return await respond(
                request, tenant, connection, page, user_id, source_id, account_id, None, None
            )

        list_endpoint = list_undated

    list_endpoint.__doc__ = (
        f"List the {spec.kind.path} read from connected accounts, newest first; "
        f"filter by user (`userId`) or account (`sourceId`)."
    )
    router.add_api_route(
        path,
        list_endpoint,
        methods=["GET"],
        tags=[spec.tag],
        response_model=Envelope[ListData[spec.model]],  # type: ignore[name-defined]
        operation_id=f"list_{spec.kind.path}",
        name=f"list_{spec.kind.path}",
    )

    async def get_one(
        request: Request, tenant: ReadTenant, connection: ReadConnection, id: str
    ) -> Response:
        return json_envelope(
            request, await service.get_datapoint_json(connection, tenant, spec.kind, id)
        )

    get_one.__doc__ = f"Retrieve one {spec.singular}."
    router.add_api_route(
        f"{path}/{{id}}",
        get_one,
        methods=["GET"],
        tags=[spec.tag],
        response_model=Envelope[spec.model],  # type: ignore[name-defined]
        operation_id=f"get_{spec.kind.path}",
        name=f"get_{spec.kind.path}",
    )


for _spec in SPECS.values():
    _register(_spec)
