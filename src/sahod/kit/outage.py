"""Telling a database that is away (restarting, failing over, unreachable) from a bug.

Both the API (503 rather than 500) and the worker (retry rather than give up) ask here.
"""

from __future__ import annotations

import procrastinate
import procrastinate.jobs
import psycopg
import psycopg_pool
from sqlalchemy import exc as sa_exc

RETRY_AFTER_SECONDS = 5
"""What an API response tells clients to wait while the database is away."""


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        if isinstance(current, sa_exc.DBAPIError) and current.orig is not None:
            chain.append(current.orig)
        current = current.__cause__ or current.__context__
    return chain


def is_statement_timeout(error: BaseException) -> bool:
    """The database was there but could not answer within ``statement_timeout``."""
    return any(isinstance(cause, psycopg.errors.QueryCanceled) for cause in _causes(error))


CONFIGURATION_SQLSTATES = frozenset({"28000", "28P01", "3D000"})
"""Refused sign-in, wrong password, no such database: waiting will not fix these."""

CONFIGURATION_MESSAGES = ("password authentication failed", "does not exist", "no pg_hba.conf")
"""The same, as libpq words them when the connection attempt itself fails (no SQLSTATE)."""


def is_configuration_error(error: BaseException) -> bool:
    for cause in _causes(error):
        if isinstance(cause, psycopg.Error):
            if cause.sqlstate in CONFIGURATION_SQLSTATES:
                return True
            if cause.sqlstate is None and any(m in str(cause) for m in CONFIGURATION_MESSAGES):
                return True
    return False


def is_database_unavailable(error: BaseException) -> bool:
    """The connection was lost or could not be made: a wait, not a failure of the work."""
    if is_configuration_error(error):
        return False
    for cause in _causes(error):
        if isinstance(cause, psycopg.errors.QueryCanceled):
            return False
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(
            cause,
            (
                psycopg.OperationalError,
                psycopg.InterfaceError,
                psycopg_pool.PoolTimeout,
                sa_exc.TimeoutError,  # no pooled connection could be had in time
                ConnectionError,
            ),
        ):
            return True
    return False


class RetryWhileDatabaseAway(procrastinate.BaseRetryStrategy):
    """A job that failed because the database went away runs again (after a capped,
    growing wait) instead of being failed: the database being away says nothing about the
    work. Any other error is not retried here."""

    def __init__(self, first_seconds: float = 1.0, cap_seconds: float = 30.0) -> None:
        self.first_seconds = first_seconds
        self.cap_seconds = cap_seconds

    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate.jobs.Job
    ) -> procrastinate.RetryDecision | None:
        if not is_database_unavailable(exception):
            return None
        wait = min(self.cap_seconds, self.first_seconds * 2.0**job.attempts)
        return procrastinate.RetryDecision(retry_in={"seconds": int(wait) or 1})
