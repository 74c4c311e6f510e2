"""Logs as JSON lines (structlog), one object a line, from Sahod's own code, the libraries
it uses (stdlib logging: uvicorn, procrastinate, httpx) and the job worker alike.

Every line carries what is bound for the work it belongs to, through contextvars: the
request id (bound by the request-id middleware), the tenant id (bound when a request's
API key, or a widget session, is known) and the job id and task (bound around every job
the worker runs, and read from procrastinate's own records). No line carries a secret:
values under names that hold one are replaced, and URLs lose their query strings
(``sahod.kit.redact``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, clear_contextvars

from sahod.kit.redact import install_query_redaction, redact_value

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "api_secret",
        "apisecret",
        "authorization",
        "token",
        "access_token",
        "session_token",
        "code",
        "mfa_code",
        "credentials",
        "sealing_key",
        "cookie",
    }
)
"""Keys whose values never reach a log line, whatever they hold."""


def _redact_secrets(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key.lower() in SECRET_KEYS:
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = redact_value(value)
    return event


def _job_of_procrastinate_record(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """procrastinate passes the job it logs about as ``extra={"job": {...}}``: its id, task
    and tenant become the line's own, as on the lines a job's code logs."""
    record = event.get("_record")
    job = getattr(record, "job", None)
    if isinstance(job, dict):
        if job.get("id") is not None:
            event.setdefault("job_id", job["id"])
        if job.get("task_name"):
            event.setdefault("task", job["task_name"])
        kwargs = job.get("task_kwargs")
        if isinstance(kwargs, dict) and isinstance(kwargs.get("tenant_id"), str):
            event.setdefault("tenant_id", kwargs["tenant_id"])
    return event


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    ]


def configure_logging(
    level: str = "INFO", stream: TextIO | None = None, *, json_lines: bool = True
) -> None:
    """JSON lines (or, with ``json_lines=False``, structlog's plain console lines for a
    developer's terminal) on stderr or ``stream``, for every logger of the process;
    idempotent."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), _job_of_procrastinate_record],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _redact_secrets,
            *([structlog.processors.format_exc_info] if json_lines else []),
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # uvicorn's loggers print through the same handler, not their own plain-text ones.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    install_query_redaction()


def get_logger(name: str) -> Any:
    """A structlog logger that writes through the stdlib logger ``name``, whatever
    structlog's global configuration is: its lines reach the same handler (and the same
    level filter) as every other library's."""
    return structlog.wrap_logger(
        logging.getLogger(name),
        wrapper_class=structlog.stdlib.BoundLogger,
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
    )


def start_request(request_id: str) -> None:
    """A request's lines from here on carry its id (and nothing bound by a request before)."""
    clear_contextvars()
    bind_contextvars(request_id=request_id)


def end_request() -> None:
    clear_contextvars()


def bind_tenant(tenant_id: str) -> None:
    bind_contextvars(tenant_id=tenant_id)


@contextmanager
def job_context(job_id: int | None, task: str, tenant_id: str | None) -> Iterator[None]:
    bound: dict[str, Any] = {"job_id": job_id, "task": task}
    if tenant_id is not None:
        bound["tenant_id"] = tenant_id
    with bound_contextvars(**bound):
        yield
