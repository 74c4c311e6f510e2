"""The request boundary commits before it answers."""

from __future__ import annotations

import secrets
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Request
from sqlalchemy import text
from starlette.responses import Response

from sahod.db import create_session_factory
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
