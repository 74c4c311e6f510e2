"""What every portal page shares: templates, the signed-in member, CSRF, the security
headers, and errors rendered as pages rather than the API's JSON envelope."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sahod.config import Settings
from sahod.errors import InvalidParameters, MissingResource
from sahod.kit.deps import AppClock, AppSettings, Session
from sahod.kit.handlers import describe_validation
from sahod.portal import service
from sahod.portal.schemas import Role, SignedIn
from sahod.tenants.schemas import TenantMode

PREFIX = "/portal"
SESSION_COOKIE = "sahod_portal"
SIGN_IN_COOKIE = "sahod_portal_sign_in"
CSRF_FIELD = "csrf"
STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

# The widget's discipline: the server's own files only, no inline script, no framing.
PORTAL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
_SECURITY_HEADERS = [
    (b"content-security-policy", PORTAL_CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


# The navigation of every page: (label, path); a new page adds its entry here.
NAV: list[tuple[str, str]] = [
    ("API keys", f"{PREFIX}/keys"),
    ("Users", f"{PREFIX}/users"),
    ("Webhooks", f"{PREFIX}/webhooks"),
    ("Data sources", f"{PREFIX}/data-sources"),
    ("Members", f"{PREFIX}/members"),
]
# Pages only a sandbox tenant has: the emulator signs in with test personas.
SANDBOX_NAV: list[tuple[str, str]] = [
    ("Widget emulator", f"{PREFIX}/emulator"),
]


def nav_of(member: SignedIn | None) -> list[tuple[str, str]]:
    if member is not None and member.tenant.mode is TenantMode.SANDBOX:
        return NAV + SANDBOX_NAV
    return NAV


class SignInRequired(Exception):
    """No live session: the visitor is sent to the sign-in page."""


class NotAllowed(Exception):
    """Signed in, but the member's role (or a missing CSRF token) does not allow this."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PortalHeadersMiddleware:
    """The Content-Security-Policy and its companions on every /portal answer, pages,
    redirects, errors and static files alike; pages are never cached (they show keys and
    people's records)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        static = path.startswith(PREFIX + "/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {b"content-security-policy", b"x-frame-options", b"cache-control"}
                headers = [h for h in message.get("headers", []) if h[0].lower() not in names]
                headers += _SECURITY_HEADERS
                headers.append((b"cache-control", b"no-cache" if static else b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def secure_cookies(settings: Settings) -> bool:
    return settings.resolved_public_url().startswith("https://")


def set_cookie(response: Response, settings: Settings, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(settings),
    )


def render(
    request: Request,
    template: str,
    member: SignedIn | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "member": member,
            "csrf_field": CSRF_FIELD,
            "Role": Role,
            "nav": nav_of(member),
            **context,
        },
        status_code=status_code,
    )


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(
        request,
        "error.html",
        getattr(request.state, "portal_member", None),
        status_code=status,
        title=title,
        message=message,
    )


class PortalRoute(APIRoute):
    """Errors of portal pages as pages: signed out → the sign-in page, a role that may not
    → 403, another tenant's object → 404 (as the API: existence does not leak), bad
    input → 400 naming the field."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def portal_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = request.url.path
                if request.method == "GET" and request.url.query:
                    target += "?" + request.url.query
                return RedirectResponse(
                    f"{PREFIX}/sign-in?next={quote(target, safe='')}", status_code=303
                )
            except NotAllowed as refused:
                return _error_page(request, 403, "Not allowed", refused.message)
            except MissingResource:
                return _error_page(request, 404, "Not found", "There is no such page here.")
            except InvalidParameters as invalid:
                return _error_page(request, 400, "That did not work", invalid.message)
            except RequestValidationError as invalid:
                message = describe_validation(invalid.errors())
                return _error_page(request, 400, "That did not work", message)

        return portal_handler


async def refuse_nul_characters(request: Request) -> None:
    """PostgreSQL text cannot hold NUL: a path or query carrying one is a 400 page."""
    for name, value in [*request.query_params.multi_items(), *request.path_params.items()]:
        if "\x00" in str(value) or "\x00" in name:
            raise InvalidParameters(f"{name} must not contain NUL characters")


async def optional_member(
    request: Request, session: Session, clock: AppClock, settings: AppSettings
) -> SignedIn | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    member = await service.signed_in(session, token, clock.now(), settings)
    request.state.portal_member = member
    return member


async def current_member(
    member: Annotated[SignedIn | None, Depends(optional_member)],
) -> SignedIn:
    if member is None:
        raise SignInRequired()
    return member


async def check_csrf(request: Request, member: SignedIn) -> None:
    """Every form carries the session's CSRF token; a post without it is refused."""
    form = await request.form()
    offered = form.get(CSRF_FIELD)
    if not isinstance(offered, str) or not secrets.compare_digest(offered, member.csrf_token):
        raise NotAllowed("This form has expired or did not come from this portal. Reload it.")


def member_who_can(role: Role) -> Callable[..., Awaitable[SignedIn]]:
    """A dependency: the signed-in member, if their role allows ``role``'s work; on a
    POST, also the form's CSRF token."""

    async def dependency(
        request: Request, member: Annotated[SignedIn, Depends(current_member)]
    ) -> SignedIn:
        if request.method == "POST":
            await check_csrf(request, member)
        if not member.role.allows(role):
            raise NotAllowed(f"This needs the {role.value} role; yours is {member.role.value}.")
        return member

    return dependency


Viewer = Annotated[SignedIn, Depends(member_who_can(Role.VIEWER))]
Developer = Annotated[SignedIn, Depends(member_who_can(Role.DEVELOPER))]
Owner = Annotated[SignedIn, Depends(member_who_can(Role.OWNER))]
MaybeMember = Annotated[SignedIn | None, Depends(optional_member)]
