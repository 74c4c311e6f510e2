"""Fourteen months of Continuous Data Sync for accounts connected on the 15th, 29th, 30th
and 31st: every sync on its date, every month's events matching what changed."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from sahod.accounts.sync_dates import next_sync_after, sync_day_of
from sahod.kit.clock import PHILIPPINE_TIME
from tests.cds.conftest import Harness

GEORGE = ("gpalomero1234@smileapi.io", "123456")
CONNECTIONS = [  # (provider, when first connected: 10:00 in Manila)
    ("sss", datetime(2026, 1, 15, 2, 0, tzinfo=UTC)),
    ("pagibig", datetime(2026, 1, 29, 2, 0, tzinfo=UTC)),
    ("philhealth", datetime(2026, 1, 30, 2, 0, tzinfo=UTC)),
    ("gsis", datetime(2026, 1, 31, 2, 0, tzinfo=UTC)),
]


def expected_dates(connected_at: datetime, months: int) -> list[date]:
    day = sync_day_of(connected_at)
    at = connected_at + timedelta(days=1)
    dates = []
    for _ in range(months):
        at = next_sync_after(at, day)
        dates.append(at.astimezone(PHILIPPINE_TIME).date())
    return dates


async def _count(harness: Harness, account_id: str, kind: str) -> int:
    found = await harness.session.execute(
        text("SELECT count(*) FROM datapoints WHERE account_id = :a AND kind = :k"),
        {"a": account_id, "k": kind},
    )
    return int(found.scalar_one())


async def _balances(harness: Harness, account_id: str) -> dict[str, float]:
    rows = await harness.session.execute(
        text(
            "SELECT id, (payload->>'outstandingBalance')::float AS balance FROM datapoints "
            "WHERE account_id = :a AND kind = 'LIABILITIES'"
        ),
        {"a": account_id},
    )
    return {row.id: row.balance for row in rows}


@pytest.mark.slow
async def test_fourteen_months_of_monthly_syncs(harness: Harness) -> None:
    accounts: dict[str, str] = {}
    for provider, connected_at in CONNECTIONS:
        harness.at(connected_at)
        accounts[provider] = await harness.link(provider, *GEORGE)
    by_account = {account_id: provider for provider, account_id in accounts.items()}
    synced_on: dict[str, list[date]] = defaultdict(list)
    last_seq = (await harness.events())[-1][0]
    counts = {a: await _count(harness, a, "CONTRIBUTIONS") for a in accounts.values()}
    balances = {a: await _balances(harness, a) for a in accounts.values()}

    # Day by day, at 03:00 in Manila, for fourteen months after the last connection.
    day = datetime(2026, 2, 1, 19, 0, tzinfo=UTC)  # 03:00 on 2 February, Manila
    while day < datetime(2027, 4, 2, tzinfo=UTC):
        harness.at(day)
        await harness.scan()
        for task_name, args in await harness.run_jobs():
            if task_name == "sync.start_update":
                synced_on[args["account_id"]].append(
                    harness.clock.now().astimezone(PHILIPPINE_TIME).date()
                )
        for seq, kind, data in await harness.events(last_seq):
            last_seq = seq
            if kind != "ACCOUNT_SYNC_TASK_FINISHED":
                continue
            account_id = data["sourceId"]
            assert data["status"] == "SUCCEEDED", data
            assert data["monitorStatus"] == "ACTIVE"
            assert data["providers"] == [by_account[account_id]]
        day += timedelta(days=1)

    for provider, connected_at in CONNECTIONS:
        account_id = accounts[provider]
        assert synced_on[account_id] == expected_dates(connected_at, 14), provider
    # Each month's events report exactly what changed in the stored data.
    events = await harness.events()
    for provider in ("sss", "pagibig"):
        account_id = accounts[provider]
        added = sum(
            d["count"]
            for _, k, d in events
            if k == "CONTRIBUTIONS_ADDED" and d["accountId"] == account_id
        )
        first_link = next(
            d["count"]
            for _, k, d in events
            if k == "CONTRIBUTIONS_ADDED" and d["accountId"] == account_id
        )
        assert (
            added - first_link
            == await _count(harness, account_id, "CONTRIBUTIONS") - (counts[account_id])
        )
        assert await _count(harness, account_id, "CONTRIBUTIONS") >= counts[account_id] + 12
        updated = [
            d for _, k, d in events if k == "LIABILITIES_UPDATED" and d["accountId"] == account_id
        ]
        # A balance goes down most months; between one loan's end and the next there is
        # nothing to update (George's salary loan renews every 27 months).
        assert len(updated) >= 10, provider
        assert all(d["count"] == len(d["ids"]) for d in updated)
        now = await _balances(harness, account_id)
        lower = [i for i in balances[account_id] if i in now and now[i] < balances[account_id][i]]
        assert lower, provider


async def test_a_monthly_sync_reports_only_what_changed(harness: Harness) -> None:
    harness.at(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    account_id = await harness.link("sss", *GEORGE)
    last = (await harness.events())[-1][0]
    harness.at(datetime(2026, 4, 9, 19, 0, tzinfo=UTC))  # 03:00 on 10 April, Manila
    assert await harness.scan() == 1
    await harness.run_jobs()
    kinds = [k for _, k, d in await harness.events(last)]
    assert kinds[0] == "TASK_STARTED"
    assert kinds[-1] == "ACCOUNT_SYNC_TASK_FINISHED"
    assert "IDENTITY_ADDED" not in kinds and "DOCUMENTS_ADDED" not in kinds  # unchanged
    assert "CONTRIBUTIONS_ADDED" in kinds
    finished = (await harness.events(last))[-1][2]
    assert set(finished["dataPoints"]) >= {"CONTRIBUTIONS", "LIABILITIES", "EINCOMES"}
    account = await harness.account(account_id)
    assert account.next_sync_at is not None
    assert account.next_sync_at.astimezone(PHILIPPINE_TIME).date() == date(2026, 5, 10)
    # Scanning again the same day queues nothing more.
    assert await harness.scan() == 0
