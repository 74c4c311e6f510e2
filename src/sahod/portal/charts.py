"""The Data Sources page's charts: their geometry is computed here and the SVG is drawn by
``templates/_health_charts.html`` on the server (as the CV view's, ``cv.py``), so a chart
needs no script and no request to anyone, and the portal's CSP holds.

Colours are presentation attributes, which the CSP does not govern (unlike ``style=``);
every chart comes with its figures as a table for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sahod.provider_health.schemas import ErrorShare, HealthSeries, WindowName

WIDTH = 640
HEIGHT = 180
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 10, 10, 26
SUCCEEDED = "#1a7f37"
FAILED = "#b42318"
# Colour-blind-safe (Okabe–Ito) for the error codes, as the CV view's palette.
ERROR_PALETTE = ("#D55E00", "#CC79A7", "#E69F00", "#0072B2", "#56B4E9", "#009E73")
_MANILA = timedelta(hours=8)
"""Bucket labels read in Philippine time (UTC+8, no daylight saving), as the agencies'."""


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str


@dataclass(frozen=True, slots=True)
class Row:
    """One bucket of the series, as the table beside the chart lists it."""

    label: str
    attempts: int
    succeeded: int
    failed: int


@dataclass(frozen=True, slots=True)
class SeriesChart:
    """Sign-ins per bucket: successes stacked under failures."""

    chart_id: str
    title: str
    description: str
    peak: int
    rects: list[Rect] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = _LEFT
    top: int = _TOP
    baseline: int = HEIGHT - _BOTTOM


@dataclass(frozen=True, slots=True)
class ShareBar:
    label: str
    share: float
    count: int
    y: float
    width: float
    colour: str


@dataclass(frozen=True, slots=True)
class ShareChart:
    """Each error code's share of the failures, one horizontal bar each."""

    chart_id: str
    title: str
    bars: list[ShareBar]
    width: int = WIDTH
    height: int = 30
    label_width: int = 230
    row_height: int = 24


_LABEL_FORMAT = {
    WindowName.HOUR: "%H:%M",
    WindowName.DAY: "%H:00",
    WindowName.WEEK: "%a %d",
}
_WINDOW_WORDS = {
    WindowName.HOUR: "the last hour, in 5-minute buckets",
    WindowName.DAY: "the last day, by hour",
    WindowName.WEEK: "the last week, in 6-hour buckets",
}


def _label(start: datetime, window: WindowName) -> str:
    return (start + _MANILA).strftime(_LABEL_FORMAT[window])


def series_chart(provider_id: str, provider_name: str, series: HealthSeries) -> SeriesChart:
    """A stacked bar per bucket, oldest left; a few buckets named under the axis (PHT)."""
    buckets = series.buckets
    peak = max((b.attempts for b in buckets), default=0)
    scale = peak if peak > 0 else 1
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(len(buckets), 1)
    bar_w = max(slot * 0.78, 1.0)
    rects: list[Rect] = []
    rows: list[Row] = []
    for index, bucket in enumerate(buckets):
        label = _label(bucket.start, series.window)
        rows.append(Row(label, bucket.attempts, bucket.succeeded, bucket.failed))
        x = _LEFT + index * slot + (slot - bar_w) / 2
        y = float(HEIGHT - _BOTTOM)
        for value, colour, word in (
            (bucket.succeeded, SUCCEEDED, "succeeded"),
            (bucket.failed, FAILED, "failed"),
        ):
            if value <= 0:
                continue
            height = plot_h * value / scale
            y -= height
            rects.append(Rect(x, y, bar_w, height, colour, f"{label}: {value} {word}"))
    every = max(1, len(buckets) // 6)
    x_labels = [
        (_LEFT + i * slot + slot / 2, _label(b.start, series.window))
        for i, b in enumerate(buckets)
        if i % every == 0
    ]
    total = sum(b.attempts for b in buckets)
    failed = sum(b.failed for b in buckets)
    return SeriesChart(
        chart_id=f"{provider_id}-{series.window.value}",
        title=f"{provider_name} sign-ins over {_WINDOW_WORDS[series.window]}",
        description=f"{total} sign-ins, {failed} failed; at most {peak} in one bucket. "
        "Green: succeeded; red: failed.",
        peak=peak,
        rects=rects,
        x_labels=x_labels,
        rows=rows,
    )


def share_chart(
    provider_id: str, window: WindowName, errors: list[ErrorShare]
) -> ShareChart | None:
    """None without failures: the page says so in words instead."""
    if not errors:
        return None
    label_width, row_height = 230, 24
    bar_space = WIDTH - label_width - 60
    bars = [
        ShareBar(
            label=error.error_code,
            share=error.share,
            count=error.count,
            y=4 + i * row_height,
            width=max(bar_space * min(max(error.share, 0.0), 1.0), 1.0),
            colour=ERROR_PALETTE[i % len(ERROR_PALETTE)],
        )
        for i, error in enumerate(errors)
    ]
    return ShareChart(
        chart_id=f"{provider_id}-{window.value}-errors",
        title=f"Error codes of the failed sign-ins over the last {window.value}",
        bars=bars,
        height=len(bars) * row_height + 8,
        label_width=label_width,
        row_height=row_height,
    )
