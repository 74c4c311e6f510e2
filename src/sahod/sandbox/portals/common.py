"""What the sandbox portals share: sessions, CSRF, the one-time code, remembered devices,
the error personas, fault injection, and small HTML builders.

Each provider's portal module (``sahod.providers.<id>.sandbox_portal``) supplies a
:class:`PortalSpec` (its paths, field names, cookies and wording) and its member pages;
:class:`Portal` turns them into a Starlette app that behaves like a member portal: HTML
forms, redirects, cookies, alerts in the page, 403 on a bad CSRF token, 429 when hit too
fast, 503 during maintenance.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sahod.agencies.schedules import Agency
from sahod.kit.clock import Clock
from sahod.sandbox.faults import PortalFaults
from sahod.sandbox.personas import (
    SANDBOX_OTP,
    Contribution,
    Persona,
    error_code_in,
    error_persona,
    find_persona,
    today_in_manila,
)

SESSION_IDLE = timedelta(minutes=15)
SESSION_MAX = timedelta(hours=8)
DEVICE_LIFETIME = timedelta(days=90)
OTP_ATTEMPTS = 3
_DRAWN_PAGES_KEPT = 4096
"""Enough for every page of every persona on every layout; past it the cache starts over."""

# The device cookie is signed so a remembered device survives a restart of the simulator.
# The key is public on purpose: this is a sandbox, and the cookie guards nothing real.
_DEVICE_KEY = b"sahod-sandbox-remembered-device"

# Codes a portal answers on the sign-in form itself, with a message in the page.
LOGIN_ALERT_CODES = frozenset(
    {
        "ACCOUNT_DISABLED",
        "ACCOUNT_INACCESSIBLE",
        "ACCOUNT_LOCKED",
        "AUTH_REQUIRED",
        "INVALID_ACCOUNT_TYPE",
        "INVALID_CREDENTIALS",
    }
)
# Codes a portal answers by sending the member to a page only they can get past.
INTERSTITIAL_CODES = frozenset(
    {"ACCOUNT_INCOMPLETE", "EXPIRED_CREDENTIALS", "TOS_REQUIRED", "UNSUPPORTED_AUTH_TYPE"}
)


@dataclass(frozen=True)
class PortalSpec:
    agency: Agency
    title: str
    session_cookie: str
    device_cookie: str
    csrf_field: str
    login_path: str
    otp_path: str
    home_path: str
    logout_path: str
    interstitials: Mapping[str, tuple[str, str, str]]
    """Error code → (path, page title, what the page tells the member)."""
    user_field: str
    user_input_type: str
    user_label: str
    pin_input: str
    otp_field: str
    otp_input_type: str
    trust_field: str
    otp_channel: str
    """``sms`` or ``email``."""
    alert_class: str
    messages: Mapping[str, str]
    """Alert texts: the sign-in codes of LOGIN_ALERT_CODES, and ``otp_wrong``,
    ``otp_expired``, ``otp_locked``, ``forbidden``, ``expired_session``."""
    date_format: str
    month_format: str
    money_prefix: str
    upper_months: bool = False

    def fmt_date(self, day: date | None) -> str:
        return day.strftime(self.date_format) if day else ""

    def fmt_month(self, month: date) -> str:
        text = month.strftime(self.month_format)
        return text.upper() if self.upper_months else text

    def fmt_money(self, amount: Decimal) -> str:
        return f"{self.money_prefix}{amount:,.2f}"


@dataclass
class SessionState:
    sid: str
    csrf: str
    created: datetime
    last_seen: datetime
    persona: Persona | None = None
    stage: str = "anonymous"
    """``anonymous`` → ``otp`` → ``member``; ``blocked`` after an interstitial."""
    otp_sent: datetime | None = None
    otp_attempts: int = 0
    hits: int = 0
    tokens: float = 0.0
    refilled: float = 0.0


@dataclass(frozen=True)
class MemberView:
    """What a member page renderer gets."""

    spec: PortalSpec
    persona: Persona
    today: date
    variant: int
    request: Request

    def href(self, path: str) -> str:
        return str(self.request.scope.get("root_path", "")) + path


class NotFound(Exception):
    """A member page for a record that does not exist (a mistyped loan number)."""


MemberPage = Callable[[MemberView], Awaitable[str]]
Layout = Callable[[PortalSpec, str, str, Persona | None, str], str]
"""(spec, page title, body html, signed-in persona, root path) → the whole page."""


@dataclass(frozen=True, slots=True)
class OperatorAccess:
    """Fault injection, reset and the counters change or read a portal for every tenant:
    open on `sahod sandbox-portals` and the tests' portals, and on the API server's mount
    only to a request bearing the operator's token (else they do not exist: 404)."""

    open: bool = False
    token: str | None = None

    def allows(self, request: Request) -> bool:
        if self.open:
            return True
        if not self.token:
            return False
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), self.token.encode()
        )


