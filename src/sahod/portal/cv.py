"""The Users Explorer's CV-like view: a user's data points (as the API serves them) read
as a résumé, with the charts' geometry computed here so the SVG is drawn server-side,
with no script and no request to anyone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

CHART_WIDTH = 640
CHART_HEIGHT = 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 12, 36
# How people name the agencies; the catalogue's names are their portals'.
AGENCY_NAMES = {"sss": "SSS", "gsis": "GSIS", "philhealth": "PhilHealth", "pagibig": "Pag-IBIG"}
# Colour-blind-safe (Okabe–Ito), one per series.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    colour: str
    points: str
    """The polyline's ``points`` attribute."""
    dots: list[tuple[float, float, str, float]]


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    bars: list[Bar] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    rows: list[tuple[str, float]] = field(default_factory=list)
    """The figures as a table, for screen readers and for copying."""
    baseline: float = CHART_HEIGHT - _BOTTOM
    left: float = _LEFT


def _peso(value: float) -> str:
    if value >= 1000:
        return f"₱{value / 1000:,.0f}k" if value >= 10000 else f"₱{value / 1000:,.1f}k"
    return f"₱{value:,.0f}"


def _scale(top: float) -> tuple[float, list[tuple[float, str]]]:
    """A rounded maximum and four ticks."""
    if top <= 0:
        top = 1
    step = 10 ** (len(str(int(top))) - 1)
    rounded = ((top // step) + 1) * step
    plot = CHART_HEIGHT - _TOP - _BOTTOM
    ticks = [(_TOP + plot - plot * i / 4, _peso(rounded * i / 4)) for i in range(5)]
    return rounded, ticks


def _x_labels(months: list[str], x_of: dict[str, float]) -> list[tuple[float, str]]:
    every = max(1, len(months) // 8)
    # A label starting too near the right edge would be cut off.
    last = CHART_WIDTH - _RIGHT - 40
    return [(x_of[m], m) for i, m in enumerate(months) if i % every == 0 and x_of[m] <= last]


def bar_chart(title: str, values: dict[str, float]) -> Chart:
    """One bar per month (``YYYY-MM``), oldest left."""
    months = sorted(values)
    top, ticks = _scale(max(values.values(), default=0))
    plot_w = CHART_WIDTH - _LEFT - _RIGHT
    plot_h = CHART_HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(len(months), 1)
    bars = []
    x_of = {}
    for i, month in enumerate(months):
        height = plot_h * values[month] / top
        x = _LEFT + i * slot + slot * 0.15
        x_of[month] = x
        bars.append(
            Bar(x, _TOP + plot_h - height, max(slot * 0.7, 1), height, month, values[month])
        )
    return Chart(
        title=title,
        bars=bars,
        y_ticks=ticks,
        x_labels=_x_labels(months, x_of),
        rows=[(m, values[m]) for m in months],
    )


def line_chart(title: str, series: dict[str, dict[str, float]]) -> Chart:
    """One line per series over the months any of them has."""
    months = sorted({m for values in series.values() for m in values})
    top, ticks = _scale(max((v for s in series.values() for v in s.values()), default=0))
    plot_w = CHART_WIDTH - _LEFT - _RIGHT
    plot_h = CHART_HEIGHT - _TOP - _BOTTOM
    step = plot_w / max(len(months) - 1, 1)
    x_of = {m: _LEFT + i * step for i, m in enumerate(months)}
    lines = []
    for index, (name, values) in enumerate(sorted(series.items())):
        dots = [
            (x_of[m], _TOP + plot_h - plot_h * values[m] / top, m, values[m])
            for m in months
            if m in values
        ]
        lines.append(
            Series(
                name=name,
                colour=PALETTE[index % len(PALETTE)],
                points=" ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in dots),
                dots=dots,
            )
        )
    rows = [
        (f"{m} {name}", values[m])
        for name, values in sorted(series.items())
        for m in months
        if m in values
    ]
    return Chart(
        title=title, series=lines, y_ticks=ticks, x_labels=_x_labels(months, x_of), rows=rows
    )


@dataclass(frozen=True, slots=True)
class CurriculumVitae:
    identity: dict[str, Any] | None
    employments: list[dict[str, Any]]
    contribution_charts: list[Chart]
    loans: list[dict[str, Any]]
    income_chart: Chart | None


def _provider(item: dict[str, Any]) -> str:
    return str((item.get("metadata") or {}).get("providerId") or "unknown")


def curriculum_vitae(
    data: dict[str, list[dict[str, Any]]], names: dict[str, str]
) -> CurriculumVitae:
    """``data``: the wire items of each kind (``identities``, ``employments``…);
    ``names``: provider id → the name shown."""
    identities = data.get("identities", [])
    employments = sorted(
        data.get("employments", []), key=lambda e: str(e.get("startDate") or ""), reverse=True
    )
    by_agency: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in data.get("contributions", []):
        when = str(item.get("date") or "")[:7]
        if when:
            by_agency[_provider(item)][when] += float(item.get("amount") or 0)
    contribution_charts = [
        bar_chart(f"{names.get(p, p)} contributions a month", dict(months))
        for p, months in sorted(by_agency.items())
    ]
    incomes: dict[str, dict[str, float]] = defaultdict(dict)
    for item in data.get("eincomes", []):
        month = str(item.get("month") or "")[:7]
        if month:
            incomes[names.get(_provider(item), _provider(item))][month] = float(
                item.get("amount") or 0
            )
    loans = sorted(
        data.get("liabilities", []), key=lambda loan: str(loan.get("startDate") or ""), reverse=True
    )
    return CurriculumVitae(
        identity=identities[0] if identities else None,
        employments=employments,
        contribution_charts=contribution_charts,
        loans=loans,
        income_chart=line_chart("Estimated monthly income", incomes) if incomes else None,
    )
