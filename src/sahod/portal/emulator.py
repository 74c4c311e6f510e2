"""The widget emulator (sandbox tenants only): a throwaway sandbox user, widget tokens for
it, the sandbox personas to sign in with, and the user's events as they are written, with
where each webhook delivery of them stands.

The emulator page opens the real SDK and widget for that user; everything the page shows
of the server comes from ``feed``, read from the tenant's own event outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.events import service as events_service
from sahod.events.service import envelope_of
from sahod.portal.web import NotAllowed
from sahod.sandbox.personas import ERROR_CODES, PERSONAS, SANDBOX_OTP
from sahod.tenants.schemas import TenantContext, TenantMode
from sahod.users import service as users_service
from sahod.users.schemas import TokenOut, UserCreate, UserOut
from sahod.webhooks import delivery as webhooks_delivery

SOURCE = "portal widget emulator"
"""The throwaway users' ``externalMetadata.source``, so the Users Explorer tells them apart."""
FEED_PAGE = 100
SETTLED_AFTER = timedelta(seconds=10)
"""Events are numbered when written but seen when committed, so a later number can show
up first; the feed's cursor passes only events this old, and the page drops repeats."""
SANDBOX_ONLY = (
    "The widget emulator is for sandbox tenants: it signs in to the sandbox portals with test "
    "personas. Sign in with a member of your sandbox tenant to use it."
)


@dataclass(frozen=True, slots=True)
class PersonaRow:
    name: str
    summary: str
    usernames: tuple[str, ...]
    password: str
    documented: bool


def _sandbox(tenant: TenantContext) -> None:
    # It signs in with test personas: a production tenant's users reach live portals.
    if tenant.mode is not TenantMode.SANDBOX:
        raise NotAllowed(SANDBOX_ONLY)


def personas() -> list[PersonaRow]:
    """Every sandbox persona and its credentials, Smile's documented four first, as the
    sandbox portals know them (My.SSS also takes the SS number)."""
    rows = []
    for persona in sorted(PERSONAS, key=lambda p: not p.documented):
        usernames = [persona.email]
        for number in persona.member_numbers.values():
            usernames.append(number)
        rows.append(
            PersonaRow(
                name=persona.full_name if persona.documented else persona.key,
                summary=persona.summary,
                usernames=tuple(usernames),
                password=persona.password,
                documented=persona.documented,
            )
        )
    return rows


def error_passwords() -> list[str]:
    return [f"error_{code}" for code in ERROR_CODES]


def one_time_code() -> str:
    return SANDBOX_OTP


async def start(session: AsyncSession, tenant: TenantContext, now: datetime) -> tuple[str, int]:
    """A new throwaway user, and the place in the tenant's outbox its events follow (its
    own USER_CREATED is the first of them)."""
    _sandbox(tenant)
    after = await events_service.latest_seq(session, tenant.id)
    created = await users_service.create_user(
        session,
        tenant,
        UserCreate(external_metadata={"source": SOURCE}),
        now,
        # The page asks for a token of its own at each opening: this one goes unused.
        timedelta(minutes=5),
    )
    return created.user.id, after


async def emulated_user(session: AsyncSession, tenant: TenantContext, user_id: str) -> UserOut:
    """MissingResource when the tenant has no such user."""
    _sandbox(tenant)
    return await users_service.get_user(session, tenant, user_id)


async def widget_token(
    session: AsyncSession, tenant: TenantContext, user_id: str, now: datetime, settings: Settings
) -> TokenOut:
    """A link token for the widget, as ``POST /v1/tokens`` issues it."""
    _sandbox(tenant)
    return await users_service.issue_token(
        session, tenant, user_id, now, timedelta(seconds=settings.token_ttl_seconds)
    )


async def feed(
    session: AsyncSession,
    tenant: TenantContext,
    user_id: str,
    after: int,
    refresh: list[str],
    now: datetime,
) -> dict[str, Any]:
    """The user's events after ``after`` (oldest first), each as its webhook body, and
    the deliveries of those events and of the ``refresh`` ones (events seen before whose
    deliveries were still pending); ``after`` to ask with next time, which passes only
    events older than ``SETTLED_AFTER`` (the newer ones come again)."""
    _sandbox(tenant)
    await users_service.get_user(session, tenant, user_id)
    events = await events_service.user_events_after(session, tenant.id, user_id, after, FEED_PAGE)
    wanted = [event.id for event in events] + refresh[:FEED_PAGE]
    deliveries = await webhooks_delivery.deliveries_of_events(session, tenant, wanted)
    settled = [e.seq for e in events if e.created_at <= now - SETTLED_AFTER]
    return {
        "items": [{"seq": event.seq, "event": envelope_of(event)} for event in events],
        "deliveries": {
            event_id: [d.model_dump(mode="json", by_alias=True) for d in found]
            for event_id, found in deliveries.items()
        },
        "after": max(settled, default=after),
    }