@dataclass
class Portal:
    spec: PortalSpec
    clock: Clock
    faults: PortalFaults
    layout: Layout
    member_pages: Sequence[tuple[str, MemberPage]]
    home: MemberPage
    sessions: dict[str, SessionState] = field(default_factory=dict)
    first_logins: set[str] = field(default_factory=set)
    """Personas that have completed a sign-in (the changed-password persona needs it)."""
    stats: Counter[str] = field(default_factory=Counter)
    last_sweep: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))
    operator: OperatorAccess = field(default_factory=lambda: OperatorAccess(open=True))
    """Who may use ``/_faults``, ``/_reset`` and ``/_stats`` (set by ``mount_portals``)."""
    drawn_pages: dict[tuple[object, ...], bytes] = field(default_factory=dict)
    """Member pages already drawn, by everything they are drawn from. Drawing a page
    (ten years of contributions, a loan's schedule) was half the portals' CPU in the
    connectors benchmark, and a busy portals process answers late, which the connector's
    figures then counted as its own."""

    # -- the app -----------------------------------------------------------------------

    def app(self) -> Starlette:
        s = self.spec
        routes = [
            Route(s.login_path, self._guarded(self._login_form), methods=["GET"]),
            Route(s.login_path, self._guarded(self._login_submit), methods=["POST"]),
            Route(s.otp_path, self._guarded(self._otp_form), methods=["GET"]),
            Route(s.otp_path, self._guarded(self._otp_submit), methods=["POST"]),
            Route(s.logout_path, self._guarded(self._logout), methods=["GET", "POST"]),
            Route(s.home_path, self._guarded(self._member(self.home)), methods=["GET"]),
            Route("/_faults", self._operator(self._faults_endpoint), methods=["GET", "PUT"]),
            Route("/_reset", self._operator(self._reset_endpoint), methods=["POST"]),
            Route("/_stats", self._operator(self._stats_endpoint), methods=["GET"]),
        ]
        for path, title, text in s.interstitials.values():
            routes.append(
                Route(path, self._guarded(self._interstitial(title, text)), methods=["GET"])
            )
        for path, page in self.member_pages:
            routes.append(Route(path, self._guarded(self._member(page)), methods=["GET"]))
        routes.append(Route("/", self._root, methods=["GET"]))
        app = Starlette(routes=routes)
        app.state.portal = self
        return app

    def reset(self) -> None:
        self.sessions.clear()
        self.first_logins.clear()
        self.stats.clear()
        self.drawn_pages.clear()
        self.faults.reset()

    # -- fault injection and limits, in front of every page ---------------------------

    def _guarded(
        self, handler: Callable[[Request, SessionState | None], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            stats = self.stats
            stats["in_flight"] += 1
            stats["in_flight_max"] = max(stats["in_flight_max"], stats["in_flight"])
            try:
                response = await self._guard(request, handler)
            finally:
                stats["in_flight"] -= 1
            stats["requests"] += 1
            stats[f"status_{response.status_code}"] += 1
            return response

        return endpoint

    async def _guard(
        self,
        request: Request,
        handler: Callable[[Request, SessionState | None], Awaitable[Response]],
    ) -> Response:
        settings = self.faults.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        if settings.maintenance:
            return self._maintenance(request)
        if self.faults.draw_error():
            return self._error_page(request, 503, "Service Temporarily Unavailable")
        session = self._session(request)
        if session is not None:
            if not self._take_token(session):
                response = self._error_page(request, 429, "Too Many Requests")
                response.headers["retry-after"] = "1"
                return response
            behaviour = session.persona.behaviour if session.persona else None
            if behaviour is not None and behaviour.slow:
                await asyncio.sleep(settings.slow_persona_ms / 1000)
            if behaviour is not None and behaviour.flaky:
                session.hits += 1
                if session.hits % settings.flaky_every == 0:
                    return self._error_page(request, 502, "Bad Gateway")
        return await handler(request, session)

    def _take_token(self, session: SessionState) -> bool:
        settings = self.faults.settings
        now = time.monotonic()
        if session.refilled == 0.0:
            session.tokens, session.refilled = float(settings.rate_limit_burst), now
        session.tokens = min(
            float(settings.rate_limit_burst),
            session.tokens + (now - session.refilled) * settings.rate_limit_per_second,
        )
        session.refilled = now
        if session.tokens < 1:
            return False
        session.tokens -= 1
        return True

    # -- sessions -----------------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock.now()

    def _session(self, request: Request) -> SessionState | None:
        sid = request.cookies.get(self.spec.session_cookie)
        if not sid:
            return None
        session = self.sessions.get(sid)
        if session is None:
            return None
        now = self._now()
        if now - session.last_seen > SESSION_IDLE or now - session.created > SESSION_MAX:
            del self.sessions[sid]
            return None
        session.last_seen = now
        return session

    def _new_session(self) -> SessionState:
        now = self._now()
        # Expired sessions are dropped in a sweep at most once a minute, not per sign-in:
        # a benchmark opens thousands of sessions.
        if len(self.sessions) > 2000 and now - self.last_sweep > timedelta(minutes=1):
            self.last_sweep = now
            self._sweep(now)
        session = SessionState(secrets.token_urlsafe(18), secrets.token_urlsafe(24), now, now)
        self.sessions[session.sid] = session
        return session

    def _sweep(self, now: datetime) -> None:
        for sid, session in list(self.sessions.items()):
            if now - session.last_seen > SESSION_IDLE or now - session.created > SESSION_MAX:
                del self.sessions[sid]

    def _rotate(self, session: SessionState) -> SessionState:
        # A new session id once signed in, as real portals do against session fixation.
        self.sessions.pop(session.sid, None)
        session.sid = secrets.token_urlsafe(18)
        self.sessions[session.sid] = session
        return session

    def _set_session_cookie(self, response: Response, request: Request, sid: str) -> None:
        response.set_cookie(
            self.spec.session_cookie,
            sid,
            httponly=True,
            samesite="lax",
            path=request.scope.get("root_path", "") or "/",
        )

    def _device_token(self, persona: Persona) -> str:
        expires = int((self._now() + DEVICE_LIFETIME).timestamp())
        body = f"{persona.key}.{expires}"
        mac = hmac.new(_DEVICE_KEY, body.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{body}.{mac}"

    def _device_ok(self, token: str | None, persona: Persona) -> bool:
        if not token or persona.behaviour.always_mfa:
            return False
        body, _, mac = token.rpartition(".")
        key, _, expires = body.rpartition(".")
        expected = hmac.new(_DEVICE_KEY, body.encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(mac, expected) or key != persona.key:
            return False
        return expires.isdigit() and int(expires) > self._now().timestamp()

    # -- pages ----------------------------------------------------------------------------

    def _href(self, request: Request, path: str) -> str:
        return str(request.scope.get("root_path", "")) + path

    def _redirect(self, request: Request, path: str) -> RedirectResponse:
        return RedirectResponse(self._href(request, path), status_code=303)

    def _page(
        self,
        request: Request,
        title: str,
        body: str,
        *,
        persona: Persona | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return HTMLResponse(self.layout(self.spec, title, body, persona, root), status_code=status)

    def _alert(self, text: str) -> str:
        return f'<div class="{self.spec.alert_class}" role="alert">{esc(text)}</div>'

    def _error_page(self, request: Request, status: int, title: str) -> HTMLResponse:
        body = f"<h1>{status} {esc(title)}</h1><p>Please try again in a few moments.</p>"
        return self._page(request, title, body, status=status)

    def _maintenance(self, request: Request) -> HTMLResponse:
        body = (
            "<h1>Scheduled maintenance</h1>"
            f"<p>{esc(self.spec.title)} is undergoing scheduled system maintenance. "
            "Online services will be back shortly. We apologize for the inconvenience.</p>"
        )
        response = self._page(request, "Maintenance", body, status=503)
        response.headers["retry-after"] = "3600"
        return response

    async def _root(self, request: Request) -> Response:
        return self._redirect(request, self.spec.login_path)

    def _login_page(
        self, request: Request, session: SessionState, alert: str | None, status: int = 200
    ) -> HTMLResponse:
        s = self.spec
        notice = self._alert(alert) if alert else ""
        if request.query_params.get("expired"):
            notice += f'<p class="notice">{esc(s.messages["expired_session"])}</p>'
        body = f"""
<h1>Member Login</h1>
{notice}
<form method="post" action="{esc(self._href(request, s.login_path))}" class="login-form">
  <input type="hidden" name="{s.csrf_field}" value="{esc(session.csrf)}">
  <label for="u">{esc(s.user_label)}</label>
  <input id="u" type="{s.user_input_type}" name="{s.user_field}" autocomplete="username">
  <label for="p">Password</label>
  <input id="p" type="password" name="{s.pin_input}" autocomplete="current-password">
  <button type="submit">Log in</button>
</form>
<p><a href="#">Forgot password?</a> · <a href="#">Register</a></p>"""
        response = self._page(request, f"{s.title} - Login", body, status=status)
        self._set_session_cookie(response, request, session.sid)
        return response

    async def _login_form(self, request: Request, session: SessionState | None) -> Response:
        return self._login_page(request, self._new_session(), None)

    async def _login_submit(self, request: Request, session: SessionState | None) -> Response:
        s = self.spec
        form = await request.form()
        if session is None or not hmac.compare_digest(
            str(form.get(s.csrf_field, "")), session.csrf
        ):
            return self._forbidden(request)
        login = str(form.get(s.user_field, "")).strip()
        password = str(form.get(s.pin_input, ""))
        if not login or not password:
            return self._login_page(request, session, s.messages["AUTH_REQUIRED"])
        code = error_code_in(password)
        if code is not None:
            return self._act_out(request, session, code, login)
        persona = find_persona(s.agency, login)
        if persona is None or not self._password_ok(persona, password):
            return self._login_page(request, session, s.messages["INVALID_CREDENTIALS"])
        session.persona = persona
        if not persona.behaviour.mfa:
            return self._signed_in(request, session, remember=False)
        if self._device_ok(request.cookies.get(s.device_cookie), persona):
            # Using a trusted device renews its trust, as the real portals do: a member who
            # signs in every month is not asked for a code again.
            return self._signed_in(request, session, remember=True)
        return self._send_code(request, session)

    def _password_ok(self, persona: Persona, password: str) -> bool:
        new = persona.behaviour.new_password
        if new is not None and persona.key in self.first_logins:
            return hmac.compare_digest(password, new)
        return hmac.compare_digest(password, persona.password) or (
            new is not None and hmac.compare_digest(password, new)
        )

    def _act_out(self, request: Request, session: SessionState, code: str, login: str) -> Response:
        s = self.spec
        if code in LOGIN_ALERT_CODES:
            return self._login_page(request, session, s.messages[code])
        if code == "INVALID_AUTH":
            return self._forbidden(request)
        if code == "SERVICE_UNAVAILABLE":
            return self._maintenance(request)
        session.persona = error_persona(code, login)
        if code in INTERSTITIAL_CODES:
            session.stage = "blocked"
            return self._redirect(request, s.interstitials[code][0])
        # INVALID_MFA, MFA_TIMEOUT, UNSUPPORTED_MFA_METHOD and SYSTEM_ERROR happen later.
        return self._send_code(request, session)

    def _forbidden(self, request: Request) -> HTMLResponse:
        body = f"<h1>Request not verified</h1>{self._alert(self.spec.messages['forbidden'])}"
        return self._page(request, "Forbidden", body, status=403)

    def _send_code(self, request: Request, session: SessionState) -> Response:
        session.stage = "otp"
        session.otp_sent = self._now()
        session.otp_attempts = 0
        return self._redirect(request, self.spec.otp_path)

    def _signed_in(self, request: Request, session: SessionState, *, remember: bool) -> Response:
        persona = session.persona
        if persona is None:
            raise RuntimeError("signed in without a persona")
        session.stage = "member"
        self.first_logins.add(persona.key)
        self._rotate(session)
        response = self._redirect(request, self.spec.home_path)
        self._set_session_cookie(response, request, session.sid)
        if remember and not persona.behaviour.always_mfa:
            response.set_cookie(
                self.spec.device_cookie,
                self._device_token(persona),
                max_age=int(DEVICE_LIFETIME.total_seconds()),
                httponly=True,
                path=request.scope.get("root_path", "") or "/",
            )
        return response

    def _otp_page(self, request: Request, session: SessionState, alert: str | None) -> Response:
        s = self.spec
        persona = session.persona
        if persona is None:
            raise RuntimeError("a code step without a persona")
        notice = self._alert(alert) if alert else ""
        action = esc(self._href(request, s.otp_path))
        if persona.behaviour.error == "UNSUPPORTED_MFA_METHOD":
            body = f"""
<h1>Approve this sign-in</h1>
<p>We sent a sign-in request to the {esc(s.title)} app on your registered phone.
Open the app and tap <em>Approve</em> to continue.</p>
<form method="post" action="{action}">
  <input type="hidden" name="{s.csrf_field}" value="{esc(session.csrf)}">
  <button type="submit">I have approved the request</button>
</form>"""
            return self._page(request, "Approve sign-in", body)
        where = (
            mask_email(persona.email) if s.otp_channel == "email" else mask_phone(persona.mobile)
        )
        channel = "e-mail address" if s.otp_channel == "email" else "mobile number"
        ttl = persona.behaviour.otp_ttl_seconds
        validity = f"{ttl // 60} minutes" if ttl >= 120 else f"{ttl} seconds"
        body = f"""
<h1>One-Time PIN</h1>
{notice}
<p>We sent a one-time PIN to your registered {channel}
<strong class="otp-destination" data-sent-to="{s.otp_channel}">{esc(where)}</strong>.
It is valid for {validity}.</p>
<form method="post" action="{action}" class="otp-form">
  <input type="hidden" name="{s.csrf_field}" value="{esc(session.csrf)}">
  <label for="otp">Enter PIN</label>
  <input id="otp" type="{s.otp_input_type}" name="{s.otp_field}" inputmode="numeric"
         maxlength="6" autocomplete="one-time-code">
  <label><input type="checkbox" name="{s.trust_field}"> Remember this device</label>
  <button type="submit">Verify</button>
</form>
<p><a href="{action}?resend=1">Resend PIN</a></p>"""
        return self._page(request, f"{s.title} - Verify", body)

    async def _otp_form(self, request: Request, session: SessionState | None) -> Response:
        if session is None or session.stage != "otp":
            return self._redirect(request, self.spec.login_path + "?expired=1")
        return self._otp_page(request, session, None)

    async def _otp_submit(self, request: Request, session: SessionState | None) -> Response:
        s = self.spec
        if session is None or session.stage != "otp" or session.persona is None:
            return self._redirect(request, s.login_path + "?expired=1")
        form = await request.form()
        if not hmac.compare_digest(str(form.get(s.csrf_field, "")), session.csrf):
            return self._forbidden(request)
        persona = session.persona
        if persona.behaviour.error == "UNSUPPORTED_MFA_METHOD":
            return self._otp_page(request, session, None)
        ttl = timedelta(seconds=persona.behaviour.otp_ttl_seconds)
        sent = session.otp_sent or self._now()
        if persona.behaviour.error == "MFA_TIMEOUT" or self._now() - sent > ttl:
            self.sessions.pop(session.sid, None)
            return self._dead_otp_page(request, s.messages["otp_expired"])
        code = str(form.get(s.otp_field, "")).strip()
        if persona.behaviour.error == "INVALID_MFA" or not hmac.compare_digest(code, SANDBOX_OTP):
            session.otp_attempts += 1
            left = OTP_ATTEMPTS - session.otp_attempts
            if left <= 0:
                self.sessions.pop(session.sid, None)
                return self._dead_otp_page(request, s.messages["otp_locked"])
            return self._otp_page(request, session, s.messages["otp_wrong"].format(left=left))
        return self._signed_in(request, session, remember=form.get(s.trust_field) is not None)

    def _dead_otp_page(self, request: Request, text: str) -> Response:
        login = esc(self._href(request, self.spec.login_path))
        body = f'<h1>One-Time PIN</h1>{self._alert(text)}<p><a href="{login}">Back to login</a></p>'
        return self._page(request, f"{self.spec.title} - Verify", body)

    def _interstitial(
        self, title: str, text: str
    ) -> Callable[[Request, SessionState | None], Awaitable[Response]]:
        async def page(request: Request, session: SessionState | None) -> Response:
            if session is None or session.stage != "blocked":
                return self._redirect(request, self.spec.login_path + "?expired=1")
            body = (
                f"<h1>{esc(title)}</h1><p>{esc(text)}</p>"
                "<form method='post'><button>Continue</button></form>"
            )
            return self._page(request, title, body, persona=session.persona)

        return page

    async def _logout(self, request: Request, session: SessionState | None) -> Response:
        if session is not None:
            self.sessions.pop(session.sid, None)
        response = self._redirect(request, self.spec.login_path)
        response.delete_cookie(self.spec.session_cookie)
        return response

    def _member(
        self, page: MemberPage
    ) -> Callable[[Request, SessionState | None], Awaitable[Response]]:
        async def handler(request: Request, session: SessionState | None) -> Response:
            if session is None or session.stage != "member" or session.persona is None:
                return self._redirect(request, self.spec.login_path + "?expired=1")
            persona = session.persona
            if persona.behaviour.error == "SYSTEM_ERROR":
                return self._page(request, self.spec.title, redesigned(persona), persona=persona)
            today = today_in_manila(self._now())
            variant = self.faults.settings.layout_variant
            root = str(request.scope.get("root_path", ""))
            # Everything a member page is drawn from: the same key, the same page.
            key = (
                page,
                persona,
                today,
                variant,
                root,
                request.scope.get("query_string", b""),
                tuple(request.path_params.items()),
            )
            drawn = self.drawn_pages.get(key)
            if drawn is None:
                view = MemberView(
                    spec=self.spec, persona=persona, today=today, variant=variant, request=request
                )
                try:
                    body = await page(view)
                except NotFound:
                    return self._error_page(request, 404, "Page Not Found")
                drawn = self.layout(self.spec, self.spec.title, body, persona, root).encode()
                if len(self.drawn_pages) >= _DRAWN_PAGES_KEPT:
                    self.drawn_pages.clear()
                self.drawn_pages[key] = drawn
            return Response(drawn, media_type="text/html")

        return handler

    # -- admin ---------------------------------------------------------------------------

    def _operator(
        self, endpoint: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            if not self.operator.allows(request):
                return self._error_page(request, 404, "Page Not Found")
            return await endpoint(request)

        return guarded

    async def _faults_endpoint(self, request: Request) -> Response:
        if request.method == "PUT":
            try:
                changes = json.loads(await request.body() or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("send a JSON object")
                self.faults.update(changes)
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(self.faults.as_dict())

    async def _reset_endpoint(self, request: Request) -> Response:
        self.reset()
        return JSONResponse(self.faults.as_dict())

    async def _stats_endpoint(self, request: Request) -> Response:
        return JSONResponse({**self.stats, "sessions": len(self.sessions)})


# ---------------------------------------------------------------------------------------
# HTML builders
# ---------------------------------------------------------------------------------------


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def mask_phone(e164: str) -> str:
    local = "0" + e164[3:] if e164.startswith("+63") else e164
    return f"{local[:4]} *** **{local[-2:]}"


def mask_email(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"{name[:1]}{'*' * max(len(name) - 2, 1)}{name[-1:]}@{domain}"


def _pad(text: str, variant: int) -> str:
    # The cosmetic variant pads with newlines and non-breaking spaces, like a re-templated page.
    return f"\n    &nbsp;{text}&nbsp; \n" if variant else text


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    variant: int = 0,
    css: str = "data",
    empty: str = "No records found.",
) -> str:
    """A data table; ``rows`` hold already-escaped cell HTML."""
    order = list(range(len(headers)))
    extra_header: list[str] = []
    if variant:
        order.reverse()
        extra_header = ["Remarks"]
    head_cells = [esc(headers[i]).upper() if variant else esc(headers[i]) for i in order]
    head = "".join(f"<th>{_pad(h, variant)}</th>" for h in head_cells + extra_header)
    body_rows = []
    for row in rows:
        cells = [row[i] for i in order] + (["POSTED"] if variant else [])
        body_rows.append("<tr>" + "".join(f"<td>{_pad(c, variant)}</td>" for c in cells) + "</tr>")
    if not body_rows:
        span = len(headers) + len(extra_header)
        body_rows.append(f'<tr><td colspan="{span}" class="empty">{esc(empty)}</td></tr>')
    return (
        f'<table class="{css}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body_rows)}</tbody></table>"
    )


def field_rows(pairs: Sequence[tuple[str, str]], *, variant: int = 0, css: str = "info") -> str:
    """Label/value pairs as two-cell ``<th>/<td>`` rows; values are plain text."""
    items = list(reversed(pairs)) if variant else list(pairs)
    if variant:
        items.insert(1, ("Last Updated", "—"))
    rows = "".join(
        f"<tr><th>{_pad(esc(k), variant)}</th><td>{_pad(esc(v), variant)}</td></tr>"
        for k, v in items
    )
    return f'<table class="{css}">{rows}</table>'


def definition_list(pairs: Sequence[tuple[str, str]], *, variant: int = 0, css: str = "") -> str:
    """Label/value pairs as a ``<dl>``; values are plain text."""
    items = list(reversed(pairs)) if variant else list(pairs)
    if variant:
        items.append(("Remarks", "—"))
        inner = "".join(
            f"<div><dt>{_pad(esc(k), variant)}</dt><dd>{_pad(esc(v), variant)}</dd></div>"
            for k, v in items
        )
    else:
        inner = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return f'<dl class="{css}">{inner}</dl>'


def year_links(view: MemberView, path: str, years: Sequence[int], current: int | None) -> str:
    if not years:
        return ""
    options = "".join(
        f'<option value="{y}"{" selected" if y == current else ""}>{y}</option>' for y in years
    )
    action = esc(view.href(path))
    return (
        f'<form method="get" action="{action}" class="year-filter"><label>Year '
        f'<select name="year">{options}</select></label><button>View</button></form>'
    )


def chosen_year(view: MemberView, years: Sequence[int]) -> int | None:
    raw = view.request.query_params.get("year")
    if raw and raw.isdigit() and int(raw) in years:
        return int(raw)
    return years[-1] if years else None


def contributions_in_chosen_year(
    view: MemberView, agency: Agency
) -> tuple[list[Contribution], list[int], int | None]:
    """A history page shows one year at a time, as the portals do: the postings of the
    year the member picked (the latest by default), every year there is, and that year."""
    posted = view.persona.contributions(agency, view.today)
    years = sorted({c.month.year for c in posted})
    year = chosen_year(view, years)
    return [c for c in posted if c.month.year == year], years, year


def redesigned(persona: Persona) -> str:
    """What the error_SYSTEM_ERROR persona sees: a portal redesign no connector knows yet."""
    return f"""
<div class="app-shell" data-v="2">
  <section class="tile"><span class="k">Hello</span>
  <span class="v">{esc(persona.first_name)}</span></section>
  <section class="tile"><span class="k">Your records moved</span>
  <span class="v">Your records now load in the new {esc("dashboard")} app.</span></section>
</div>"""


def documents_page(view: MemberView, agency: Agency, title: str, headers: tuple[str, ...]) -> str:
    """A documents page: each portal titles and heads it its own way; the rows are the
    same facts in the same order."""
    spec = view.spec
    rows = [
        [
            esc(d.name),
            esc(d.number),
            esc(d.category),
            esc(spec.fmt_date(d.issued)),
            esc(spec.fmt_date(d.valid_until)),
            esc(d.remarks or ""),
        ]
        for d in view.persona.documents(agency)
    ]
    return f"<h1>{esc(title)}</h1>" + table(headers, rows, variant=view.variant)
