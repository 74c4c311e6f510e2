"""The state machine's refusals, on accounts that are not even stored: no transition
applies to an account in a state it does not start from."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sahod.accounts import lifecycle
from sahod.accounts.models import Account
from sahod.accounts.schemas import ConnectionStatus, MonitorStatus
from sahod.errors import InvalidParameters
from sahod.providers.base import ErrorCode

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _account(status: ConnectionStatus, monitor: MonitorStatus = MonitorStatus.ACTIVE) -> Account:
    account = lifecycle.create_pending(
        account_id="a-1",
        tenant_id="t",
        user_id="u",
        provider_id="sss",
        login_name="m",
        now=NOW,
    )
    account.connection_status = status
    account.monitor_status = monitor
    return account


def test_a_new_account_is_pending_and_not_yet_monitored() -> None:
    account = lifecycle.create_pending(
        account_id="a-1", tenant_id="t", user_id="u", provider_id="sss", login_name="m", now=NOW
    )
    assert account.connection_status is ConnectionStatus.PENDING
    assert account.monitor_status is MonitorStatus.UNSUPPORTED
    assert account.monitor_updated_at is None


@pytest.mark.parametrize(
    "status", [ConnectionStatus.CONNECTED, ConnectionStatus.ERROR, ConnectionStatus.DISCONNECTED]
)
def test_only_a_signing_in_account_connects(status: ConnectionStatus) -> None:
    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.connect(_account(status), NOW, monitor_supported=True, portal_state=b"")


def test_a_revoked_account_stays_revoked() -> None:
    account = _account(ConnectionStatus.DISCONNECTED)
    for transition in (
        lambda: lifecycle.fail(account, NOW, ErrorCode.SYSTEM_ERROR, "x"),
        lambda: lifecycle.disconnect(account, NOW),
        lambda: lifecycle.reauthorize(account, NOW, login_name="m"),
        lambda: lifecycle.request_sync(account, NOW),
    ):
        with pytest.raises(lifecycle.TransitionRefused):
            transition()
    assert account.connection_status is ConnectionStatus.DISCONNECTED


def test_refusals_a_caller_sees_are_400s_with_their_message() -> None:
    with pytest.raises(InvalidParameters, match="does not need to be reconnected"):
        lifecycle.reauthorize(_account(ConnectionStatus.CONNECTED), NOW, login_name="m")
    with pytest.raises(InvalidParameters, match="not waiting for a one-time code"):
        lifecycle.submit_code(_account(ConnectionStatus.CONNECTED), b"sealed")
    with pytest.raises(InvalidParameters, match="Only a connected account can be synced"):
        lifecycle.request_sync(_account(ConnectionStatus.ERROR), NOW)


def test_connecting_keeps_a_tenants_disabled_monitor() -> None:
    account = _account(ConnectionStatus.AWAITING_MFA, MonitorStatus.CUSTOMER_DISABLED)
    account.sync_day = None
    lifecycle.connect(account, NOW, monitor_supported=True, portal_state=b"")
    assert account.monitor_status is MonitorStatus.CUSTOMER_DISABLED
    assert account.sync_day is None  # no monthly sync for it


def test_a_connection_that_cannot_be_monitored_says_so() -> None:
    account = _account(ConnectionStatus.PENDING, MonitorStatus.UNSUPPORTED)
    lifecycle.connect(account, NOW, monitor_supported=False, portal_state=b"")
    assert account.connection_status is ConnectionStatus.CONNECTED
    assert account.monitor_status is MonitorStatus.UNSUPPORTED
