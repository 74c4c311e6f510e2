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
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.accounts import repository as accounts_repository
from sahod.accounts.events import account_event, task_event, with_login
from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus, MonitorStatus
from sahod.accounts.sealed import open_code, open_credentials, open_state, seal_state
from sahod.cds.schedule import first_sync_after_connection
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.service import RecordSource, store_records
from sahod.db import session_scope
from sahod.events.service import emit
from sahod.kit.jobs import defer
from sahod.providers.base import (
    ConnectorError,
    Credentials,
    ErrorCode,
    FetchedRecord,
    MfaChallenge,
    PortalSession,
)
from sahod.providers.catalog import PROVIDERS_BY_ID
from sahod.runtime import Runtime
from sahod.sync import names
from sahod.sync.retry_policy import retry_wait
from sahod.tasks import repository as tasks_repository
from sahod.tasks.schemas import TaskOutcome, TaskStatus, TaskType

log = logging.getLogger(__name__)

WRONG_CODE_MESSAGE = "That code was not right. Check the latest message and enter it again."
TIMEOUT_MESSAGE = "The one-time code was not entered in time."
UNAVAILABLE_MESSAGE = "The provider's portal is not answering; try again later."
SYSTEM_ERROR_MESSAGE = "Something went wrong on Sahod's side while reading the account."


@dataclass(frozen=True)
class Snapshot:
    """What one step reads before it talks to the portal."""

    account: Account
    credentials: Credentials | None
    state: dict[str, Any]
    code: str | None
    task_open: bool
    task_type: str | None


