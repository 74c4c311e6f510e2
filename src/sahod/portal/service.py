"""Members, passwords and sign-in sessions of the developer portal.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second
recommended parameter set): unlike API secrets, people choose them, so the hash must be
slow and memory-hard. Hashing runs in a thread so that a sign-in does not stall the
event loop of every other request.
"""

from __future__ import annotations

import asyncio
import functools
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.errors import InvalidParameters, MissingResource
from sahod.kit.crypto import hash_secret
from sahod.kit.ids import new_id
from sahod.portal import repository
from sahod.portal.models import Member, PortalSession
from sahod.portal.schemas import IssuedMember, NewSession, Role, SignedIn
from sahod.tenants.schemas import TenantContext, TenantMode

_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so that the answer takes as long as for
    a known one and does not tell which addresses are members (made on first use: hashing
    at import would slow every process's start)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
MIN_PASSWORD_LENGTH = 10


def normalized_email(value: str) -> str:
    email = value.strip().lower()
    if not _EMAIL.fullmatch(email) or "\x00" in email:
        raise InvalidParameters("email must be an e-mail address")
    return email


def new_password() -> str:
    return secrets.token_urlsafe(12)


def role_of(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InvalidParameters("role must be owner, developer or viewer") from None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def password_matches(password: str, password_hash: str) -> bool:
    def check() -> bool:
        try:
            return _HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def create_member(
    session: AsyncSession,
    tenant_id: str,
    email: str,
    role: Role,
    now: datetime,
    password: str | None = None,
) -> IssuedMember:
    """A member of ``tenant_id``; a password is generated unless one is given."""
    email = normalized_email(email)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidParameters(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if await repository.email_taken_across_tenants(session, email):
        raise InvalidParameters(f"email {email} is already a portal member")
    password = password or new_password()
    member = Member(
        id=new_id("mbr"),
        tenant_id=tenant_id,
        email=email,
        role=role.value,
        password_hash=await hash_password(password),
        failed_attempts=0,
        created_at=now,
    )
    await repository.add_member(session, member)
    return IssuedMember(
        member_id=member.id, tenant_id=tenant_id, email=email, role=role, password=password
    )


@dataclass(frozen=True, slots=True)
class SignInOutcome:
    """A session, or why there is none (the counter's change must still commit)."""

    session: NewSession | None
    refusal: str | None = None


_WRONG = "That e-mail and password do not match a member."


async def sign_in(
    session: AsyncSession, email: str, password: str, now: datetime, settings: Settings
) -> SignInOutcome:
    """Checks the password; ``dev_portal_lockout_failures`` wrong ones in a row lock the
    member out for ``dev_portal_lockout_minutes``, whatever is tried meanwhile."""
    await repository.delete_expired_sessions_across_tenants(session, now)
    if "\x00" in email:
        # No address holds one (and PostgreSQL text cannot): as any unknown e-mail.
        await password_matches(password, await asyncio.to_thread(_dummy_hash))
        return SignInOutcome(None, _WRONG)
    member = await repository.member_for_sign_in_across_tenants(session, email.strip().lower())
    if member is None:
        await password_matches(password, await asyncio.to_thread(_dummy_hash))
        return SignInOutcome(None, _WRONG)
    if member.locked_until is not None and member.locked_until > now:
        return SignInOutcome(None, _locked_message(member.locked_until))
    if not await password_matches(password, member.password_hash):
        member.failed_attempts += 1
        if member.failed_attempts >= settings.dev_portal_lockout_failures:
            member.failed_attempts = 0
            member.locked_until = now + timedelta(minutes=settings.dev_portal_lockout_minutes)
            return SignInOutcome(None, _locked_message(member.locked_until))
        return SignInOutcome(None, _WRONG)
    member.failed_attempts = 0
    member.locked_until = None
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    await repository.add_session(
        session,
        PortalSession(
            token_hash=hash_secret(token),
            tenant_id=member.tenant_id,
            member_id=member.id,
            csrf_token=csrf_token,
            created_at=now,
            expires_at=now + timedelta(hours=settings.dev_portal_session_hours),
        ),
    )
    return SignInOutcome(NewSession(token=token, csrf_token=csrf_token))


def _locked_message(until: datetime) -> str:
    return (
        "Too many wrong passwords: this member is locked out until "
        f"{until.strftime('%H:%M UTC')}. Try again then."
    )


async def signed_in(
    session: AsyncSession, token: str, now: datetime, settings: Settings
) -> SignedIn | None:
    """The member a session cookie signs in, its sign-in prolonged; None when it has
    ended."""
    token_hash = hash_secret(token)
    found = await repository.live_session_across_tenants(session, token_hash, now)
    if found is None:
        return None
    row, member, tenant = found
    await repository.extend_session(
        session,
        tenant.id,
        token_hash,
        now + timedelta(hours=settings.dev_portal_session_hours),
    )
    return SignedIn(
        member_id=member.id,
        email=member.email,
        role=Role(member.role),
        tenant=TenantContext(id=tenant.id, mode=TenantMode(tenant.mode)),
        tenant_name=tenant.name,
        csrf_token=row.csrf_token,
    )


async def sign_out(session: AsyncSession, token: str) -> None:
    await repository.end_session_across_tenants(session, hash_secret(token))


# --- members, managed by owners ------------------------------------------------------


async def list_members(session: AsyncSession, tenant: TenantContext) -> list[Member]:
    return list(await repository.list_members(session, tenant.id))


async def _owned_member(session: AsyncSession, tenant: TenantContext, member_id: str) -> Member:
    member = await repository.get_member(session, tenant.id, member_id)
    if member is None:
        raise MissingResource(f"There is no member {member_id}.")
    return member


async def change_role(
    session: AsyncSession, tenant: TenantContext, member_id: str, role: Role
) -> Member:
    member = await _owned_member(session, tenant, member_id)
    if member.role == Role.OWNER and role is not Role.OWNER:
        await _keep_an_owner(session, tenant)
    member.role = role.value
    await session.flush()
    return member


async def remove_member(session: AsyncSession, tenant: TenantContext, member_id: str) -> None:
    member = await _owned_member(session, tenant, member_id)
    if member.role == Role.OWNER:
        await _keep_an_owner(session, tenant)
    await repository.end_member_sessions(session, tenant.id, member.id)
    await repository.delete_member(session, tenant.id, member.id)


async def _keep_an_owner(session: AsyncSession, tenant: TenantContext) -> None:
    # Without an owner nobody could manage the members again from the portal.
    if await repository.count_owners(session, tenant.id) <= 1:
        raise InvalidParameters("a tenant keeps at least one owner")
