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
