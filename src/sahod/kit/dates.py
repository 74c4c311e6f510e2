"""Date filters shared by the list endpoints (``startDate`` / ``endDate``, both inclusive)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import Query

from sahod.errors import InvalidParameters

StartDate = Annotated[
    date | None, Query(alias="startDate", description="Only items on or after this date (UTC).")
]
EndDate = Annotated[
    date | None, Query(alias="endDate", description="Only items on or before this date (UTC).")
]


def check_range(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise InvalidParameters("startDate must not be after endDate")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_after(day: date) -> datetime:
    return day_start(day + timedelta(days=1))
