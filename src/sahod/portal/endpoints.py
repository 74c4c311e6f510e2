"""The developer portal's pages (server-rendered; every form works without JavaScript).

Pages read through the other domains' services, scoped by the signed-in member's tenant;
the portal's own service holds only members and sign-in sessions.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from sahod.kit.deps import AppClock, AppSettings, Session
from sahod.portal import service
from sahod.portal.web import (
    PREFIX,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    STATIC_DIR,
    Developer,
    MaybeMember,
    Owner,
    PortalRoute,
    Viewer,
    render,
    set_cookie,
)
from sahod.tenants import service as tenants_service
from sahod.tenants.schemas import TenantMode

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)


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
async def revoke_key(
    request: Request, session: Session, clock: AppClock, member: Developer, key: str
) -> Response:
    await tenants_service.revoke_key(
        session, member.tenant, key, clock.now(), request.app.state.authenticator
    )
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
