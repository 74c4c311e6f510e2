"""The account events' data, shaped as the Accounts seed's webhook examples."""

from __future__ import annotations

from typing import Any

from sahod.accounts.models import Account


def account_event(account: Account, **extra: Any) -> dict[str, Any]:
    return {
        "userId": account.user_id,
        "accountId": account.id,
        **extra,
        "providers": [account.provider_id],
    }


def with_login(account: Account, **extra: Any) -> dict[str, Any]:
    return account_event(account, loginName=account.login_name, **extra)


def task_event(account: Account, task_id: str, **extra: Any) -> dict[str, Any]:
    """TASK_STARTED / TASK_FINISHED / ACCOUNT_SYNC_TASK_FINISHED: the task's source is the
    account. ``taskId`` is ours, beyond the seed: it names the task these data points are
    from (webhooks with includePayload read them by it)."""
    return {
        "userId": account.user_id,
        "sourceId": account.id,
        "sourceType": "ACCOUNT",
        "providers": [account.provider_id],
        "taskId": task_id,
        **extra,
    }
