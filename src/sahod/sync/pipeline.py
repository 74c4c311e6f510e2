"""The pipeline one account goes through: login, one-time code, fetch, store.

It is a state machine driven by the account's committed state, run by one job at a time
per account (procrastinate ``lock`` = the account id). Each step reads in a short
transaction, talks to the portal with no transaction open, then writes its outcome in a
second transaction that first locks the account row and re-checks its state. So:

- a job killed at any point is simply run again and carries on from what was committed;
- a revoke, which takes the same row lock, wins: a step that finds the account
  DISCONNECTED writes nothing;
- the same sync run twice stores nothing twice (the upsert is keyed by the provider's
  own reference, and unchanged records are not even rewritten).

``Pipeline.advance`` is the step runner and the only place here that opens a
transaction: it commits between portal calls on purpose, since a portal answer can take
seconds and no row lock or pooled connection may be held that long. The ``_`` steps below
take the runner's session and never commit; every account change in them is a transition
of ``accounts.lifecycle``, every task change one of ``tasks.lifecycle``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import lifecycle
from sahod.accounts import repository as accounts_repository
from sahod.accounts.events import account_event, with_login
from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus
from sahod.accounts.sealed import open_code, open_credentials, open_state, seal_state
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.service import RecordSource, store_records
from sahod.db import driver_connection_of, session_scope
from sahod.events.service import emit, emit_many
from sahod.kit.jobs import defer
from sahod.kit.services import Services
from sahod.limits.link import count_rejected_sign_in
from sahod.providers.base import (
    Connector,
    ConnectorError,
    Credentials,
    ErrorCode,
    FetchedRecord,
    MfaChallenge,
    PortalSession,
)
from sahod.providers.catalog import PROVIDERS_BY_ID
from sahod.sync.retry_policy import retry_wait
from sahod.tasks import lifecycle as tasks_lifecycle
from sahod.tasks import repository as tasks_repository
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType
from sahod.tenants import repository as tenants_repository

log = logging.getLogger(__name__)

ADVANCE = "sync.advance"
"""Move one account on from the state it is in (args: tenant_id, account_id, task_id)."""

MFA_DEADLINE = "sync.mfa_deadline"
"""At a one-time code's deadline, end the wait if no code came (args: tenant_id,
account_id, task_id).

It has no procrastinate lock: a waiting job with an account's lock would hold back every
later job of that account (they run in order), and this one only reads and writes the
database, under the account's row lock."""

WRONG_CODE_MESSAGE = lifecycle.WRONG_CODE_MESSAGE
TIMEOUT_MESSAGE = "The one-time code was not entered in time."
UNAVAILABLE_MESSAGE = "The provider's portal is not answering; try again later."
SYSTEM_ERROR_MESSAGE = "Something went wrong on Sahod's side while reading the account."


@dataclass(frozen=True)
class Snapshot:
    """What one step reads before it talks to the portal."""

    provider_id: str
    connection_status: ConnectionStatus
    credentials: Credentials | None
    state: dict[str, Any]
    code: str | None
    task_open: bool
    task_type: TaskType | None
    tenant_mode: str
    """SANDBOX or PRODUCTION: which portals the account's connector may reach."""
    tenant_cds: bool
    """Whether the tenant has Continuous Data Sync: without it, no monthly syncs."""


