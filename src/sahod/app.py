"""The FastAPI factory. Its lifespan opens the runtime and, by default, runs the worker."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi

from sahod.accounts.endpoints import router as accounts_router
from sahod.apidocs.endpoints import router as apidocs_router
from sahod.archives.endpoints import logos_router as file_type_logos_router
from sahod.archives.endpoints import router as archives_router
from sahod.cds.endpoints import router as cds_router
from sahod.config import Settings, get_settings
from sahod.datapoints.endpoints import router as datapoints_router
from sahod.errors import InvalidParameters, UnsupportedType
from sahod.exports.endpoints import router as exports_router
from sahod.files.endpoints import router as files_router
from sahod.health.endpoints import router as health_router
from sahod.kit import collector, handlers
from sahod.kit.envelope import ERROR_RESPONSES
from sahod.kit.middleware import BodyLimitMiddleware, NoStoreMiddleware, RequestIdMiddleware
from sahod.limits.middleware import TenantApiLimitMiddleware
from sahod.link.endpoints import router as link_router
from sahod.metrics.http import RequestMetricsMiddleware
from sahod.portal.endpoints import router as portal_router
from sahod.portal.endpoints import static_files as portal_static_files
from sahod.portal.web import PortalHeadersMiddleware
from sahod.provider_health.endpoints import router as provider_health_router
from sahod.providers.endpoints import logos_router as provider_logos_router
from sahod.providers.endpoints import router as providers_router
from sahod.runtime import Runtime, open_runtime
from sahod.supervisor import run_supervised_worker
from sahod.tasks.endpoints import router as tasks_router
from sahod.tenants.service import Authenticator, follow_revocations
from sahod.users.endpoints import router as users_router
from sahod.users.endpoints import tokens_router, user_accounts_router
from sahod.webhooks.endpoints import router as webhooks_router
from sahod.widget.endpoints import router as widget_router

log = logging.getLogger(__name__)


API_DESCRIPTION = """\
Sahod: employment, income and government-benefit data from the Philippines' SSS, GSIS,
PhilHealth and Pag-IBIG, with the user's consent. Wire-compatible with the Smile API v1:
authenticate with HTTP Basic (API key as user name, API secret as password); every
response is the envelope `{code, message, requestId, data}`; lists are
`data: {nextCursor, items}` with `size` (1–150) and `cursor`.
"""


async def require_json_body(request: Request) -> None:
    """A body, where one is sent, must be JSON (415 UNSUPPORTED_TYPE otherwise)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    has_body = request.headers.get("content-length", "0") not in ("", "0") or (
        "transfer-encoding" in request.headers
    )
    if not has_body:
        return
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedType()


async def refuse_nul_characters(request: Request) -> None:
    """PostgreSQL text cannot hold NUL; a parameter carrying one is refused by name."""
    for name, value in [*request.query_params.multi_items(), *request.path_params.items()]:
        if "\x00" in str(value) or "\x00" in name:
            raise InvalidParameters(f"{name} must not contain NUL characters")


async def check_request(request: Request) -> None:
    """Both checks above, as one dependency: FastAPI's per-dependency bookkeeping costs more
    than either check does, on every API request."""
    await refuse_nul_characters(request)
    await require_json_body(request)


# Built once per process: the routers are module-level and never change, and building the
# v1 router (FastAPI analyses every route's dependencies and models) costs more than the
# rest of an app; each app includes the same finished router.
@functools.cache
def api_router() -> APIRouter:
    v1 = APIRouter(
        prefix="/v1",
        dependencies=[Depends(check_request)],
        responses=ERROR_RESPONSES,
    )
    # Routes are matched in order, each a regular expression and some bookkeeping: the
    # hottest paths (the data point and account reads) come first. No two routers share a
    # path with another's, except /accounts (GET here, DELETE in user_accounts), whose
    # order is kept.
    for router in (
        datapoints_router,
        accounts_router,
        providers_router,
        provider_health_router,
        users_router,
        tokens_router,
        user_accounts_router,
        cds_router,
        tasks_router,
        webhooks_router,
        files_router,
        archives_router,
        exports_router,
    ):
        v1.include_router(router)
    return v1


