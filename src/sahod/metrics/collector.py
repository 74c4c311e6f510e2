"""The database's figures, read when Prometheus scrapes (see the package's docstring)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, create_engine

from sahod.db import connection_options, sqlalchemy_url
from sahod.metrics import repository

log = logging.getLogger(__name__)


def scrape_engine(database_url: str) -> Engine:
    """One connection, opened when needed: a scrape every 15 s needs no pool."""
    return create_engine(
        sqlalchemy_url(database_url),
        pool_size=1,
        max_overflow=0,
        pool_pre_ping=True,
        connect_args={"options": connection_options(5), "connect_timeout": 5},
    )


class DatabaseCollector(Collector):
    def __init__(self, engine: Engine, *, cds_late_after: timedelta) -> None:
        self.engine = engine
        self.cds_late_after = cds_late_after

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "sahod_database_up", "1 when the figures read from the database could be read."
        )
        try:
            families = list(self._from_database())
        except Exception as error:
            # A scrape must still answer (with the process's own figures) while the
            # database is away; that it is away is itself the figure.
            log.warning("metrics: the database could not be read (%s)", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _from_database(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        with self.engine.connect() as connection:
            jobs = repository.jobs_by_task_and_status(connection)
            tasks = repository.finished_tasks(connection)
            deliveries = repository.deliveries_by_status(connection)
            attempts = repository.attempts_by_outcome(connection)
            due, late = repository.cds_due(connection, now, now - self.cds_late_after)

        queued = GaugeMetricFamily(
            "sahod_jobs_queued", "Jobs waiting in the queue.", labels=["task"]
        )
        running = GaugeMetricFamily(
            "sahod_jobs_running", "Jobs a worker is running.", labels=["task"]
        )
        failed = GaugeMetricFamily(
            "sahod_jobs_failed",
            "Jobs that failed for good, kept in the queue's table.",
            labels=["task"],
        )
        by_status = {"todo": queued, "doing": running, "failed": failed}
        for task, status, count in jobs:
            by_status[status].add_metric([task], count)
        yield from by_status.values()

        sign_ins = CounterMetricFamily(
            "sahod_sign_ins",
            "Finished link and sync tasks (each a sign-in to a provider's portal), by "
            "provider, task type and outcome (SUCCEEDED, FAILED, CANCELLED).",
            labels=["provider", "type", "outcome"],
        )
        failures = CounterMetricFamily(
            "sahod_sign_in_failures",
            "Failed link and sync tasks by provider and error code.",
            labels=["provider", "error_code"],
        )
        totals: dict[tuple[str, str, str], int] = {}
        failed_codes: dict[tuple[str, str], int] = {}
        for provider, kind, outcome, code, count in tasks:
            totals[(provider, kind, outcome)] = totals.get((provider, kind, outcome), 0) + count
            if outcome == "FAILED":
                key = (provider, code or "UNKNOWN")
                failed_codes[key] = failed_codes.get(key, 0) + count
        for labels, count in sorted(totals.items()):
            sign_ins.add_metric(list(labels), count)
        for labels_, count in sorted(failed_codes.items()):
            failures.add_metric(list(labels_), count)
        yield sign_ins
        yield failures

        delivery_states = GaugeMetricFamily(
            "sahod_webhook_deliveries",
            "Webhook deliveries by status: PENDING (not sent yet, or waiting for a retry), "
            "SUCCEEDED, FAILED (given up).",
            labels=["status"],
        )
        for status, count in deliveries:
            delivery_states.add_metric([status], count)
        yield delivery_states
        delivery_attempts = CounterMetricFamily(
            "sahod_webhook_delivery_attempts",
            "HTTP requests made to webhook receivers, by outcome (succeeded: a 2xx in time).",
            labels=["outcome"],
        )
        for succeeded, count in attempts:
            delivery_attempts.add_metric(["succeeded" if succeeded else "failed"], count)
        yield delivery_attempts

        yield GaugeMetricFamily(
            "sahod_cds_accounts_due",
            "Accounts whose monthly sync is due and not yet queued.",
            value=due,
        )
        yield GaugeMetricFamily(
            "sahod_cds_accounts_late",
            "Accounts whose monthly sync has been due for longer than "
            "SAHOD_METRICS_CDS_LATE_SECONDS.",
            value=late,
        )
