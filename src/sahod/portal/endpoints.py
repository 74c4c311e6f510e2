"""The developer portal's pages (server-rendered; every form works without JavaScript).

Pages read through the other domains' services, scoped by the signed-in member's tenant;
the portal's own service holds only members and sign-in sessions.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.responses import JSONResponse, RedirectResponse, Response

from sahod.datapoints.kinds import DataPointKind
from sahod.errors import InvalidParameters
from sahod.events import service as events_service
from sahod.kit.clock import iso_z
from sahod.kit.crypto import Sealer
from sahod.kit.deps import AppClock, AppSettings, Session
from sahod.kit.envelope import WireModel
from sahod.kit.handlers import describe_validation
from sahod.kit.pagination import PageRequest, decode_cursor, page_of
from sahod.portal import datasources, emulator, explorer, service
from sahod.portal.schemas import SignedIn
from sahod.portal.web import (
    PREFIX,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    STATIC_DIR,
    Developer,
    MaybeMember,
    NotAllowed,
    Owner,
    PortalRoute,
    Viewer,
    refuse_nul_characters,
    render,
    set_cookie,
)
from sahod.tenants import service as tenants_service
from sahod.tenants.schemas import TenantMode
from sahod.users import service as users_service
from sahod.webhooks import delivery, subscriptions
from sahod.webhooks.schemas import EventType, WebhookCreate, WebhookOut, WebhookUpdate

WireModelT = TypeVar("WireModelT", bound=WireModel)

router = APIRouter(
    prefix=PREFIX,
    route_class=PortalRoute,
    include_in_schema=False,
    dependencies=[Depends(refuse_nul_characters)],
)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(PREFIX + path, status_code=303)


def _safe_next(value: str | None) -> str:
    # Only a path of this portal: an open redirect would let a link sign people in to
    # someone else's page.
    if (
        value
        and value.startswith(PREFIX + "/")
        and not value.startswith("//")
        and "\\" not in value
    ):
        return value
    return PREFIX + "/"


# --- signing in and out ----------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_page(
    request: Request, settings: AppSettings, member: MaybeMember, next: str | None = None
) -> Response:
    if member is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    # Signing in is a form too: a cookie and a field that must match stop another site from
    # signing a visitor in to an account of its choosing.
    token = secrets.token_urlsafe(32)
    response = render(request, "sign_in.html", None, sign_in_token=token, next=_safe_next(next))
    set_cookie(response, settings, SIGN_IN_COOKIE, token)
    return response


@router.post("/sign-in")
async def sign_in(
    request: Request,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf, expected):
        return _sign_in_again(request, settings, email, next, "The form expired; sign in again.")
    outcome = await service.sign_in(session, email, password, clock.now(), settings)
    if outcome.session is None:
        return _sign_in_again(request, settings, email, next, outcome.refusal or "")
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(response, settings, SESSION_COOKIE, outcome.session.token)
    response.delete_cookie(SIGN_IN_COOKIE, path=PREFIX)
    return response


def _sign_in_again(
    request: Request, settings: AppSettings, email: str, next: str, error: str
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "sign_in.html",
        None,
        status_code=401,
        sign_in_token=token,
        next=_safe_next(next),
        email=email,
        error=error,
    )
    set_cookie(response, settings, SIGN_IN_COOKIE, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: Session, member: Viewer) -> Response:
    await service.sign_out(session, request.cookies.get(SESSION_COOKIE, ""))
    response = _see_other("/sign-in")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


# --- home ------------------------------------------------------------------------------


@router.get("/")
async def home(request: Request, member: Viewer) -> Response:
    return render(request, "home.html", member)


@router.get("", include_in_schema=False)
async def home_without_slash() -> Response:
    return _see_other("/")


# --- API keys --------------------------------------------------------------------------


@router.get("/keys")
async def keys_page(request: Request, session: Session, member: Viewer) -> Response:
    keys = await tenants_service.list_keys(session, member.tenant)
    return render(request, "keys.html", member, keys=keys, modes=list(TenantMode), issued=None)


@router.post("/keys")
async def create_key(
    request: Request, session: Session, clock: AppClock, member: Developer
) -> Response:
    issued = await tenants_service.create_key(session, member.tenant, clock.now())
    keys = await tenants_service.list_keys(session, member.tenant)
    # The secret is shown on this answer only (stored as a hash), so no redirect here.
    return render(
        request,
        "keys.html",
        member,
        status_code=201,
        keys=keys,
        modes=list(TenantMode),
        issued=issued,
    )


@router.post("/keys/{key}/revoke")
async def revoke_key(session: Session, clock: AppClock, member: Developer, key: str) -> Response:
    await tenants_service.revoke_key(session, member.tenant, key, clock.now())
    return _see_other("/keys")


# --- members ---------------------------------------------------------------------------


@router.get("/members")
async def members_page(request: Request, session: Session, member: Viewer) -> Response:
    members = await service.list_members(session, member.tenant)
    return render(request, "members.html", member, members=members, issued=None)


@router.post("/members")
async def add_member(
    request: Request,
    session: Session,
    clock: AppClock,
    member: Owner,
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[str, Form(max_length=20)] = "viewer",
) -> Response:
    issued = await service.create_member(
        session, member.tenant.id, email, service.role_of(role), clock.now()
    )
    members = await service.list_members(session, member.tenant)
    return render(request, "members.html", member, status_code=201, members=members, issued=issued)


@router.post("/members/{member_id}/role")
async def change_role(
    session: Session,
    member: Owner,
    member_id: str,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    await service.change_role(session, member.tenant, member_id, service.role_of(role))
    return _see_other("/members")


@router.post("/members/{member_id}/remove")
async def remove_member(session: Session, member: Owner, member_id: str) -> Response:
    await service.remove_member(session, member.tenant, member_id)
    return _see_other("/members")


# --- Users Explorer --------------------------------------------------------------------


@router.get("/users")
async def users_page(
    request: Request,
    session: Session,
    member: Viewer,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    users = await users_service.search_users(session, member.tenant, q)
    return render(request, "users.html", member, users=users, q=q)


@router.get("/users/{user_id}")
async def user_page(request: Request, session: Session, member: Viewer, user_id: str) -> Response:
    records = await explorer.user_records(session, member.tenant, user_id)
    return render(
        request,
        "user.html",
        member,
        user=records.user,
        accounts=records.accounts,
        data=records.data,
        kinds=list(DataPointKind),
        names=records.names,
        cv=records.cv,
        as_json=lambda value: orjson.dumps(value, option=orjson.OPT_INDENT_2).decode(),
    )


@router.post("/users/{user_id}/accounts/{account_id}/revoke")
async def revoke_account(
    request: Request,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    member: Developer,
    user_id: str,
    account_id: str,
) -> Response:
    """As ``DELETE /v1/accounts/{id}``: the data and credentials go, ACCOUNT_DISCONNECTED."""
    await explorer.revoke_users_account(
        session,
        member.tenant,
        user_id,
        account_id,
        clock.now(),
        extras=request.app.state.runtime.extras,
        settings=settings,
    )
    return _see_other(f"/users/{quote(user_id, safe='')}")


# --- Webhooks --------------------------------------------------------------------------


def _sealer(request: Request) -> Sealer:
    sealer: Sealer = request.app.state.runtime.sealer
    return sealer


def _valid(model: type[WireModelT], values: dict[str, Any]) -> WireModelT:
    try:
        return model.model_validate(values)
    except ValidationError as invalid:
        raise InvalidParameters(describe_validation(invalid.errors())) from None


_WEBHOOKS_SHOWN = 150
"""The API's largest page: more webhooks than this on one tenant is not a portal's case."""


async def _webhooks_page(
    request: Request,
    session: Session,
    member: SignedIn,
    *,
    status_code: int = 200,
    created: WebhookOut | None = None,
) -> Response:
    rows = await subscriptions.list_webhooks(
        session, member.tenant, PageRequest(size=_WEBHOOKS_SHOWN, after_seq=None)
    )
    return render(
        request,
        "webhooks.html",
        member,
        status_code=status_code,
        webhooks=[subscriptions.webhook_out(w) for w in rows[:_WEBHOOKS_SHOWN]],
        events=list(EventType),
        created=created,
    )


@router.get("/webhooks")
async def webhooks_page(request: Request, session: Session, member: Viewer) -> Response:
    return await _webhooks_page(request, session, member)


@router.post("/webhooks")
async def create_webhook(
    request: Request,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    member: Developer,
    url: Annotated[str, Form(max_length=2000)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    event_types: Annotated[list[str] | None, Form(alias="eventTypes")] = None,
    secret: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    body = _valid(
        WebhookCreate,
        {
            "name": name or "Portal webhook",
            "url": url,
            "eventTypes": event_types or [EventType.ALL_EVENTS.value],
            "active": True,
            # A generated Standard Webhooks secret unless the member chose one.
            "secret": secret or "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
        },
    )
    created = await subscriptions.create_webhook(
        session, member.tenant, body, clock.now(), _sealer(request), settings
    )
    # The secret is shown on this answer only, so no redirect here.
    return await _webhooks_page(request, session, member, status_code=201, created=created)


@router.get("/webhooks/{webhook_id}")
async def webhook_page(
    request: Request,
    session: Session,
    member: Viewer,
    webhook_id: str,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    webhook = await subscriptions.get_webhook(session, member.tenant, webhook_id)
    page = PageRequest(size=25, after_seq=decode_cursor(cursor) if cursor else None)
    rows, attempts = await delivery.list_deliveries(
        session, member.tenant, webhook_id, page, status=None, event_type=None
    )
    result = page_of(rows, page, lambda row: row.seq)
    deliveries = [delivery.delivery_out(d, attempts.get(d.id, [])) for d in result.items]
    return render(
        request,
        "webhook.html",
        member,
        webhook=webhook,
        deliveries=deliveries,
        next_cursor=result.next_cursor,
        resent=request.query_params.get("resent"),
        sent=request.query_params.get("sent"),
    )


async def _set_active(
    request: Request,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    member: SignedIn,
    webhook_id: str,
    active: bool,
) -> Response:
    await subscriptions.update_webhook(
        session,
        member.tenant,
        webhook_id,
        WebhookUpdate.model_validate({"active": active}),
        clock.now(),
        _sealer(request),
        settings,
    )
    return _see_other(f"/webhooks/{webhook_id}")


@router.post("/webhooks/{webhook_id}/disable")
async def disable_webhook(
    request: Request,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    member: Developer,
    webhook_id: str,
) -> Response:
    return await _set_active(request, session, clock, settings, member, webhook_id, False)


@router.post("/webhooks/{webhook_id}/enable")
async def enable_webhook(
    request: Request,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    member: Developer,
    webhook_id: str,
) -> Response:
    return await _set_active(request, session, clock, settings, member, webhook_id, True)


@router.post("/webhooks/{webhook_id}/recover")
async def recover(
    session: Session,
    clock: AppClock,
    member: Developer,
    webhook_id: str,
    since: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """As ``POST /v1/webhooks/{id}/recover``: every delivery since then not yet a success."""
    try:
        instant = datetime.fromisoformat(since)
    except ValueError:
        raise InvalidParameters("since must be a date and time, such as 2026-11-02T08:00") from None
    instant = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    count = await delivery.recover(session, member.tenant, webhook_id, instant, clock.now())
    return _see_other(f"/webhooks/{webhook_id}?resent={count}")


@router.post("/webhooks/{webhook_id}/test")
async def send_test_event(
    session: Session, clock: AppClock, member: Developer, webhook_id: str
) -> Response:
    await events_service.emit_test(session, member.tenant, webhook_id, clock.now())
    return _see_other(f"/webhooks/{webhook_id}?sent=test")


@router.get("/webhooks/{webhook_id}/deliveries/{delivery_id}")
async def delivery_page(
    request: Request,
    session: Session,
    clock: AppClock,
    member: Viewer,
    webhook_id: str,
    delivery_id: str,
) -> Response:
    webhook = await subscriptions.get_webhook(session, member.tenant, webhook_id)
    detail = await delivery.delivery_detail(
        session, member.tenant, webhook_id, delivery_id, _sealer(request), clock.now()
    )
    try:
        body = orjson.dumps(orjson.loads(detail.body), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        body = detail.body
    return render(
        request,
        "delivery.html",
        member,
        webhook=webhook,
        detail=detail,
        body=body,
        redelivered=request.query_params.get("redelivered"),
    )


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(
    session: Session, clock: AppClock, member: Developer, webhook_id: str, delivery_id: str
) -> Response:
    """As ``POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver``: the same bytes."""
    await delivery.redeliver(session, member.tenant, webhook_id, delivery_id, clock.now())
    return _see_other(f"/webhooks/{webhook_id}/deliveries/{delivery_id}?redelivered=1")


# --- Data Sources ----------------------------------------------------------------------


LIVE_RELOAD_SECONDS = 30


@router.get("/data-sources")
async def data_sources_page(
    request: Request,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    member: Viewer,
    live: bool = False,
) -> Response:
    """Every provider's health now (every tenant's sign-ins) and its data points; with
    ``live``, the browser reloads it every 30 s (a ``Refresh`` header: no script)."""
    now = clock.now()
    page = render(
        request,
        "data_sources.html",
        member,
        providers=await datasources.all_providers(session, now, settings),
        checked_at=now,
        degraded_below=settings.provider_degraded_below,
        min_attempts=settings.provider_degraded_min_attempts,
        seconds=datasources.seconds,
        live=live,
        live_seconds=LIVE_RELOAD_SECONDS,
    )
    if live:
        page.headers["Refresh"] = f"{LIVE_RELOAD_SECONDS}; url={PREFIX}/data-sources?live=true"
    return page


@router.get("/data-sources/{provider_id}")
async def data_source_page(
    request: Request,
    session: Session,
    clock: AppClock,
    settings: AppSettings,
    member: Viewer,
    provider_id: str,
) -> Response:
    """One provider: every chart, its error codes, and each data point's every field."""
    view = await datasources.one_provider(session, provider_id, clock.now(), settings)
    return render(request, "data_source.html", member, p=view, seconds=datasources.seconds)


