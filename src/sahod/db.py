"""The engine, sessions, and the embedded PostgreSQL bootstrap.

Services never commit: a request (see ``session_dependency``) or a task boundary
(``session_scope``) commits when its work is done, or rolls back when it fails.
"""

from __future__ import annotations

import asyncio
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

import psycopg
import psycopg_pool
from psycopg.pq import TransactionStatus
from sqlalchemy import Enum, MetaData, Select, event
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
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
    _engine_options[engine] = (url, statement_timeout_seconds)
    _read_pools[engine] = ReadPool(
        libpq_url(sqlalchemy_url(url)),
        connection_options(statement_timeout_seconds),
        max_size=2 * pool_size,
    )
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


class ReadPool:
    """Autocommit psycopg connections for requests that run one read (a page, an item).

    Those requests are the API's hottest path, and SQLAlchemy's session, its transaction
    and its result machinery cost several times the read itself (about 0.5 ms of CPU against
    0.1 ms for the same prepared statement on the driver). Here a statement is sent as it
    is, with no BEGIN or COMMIT around it: one statement is one snapshot. At most
    ``max_size`` connections are in use at once, as the engine's pool bounds its own.
    """

    def __init__(self, conninfo: str, options: str, max_size: int) -> None:
        self._conninfo = conninfo
        self._options = options
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._max_size = max_size
        self._slots: asyncio.Semaphore | None = None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_size)
        async with self._slots:
            connection = self._take_idle()
            if connection is None:
                # A refused connection raises psycopg.OperationalError: the API's 503.
                connection = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, options=self._options
                )
            try:
                yield connection
            finally:
                healthy = (
                    not connection.closed
                    and not connection.broken
                    and connection.info.transaction_status == TransactionStatus.IDLE
                )
                if healthy:
                    self._idle.append(connection)
                else:
                    await connection.close()

    def _take_idle(self) -> psycopg.AsyncConnection[Any] | None:
        while self._idle:
            connection = self._idle.pop()
            if _unusable(connection):
                # As _refuse_dead_connection: the server went away (a restart); a new one.
                connection.pgconn.finish()
                continue
            return connection
        return None

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


def _unusable(connection: psycopg.AsyncConnection[Any]) -> bool:
    """Closed, broken, or hung up on by the server (an idle connection's socket has nothing
    to read otherwise)."""
    if connection.closed or connection.broken:
        return True
    readable, _, _ = select.select([connection.pgconn.socket], [], [], 0)
    return bool(readable)


async def refuse_dead_pooled_connection(connection: psycopg.AsyncConnection[Any]) -> None:
    """A ``psycopg_pool`` check, as ``_refuse_dead_connection`` is SQLAlchemy's: a pooled
    connection the server has hung up on (a restart) is replaced, found by a poll of its
    socket. The pool's own ``check_connection`` sends an empty query instead, a round trip
    on every checkout: on procrastinate's pool that was a third of the job engine's CPU
    in the worker (each job's fetch and its finish take a connection apiece)."""
    if _unusable(connection):
        # Closed here: the pool takes a connection that failed its check back, and keeps
        # it unless it is closed.
        await connection.close()
        raise psycopg.OperationalError("the server closed the pooled connection")


def checked_job_pool(**pool_args: Any) -> psycopg_pool.AsyncConnectionPool:
    """procrastinate's pool (its ``pool_factory``), checked with no round trip."""
    return psycopg_pool.AsyncConnectionPool(**{**pool_args, "check": refuse_dead_pooled_connection})


_read_pools: weakref.WeakKeyDictionary[AsyncEngine, ReadPool] = weakref.WeakKeyDictionary()


def read_pool_of(engine: AsyncEngine) -> ReadPool:
    """The read pool ``create_engine`` made beside ``engine``, to the same database."""
    return _read_pools[engine]


_engine_options: weakref.WeakKeyDictionary[AsyncEngine, tuple[str, float]] = (
    weakref.WeakKeyDictionary()
)
_side_engines: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def side_engine_of(engine: AsyncEngine) -> AsyncEngine:
    """An autocommit engine to ``engine``'s database with a small pool of its own, for short
    statements taken while a request's session holds a connection of ``engine``'s pool (the
    rate counters). From the same pool, a burst of such requests deadlocks: each holds one
    connection and waits for a second one that none will give back."""
    found = _side_engines.get(engine)
    if found is None:
        url, statement_timeout_seconds = _engine_options[engine]
        found = create_async_engine(
            sqlalchemy_url(url),
            pool_size=5,
            max_overflow=5,
            pool_recycle=1800,
            isolation_level="AUTOCOMMIT",
            connect_args={"options": connection_options(statement_timeout_seconds)},
        )
        event.listen(found.sync_engine.pool, "checkout", _refuse_dead_connection)
        _side_engines[engine] = found
    return found


async def dispose_engine(engine: AsyncEngine) -> None:
    """Closes the engine's pool, its read pool and its side engine's pool."""
    pool = _read_pools.pop(engine, None)
    if pool is not None:
        await pool.close()
    side = _side_engines.pop(engine, None)
    if side is not None:
        await side.dispose()
    await engine.dispose()


DriverConnection = psycopg.AsyncConnection[Any]
"""What ``read_connection_dependency`` hands out: the driver's own connection."""

_DIALECT = psycopg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class CompiledRead:
    """A statement compiled once for a ``DriverConnection``: its SQL, and the values of the
    literals it holds (a kind's name); the rest come as parameters at each run."""

    sql: bytes
    defaults: dict[str, Any]


def compile_read(statement: Select[Any]) -> CompiledRead:
    compiled = statement.compile(dialect=_DIALECT)
    return CompiledRead(sql=str(compiled).encode(), defaults=dict(compiled.params))


async def read_row(
    connection: DriverConnection, read: CompiledRead, parameters: dict[str, Any]
) -> tuple[Any, ...] | None:
    """The first row of one run of ``read`` (psycopg prepares it after a few runs)."""
    cursor = await connection.execute(read.sql, {**read.defaults, **parameters})
    row: tuple[Any, ...] | None = await cursor.fetchone()
    return row


async def driver_connection_of(session: AsyncSession) -> DriverConnection:
    """The driver connection under ``session``, inside its transaction: for a caller that
    holds a session and wants a read written for a ``DriverConnection``."""
    raw = await (await session.connection()).get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, psycopg.AsyncConnection)
    return driver


async def read_connection_dependency(
    request: Request,
) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """The connection of a request that runs one read (see ``ReadPool``).

    Where the app's sessions are bound to one connection (a test's rolled-back
    transaction), that connection's driver connection, so the read sees that transaction.
    """
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    bind = factory.kw.get("bind")
    if isinstance(bind, AsyncEngine):
        async with read_pool_of(bind).connection() as connection:
            yield connection
    else:
        assert isinstance(bind, AsyncConnection)
        raw = await bind.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, psycopg.AsyncConnection)
        yield driver
