"""Log records never carry a URL's query string: webhook URLs and portal URLs may hold
tokens there, and httpx logs every request's full URL at INFO."""

from __future__ import annotations

import logging
import re

import httpx

_QUERY = re.compile(r"(https?://[^\s?\"'#]*)\?[^\s\"'#]*", re.IGNORECASE)


def _redacted(value: object) -> object:
    if isinstance(value, httpx.URL):
        return str(value.copy_with(query=None)) + ("?…" if value.query else "")
    if isinstance(value, str) and "?" in value:
        return _QUERY.sub(r"\1?…", value)
    return value


def redact_value(value: str) -> str:
    """The text with every URL's query replaced by ``?…``."""
    return _QUERY.sub(r"\1?…", value) if "?" in value else value


class QueryRedactingFilter(logging.Filter):
    """Replaces the query of every URL in a record's message and arguments with ``?…``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(arg) for key, arg in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = _QUERY.sub(r"\1?…", record.msg)
        return True


REDACTED_LOGGERS = ("httpx", "httpcore")


def install_query_redaction() -> None:
    """Adds the filter to the loggers that print request URLs (idempotent)."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QueryRedactingFilter) for f in logger.filters):
            logger.addFilter(QueryRedactingFilter())
