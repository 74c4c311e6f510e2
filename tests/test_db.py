"""The database layer: the request boundary commits before it answers, and the job pool
replaces a connection the server closed."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

import httpx
import psycopg
from fastapi import Depends, FastAPI, Request
from sqlalchemy import text
from starlette.responses import Response

from sahod.db import checked_job_pool, create_session_factory, libpq_url
from sahod.kit import handlers
from sahod.kit.deps import Session
from sahod.kit.envelope import envelope
from sahod.kit.middleware import RequestIdMiddleware
from sahod.runtime import Runtime


async def test_a_commit_that_fails_is_an_error_response_not_a_success(
    shared_runtime: Runtime,
) -> None:
    table = f"commit_probe_{secrets.token_hex(4)}"
    async with shared_runtime.engine.begin() as conn:
        await conn.execute(
            text(f"CREATE TABLE {table} (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)")
        )
    app = FastAPI()
    app.state.session_factory = create_session_factory(shared_runtime.engine)
    handlers.install(app)
    app.add_middleware(RequestIdMiddleware)

    @app.post("/probe", status_code=201)
    async def probe(
        request: Request, session: Session, n: Annotated[int, Depends(lambda: 2)]
    ) -> Response:
        # Two equal rows: the deferred unique check fails only at COMMIT.
        for _ in range(n):
            await session.execute(text(f"INSERT INTO {table} VALUES (1)"))
        return envelope(request, {"inserted": n}, status_code=201)

    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as client:
            response = await client.post("/probe")
        assert response.status_code == 500
        assert response.json()["code"] == "SERVER_ERROR"
        assert "Traceback" not in response.text
        async with shared_runtime.engine.connect() as conn:
            count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
        assert count == 0
    finally:
        async with shared_runtime.engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {table}"))


async def test_the_job_pool_replaces_a_connection_the_server_closed(database_url: str) -> None:
    """procrastinate's pool: a connection whose server went away (as in a restart) is not
    handed out; a healthy one is kept."""
    pool = checked_job_pool(conninfo=libpq_url(database_url), min_size=1, max_size=1, open=False)
    await pool.open(wait=True)
    try:
        async with pool.connection() as connection:
            first = await (await connection.execute("SELECT pg_backend_pid()")).fetchone()
            assert first is not None
        async with pool.connection() as connection:
            again = await (await connection.execute("SELECT pg_backend_pid()")).fetchone()
            assert again == first  # kept alive
        async with await psycopg.AsyncConnection.connect(
            libpq_url(database_url), autocommit=True
        ) as other:
            await other.execute("SELECT pg_terminate_backend(%s)", [first[0]])
            for _ in range(100):  # until the backend has said goodbye and exited
                gone = await other.execute(
                    "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = %s)", [first[0]]
                )
                if (await gone.fetchone()) == (True,):
                    break
                await asyncio.sleep(0.05)
        async with pool.connection() as connection:
            row = await (await connection.execute("SELECT pg_backend_pid()")).fetchone()
        assert row is not None and row[0] != first[0]
    finally:
        await pool.close()
