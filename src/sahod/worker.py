"""The procrastinate App. Each domain's tasks.py registers its tasks on a Blueprint here."""

from __future__ import annotations

from typing import Any

import procrastinate

from sahod.db import libpq_url

BLUEPRINTS: list[tuple[str, procrastinate.Blueprint]] = []
"""(namespace, blueprint) pairs; a domain's tasks.py appends its own on import."""

TASK_MODULES: tuple[str, ...] = ()
"""Modules whose import registers tasks (filled as domains gain tasks)."""


def create_job_app(database_url: str, *, pool_size: int = 10) -> procrastinate.App:
    import importlib

    for module in TASK_MODULES:
        importlib.import_module(module)
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(database_url),
        min_size=1,
        max_size=pool_size,
        kwargs={"options": "-c timezone=UTC"},
    )
    app = procrastinate.App(connector=connector)
    for namespace, blueprint in BLUEPRINTS:
        app.add_tasks_from(blueprint, namespace=namespace)
    return app


def worker_options(runtime: Any, concurrency: int) -> dict[str, Any]:
    """The same worker settings for `sahod serve` and `sahod worker`."""
    return {
        "concurrency": concurrency,
        "install_signal_handlers": False,
        "additional_context": {"runtime": runtime},
        "delete_jobs": "successful",
    }
