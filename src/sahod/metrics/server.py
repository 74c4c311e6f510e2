"""The metrics server: its own small HTTP server on SAHOD_METRICS_HOST:SAHOD_METRICS_PORT,
in a thread of the process that starts it (`sahod serve`'s parent, or a lone
`sahod worker`), never a route of the API app."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sahod.config import Settings

log = logging.getLogger(__name__)

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def prepare_process_metrics() -> Path:
    """A fresh directory where this process and every process it starts from now on
    (they inherit the environment) keep their counts, so that one scrape adds them up.
    Must run before prometheus_client is imported in this process."""
    directory = Path(tempfile.mkdtemp(prefix="sahod-metrics-"))
    # prometheus_client reads this variable itself, in every process; children inherit it.
    os.environ[MULTIPROCESS_DIR_VARIABLE] = str(directory)
    return directory


@dataclass
class MetricsServer:
    host: str
    port: int
    stop: Callable[[], None]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"


def start_metrics_server(settings: Settings, database_url: str, directory: Path) -> MetricsServer:
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    from sahod.metrics.collector import DatabaseCollector, scrape_engine

    assert settings.metrics_port is not None
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    engine = scrape_engine(database_url)
    registry.register(
        DatabaseCollector(
            engine, cds_late_after=timedelta(seconds=settings.metrics_cds_late_seconds)
        )
    )
    server, thread = start_http_server(
        settings.metrics_port, addr=settings.metrics_host, registry=registry
    )
    port = int(server.server_address[1])
    log.info("metrics at http://%s:%d/metrics", settings.metrics_host, port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)
        engine.dispose()
        shutil.rmtree(directory, ignore_errors=True)

    return MetricsServer(host=settings.metrics_host, port=port, stop=stop)
