"""The typed answers of provider health and of the data-sources catalogue.

These models are both the wire (`GET /v1/providers/{id}/health`, camelCase) and the
Python API the developer portal calls (``sahod.provider_health.service``), snake_case.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sahod.kit.envelope import WireModel


class HealthStatus(StrEnum):
    OPERATIONAL = "OPERATIONAL"
    """Enough sign-ins in the last hour, and the success rate at or above the threshold."""
    DEGRADED = "DEGRADED"
    """Enough sign-ins in the last hour, and the success rate below the threshold."""
    UNKNOWN = "UNKNOWN"
    """Too few sign-ins in the last hour to tell."""


class WindowName(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"


class ErrorShare(WireModel):
    error_code: str
    count: int
    share: float
    """Of the window's failed sign-ins, between 0 and 1."""


class WindowHealth(WireModel):
    """Sign-ins (link and sync tasks that finished, succeeded or failed) in one window."""

    window: WindowName
    since: datetime
    attempts: int
    succeeded: int
    failed: int
    success_rate: float | None
    """succeeded / attempts; null without attempts."""
    errors: list[ErrorShare]
    """Each error code's share of the failures, largest first."""
    connected_count: int
    """Sign-ins that reached CONNECTED in the window (the base of the two times below)."""
    median_seconds_to_connected: float | None
    p95_seconds_to_connected: float | None


class SeriesBucket(WireModel):
    start: datetime
    attempts: int
    succeeded: int
    failed: int


class HealthSeries(WireModel):
    """The window in equal buckets, oldest first, for charts."""

    window: WindowName
    bucket_seconds: int
    buckets: list[SeriesBucket]


class ProviderHealth(WireModel):
    provider_id: str
    status: HealthStatus
    degraded: bool
    checked_at: datetime
    degraded_below: float
    """The success rate under which the provider is DEGRADED (setting)."""
    min_attempts: int
    """The sign-ins the last hour needs before a status other than UNKNOWN (setting)."""
    last_success_at: datetime | None
    windows: list[WindowHealth]
    """hour, day and week."""
    series: list[HealthSeries]
    """hour in 5-minute, day in 1-hour and week in 6-hour buckets."""

    def window(self, name: WindowName) -> WindowHealth:
        return next(w for w in self.windows if w.window is name)


class FieldInfo(WireModel):
    """One field of a data point, as the API's JSON schema describes it."""

    name: str
    """The wire (camelCase) name."""
    type: str
    """The JSON type (``string``, ``number``, ``integer``, ``boolean``, ``array``,
    ``object``), with its format (``string (date)``), ``|``-joined when several."""
    required: bool
    nullable: bool
    description: str | None
    enum: list[Any] | None = None
    fields: list[FieldInfo] | None = None
    """The fields of a nested object (or of an array's items)."""


class DataPointFields(WireModel):
    kind: str
    """The data point's name in ``supported`` and in task ``datapoints``."""
    path: str
    """Where the API lists it."""
    title: str
    fields: list[FieldInfo]


class DataSource(WireModel):
    """A provider as the Data Sources page lists it."""

    id: str
    name: str
    long_name: str
    monitor_supported: bool
    datapoints: list[DataPointFields]
