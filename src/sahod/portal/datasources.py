"""The Data Sources page: each provider's data points and fields (from the models the API's
schemas are built from, through ``provider_health.service.data_sources``) beside its
health now (``provider_health.service``, every tenant's sign-ins), with the charts'
geometry. Nothing here is tenant data: the figures are the same for every member."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.config import Settings
from sahod.errors import MissingResource
from sahod.portal import charts
from sahod.provider_health import service as health_service
from sahod.provider_health.schemas import (
    DataSource,
    HealthStatus,
    ProviderHealth,
    WindowHealth,
    WindowName,
)

STATUS_WORDS = {
    HealthStatus.OPERATIONAL: "Operational",
    HealthStatus.DEGRADED: "Degraded",
    HealthStatus.UNKNOWN: "Not enough sign-ins to tell",
}


@dataclass(frozen=True, slots=True)
class WindowView:
    health: WindowHealth
    errors_chart: charts.ShareChart | None

    @property
    def success_percent(self) -> str:
        rate = self.health.success_rate
        return "–" if rate is None else f"{rate * 100:.0f}%"


@dataclass(frozen=True, slots=True)
class ProviderView:
    source: DataSource
    health: ProviderHealth
    windows: list[WindowView]
    series_charts: list[charts.SeriesChart]

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.health.status]

    @property
    def hour(self) -> WindowView:
        return self.windows[0]

    @property
    def verdict(self) -> str:
        """What the status means, in a sentence."""
        hour = self.health.window(WindowName.HOUR)
        threshold = f"{self.health.degraded_below * 100:.0f}%"
        if self.health.status is HealthStatus.DEGRADED:
            return (
                f"Only {self.hour.success_percent} of the {hour.attempts} sign-ins of the last "
                f"hour succeeded (below {threshold}): expect failed and slow links."
            )
        if self.health.status is HealthStatus.OPERATIONAL:
            return (
                f"{self.hour.success_percent} of the {hour.attempts} sign-ins of the last hour "
                f"succeeded (degraded below {threshold})."
            )
        return (
            f"{hour.attempts} sign-in{'s' if hour.attempts != 1 else ''} in the last hour; "
            f"it takes {self.health.min_attempts} to judge."
        )


@functools.cache
def _catalogue() -> tuple[DataSource, ...]:
    # Read from the models' JSON schemas (tens of milliseconds), which cannot change while
    # the process runs: once per process, not once per page.
    return tuple(health_service.data_sources())


def _view(source: DataSource, health: ProviderHealth) -> ProviderView:
    windows = [
        WindowView(health=w, errors_chart=charts.share_chart(source.id, w.window, w.errors))
        for w in health.windows
    ]
    return ProviderView(
        source=source,
        health=health,
        windows=windows,
        series_charts=[charts.series_chart(source.id, source.name, s) for s in health.series],
    )


async def all_providers(
    session: AsyncSession, now: datetime, settings: Settings
) -> list[ProviderView]:
    """Every provider, in the catalogue's order."""
    healths = {
        h.provider_id: h for h in await health_service.all_provider_health(session, now, settings)
    }
    return [_view(source, healths[source.id]) for source in _catalogue()]


async def one_provider(
    session: AsyncSession, provider_id: str, now: datetime, settings: Settings
) -> ProviderView:
    """MissingResource for an unknown provider."""
    source = next((s for s in _catalogue() if s.id == provider_id), None)
    if source is None:
        raise MissingResource(f"There is no provider {provider_id}.")
    health = await health_service.provider_health(session, provider_id, now, settings)
    return _view(source, health)


def seconds(value: float | None) -> str:
    """A duration as people read it: ``42 s``, ``3 min 5 s``; ``–`` for none."""
    if value is None:
        return "–"
    whole = round(value)
    if whole < 60:
        return f"{value:.1f} s" if value < 10 else f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"