# --- Widget emulator (sandbox tenants) ------------------------------------------------


def _emulator_page(
    request: Request, member: SignedIn, status_code: int = 200, **context: Any
) -> Response:
    return render(
        request,
        "emulator.html",
        member,
        status_code=status_code,
        personas=emulator.personas(),
        error_passwords=emulator.error_passwords(),
        one_time_code=emulator.one_time_code(),
        **context,
    )


@router.get("/emulator")
async def emulator_start_page(request: Request, member: Viewer) -> Response:
    """Start: a button that creates a throwaway sandbox user."""
    if member.tenant.mode is not TenantMode.SANDBOX:
        raise NotAllowed(emulator.SANDBOX_ONLY)
    return _emulator_page(request, member, user=None, after=0)


@router.post("/emulator")
async def emulator_start(session: Session, clock: AppClock, member: Developer) -> Response:
    """A new throwaway user, then its emulator page (which follows its events only)."""
    user_id, after = await emulator.start(session, member.tenant, clock.now())
    return _see_other(f"/emulator/{quote(user_id, safe='')}?after={after}")


@router.get("/emulator/{user_id}")
async def emulator_page(
    request: Request,
    session: Session,
    member: Viewer,
    user_id: str,
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The widget beside the personas, and the SDK callbacks and the user's events."""
    user = await emulator.emulated_user(session, member.tenant, user_id)
    return _emulator_page(request, member, user=user, after=after)


@router.post("/emulator/{user_id}/token")
async def emulator_token(
    session: Session, clock: AppClock, settings: AppSettings, member: Developer, user_id: str
) -> Response:
    """A fresh link token each time the widget opens (a token opens one widget session)."""
    token = await emulator.widget_token(session, member.tenant, user_id, clock.now(), settings)
    return JSONResponse({"userToken": token.access_token, "expiresAt": iso_z(token.expires_at)})


@router.get("/emulator/{user_id}/events")
async def emulator_events(
    session: Session,
    clock: AppClock,
    member: Viewer,
    user_id: str,
    after: Annotated[int, Query(ge=0)] = 0,
    refresh: Annotated[str, Query(max_length=4200)] = "",
) -> Response:
    """The user's events after ``after``; ``refresh``: comma-separated event ids whose
    deliveries the page still shows as pending."""
    ids = [part for part in refresh.split(",") if part][: emulator.FEED_PAGE]
    return JSONResponse(
        await emulator.feed(session, member.tenant, user_id, after, ids, clock.now())
    )
