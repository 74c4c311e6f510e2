"""An account's state machine: the only code that changes its connection status, error,
monitor status, one-time code fields and sync day, each change a named transition.

    create_pending ─► PENDING ──await_code──► AWAITING_MFA ◄─┐ submit_code, wrong_code
                        │                         │          │
                        └──────────connect────────┴──────────┴─► CONNECTED
    fail: PENDING | AWAITING_MFA | CONNECTED ─► ERROR
    require_user_action: CONNECTED, monitor ─► USER_ACTION_REQUIRED
    reauthorize: ERROR, or monitor USER_ACTION_REQUIRED ─► PENDING
    disconnect (the revoke): anything but DISCONNECTED ─► DISCONNECTED (final)
    disable_monitor: monitor ─► CUSTOMER_DISABLED;  request_sync: CONNECTED only

A transition the machine does not allow raises ``TransitionRefused``, an
``InvalidParameters``: the tenant or widget that asked gets a 400 with its message. The
pipeline asks ``allows`` first, since a job that finds the account moved on (revoked, say)
writes nothing rather than failing.

Transitions change the row only; callers hold its lock (``repository.lock_account``) and
emit the events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus, MonitorStatus
from sahod.accounts.sync_dates import first_sync_after_connection
from sahod.errors import InvalidParameters
from sahod.providers.base import ErrorCode

WRONG_CODE_MESSAGE = "That code was not right. Check the latest message and enter it again."


class TransitionRefused(InvalidParameters):
    """The account is not in a state this transition starts from."""


@dataclass(frozen=True)
class Rule:
    """Which accounts a transition applies to, and what a refused caller is told."""

    name: str
    applies: Callable[[Account], bool]
    refusal: str

    def allows(self, account: Account) -> bool:
        return self.applies(account)

    def check(self, account: Account) -> None:
        if not self.applies(account):
            raise TransitionRefused(self.refusal)


def _status_in(*statuses: ConnectionStatus) -> Callable[[Account], bool]:
    return lambda account: account.connection_status in statuses


AWAIT_CODE = Rule("await_code", _status_in(ConnectionStatus.PENDING), "Not signing in.")
SUBMIT_CODE = Rule(
    "submit_code",
    _status_in(ConnectionStatus.AWAITING_MFA),
    "This account is not waiting for a one-time code.",
)
WRONG_CODE = Rule(
    "wrong_code", _status_in(ConnectionStatus.AWAITING_MFA), "No one-time code is awaited."
)
CONNECT = Rule(
    "connect",
    _status_in(ConnectionStatus.PENDING, ConnectionStatus.AWAITING_MFA),
    "This account is not signing in.",
)
SYNC = Rule(
    "sync", _status_in(ConnectionStatus.CONNECTED), "Only a connected account can be synced."
)
FAIL = Rule(
    "fail",
    _status_in(ConnectionStatus.PENDING, ConnectionStatus.AWAITING_MFA, ConnectionStatus.CONNECTED),
    "This account has already stopped.",
)
REQUIRE_USER_ACTION = Rule(
    "require_user_action",
    _status_in(ConnectionStatus.CONNECTED),
    "Only a connected account can need its user.",
)
REAUTHORIZE = Rule(
    "reauthorize",
    lambda account: (
        account.connection_status != ConnectionStatus.DISCONNECTED
        and (
            account.monitor_status == MonitorStatus.USER_ACTION_REQUIRED
            or account.connection_status == ConnectionStatus.ERROR
        )
    ),
    "This account does not need to be reconnected.",
)
DISCONNECT = Rule(
    "disconnect",
    lambda account: account.connection_status != ConnectionStatus.DISCONNECTED,
    "This account is already disconnected.",
)


def create_pending(
    *,
    account_id: str,
    tenant_id: str,
    user_id: str,
    provider_id: str,
    login_name: str,
    now: datetime,
) -> Account:
    """A new account, about to sign in; monitored only once it connects."""
    return Account(
        id=account_id,
        tenant_id=tenant_id,
        user_id=user_id,
        provider_id=provider_id,
        login_name=login_name,
        created_at=now,
        connection_status=ConnectionStatus.PENDING,
        connection_updated_at=now,
        monitor_status=MonitorStatus.UNSUPPORTED,
        monitor_updated_at=None,
    )


def await_code(account: Account, now: datetime, *, deadline: datetime, portal_state: bytes) -> None:
    """The portal sent the member a one-time code: wait for it until ``deadline``."""
    AWAIT_CODE.check(account)
    account.connection_status = ConnectionStatus.AWAITING_MFA
    account.connection_updated_at = now
    account.mfa_deadline = deadline
    account.portal_state = portal_state


def submit_code(account: Account, sealed_code: bytes) -> None:
    """The member typed the code; it waits, sealed, for the worker."""
    SUBMIT_CODE.check(account)
    account.pending_mfa_code = sealed_code


def wrong_code(account: Account, now: datetime, *, portal_state: bytes) -> None:
    """Still waiting: the widget shows the message and asks for the code again."""
    WRONG_CODE.check(account)
    account.portal_state = portal_state
    account.pending_mfa_code = None
    account.error_code = ErrorCode.INVALID_MFA
    account.error_message = WRONG_CODE_MESSAGE
    account.connection_updated_at = now


def connect(
    account: Account, now: datetime, *, monitor_supported: bool, portal_state: bytes
) -> None:
    """Signed in: CONNECTED, and monitored monthly from the day of the first connection
    when the provider allows it (a tenant's CUSTOMER_DISABLED stands)."""
    CONNECT.check(account)
    account.connection_status = ConnectionStatus.CONNECTED
    account.connection_updated_at = now
    account.error_code = None
    account.error_message = None
    account.pending_mfa_code = None
    account.mfa_deadline = None
    account.portal_state = portal_state
    monitor = MonitorStatus.ACTIVE if monitor_supported else MonitorStatus.UNSUPPORTED
    if account.monitor_status == MonitorStatus.CUSTOMER_DISABLED:
        monitor = MonitorStatus.CUSTOMER_DISABLED
    _set_monitor(account, monitor, now)
    if monitor is MonitorStatus.ACTIVE and account.sync_day is None:
        account.sync_day, account.next_sync_at = first_sync_after_connection(now)


def fail(account: Account, now: datetime, code: ErrorCode, message: str) -> None:
    """Signing in (or the first read) failed for good: ERROR, with the reason."""
    FAIL.check(account)
    account.connection_status = ConnectionStatus.ERROR
    account.error_code = code
    account.error_message = message
    account.connection_updated_at = now
    account.pending_mfa_code = None
    account.mfa_deadline = None


def require_user_action(account: Account, now: datetime) -> None:
    """A monthly sync hit something only the member can fix (a changed password, a lock,
    a new one-time code): syncing waits for them to re-authorize. The connection and its
    data stay as they are."""
    REQUIRE_USER_ACTION.check(account)
    _set_monitor(account, MonitorStatus.USER_ACTION_REQUIRED, now)


def reauthorize(account: Account, now: datetime, *, login_name: str) -> None:
    """The member signs in again with new credentials: PENDING, same account."""
    REAUTHORIZE.check(account)
    account.connection_status = ConnectionStatus.PENDING
    account.connection_updated_at = now
    account.error_code = None
    account.error_message = None
    account.login_name = login_name


def disconnect(account: Account, now: datetime) -> None:
    """The revoke: DISCONNECTED for good, nothing of the portal kept."""
    DISCONNECT.check(account)
    account.portal_state = None
    account.pending_mfa_code = None
    account.mfa_deadline = None
    account.connection_status = ConnectionStatus.DISCONNECTED
    account.error_code = None
    account.error_message = None
    account.connection_updated_at = now


def disable_monitor(account: Account, now: datetime) -> None:
    """The tenant stops the monthly syncing (again: a no-op)."""
    _set_monitor(account, MonitorStatus.CUSTOMER_DISABLED, now)


def request_sync(account: Account, now: datetime) -> None:
    """The tenant asks for a sync now (its rate limit is the caller's)."""
    SYNC.check(account)
    account.sync_requested_at = now


def _set_monitor(account: Account, monitor: MonitorStatus, now: datetime) -> None:
    if account.monitor_status is not monitor:
        account.monitor_status = monitor
        account.monitor_updated_at = now
