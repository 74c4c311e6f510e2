"""The one place that turns any failure into the Smile envelope."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import psycopg
import psycopg_pool
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolCheckoutTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sahod.errors import (
    InvalidParameters,
    InvalidToken,
    MissingResource,
    SahodError,
    ServerUnavailable,
    TimeLimitExceeded,
    UnsupportedMethod,
    UnsupportedType,
)
from sahod.kit.envelope import error_envelope
from sahod.kit.outage import RETRY_AFTER_SECONDS, is_database_unavailable, is_statement_timeout

log = logging.getLogger("sahod.errors")


def _field_name(location: Sequence[Any]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) if parts else "body"


def describe_validation(errors: Sequence[Any]) -> str:
    """One sentence naming each field that is wrong, for a 400 INVALID_PARAMETERS."""
    messages: list[str] = []
    for error in errors[:5]:
        kind = error.get("type", "")
        location = error.get("loc", ())
        field = _field_name(location)
        if kind == "json_invalid":
            messages.append("the body is not valid JSON")
        elif kind == "missing":
            messages.append(f"{field} is required")
        elif kind == "extra_forbidden":
            messages.append(f"{field} is not a known field")
        else:
            messages.append(f"{field}: {error.get('msg', 'is not valid')}")
    return "; ".join(messages) + "."


async def _sahod_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SahodError)
    # A 429 carries Retry-After and RateLimit headers (sahod.limits.service.RateLimited).
    return error_envelope(request, exc, getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_envelope(request, InvalidParameters(describe_validation(exc.errors())))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error: SahodError
    if exc.status_code == 404:
        error = MissingResource("There is no such path.")
    elif exc.status_code == 405:
        return error_envelope(
            request, UnsupportedMethod(), headers={"Allow": allowed_methods(request)}
        )
    elif exc.status_code == 415:
        error = UnsupportedType()
    elif exc.status_code == 401:
        error = InvalidToken()
    elif 400 <= exc.status_code < 500:
        error = InvalidParameters(str(exc.detail))
    else:
        error = SahodError()
    # Keep what the exception says about the response, such as a 405's Allow header.
    return error_envelope(request, error, headers=exc.headers)


async def _unstorable_value(request: Request, exc: Exception) -> Response:
    # A value the database cannot hold (a NUL byte, an out-of-range number) that got past
    # validation: the request is at fault, and nothing was written.
    log.warning(
        "data error in %s %s: %s",
        request.method,
        request.url.path,
        type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__,
    )
    return error_envelope(
        request, InvalidParameters("A value in the request cannot be stored; check its characters.")
    )


async def _database_away(request: Request, exc: Exception) -> Response:
    # The database restarting or failing over is a wait, not a bug: 503 with Retry-After,
    # and the pool reconnects by itself for the next request. A statement that ran past
    # ``statement_timeout`` is 504. Anything else here is a bug.
    if is_statement_timeout(exc):
        log.warning("statement timeout in %s %s", request.method, request.url.path)
        return error_envelope(request, TimeLimitExceeded())
    if is_database_unavailable(exc):
        log.warning("database unavailable in %s %s: %s", request.method, request.url.path, exc)
        return error_envelope(
            request,
            ServerUnavailable("The database is unavailable; try again in a few seconds."),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return await _unexpected(request, exc)


def allowed_methods(request: Request) -> str:
    """Every method the API documents for this path (Starlette names one route's only)."""
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        request.app.state, "allow_table", None
    )
    if table is None:
        table = []
        for template, item in request.app.openapi().get("paths", {}).items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            table.append((pattern, {method.upper() for method in item}))
        request.app.state.allow_table = table
    methods: set[str] = set()
    for pattern, documented in table:
        if pattern.match(request.url.path):
            methods |= documented
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


async def _unexpected(request: Request, exc: Exception) -> Response:
    # The trace goes to the log with the request id; the client sees only the envelope.
    log.exception(
        "unhandled error in %s %s (%s)",
        request.method,
        request.url.path,
        getattr(request.state, "request_id", ""),
        exc_info=exc,
    )
    return error_envelope(request, SahodError())


def install(app: FastAPI) -> None:
    app.add_exception_handler(SahodError, _sahod_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _unstorable_value)
    for away in (
        OperationalError,
        InterfaceError,
        PoolCheckoutTimeout,
        psycopg.OperationalError,
        psycopg.InterfaceError,
        psycopg_pool.PoolTimeout,
    ):
        app.add_exception_handler(away, _database_away)
    app.add_exception_handler(Exception, _unexpected)
