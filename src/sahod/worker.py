"""The procrastinate App, and the one list of the modules whose tasks it runs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import procrastinate

from sahod.db import libpq_url

if TYPE_CHECKING:
    from sahod.config import Settings
    from sahod.runtime import Runtime

TASK_MODULES: tuple[str, ...] = ("sahod.sync.tasks", "sahod.cds.tasks", "sahod.webhooks.tasks")
"""Each module has ``register(app)``, adding its tasks under names of its own constants."""


def create_job_app(
    database_url: str, settings: Settings, *, pool_size: int = 10
) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(database_url),
        min_size=1,
        max_size=pool_size,
        kwargs={"options": "-c timezone=UTC"},
    )
    app = procrastinate.App(connector=connector)
    for module in TASK_MODULES:
        importlib.import_module(module).register(app, settings)
    return app


def worker_options(runtime: Runtime, concurrency: int) -> dict[str, Any]:
    """The same worker settings for `sahod serve` and `sahod worker`."""
    return {
        "concurrency": concurrency,
        "install_signal_handlers": False,
        "additional_context": {"runtime": runtime},
        "delete_jobs": "successful",
        "update_heartbeat_interval": runtime.settings.worker_heartbeat_seconds,
        "stalled_worker_timeout": runtime.settings.stalled_after_seconds,
    }


def runtime_of(context: procrastinate.JobContext) -> Runtime:
    """The runtime a task runs in (settings, sessions, clock, sealer)."""
    from sahod.runtime import Runtime

    runtime = context.additional_context.get("runtime")
    if not isinstance(runtime, Runtime):
        raise RuntimeError("tasks run only under a Sahod worker")
    return runtime