def install_openapi(app: FastAPI) -> None:
    """The generated document, less FastAPI's 422: invalid input is our 400 envelope."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for item in document.get("paths", {}).values():
                for operation in item.values():
                    operation.get("responses", {}).pop("422", None)
            schemas = document.get("components", {}).get("schemas", {})
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def create_app_for_process() -> FastAPI:
    """The app factory each of `sahod serve --workers N`'s API processes calls: settings
    from the environment the parent prepared (its database URL; the job worker runs in a
    process of its own), and a runtime of the process's own, already migrated."""
    from sahod.kit.logs import configure_logging

    settings = get_settings()
    # A process uvicorn spawned starts with no logging configured.
    configure_logging(settings.log_level, json_lines=settings.log_format == "json")
    return create_app(settings, run_migrations=False)


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    *,
    run_migrations: bool = True,
) -> FastAPI:
    """The whole server. Pass ``runtime`` to share one (tests); else the lifespan opens one."""
    settings = settings or (runtime.settings if runtime else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            active = (
                runtime
                if runtime is not None
                else await stack.enter_async_context(
                    open_runtime(settings, run_migrations=run_migrations)
                )
            )
            app.state.runtime = active
            collector.settle_after_start_up()
            app.state.settings = active.settings
            app.state.session_factory = active.session_factory
            app.state.clock = active.clock
            # Sign-ins are cached only while this process hears of every key revoked.
            revocations = asyncio.create_task(
                follow_revocations(app.state.authenticator, active.database_url)
            )
            stack.push_async_callback(_cancelled, revocations)
            # In this process only where asked (tests, `sahod demo`); `sahod serve` runs the
            # worker in a process of its own.
            worker: asyncio.Task[None] | None = None
            stop_worker = asyncio.Event()
            if active.settings.run_worker:
                worker = asyncio.create_task(
                    run_supervised_worker(active, active.settings.worker_concurrency, stop_worker)
                )
            proxy = getattr(app.state, "portals_proxy", None)
            if proxy is not None:
                stack.push_async_callback(proxy.aclose)
            try:
                yield
            finally:
                if worker is not None:
                    stop_worker.set()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker

    app = FastAPI(
        title="Sahod API",
        version="1.14.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/v1/openapi.json",
        # Served by sahod.apidocs with their files from this server, not from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_openapi(app)
    app.state.authenticator = Authenticator()
    app.state.settings = settings
    if runtime is not None:
        # Set now as well as in the lifespan: in-process test clients do not run lifespans.
        app.state.runtime = runtime
        app.state.session_factory = runtime.session_factory
        app.state.clock = runtime.clock
    handlers.install(app)
    app.include_router(api_router())
    app.include_router(link_router, dependencies=[Depends(check_request)])
    app.include_router(widget_router)
    app.include_router(apidocs_router)
    app.include_router(health_router)
    app.include_router(provider_logos_router)
    # The developer portal (issue 14): pages under /portal, its own CSS beside them.
    app.include_router(portal_router)
    app.mount("/portal/static", portal_static_files(), name="portal-static")
    app.include_router(file_type_logos_router)
    if settings.mounts_sandbox_portals():
        from sahod.documents.endpoints import router as sandbox_documents_router

        # Sample payslips, 2316s and certificates of the sandbox personas (issue 13).
        app.include_router(sandbox_documents_router)
        if settings.sandbox_portals_upstream:
            # `sahod serve --workers N`: the portals run once, in a process of their own.
            from sahod.sandbox.proxy import PortalsProxy

            proxy = PortalsProxy(settings.sandbox_portals_upstream)
            app.state.portals_proxy = proxy
            app.mount("/sandbox/portals", proxy, name="sandbox-portals")
        else:
            # Simulated member portals for sandbox tenants, sharing the runtime's clock so
            # that loan balances follow it. A production deployment turns them off.
            from sahod.providers.sandbox import create_portals_app
            from sahod.sandbox.portals.common import OperatorAccess

            app.mount(
                "/sandbox/portals",
                create_portals_app(
                    runtime.clock if runtime is not None else None,
                    # Fault injection and reset change the portals for every tenant: on
                    # this server only for the operator's token (tests and demos set one).
                    operator=OperatorAccess(token=settings.sandbox_operator_token),
                ),
                name="sandbox-portals",
            )
    # Innermost of the three: the rate limit runs after the request id is set.
    app.add_middleware(TenantApiLimitMiddleware)
    app.add_middleware(NoStoreMiddleware)
    app.add_middleware(PortalHeadersMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        # Document uploads carry base64 files of up to 15 MB each (issue 13).
        allowances={
            ("POST", "/v1/archives"): settings.max_upload_body_bytes,
            ("POST", "/link/v1/archives"): settings.max_upload_body_bytes,
        },
    )
    app.add_middleware(RequestIdMiddleware)
    # Outermost: every answer is counted, those of the middlewares above included.
    app.add_middleware(RequestMetricsMiddleware)
    return app