class Pipeline:
    def __init__(self, services: Services[Connector], tenant_id: str) -> None:
        self.services = services
        self.tenant_id = tenant_id
        self.sealer = services.sealer
        self.settings = services.settings

    def now(self) -> datetime:
        return self.services.clock.now()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with session_scope(self.services.session_factory) as session:
            yield session

    async def advance(self, account_id: str, task_id: str, attempt: int = 0) -> None:
        """Move the account on from whatever state it is in."""
        async with self._transaction() as session:
            snapshot = await self._read(session, account_id, task_id)
        if snapshot is None:
            return
        connector = self.services.connector(snapshot.provider_id, snapshot.tenant_mode)
        try:
            session_: PortalSession | None
            if snapshot.connection_status == ConnectionStatus.PENDING:
                assert snapshot.credentials is not None
                outcome = await connector.login(
                    snapshot.credentials, remembered_device=snapshot.state.get("device")
                )
                if isinstance(outcome, MfaChallenge):
                    async with self._transaction() as session:
                        await self._await_code(session, account_id, task_id, outcome, snapshot)
                    return
                session_ = outcome
                async with self._transaction() as session:
                    if not await self._connected(
                        session, account_id, task_id, session_, tenant_cds=snapshot.tenant_cds
                    ):
                        return
            elif snapshot.connection_status == ConnectionStatus.AWAITING_MFA:
                if snapshot.code is None:
                    await self.time_out_if_due(account_id, task_id)
                    return
                try:
                    session_ = await connector.submit_mfa(snapshot.state["pending"], snapshot.code)
                except ConnectorError as error:
                    if error.code is not ErrorCode.INVALID_MFA:
                        raise
                    async with self._transaction() as session:
                        await self._wrong_code(session, account_id, task_id)
                    return
                async with self._transaction() as session:
                    if not await self._connected(
                        session, account_id, task_id, session_, tenant_cds=snapshot.tenant_cds
                    ):
                        return
            elif snapshot.task_open:  # CONNECTED, its task not finished yet
                saved = snapshot.state.get("session")
                session_ = PortalSession.from_state(saved) if saved else None
            else:
                return
            records, used = await self._fetch(snapshot, session_)
            async with self._transaction() as session:
                await self._store(session, account_id, task_id, records, used)
        except ConnectorError as error:
            syncing = (
                snapshot.task_type == TaskType.UPDATE_ACCOUNT
                and snapshot.connection_status == ConnectionStatus.CONNECTED
            )
            async with self._transaction() as session:
                if (
                    error.retriable
                    and retry_wait(self.settings, attempt, syncing=syncing) is not None
                ):
                    await self._retry_later(
                        session, account_id, task_id, attempt, error, syncing=syncing
                    )
                    return
                code = ErrorCode.SERVICE_UNAVAILABLE if error.retriable else error.code
                message = UNAVAILABLE_MESSAGE if error.retriable else error.message
                if code is ErrorCode.INVALID_CREDENTIALS and snapshot.credentials is not None:
                    # Closes this user name for a while after repeated rejections: the
                    # Link API must not relay credential stuffing (sahod.limits.link).
                    await count_rejected_sign_in(
                        await session.connection(),
                        self.settings,
                        snapshot.provider_id,
                        snapshot.credentials.username,
                    )
                if syncing:
                    # A monthly sync that fails leaves the connection and its data as they are.
                    await self._sync_failed(session, account_id, task_id, error, code)
                else:
                    await self._fail(session, account_id, task_id, code, message)

    async def time_out_if_due(self, account_id: str, task_id: str) -> None:
        """The MFA_DEADLINE job: no code by the deadline ends the wait in MFA_TIMEOUT."""
        now = self.now()
        async with self._transaction() as session:
            account = await self._locked(session, account_id, lifecycle.FAIL)
            if (
                account is None
                or account.connection_status != ConnectionStatus.AWAITING_MFA
                or account.pending_mfa_code is not None
            ):
                return
            if account.mfa_deadline is not None and now >= account.mfa_deadline:
                await self._fail_locked(
                    session, account, task_id, ErrorCode.MFA_TIMEOUT, TIMEOUT_MESSAGE
                )

    async def fail_unexpectedly(self, account_id: str, task_id: str) -> None:
        """A bug, not a portal: the account ends in SYSTEM_ERROR rather than PENDING forever."""
        async with self._transaction() as session:
            await self._fail(
                session, account_id, task_id, ErrorCode.SYSTEM_ERROR, SYSTEM_ERROR_MESSAGE
            )

    # --- reading ---------------------------------------------------------------------

    async def _read(self, session: AsyncSession, account_id: str, task_id: str) -> Snapshot | None:
        # Plain columns by statements compiled once, on the session's own connection (in
        # its transaction): every step of every account starts here.
        connection = await driver_connection_of(session)
        account = await accounts_repository.step_state(connection, self.tenant_id, account_id)
        if account is None or account.connection_status in (
            ConnectionStatus.DISCONNECTED,
            ConnectionStatus.ERROR,
        ):
            return None
        task = await tasks_repository.status_and_type(connection, self.tenant_id, task_id)
        tenant = await tenants_repository.tenant_settings(session, self.tenant_id)
        return Snapshot(
            provider_id=account.provider_id,
            connection_status=account.connection_status,
            credentials=(
                open_credentials(self.sealer, account_id, account.credentials)
                if account.credentials
                else None
            ),
            state=open_state(self.sealer, account_id, account.portal_state),
            code=(
                open_code(self.sealer, account_id, account.pending_mfa_code)
                if account.pending_mfa_code
                else None
            ),
            task_open=task is not None and task[0] == TaskStatus.STARTED,
            task_type=task[1] if task is not None else None,
            # An unknown tenant is treated as production: never the sandbox by accident.
            tenant_mode=tenant[0] if tenant else "PRODUCTION",
            tenant_cds=tenant[1] if tenant else False,
        )

    async def _fetch(
        self, snapshot: Snapshot, session: PortalSession | None
    ) -> tuple[list[FetchedRecord], PortalSession]:
        """The portal's records, and the session that read them; a session that expired is
        replaced by a fresh sign-in with the stored credentials and remembered device (no
        code is asked for then)."""
        connector = self.services.connector(snapshot.provider_id, snapshot.tenant_mode)
        if session is not None:
            try:
                return await connector.fetch(session), session
            except ConnectorError as error:
                if error.code is not ErrorCode.AUTH_REQUIRED or error.user_action_required:
                    raise
        if snapshot.credentials is None:
            raise ConnectorError(ErrorCode.AUTH_REQUIRED)
        outcome = await connector.login(
            snapshot.credentials, remembered_device=snapshot.state.get("device")
        )
        if isinstance(outcome, MfaChallenge):
            # Only the member can type it: CDS turns this into USER_ACTION_REQUIRED.
            raise ConnectorError(
                ErrorCode.AUTH_REQUIRED,
                "The provider asked for a new one-time code.",
                user_action_required=True,
            )
        return await connector.fetch(outcome), outcome

    # --- writing: each under the account's row lock, in the runner's transaction ------

    async def _locked(
        self, session: AsyncSession, account_id: str, rule: lifecycle.Rule
    ) -> Account | None:
        """The account, locked, if ``rule``'s transition still applies to it: a job that
        finds it moved on (revoked meanwhile) writes nothing."""
        account = await accounts_repository.lock_account(session, self.tenant_id, account_id)
        if account is None or not rule.allows(account):
            return None
        return account

    async def _finish_task(
        self,
        session: AsyncSession,
        account: Account,
        task_id: str,
        outcome: TaskOutcome,
        kinds: list[str],
        error_code: ErrorCode | None,
        now: datetime,
    ) -> None:
        await tasks_lifecycle.finish_task(
            session,
            account.tenant_id,
            task_id,
            outcome,
            now,
            datapoints=kinds,
            error_code=error_code,
            monitor_status=account.monitor_status,
        )

    async def _await_code(
        self,
        session: AsyncSession,
        account_id: str,
        task_id: str,
        challenge: MfaChallenge,
        snapshot: Snapshot,
    ) -> None:
        now = self.now()
        deadline = now + timedelta(seconds=self.settings.mfa_timeout_seconds)
        account = await self._locked(session, account_id, lifecycle.AWAIT_CODE)
        if account is None:
            return
        lifecycle.await_code(
            account,
            now,
            deadline=deadline,
            portal_state=seal_state(
                self.sealer,
                account_id,
                {
                    "pending": challenge.pending_state,
                    "mfa": {"method": challenge.method, "destination": challenge.destination},
                    "wrongCodes": 0,
                    "device": snapshot.state.get("device"),
                },
            ),
        )
        # At the deadline: if no code came by then, the wait ends in MFA_TIMEOUT.
        await defer(
            session,
            MFA_DEADLINE,
            schedule_at=deadline + timedelta(seconds=1),
            tenant_id=self.tenant_id,
            account_id=account_id,
            task_id=task_id,
        )

    async def _wrong_code(self, session: AsyncSession, account_id: str, task_id: str) -> None:
        account = await self._locked(session, account_id, lifecycle.WRONG_CODE)
        if account is None:
            return
        state = open_state(self.sealer, account_id, account.portal_state)
        state["wrongCodes"] = int(state.get("wrongCodes", 0)) + 1
        lifecycle.wrong_code(
            account, self.now(), portal_state=seal_state(self.sealer, account_id, state)
        )
        if state["wrongCodes"] >= self.settings.mfa_max_attempts:
            await self._fail_locked(
                session, account, task_id, ErrorCode.INVALID_MFA, "Too many wrong one-time codes."
            )

    async def _connected(
        self,
        session: AsyncSession,
        account_id: str,
        task_id: str,
        portal_session: PortalSession,
        *,
        tenant_cds: bool,
    ) -> bool:
        now = self.now()
        account = await self._locked(session, account_id, lifecycle.CONNECT)
        if account is None:
            return False
        lifecycle.connect(
            account,
            now,
            # Monthly syncs need both the provider's support and the tenant's CDS.
            monitor_supported=tenant_cds and PROVIDERS_BY_ID[account.provider_id].monitor_supported,
            portal_state=seal_state(
                self.sealer,
                account_id,
                {
                    "session": portal_session.to_state(),
                    "device": portal_session.remembered_device,
                },
            ),
        )
        await emit(session, account.tenant_id, "ACCOUNT_CONNECTED", with_login(account), now)
        await tasks_lifecycle.mark_connected(session, account.tenant_id, task_id, now)
        return True

    async def _store(
        self,
        session: AsyncSession,
        account_id: str,
        task_id: str,
        records: list[FetchedRecord],
        portal_session: PortalSession,
    ) -> None:
        now = self.now()
        account = await self._locked(session, account_id, lifecycle.SYNC)
        if account is None:
            return
        read = {record.kind for record in records}
        kinds = [kind for kind in DataPointKind if kind in read]
        # Finished first, in one statement that is also the check: a task no longer
        # running (finished, cancelled by a re-authorization) stores nothing. Its event
        # goes after the data points', in the same statement as theirs.
        task_finished = await tasks_lifecycle.finish_started_task(
            session,
            self.tenant_id,
            task_id,
            TaskOutcome.SUCCEEDED,
            now,
            datapoints=[kind.value for kind in kinds],
            monitor_status=account.monitor_status,
        )
        if task_finished is None:
            return
        source = RecordSource(
            tenant_id=account.tenant_id,
            user_id=account.user_id,
            account_id=account.id,
            provider_id=account.provider_id,
            account_created_at=account.created_at,
            task_id=task_id,
        )
        result = await store_records(session, records, source, now)
        # Keep the session that worked and the device the portal (re)trusted, for the
        # next sync.
        state = open_state(self.sealer, account_id, account.portal_state)
        kept = {
            **state,
            "session": portal_session.to_state(),
            "device": portal_session.remembered_device or state.get("device"),
        }
        if kept != state:  # as after a sign-in that just stored them: no UPDATE then
            account.portal_state = seal_state(self.sealer, account_id, kept)
        events: list[tuple[str, dict[str, Any]]] = []
        for kind in kinds:
            added = result.added.get(kind.value, [])
            changed = result.updated.get(kind.value, [])
            if added:
                events.append((kind.added_event, account_event(account, count=len(added))))
            if changed:
                events.append(
                    (
                        kind.updated_event or kind.added_event,
                        account_event(account, count=len(changed), ids=changed),
                    )
                )
        events.append(task_finished)
        await emit_many(session, account.tenant_id, events, now)

    async def _fail(
        self, session: AsyncSession, account_id: str, task_id: str, code: ErrorCode, message: str
    ) -> None:
        account = await self._locked(session, account_id, lifecycle.FAIL)
        if account is not None:
            await self._fail_locked(session, account, task_id, code, message)

    async def _fail_locked(
        self,
        session: AsyncSession,
        account: Account,
        task_id: str,
        code: ErrorCode,
        message: str,
    ) -> None:
        now = self.now()
        lifecycle.fail(account, now, code, message)
        await emit(
            session,
            account.tenant_id,
            "ACCOUNT_FAILED",
            with_login(account, errorCode=code, errorMessage=message),
            now,
        )
        await self._finish_task(session, account, task_id, TaskOutcome.FAILED, [], code, now)

    async def _sync_failed(
        self,
        session: AsyncSession,
        account_id: str,
        task_id: str,
        error: ConnectorError,
        code: ErrorCode,
    ) -> None:
        """A monthly sync that could not finish: a problem only the member can fix (a
        changed password, a lock, a portal asking for a code) needs them to re-authorize;
        anything else waits for next month."""
        now = self.now()
        account = await self._locked(session, account_id, lifecycle.SYNC)
        if account is None:
            return
        if error.user_action_required and not error.retriable:
            lifecycle.require_user_action(account, now)
        await self._finish_task(session, account, task_id, TaskOutcome.FAILED, [], code, now)

    async def _retry_later(
        self,
        session: AsyncSession,
        account_id: str,
        task_id: str,
        attempt: int,
        error: ConnectorError,
        *,
        syncing: bool,
    ) -> None:
        wait = retry_wait(self.settings, attempt, syncing=syncing) or 0.0
        log.info(
            "account %s: %s, trying again in %.0f s (attempt %d)",
            account_id,
            error.code,
            wait,
            attempt + 1,
        )
        await defer(
            session,
            ADVANCE,
            lock=account_id,
            schedule_at=self.now() + timedelta(seconds=wait),
            tenant_id=self.tenant_id,
            account_id=account_id,
            task_id=task_id,
            attempt=attempt + 1,
        )
