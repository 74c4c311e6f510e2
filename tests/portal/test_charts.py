"""The Data Sources charts' geometry: what a reader of the drawn bars would see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sahod.portal import charts
from sahod.provider_health.schemas import ErrorShare, HealthSeries, SeriesBucket, WindowName

START = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 11:00 in Manila


def series(counts: list[tuple[int, int]]) -> HealthSeries:
    return HealthSeries(
        window=WindowName.HOUR,
        bucket_seconds=300,
        buckets=[
            SeriesBucket(
                start=START + i * timedelta(minutes=5),
                attempts=ok + bad,
                succeeded=ok,
                failed=bad,
            )
            for i, (ok, bad) in enumerate(counts)
        ],
    )


def test_bars_stack_successes_under_failures_in_proportion() -> None:
    chart = charts.series_chart("sss", "My.SSS", series([(2, 6), (0, 0), (4, 0)] + [(0, 0)] * 9))
    assert chart.peak == 8
    full = chart.baseline - chart.top
    first = [r for r in chart.rects if r.label.startswith("11:00")]
    ok, bad = first
    assert (ok.colour, bad.colour) == (charts.SUCCEEDED, charts.FAILED)
    assert ok.height == pytest.approx(full * 2 / 8) and bad.height == pytest.approx(full * 6 / 8)
    # Failures sit on top of the successes; the whole bar reaches the peak line.
    assert ok.y + ok.height == pytest.approx(chart.baseline)
    assert bad.y + bad.height == pytest.approx(ok.y)
    assert bad.y == pytest.approx(chart.top)
    # An empty bucket draws nothing; a half-height bar is half as tall.
    assert not [r for r in chart.rects if r.label.startswith("11:05")]
    [third] = [r for r in chart.rects if r.label.startswith("11:10")]
    assert third.height == pytest.approx(full / 2)
    # Labels read in Philippine time, with the figures as a table beside.
    assert [label for _, label in chart.x_labels][:2] == ["11:00", "11:10"]
    assert chart.rows[0] == charts.Row("11:00", 8, 2, 6)
    assert "12 sign-ins, 6 failed" in chart.description


def test_an_empty_window_and_error_shares() -> None:
    empty = charts.series_chart("gsis", "eGSIS MO", series([(0, 0)] * 12))
    assert empty.peak == 0 and empty.rects == []
    assert charts.share_chart("gsis", WindowName.DAY, []) is None
    shares = charts.share_chart(
        "gsis",
        WindowName.DAY,
        [
            ErrorShare(error_code="SERVICE_UNAVAILABLE", count=3, share=0.75),
            ErrorShare(error_code="INVALID_CREDENTIALS", count=1, share=0.25),
        ],
    )
    assert shares is not None
    first, second = shares.bars
    assert first.width == pytest.approx(3 * second.width)
    assert second.y > first.y and first.colour != second.colour
