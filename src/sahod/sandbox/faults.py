"""Fault injection for one sandbox portal: latency, errors, maintenance and friends.

Settable from code (``PortalFaults.update``) and at runtime over HTTP
(``PUT /sandbox/portals/<provider>/_faults`` with a JSON object of the fields to change;
``GET`` reads them back). Benchmarks and reliability tests use it to make a portal slow or
unreliable without touching the connector.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class FaultSettings:
    latency_ms: int = 0
    """Added to every page of the portal (admin endpoints excluded)."""
    error_rate: float = 0.0
    """Share of requests, 0-1, answered with a 503 "temporarily unavailable" page."""
    maintenance: bool = False
    """Every page is the maintenance notice (503 with a long Retry-After)."""
    slow_persona_ms: int = 2000
    """How long each page of the slow persona's session takes."""
    flaky_every: int = 3
    """Every n-th request of the flaky persona's session is a 502."""
    rate_limit_per_second: float = 20.0
    """Sustained requests per second one session may make before getting 429s."""
    rate_limit_burst: int = 40
    """Requests one session may make at once before the per-second limit applies."""
    layout_variant: int = 0
    """1 renders every page with cosmetic changes: reordered columns, an extra column,
    different header case, padded cells. Content stays identical."""
    seed: int = 0
    """Seed of the error-rate draw, so a failing run can be replayed."""

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.slow_persona_ms < 0:
            raise ValueError("latencies cannot be negative")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if self.flaky_every < 2:
            raise ValueError("flaky_every must be at least 2")
        if self.rate_limit_per_second <= 0 or self.rate_limit_burst < 1:
            raise ValueError("rate limits must be positive")
        if self.layout_variant not in (0, 1):
            raise ValueError("layout_variant is 0 or 1")


_TYPES: Mapping[str, tuple[type, ...]] = {
    "latency_ms": (int,),
    "error_rate": (float, int),
    "maintenance": (bool,),
    "slow_persona_ms": (int,),
    "flaky_every": (int,),
    "rate_limit_per_second": (float, int),
    "rate_limit_burst": (int,),
    "layout_variant": (int,),
    "seed": (int,),
}


def _seeded(seed: int) -> random.Random:
    # A simulator's coin for the error rate: replayable on purpose, and guarding nothing.
    return random.Random(seed)  # noqa: S311


class PortalFaults:
    """The live fault settings of one portal, and the seeded draw behind ``error_rate``."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.settings = settings or FaultSettings()
        self._draw = _seeded(self.settings.seed)

    def update(self, changes: Mapping[str, object]) -> FaultSettings:
        known = {f.name for f in fields(FaultSettings)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError("unknown fault settings: " + ", ".join(sorted(unknown)))
        for name, value in changes.items():
            # bool is an int in Python; only `maintenance` may be one.
            wrong_bool = isinstance(value, bool) and name != "maintenance"
            if wrong_bool or not isinstance(value, _TYPES[name]):
                raise ValueError(f"{name} has the wrong type")
        new = replace(self.settings, **changes)  # type: ignore[arg-type]
        if new.seed != self.settings.seed:
            self._draw = _seeded(new.seed)
        self.settings = new
        return new

    def reset(self) -> FaultSettings:
        self.settings = FaultSettings()
        self._draw = _seeded(self.settings.seed)
        return self.settings

    def draw_error(self) -> bool:
        rate = self.settings.error_rate
        return rate > 0 and self._draw.random() < rate

    def as_dict(self) -> dict[str, object]:
        return asdict(self.settings)
