"""The engine, sessions, and the embedded PostgreSQL bootstrap.

Services never commit: a request (see ``session_dependency``) or a task boundary
(``session_scope``) commits when its work is done, or rolls back when it fails.
"""

from __future__ import annotations

import logging
import select
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import Enum, MetaData, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from starlette.requests import Request

from sahod.config import Settings

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "sahod"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(enum: type[StrEnum], length: int) -> Enum:
    """A column holding one of ``enum``'s values as a plain VARCHAR(length): read back as
    the enum member, written from one, with no database enum type or CHECK to migrate."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


def sqlalchemy_url(url: str) -> str:
    """Any postgres URL, in the form SQLAlchemy's async psycopg 3 driver takes."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError("SAHOD_DATABASE_URL must be a postgresql:// URL")


def libpq_url(url: str) -> str:
    """The same URL in the form libpq (procrastinate, psql) takes."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass
class EmbeddedServer:
    """A private PostgreSQL run from the ``pgserver`` wheel inside the data dir."""

    handle: Any
    url: str


def start_embedded(data_dir: Path) -> EmbeddedServer:
    # Imported late: a server deployment never needs it.
    from pgserver.postgres_server import get_server

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    handle = get_server(pgdata, cleanup_mode="stop")
    # EMBEDDED_DATABASE is a constant of ours, not input.
    exists = handle.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}';")  # noqa: S608
    if "(1 row)" not in exists:
        handle.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
    return EmbeddedServer(handle=handle, url=handle.get_uri(EMBEDDED_DATABASE))


def resolve_database_url(settings: Settings) -> tuple[str, EmbeddedServer | None]:
    """The configured server, or else the embedded one (started here)."""
    if settings.database_url:
        return settings.database_url, None
    embedded = start_embedded(settings.data_dir)
    log.info("embedded PostgreSQL ready in %s", settings.data_dir.resolve() / "pgdata")
    return embedded.url, embedded


def describe_url(url: str) -> str:
    """The URL without its password, for log lines."""
    parsed = urlparse(libpq_url(url))
    host = parsed.hostname or parse_qs(parsed.query).get("host", ["?"])[0]
    return f"{parsed.scheme}://{parsed.username or ''}@{host}{parsed.path}"


def _use_orjson_for_jsonb() -> None:
    # JSONB payloads are the bulk of every data point page; orjson parses them ~3x faster.
    import orjson
    from psycopg.types.json import set_json_loads

    set_json_loads(orjson.loads)


def connection_options(statement_timeout_seconds: float = 0) -> str:
    """libpq ``options``: UTC timestamps and, where set, a statement timeout."""
    options = "-c timezone=UTC"
    if statement_timeout_seconds > 0:
        options += f" -c statement_timeout={int(statement_timeout_seconds * 1000)}"
    return options


def _refuse_dead_connection(dbapi_connection: Any, *_event_args: Any) -> None:
    """On checkout: a pooled connection the server has closed is replaced, not handed out.

    An idle connection has nothing to read; a readable socket means the server has hung up
    (a restart sends its goodbye and closes) or, rarely, sent a notice; either way a fresh
    connection is the safe answer. A poll of the socket costs no round trip, where a
    pre-ping query costs one on every request. (A connection that dies unseen still fails
    its query; SQLAlchemy then invalidates the whole pool, and the next request reconnects.)
    """
    connection = dbapi_connection.driver_connection
    if connection.closed or connection.broken:
        raise DisconnectionError("the pooled connection is closed")
    readable, _, _ = select.select([connection.pgconn.socket], [], [], 0)
    if readable:
        raise DisconnectionError("the server closed the pooled connection")


def create_engine(
    url: str, *, pool_size: int = 10, statement_timeout_seconds: float = 0
) -> AsyncEngine:
    _use_orjson_for_jsonb()
    engine = create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        # Timestamps leave the database in UTC whatever the server's own zone is.
        connect_args={"options": connection_options(statement_timeout_seconds)},
    )
    # A database restart leaves every pooled connection dead: the check finds them and
    # opens new ones, so the first request after a restart does not fail.
    event.listen(engine.sync_engine.pool, "checkout", _refuse_dead_connection)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def session_scope(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A unit of work: commits if the block succeeds, rolls back if it raises."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work; committed before the response is sent.

    Endpoints take it through ``sahod.kit.deps.Session`` (``scope="function"``), which is
    what makes the commit precede the response.
    """
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with session_scope(factory) as session:
        yield session


_read_factories: weakref.WeakKeyDictionary[
    async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]
] = weakref.WeakKeyDictionary()


def read_session_factory(
    factory: async_sessionmaker[AsyncSession],
) -> async_sessionmaker[AsyncSession]:
    """``factory``'s sessions without a transaction around them, for requests that run one
    read (a page, an item): each statement is its own snapshot, and the BEGIN and COMMIT
    round trips, two of a read's three, are gone.

    A factory bound to a connection (a test's rolled-back transaction) is kept as it is, so
    its reads see that transaction.
    """
    found = _read_factories.get(factory)
    if found is None:
        bind = factory.kw.get("bind")
        found = (
            async_sessionmaker(
                bind.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
                autoflush=False,
            )
            if isinstance(bind, AsyncEngine)
            else factory
        )
        _read_factories[factory] = found
    return found


async def read_session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a request that only reads (see ``read_session_factory``): nothing to
    commit, so it closes when the response is done."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with read_session_factory(factory)() as session:
        yield session
