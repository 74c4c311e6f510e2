"""The Link API: what the widget calls, with the user's token as bearer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from sahod.accounts import service as accounts_service
from sahod.accounts.schemas import ConnectionStatus
from sahod.archives import service as archives_service
from sahod.archives.schemas import USER_PROVIDED, LinkArchiveCreate, LinkArchiveOut
from sahod.archives.service import ArchiveView
from sahod.db import session_scope
from sahod.errors import InvalidParameters, InvalidToken, MissingResource
from sahod.kit import logs
from sahod.kit.clock import iso_z
from sahod.kit.deps import AppClock, AppSettings, Session
from sahod.kit.envelope import ERROR_RESPONSES, Envelope, ListData, envelope, list_envelope
from sahod.limits import link as link_limits
from sahod.limits.service import counters_of, digest
from sahod.link import service
from sahod.link.schemas import (
    LinkAccountCreate,
    LinkAccountOut,
    LinkArchives,
    LinkContext,
    LinkFileTypes,
    LinkSession,
    LinkSessionOpened,
    MfaSubmit,
    ReauthorizeRequest,
)
from sahod.providers import service as providers_service
from sahod.providers.base import Credentials
from sahod.providers.catalog import PROVIDERS
from sahod.providers.schemas import ProviderOut
from sahod.sync import service as sync_service

router = APIRouter(prefix="/link/v1", tags=["Link (widget)"], responses=ERROR_RESPONSES)

EVENT_POLL_SECONDS = 0.5
EVENT_STREAM_SECONDS = 600
KEEPALIVE_SECONDS = 15.0


def _bearer(request: Request, access_token: str | None) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if access_token and request.method == "GET" and request.url.path.endswith("/events"):
        # EventSource cannot send headers: the events stream, and only it, takes the token
        # in the query string (where it may be logged; everywhere else it is refused).
        return access_token
    raise InvalidToken("Send the user's access token as a Bearer token.")


async def link_context(
    request: Request,
    session: Session,
    clock: AppClock,
    access_token: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> LinkContext:
    context = await service.authenticate(session, _bearer(request, access_token), clock.now())
    logs.bind_tenant(context.tenant_id)
    return context


LinkToken = Annotated[LinkContext, Depends(link_context)]
"""The link token itself (or a session): only to open a widget session and to say whom
it acts for."""


async def widget_session(context: LinkToken) -> LinkContext:
    if context.kind != service.SESSION:
        raise InvalidToken(
            "Open a widget session with this link token first (POST /link/v1/session); "
            "the Link API takes the session token it returns."
        )
    return context


Link = Annotated[LinkContext, Depends(widget_session)]
"""A widget session: a link token opens exactly one (Smile's single-use link token)."""


async def _count_sign_in(
    request: Request, context: LinkContext, provider_id: str, username: str
) -> None:
    """Issue 12: sign-ins per token and per user, and rejected user names, are limited."""
    runtime = request.app.state.runtime
    await link_limits.before_sign_in(
        counters_of(runtime.extras, runtime.engine),
        runtime.settings,
        token=_bearer(request, None),
        user_id=context.user_id,
        provider_id=provider_id,
        username=username,
    )


@router.get("/session", response_model=Envelope[LinkSession])
async def session_info(request: Request, context: LinkToken) -> Response:
    """Who the token acts for, and until when."""
    return envelope(
        request,
        {"userId": context.user_id, "mode": context.mode, "expiresAt": iso_z(context.expires_at)},
    )


@router.post("/session", status_code=201, response_model=Envelope[LinkSessionOpened])
async def open_session(
    request: Request, context: LinkToken, session: Session, clock: AppClock
) -> Response:
    """Open the widget's session: the link token is spent (each launch of the widget needs
    a new one) for a session token the widget uses while it is open."""
    secret, context = await service.open_widget_session(session, context, clock.now())
    response = envelope(
        request,
        {
            "sessionToken": secret,
            "userId": context.user_id,
            "mode": context.mode,
            "expiresAt": iso_z(context.expires_at),
        },
        status_code=201,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/providers", response_model=Envelope[ListData[ProviderOut]])
async def list_providers(request: Request, _context: Link, settings: AppSettings) -> Response:
    """The providers a user can connect, with the label of each portal's login field."""
    base = settings.resolved_public_url()
    items = []
    for provider in PROVIDERS:
        item = providers_service.provider_out(provider, base).model_dump(by_alias=True)
        item["loginLabel"] = provider.login_label
        item["loginKind"] = provider.login_kind
        items.append(item)
    return list_envelope(request, items, None)


@router.post("/accounts", status_code=201, response_model=Envelope[LinkAccountOut])
async def create_account(
    request: Request, context: Link, session: Session, clock: AppClock, body: LinkAccountCreate
) -> Response:
    """Connect an account: the credentials are sealed and the sign-in starts at once.

    Follow it with `GET /link/v1/accounts/{id}` or its `events` stream."""
    if not body.consent:
        raise InvalidParameters("consent must be true: the user has to agree to share the data")
    await _count_sign_in(request, context, body.provider_id, body.credentials.username)
    account = await sync_service.link_account(
        session,
        tenant_id=context.tenant_id,
        user_id=context.user_id,
        provider_id=body.provider_id,
        credentials=Credentials(body.credentials.username, body.credentials.password),
        sealer=request.app.state.runtime.sealer,
        now=clock.now(),
    )
    view = await service.widget_view(session, account, request.app.state.runtime.sealer)
    return envelope(request, view, status_code=201)


@router.post("/accounts/{id}/mfa", response_model=Envelope[LinkAccountOut])
async def submit_code(
    request: Request, context: Link, session: Session, id: str, body: MfaSubmit
) -> Response:
    """Hand over the one-time code the portal sent the user."""
    account = await service.own_account(session, context, id)
    sealer = request.app.state.runtime.sealer
    account = await sync_service.submit_mfa_code(session, account, body.code, sealer)
    return envelope(request, await service.widget_view(session, account, sealer))


@router.post("/accounts/{id}/reauthorize", response_model=Envelope[LinkAccountOut])
async def reauthorize(
    request: Request,
    context: Link,
    session: Session,
    clock: AppClock,
    id: str,
    body: ReauthorizeRequest,
) -> Response:
    """Reconnect an account whose monthly sync needs the user (USER_ACTION_REQUIRED): the
    user signs in again; the account keeps its id and, once connected, its monitoring."""
    account = await service.own_account(session, context, id)
    await _count_sign_in(request, context, account.provider_id, body.credentials.username)
    sealer = request.app.state.runtime.sealer
    account = await sync_service.reauthorize(
        session,
        account,
        Credentials(body.credentials.username, body.credentials.password),
        sealer,
        clock.now(),
    )
    return envelope(request, await service.widget_view(session, account, sealer))


@router.get("/accounts", response_model=Envelope[ListData[LinkAccountOut]])
async def list_accounts(request: Request, context: Link, session: Session) -> Response:
    """This user's accounts, newest first."""
    sealer = request.app.state.runtime.sealer
    views = [
        await service.widget_view(session, a, sealer)
        for a in await service.own_accounts(session, context)
    ]
    return list_envelope(request, views, None)


@router.get("/accounts/{id}", response_model=Envelope[LinkAccountOut])
async def get_account(request: Request, context: Link, session: Session, id: str) -> Response:
    """One of this user's accounts, as it stands now."""
    account = await service.own_account(session, context, id)
    return envelope(
        request, await service.widget_view(session, account, request.app.state.runtime.sealer)
    )


@router.delete("/accounts/{id}", response_model=Envelope[None])
async def revoke_account(
    request: Request,
    context: Link,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    id: str,
) -> Response:
    """The user revokes: the account's data, credentials and exports' files are deleted."""
    account = await service.own_account(session, context, id)
    await accounts_service.revoke(
        session,
        account,
        clock.now(),
        extras=request.app.state.runtime.extras,
        settings=settings,
    )
    return envelope(request, None, message="Account access revoked")


@router.get("/accounts/{id}/events", response_class=StreamingResponse)
async def account_events(request: Request, context: Link, session: Session, id: str) -> Response:
    """Server-sent events: the account each time its state changes, until it settles
    (connected and synced, failed, or revoked)."""
    account = await service.own_account(session, context, id)
    factory = request.app.state.session_factory
    sealer = request.app.state.runtime.sealer
    streams = link_limits.open_streams(request.app.state.runtime.extras)
    stream_key = digest(_bearer(request, request.query_params.get("access_token")))
    streams.acquire(stream_key, request.app.state.runtime.settings.event_streams_per_token)

    async def stream() -> AsyncIterator[bytes]:
        try:
            async for chunk in account_updates():
                yield chunk
        finally:
            streams.release(stream_key)

    async def account_updates() -> AsyncIterator[bytes]:
        last: dict[str, Any] | None = None
        idle = 0.0
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + EVENT_STREAM_SECONDS
        yield b"retry: 2000\n\n"
        while loop.time() < ends_at and not await request.is_disconnected():
            async with session_scope(factory) as read:
                current = await service.own_account(read, context, account.id)
                view = await service.widget_view(read, current, sealer)
            if view != last:
                last, idle = view, 0.0
                yield b"event: account\ndata: " + orjson.dumps(view) + b"\n\n"
                if _settled(view):
                    return
            elif idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield b": keep-alive\n\n"
            await asyncio.sleep(EVENT_POLL_SECONDS)
            idle += EVENT_POLL_SECONDS

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _settled(view: dict[str, Any]) -> bool:
    status = view["connectionStatus"]
    return status in (ConnectionStatus.ERROR, ConnectionStatus.DISCONNECTED) or (
        status == ConnectionStatus.CONNECTED and not view["syncing"]
    )


# --- Documents (issue 13): the widget's upload flow ----------------------------------


def _archive_pair(request: Request, view: ArchiveView, now: datetime) -> dict[str, Any]:
    """The widget's view of an archive: the Archive, and the same as Smile's Upload (what
    ``onUploadsCreated`` / ``onUploadsRemoved`` hand the host page)."""
    runtime = request.app.state.runtime
    return {
        "archive": archives_service.archive_out(view, runtime.settings, runtime.sealer, now),
        "upload": archives_service.upload_out(view, runtime.settings, runtime.sealer, now),
    }


@router.get("/fileTypes", response_model=Envelope[LinkFileTypes])
async def list_file_types(request: Request, _context: Link, settings: AppSettings) -> Response:
    """The document types a user may upload."""
    return envelope(request, {"items": archives_service.file_types(settings.resolved_public_url())})


@router.post("/archives", status_code=201, response_model=Envelope[LinkArchiveOut])
async def create_archive(
    request: Request,
    context: Link,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    body: LinkArchiveCreate,
) -> Response:
    """Upload documents for this user (`providerId: user-provided`): the same checks as
    `POST /v1/archives` (a 400 naming the file), then the analysis; follow it with
    `GET /link/v1/archives/{id}`. At most 30 uploads per user a day."""
    runtime = request.app.state.runtime
    await link_limits.before_upload(
        counters_of(runtime.extras, runtime.engine), settings, user_id=context.user_id
    )
    now = clock.now()
    view = await archives_service.create_archive(
        session,
        runtime.extras,
        settings,
        tenant=service.tenant_of(context),
        user_id=context.user_id,
        provider_id=USER_PROVIDED,
        declared_type=body.type,
        uploads=[raw.uploaded() for raw in body.raw_files],
        now=now,
    )
    return envelope(request, _archive_pair(request, view, now), status_code=201)


@router.get("/archives", response_model=Envelope[LinkArchives])
async def list_archives(
    request: Request, context: Link, session: Session, clock: AppClock
) -> Response:
    """This user's archives that are not revoked, newest first."""
    views = await archives_service.user_archives(session, context.tenant_id, context.user_id)
    now = clock.now()
    return envelope(request, {"items": [_archive_pair(request, view, now) for view in views]})


@router.get("/archives/{id}", response_model=Envelope[LinkArchiveOut])
async def get_archive(
    request: Request, context: Link, session: Session, clock: AppClock, id: str
) -> Response:
    """One of this user's archives, as it stands now (poll it while it is STARTED)."""
    view = await archives_service.get_archive(session, context.tenant_id, id)
    if view.archive.user_id != context.user_id:
        raise MissingResource(f"There is no archive {id}.")
    return envelope(request, _archive_pair(request, view, clock.now()))


@router.delete("/archives/{id}", response_model=Envelope[LinkArchiveOut])
async def revoke_archive(
    request: Request, context: Link, session: Session, clock: AppClock, id: str
) -> Response:
    """The user removes a document: its files and what was read from it are deleted."""
    now = clock.now()
    view = await archives_service.revoke_archive(
        session,
        request.app.state.runtime.extras,
        request.app.state.runtime.settings,
        context.tenant_id,
        id,
        now,
        user_id=context.user_id,
    )
    return envelope(request, _archive_pair(request, view, now), message="Archive removed")
