"""Provider health and the data-sources catalogue: the functions the developer portal calls.

``provider_health`` / ``all_provider_health`` read every tenant's task outcomes (they
take a session; they never write, so there is nothing to commit). ``data_sources`` and
``provider_datapoints`` are derived from the provider catalogue and from the very models
that build the API's schemas (``sahod.datapoints.registry.SPECS``), so the page cannot
drift from the API.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.registry import SPECS
from sahod.provider_health import repository
from sahod.provider_health.schemas import (
    DataPointFields,
    DataSource,
    ErrorShare,
    FieldInfo,
    HealthSeries,
    HealthStatus,
    ProviderHealth,
    SeriesBucket,
    WindowHealth,
    WindowName,
)
from sahod.providers.catalog import PROVIDERS
from sahod.providers.service import get_provider
from sahod.tasks.schemas import TaskOutcome

WINDOWS: dict[WindowName, timedelta] = {
    WindowName.HOUR: timedelta(hours=1),
    WindowName.DAY: timedelta(days=1),
    WindowName.WEEK: timedelta(days=7),
}
BUCKETS: dict[WindowName, timedelta] = {
    WindowName.HOUR: timedelta(minutes=5),
    WindowName.DAY: timedelta(hours=1),
    WindowName.WEEK: timedelta(hours=6),
}


def _status(hour: WindowHealth, settings: Settings) -> HealthStatus:
    if hour.attempts < max(settings.provider_degraded_min_attempts, 1):
        return HealthStatus.UNKNOWN
    assert hour.success_rate is not None
    if hour.success_rate < settings.provider_degraded_below:
        return HealthStatus.DEGRADED
    return HealthStatus.OPERATIONAL


def _floor(instant: datetime, step: timedelta) -> datetime:
    """The bucket boundary at or before ``instant``, on a grid fixed to the epoch, so
    that two reads a minute apart draw the same buckets."""
    epoch = datetime(1970, 1, 1, tzinfo=instant.tzinfo)
    return instant - (instant - epoch) % step


async def _series(
    session: AsyncSession, provider_id: str, now: datetime, window: WindowName
) -> HealthSeries:
    step = BUCKETS[window]
    end = _floor(now, step) + step
    start = end - WINDOWS[window]
    counted = await repository.bucketed_outcomes(session, provider_id, start, step)
    by_start: dict[datetime, SeriesBucket] = {}
    count = int(WINDOWS[window] / step)
    buckets = [
        SeriesBucket(start=start + i * step, attempts=0, succeeded=0, failed=0)
        for i in range(count)
    ]
    for bucket in buckets:
        by_start[bucket.start] = bucket
    for row in counted:
        target = by_start.get(row.start)
        if target is None:
            continue
        target.attempts += row.count
        if row.outcome is TaskOutcome.SUCCEEDED:
            target.succeeded += row.count
        else:
            target.failed += row.count
    return HealthSeries(window=window, bucket_seconds=int(step.total_seconds()), buckets=buckets)


async def provider_health(
    session: AsyncSession, provider_id: str, now: datetime, settings: Settings
) -> ProviderHealth:
    """The provider's sign-ins over the last hour, day and week, across all tenants, and
    whether it is degraded now (judged on the last hour). MissingResource for an unknown
    provider."""
    get_provider(provider_id)
    names = tuple(WINDOWS)
    starts = tuple(now - WINDOWS[name] for name in names)
    outcomes = await repository.outcome_counts(session, provider_id, starts)
    times = await repository.connect_times(session, provider_id, starts)
    windows: list[WindowHealth] = []
    for i, name in enumerate(names):
        succeeded = sum(r.counts[i] for r in outcomes if r.outcome is TaskOutcome.SUCCEEDED)
        failures: dict[str, int] = {}
        for row in outcomes:
            if row.outcome is TaskOutcome.FAILED and row.counts[i]:
                code = row.error_code or "UNKNOWN"
                failures[code] = failures.get(code, 0) + row.counts[i]
        failed = sum(failures.values())
        attempts = succeeded + failed
        errors = [
            ErrorShare(error_code=code, count=count, share=count / failed)
            for code, count in sorted(failures.items(), key=lambda item: (-item[1], item[0]))
        ]
        windows.append(
            WindowHealth(
                window=name,
                since=starts[i],
                attempts=attempts,
                succeeded=succeeded,
                failed=failed,
                success_rate=succeeded / attempts if attempts else None,
                errors=errors,
                connected_count=times[i].count,
                median_seconds_to_connected=times[i].median,
                p95_seconds_to_connected=times[i].p95,
            )
        )
    status = _status(windows[0], settings)
    return ProviderHealth(
        provider_id=provider_id,
        status=status,
        degraded=status is HealthStatus.DEGRADED,
        checked_at=now,
        degraded_below=settings.provider_degraded_below,
        min_attempts=settings.provider_degraded_min_attempts,
        last_success_at=await repository.last_success_at(session, provider_id),
        windows=windows,
        series=[await _series(session, provider_id, now, name) for name in names],
    )


async def all_provider_health(
    session: AsyncSession, now: datetime, settings: Settings
) -> list[ProviderHealth]:
    """Every provider's health, in the catalogue's order."""
    return [await provider_health(session, p.id, now, settings) for p in PROVIDERS]


# --- what each provider's data points carry -------------------------------------------


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if kind is None:
        return "object" if "properties" in schema else "any"
    text = str(kind)
    if "format" in schema:
        text += f" ({schema['format']})"
    return text


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref")
    if isinstance(reference, str):
        return _resolve(defs[reference.rsplit("/", 1)[-1]], defs)
    return schema


def _field(name: str, schema: dict[str, Any], required: bool, defs: dict[str, Any]) -> FieldInfo:
    described = schema.get("description")
    variants = [_resolve(s, defs) for s in schema.get("anyOf", [schema])]
    nullable = any(v.get("type") == "null" for v in variants)
    concrete = [v for v in variants if v.get("type") != "null"] or variants
    nested: list[FieldInfo] | None = None
    enum: list[Any] | None = None
    for variant in concrete:
        enum = enum or variant.get("enum")
        described = described or variant.get("description")
        target = _resolve(variant.get("items", {}), defs) if "items" in variant else variant
        if "properties" in target:
            nested = _fields(target, defs)
    return FieldInfo(
        name=name,
        type=" | ".join(_type_of(v) for v in concrete),
        required=required,
        nullable=nullable,
        description=described,
        enum=enum,
        fields=nested,
    )


def _fields(schema: dict[str, Any], defs: dict[str, Any]) -> list[FieldInfo]:
    required = set(schema.get("required", []))
    return [
        _field(name, _resolve(prop, defs), name in required, defs)
        for name, prop in schema.get("properties", {}).items()
    ]


def datapoint_fields(kind: DataPointKind) -> DataPointFields:
    """Every field of one data point, read from the JSON schema of the model that the API
    serves it with (``/v1/<kind>`` items)."""
    spec = SPECS[kind]
    schema = spec.model.model_json_schema(by_alias=True, mode="serialization")
    return DataPointFields(
        kind=spec.kind.value,
        path=f"/v1/{spec.kind.path}",
        title=spec.tag,
        fields=_fields(schema, schema.get("$defs", {})),
    )


def provider_datapoints(provider_id: str) -> list[DataPointFields]:
    """The data points a provider supplies, each with every field. MissingResource for
    an unknown provider."""
    return [datapoint_fields(kind) for kind in get_provider(provider_id).supported]


def data_sources() -> list[DataSource]:
    """Every provider with its data points and their fields (the Data Sources page)."""
    return [
        DataSource(
            id=p.id,
            name=p.name,
            long_name=p.long_name,
            monitor_supported=p.monitor_supported,
            datapoints=provider_datapoints(p.id),
        )
        for p in PROVIDERS
    ]
