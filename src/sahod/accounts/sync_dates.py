"""When an account syncs: monthly, on the day of the month of its first connection, in
Philippine time. An account first connected on the 31st syncs on the last day of shorter
months and on the 31st again when the month has one."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from sahod.kit.clock import PHILIPPINE_TIME

# Syncs run early in the Philippine morning, before members use the portals.
SYNC_TIME = time(2, 0)


def sync_day_of(connected_at: datetime) -> int:
    """The day of the month (1–31) an account syncs on: that of its first connection."""
    return connected_at.astimezone(PHILIPPINE_TIME).day


def sync_date_in(year: int, month: int, sync_day: int) -> date:
    return date(year, month, min(sync_day, calendar.monthrange(year, month)[1]))


def next_sync_after(after: datetime, sync_day: int) -> datetime:
    """The first sync instant strictly after ``after`` (a UTC-aware datetime)."""
    local = after.astimezone(PHILIPPINE_TIME)
    year, month = local.year, local.month
    for _ in range(3):
        day = sync_date_in(year, month, sync_day)
        at = datetime.combine(day, SYNC_TIME, tzinfo=PHILIPPINE_TIME)
        if at > local:
            return at.astimezone(after.tzinfo)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable: a sync day comes every month")


def first_sync_after_connection(connected_at: datetime) -> tuple[int, datetime]:
    """(sync day, first monthly sync): next month, on the day of the first connection."""
    day = sync_day_of(connected_at)
    # Not the same day: the first connection has just read everything.
    return day, next_sync_after(connected_at + timedelta(days=1), day)
