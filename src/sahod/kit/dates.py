"""Date filters shared by the list endpoints (``startDate`` / ``endDate``, both inclusive)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator

from sahod.errors import InvalidParameters

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: object) -> object:
    # Lax parsing would read "0" or "1700000000" as a Unix time; an API date is YYYY-MM-DD.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


# Dates outside these bounds are refused by name: 9999-12-31 has no day after it to stop
# before, and years PostgreSQL and Python disagree on are no one's payroll.
EARLIEST = date(1900, 1, 1)
LATEST = date(9999, 12, 30)


def _within_bounds(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_within_bounds)]

StartDate = Annotated[
    IsoDate | None,
    Query(alias="startDate", description="Only items on or after this date (UTC)."),
]
EndDate = Annotated[
    IsoDate | None,
    Query(alias="endDate", description="Only items on or before this date (UTC)."),
]


def check_range(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise InvalidParameters("startDate must not be after endDate")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_after(day: date) -> datetime:
    return day_start(day + timedelta(days=1))
