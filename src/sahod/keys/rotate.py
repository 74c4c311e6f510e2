"""`sahod keys rotate`: re-seal every stored secret under the keyring's current key.

Run it once every process has the new keyring (``SAHOD_SEALING_KEYS`` holding the old and
the new key, ``SAHOD_SEALING_KEY_ID`` the new): from then on new values are sealed with the
new key and old ones still open, so nothing stops while this walks the tables in short
batches, each its own transaction that locks only its own rows. When it reports nothing
left under an old key, the old key can be dropped from the ring.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from sahod.accounts.models import Account, AccountCredentials
from sahod.accounts.sealed import sealing_context as account_sealing_context
from sahod.db import session_scope
from sahod.kit.crypto import Sealer
from sahod.webhooks.models import Webhook
from sahod.webhooks.subscriptions import sealing_context as webhook_sealing_context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SealedColumn:
    """One column of sealed values, and how its values' contexts are named."""

    name: str
    model: Any
    key: InstrumentedAttribute[str]
    column: InstrumentedAttribute[Any]
    context: Callable[[str], str]


SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    # The contexts are the owners' own (accounts.sealed, webhooks.subscriptions): a value
    # re-sealed under another context would no longer open there.
    SealedColumn(
        "account credentials",
        AccountCredentials,
        AccountCredentials.account_id,
        AccountCredentials.sealed,
        lambda row_id: account_sealing_context("credentials", row_id),
    ),
    SealedColumn(
        "portal state",
        Account,
        Account.id,
        Account.portal_state,
        lambda row_id: account_sealing_context("portal", row_id),
    ),
    SealedColumn(
        "pending one-time codes",
        Account,
        Account.id,
        Account.pending_mfa_code,
        lambda row_id: account_sealing_context("mfa-code", row_id),
    ),
    SealedColumn(
        "webhook secrets", Webhook, Webhook.id, Webhook.secret_sealed, webhook_sealing_context
    ),
    SealedColumn(
        "previous webhook secrets",
        Webhook,
        Webhook.id,
        Webhook.previous_secret_sealed,
        webhook_sealing_context,
    ),
)


@dataclass
class RotationReport:
    resealed: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, list[str]] = field(default_factory=dict)
    """Rows whose value opens under no key of the ring: left as they are, and named, so
    that the operator can bring the missing key back before dropping any."""
    current_key_id: str = ""

    @property
    def total(self) -> int:
        return sum(self.resealed.values())


async def _reseal_batch(
    session: AsyncSession,
    sealer: Sealer,
    sealed: SealedColumn,
    after: str,
    batch_size: int,
    unreadable: list[str],
) -> tuple[str | None, int]:
    """Re-seal one batch of rows after key ``after``; the last key seen and the count."""
    rows = (
        await session.execute(
            select(sealed.key, sealed.column)
            .where(sealed.key > after, sealed.column.is_not(None))
            .order_by(sealed.key)
            .limit(batch_size)
            .with_for_update()
        )
    ).all()
    if not rows:
        return None, 0
    changed = 0
    for row in rows:
        row_id: str = row[0]
        value: bytes = row[1]
        if sealer.is_current(value):
            continue
        context = sealed.context(row_id)
        try:
            plain = sealer.open(value, context)
        except (ValueError, InvalidTag):
            unreadable.append(row_id)
            continue
        fresh = sealer.seal(plain, context)
        await session.execute(
            sealed.model.__table__.update()
            .where(sealed.key == row_id)
            .values({sealed.column.key: fresh})
        )
        changed += 1
    return rows[-1][0], changed


async def rotate(
    session_factory: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    *,
    batch_size: int = 500,
    progress: Callable[[str, int], Awaitable[None]] | None = None,
) -> RotationReport:
    """Re-seal everything not under ``sealer``'s current key, batch by batch."""
    report = RotationReport(current_key_id=sealer.current_key_id)
    for sealed in SEALED_COLUMNS:
        after = ""
        count = 0
        unreadable: list[str] = []
        while True:
            async with session_scope(session_factory) as session:
                last, changed = await _reseal_batch(
                    session, sealer, sealed, after, batch_size, unreadable
                )
            if last is None:
                break
            after = last
            count += changed
            if progress is not None:
                await progress(sealed.name, count)
        report.resealed[sealed.name] = count
        if unreadable:
            report.unreadable[sealed.name] = unreadable
            log.error(
                "%d %s open under no key of the ring (first: %s); they were left as they are",
                len(unreadable),
                sealed.name,
                unreadable[0],
            )
        log.info("re-sealed %d %s under key %s", count, sealed.name, sealer.current_key_id)
    return report


async def remaining_under_old_keys(
    session_factory: async_sessionmaker[AsyncSession], sealer: Sealer
) -> int:
    """How many stored values are still sealed under another key than the current one."""
    left = 0
    async with session_factory() as session:
        for sealed in SEALED_COLUMNS:
            result = await session.execute(select(sealed.column).where(sealed.column.is_not(None)))
            values: list[bytes] = list(result.scalars())
            left += sum(1 for value in values if not sealer.is_current(value))
    return left
