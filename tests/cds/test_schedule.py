"""Monthly sync dates: the day of the first connection, Philippine time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sahod.accounts.sync_dates import first_sync_after_connection, next_sync_after, sync_date_in
from sahod.kit.clock import PHILIPPINE_TIME


def fourteen_syncs(connected_at: datetime) -> list[date]:
    day, at = first_sync_after_connection(connected_at)
    dates = [at.astimezone(PHILIPPINE_TIME).date()]
    for _ in range(13):
        at = next_sync_after(at, day)
        dates.append(at.astimezone(PHILIPPINE_TIME).date())
    return dates


@pytest.mark.parametrize(
    ("connected", "expected"),
    [
        # Connected on the 15th (Philippine time), 2026 then 2027.
        (
            "2026-01-15T03:00:00+00:00",
            [
                "2026-02-15",
                "2026-03-15",
                "2026-04-15",
                "2026-05-15",
                "2026-06-15",
                "2026-07-15",
                "2026-08-15",
                "2026-09-15",
                "2026-10-15",
                "2026-11-15",
                "2026-12-15",
                "2027-01-15",
                "2027-02-15",
                "2027-03-15",
            ],
        ),
        # The 29th: February (not a leap year in 2027) takes its last day, then back to 29.
        (
            "2026-12-29T03:00:00+00:00",
            [
                "2027-01-29",
                "2027-02-28",
                "2027-03-29",
                "2027-04-29",
                "2027-05-29",
                "2027-06-29",
                "2027-07-29",
                "2027-08-29",
                "2027-09-29",
                "2027-10-29",
                "2027-11-29",
                "2027-12-29",
                "2028-01-29",
                "2028-02-29",
            ],
        ),
        # The 30th.
        (
            "2027-01-30T03:00:00+00:00",
            [
                "2027-02-28",
                "2027-03-30",
                "2027-04-30",
                "2027-05-30",
                "2027-06-30",
                "2027-07-30",
                "2027-08-30",
                "2027-09-30",
                "2027-10-30",
                "2027-11-30",
                "2027-12-30",
                "2028-01-30",
                "2028-02-29",
                "2028-03-30",
            ],
        ),
        # The 31st: the last day of shorter months, the 31st whenever the month has one.
        (
            "2026-01-31T03:00:00+00:00",
            [
                "2026-02-28",
                "2026-03-31",
                "2026-04-30",
                "2026-05-31",
                "2026-06-30",
                "2026-07-31",
                "2026-08-31",
                "2026-09-30",
                "2026-10-31",
                "2026-11-30",
                "2026-12-31",
                "2027-01-31",
                "2027-02-28",
                "2027-03-31",
            ],
        ),
    ],
)
def test_fourteen_months_of_sync_dates(connected: str, expected: list[str]) -> None:
    assert fourteen_syncs(datetime.fromisoformat(connected)) == [
        date.fromisoformat(d) for d in expected
    ]


def test_the_day_is_the_philippine_day() -> None:
    # 20:00 UTC on the 15th is already the 16th in Manila (UTC+8).
    day, first = first_sync_after_connection(datetime(2026, 1, 15, 20, 0, tzinfo=UTC))
    assert day == 16
    assert first.astimezone(PHILIPPINE_TIME) == datetime(2026, 2, 16, 2, 0, tzinfo=PHILIPPINE_TIME)


def test_a_sync_missed_for_months_comes_back_on_its_day() -> None:
    late = datetime(2026, 6, 20, tzinfo=UTC)
    assert next_sync_after(late, 31).astimezone(PHILIPPINE_TIME).date() == date(2026, 6, 30)
    assert sync_date_in(2028, 2, 31) == date(2028, 2, 29)