class Pipeline:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.sealer = runtime.sealer
        self.settings = runtime.settings

    def now(self) -> datetime:
        return self.runtime.clock.now()

    async def advance(self, account_id: str, task_id: str, attempt: int = 0) -> None:
        """Move the account on from whatever state it is in."""
        snapshot = await self._read(account_id, task_id)
        if snapshot is None:
            return
        account = snapshot.account
        connector = self.runtime.connector(account.provider_id)
        try:
            session: PortalSession | None
            if account.connection_status == ConnectionStatus.PENDING.value:
                assert snapshot.credentials is not None
                outcome = await connector.login(
                    snapshot.credentials, remembered_device=snapshot.state.get("device")
                )
                if isinstance(outcome, MfaChallenge):
                    await self._await_code(account_id, task_id, outcome, snapshot.state)
                    return
                session = outcome
                if not await self._connected(account_id, session):
                    return
            elif account.connection_status == ConnectionStatus.AWAITING_MFA.value:
                if snapshot.code is None:
                    await self.time_out_if_due(account_id, task_id)
                    return
                try:
                    session = await connector.submit_mfa(snapshot.state["pending"], snapshot.code)
                except ConnectorError as error:
                    if error.code is not ErrorCode.INVALID_MFA:
                        raise
                    await self._wrong_code(account_id, task_id)
                    return
                if not await self._connected(account_id, session):
                    return
            elif snapshot.task_open:  # CONNECTED, its task not finished yet
                saved = snapshot.state.get("session")
                session = PortalSession.from_state(saved) if saved else None
            else:
                return
            records, used = await self._fetch(snapshot, session)
            await self._store(account_id, task_id, records, used)
        except ConnectorError as error:
            syncing = (
                snapshot.task_type == TaskType.UPDATE_ACCOUNT.value
                and account.connection_status == ConnectionStatus.CONNECTED.value
            )
            if error.retriable and retry_wait(self.settings, attempt, syncing=syncing) is not None:
                await self._retry_later(account_id, task_id, attempt, error, syncing=syncing)
                return
            code = ErrorCode.SERVICE_UNAVAILABLE if error.retriable else error.code
            message = UNAVAILABLE_MESSAGE if error.retriable else error.message
            if syncing:
                # A monthly sync that fails leaves the connection and its data as they are.
                await self._sync_failed(account_id, task_id, error, code)
            else:
                await self._fail(account_id, task_id, code, message)

    # --- reading ---------------------------------------------------------------------

    async def _read(self, account_id: str, task_id: str) -> Snapshot | None:
        async with session_scope(self.runtime.session_factory) as session:
            account = await accounts_repository.get_account_by_id(session, account_id)
            if account is None or account.connection_status in (
                ConnectionStatus.DISCONNECTED.value,
                ConnectionStatus.ERROR.value,
            ):
                return None
            task = await tasks_repository.get_task_by_id(session, task_id)
            stored = await accounts_repository.get_credentials(session, account_id)
            return Snapshot(
                account=account,
                credentials=(
                    open_credentials(self.sealer, account_id, stored.sealed) if stored else None
                ),
                state=open_state(self.sealer, account_id, account.portal_state),
                code=(
                    open_code(self.sealer, account_id, account.pending_mfa_code)
                    if account.pending_mfa_code
                    else None
                ),
                task_open=task is not None and task.status == TaskStatus.STARTED.value,
                task_type=task.type if task is not None else None,
            )

    async def _fetch(
        self, snapshot: Snapshot, session: PortalSession | None
    ) -> tuple[list[FetchedRecord], PortalSession]:
        """The portal's records, and the session that read them; a session that expired is
        replaced by a fresh sign-in with the stored credentials and remembered device (no
        code is asked for then)."""
        connector = self.runtime.connector(snapshot.account.provider_id)
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

    # --- writing: each under the account's row lock -----------------------------------

    async def _locked(
        self, session: AsyncSession, account_id: str, *statuses: ConnectionStatus
    ) -> Account | None:
        account = await accounts_repository.lock_account(session, account_id)
        if account is None or account.connection_status not in {s.value for s in statuses}:
            return None
        return account

    async def _await_code(
        self, account_id: str, task_id: str, challenge: MfaChallenge, state: dict[str, Any]
    ) -> None:
        now = self.now()
        deadline = now + timedelta(seconds=self.settings.mfa_timeout_seconds)
        async with session_scope(self.runtime.session_factory) as session:
            account = await self._locked(session, account_id, ConnectionStatus.PENDING)
            if account is None:
                return
            account.connection_status = ConnectionStatus.AWAITING_MFA.value
            account.connection_updated_at = now
            account.mfa_deadline = deadline
            account.portal_state = seal_state(
                self.sealer,
                account_id,
                {
                    "pending": challenge.pending_state,
                    "mfa": {"method": challenge.method, "destination": challenge.destination},
                    "wrongCodes": 0,
                    "device": state.get("device"),
                },
            )
            # At the deadline: if no code came by then, the wait ends in MFA_TIMEOUT.
            await defer(
                session,
                names.MFA_DEADLINE,
                schedule_at=deadline + timedelta(seconds=1),
                account_id=account_id,
                task_id=task_id,
            )

    async def time_out_if_due(self, account_id: str, task_id: str) -> None:
        now = self.now()
        async with session_scope(self.runtime.session_factory) as session:
            account = await self._locked(session, account_id, ConnectionStatus.AWAITING_MFA)
            if account is None or account.pending_mfa_code is not None:
                return
            if account.mfa_deadline is not None and now >= account.mfa_deadline:
                await self._fail_locked(
                    session, account, task_id, ErrorCode.MFA_TIMEOUT, TIMEOUT_MESSAGE
                )

    async def _wrong_code(self, account_id: str, task_id: str) -> None:
        async with session_scope(self.runtime.session_factory) as session:
            account = await self._locked(session, account_id, ConnectionStatus.AWAITING_MFA)
            if account is None:
                return
            state = open_state(self.sealer, account_id, account.portal_state)
            state["wrongCodes"] = int(state.get("wrongCodes", 0)) + 1
            account.portal_state = seal_state(self.sealer, account_id, state)
            account.pending_mfa_code = None
            if state["wrongCodes"] >= self.settings.mfa_max_attempts:
                await self._fail_locked(
                    session,
                    account,
                    task_id,
                    ErrorCode.INVALID_MFA,
                    "Too many wrong one-time codes.",
                )
                return
            # Still waiting: the widget shows the message and asks for the code again.
            account.error_code = ErrorCode.INVALID_MFA.value
            account.error_message = WRONG_CODE_MESSAGE
            account.connection_updated_at = self.now()

    async def _connected(self, account_id: str, portal_session: PortalSession) -> bool:
        now = self.now()
        async with session_scope(self.runtime.session_factory) as session:
            account = await self._locked(
                session, account_id, ConnectionStatus.PENDING, ConnectionStatus.AWAITING_MFA
            )
            if account is None:
                return False
            account.connection_status = ConnectionStatus.CONNECTED.value
            account.connection_updated_at = now
            account.error_code = None
            account.error_message = None
            account.pending_mfa_code = None
            account.mfa_deadline = None
            account.portal_state = seal_state(
                self.sealer,
                account_id,
                {
                    "session": portal_session.to_state(),
                    "device": portal_session.remembered_device,
                },
            )
            provider = PROVIDERS_BY_ID[account.provider_id]
            monitor = (
                MonitorStatus.ACTIVE if provider.monitor_supported else (MonitorStatus.UNSUPPORTED)
            )
            if account.monitor_status == MonitorStatus.CUSTOMER_DISABLED.value:
                monitor = MonitorStatus.CUSTOMER_DISABLED  # the tenant's choice stands
            if account.monitor_status != monitor.value:
                account.monitor_status = monitor.value
                account.monitor_updated_at = now
            if monitor is MonitorStatus.ACTIVE and account.sync_day is None:
                account.sync_day, account.next_sync_at = first_sync_after_connection(now)
            await emit(session, account.tenant_id, "ACCOUNT_CONNECTED", with_login(account), now)
            return True

    async def _store(
        self,
        account_id: str,
        task_id: str,
        records: list[FetchedRecord],
        portal_session: PortalSession,
    ) -> None:
        now = self.now()
        async with session_scope(self.runtime.session_factory) as session:
            account = await self._locked(session, account_id, ConnectionStatus.CONNECTED)
            task = await tasks_repository.lock_task(session, task_id)
            if account is None or task is None or task.status != TaskStatus.STARTED.value:
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
            account.portal_state = seal_state(
                self.sealer,
                account_id,
                {
                    **state,
                    "session": portal_session.to_state(),
                    "device": portal_session.remembered_device or state.get("device"),
                },
            )
            kinds = [kind for kind in DataPointKind if any(r.kind is kind for r in records)]
            for kind in kinds:
                added = result.added.get(kind.value, [])
                changed = result.updated.get(kind.value, [])
                if added:
                    await emit(
                        session,
                        account.tenant_id,
                        kind.added_event,
                        account_event(account, count=len(added)),
                        now,
                    )
                if changed:
                    await emit(
                        session,
                        account.tenant_id,
                        kind.updated_event or kind.added_event,
                        account_event(account, count=len(changed), ids=changed),
                        now,
                    )
            await self._finish_task(
                session,
                account,
                task_id,
                TaskOutcome.SUCCEEDED,
                [kind.value for kind in kinds],
                None,
                now,
            )

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
        task = await tasks_repository.lock_task(session, task_id)
        if task is None or task.status != TaskStatus.STARTED.value:
            return
        task.status = TaskStatus.FINISHED.value
        task.outcome = outcome.value
        task.finished_at = now
        task.datapoints = kinds
        task.error_code = error_code.value if error_code else None
        finished = (
            "ACCOUNT_SYNC_TASK_FINISHED"
            if task.type == TaskType.UPDATE_ACCOUNT.value
            else "TASK_FINISHED"
        )
        data = task_event(
            account, task_id, status=outcome.value, datapoints=kinds, errorCode=task.error_code
        )
        if finished == "ACCOUNT_SYNC_TASK_FINISHED":
            data = {**data, "monitorStatus": account.monitor_status, "dataPoints": kinds}
        await emit(session, account.tenant_id, finished, data, now)

    async def _fail(self, account_id: str, task_id: str, code: ErrorCode, message: str) -> None:
        async with session_scope(self.runtime.session_factory) as session:
            account = await self._locked(
                session,
                account_id,
                ConnectionStatus.PENDING,
                ConnectionStatus.AWAITING_MFA,
                ConnectionStatus.CONNECTED,
            )
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
        account.connection_status = ConnectionStatus.ERROR.value
        account.error_code = code.value
        account.error_message = message
        account.connection_updated_at = now
        account.pending_mfa_code = None
        account.mfa_deadline = None
        await emit(
            session,
            account.tenant_id,
            "ACCOUNT_FAILED",
            with_login(account, errorCode=code.value, errorMessage=message),
            now,
        )
        await self._finish_task(session, account, task_id, TaskOutcome.FAILED, [], code, now)

    async def _sync_failed(
        self, account_id: str, task_id: str, error: ConnectorError, code: ErrorCode
    ) -> None:
        """A monthly sync that could not finish: a problem only the member can fix (a
        changed password, a lock, a portal asking for a code) needs them to re-authorize;
        anything else waits for next month."""
        now = self.now()
        async with session_scope(self.runtime.session_factory) as session:
            account = await self._locked(session, account_id, ConnectionStatus.CONNECTED)
            if account is None:
                return
            if error.user_action_required and not error.retriable:
                account.monitor_status = MonitorStatus.USER_ACTION_REQUIRED.value
                account.monitor_updated_at = now
            await self._finish_task(session, account, task_id, TaskOutcome.FAILED, [], code, now)

    async def _retry_later(
        self,
        account_id: str,
        task_id: str,
        attempt: int,
        error: ConnectorError,
        *,
        syncing: bool = False,
    ) -> None:
        wait = retry_wait(self.settings, attempt, syncing=syncing) or 0.0
        log.info(
            "account %s: %s, trying again in %.0f s (attempt %d)",
            account_id,
            error.code.value,
            wait,
            attempt + 1,
        )
        async with session_scope(self.runtime.session_factory) as session:
            await defer(
                session,
                names.ADVANCE,
                lock=account_id,
                schedule_at=self.now() + timedelta(seconds=wait),
                account_id=account_id,
                task_id=task_id,
                attempt=attempt + 1,
            )


async def fail_unexpectedly(runtime: Runtime, account_id: str, task_id: str) -> None:
    """A bug, not a portal: the account ends in SYSTEM_ERROR rather than PENDING forever."""
    await Pipeline(runtime)._fail(account_id, task_id, ErrorCode.SYSTEM_ERROR, SYSTEM_ERROR_MESSAGE)
