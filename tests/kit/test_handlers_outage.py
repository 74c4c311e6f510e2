"""While the database is away, the API answers 503 SERVER_UNAVAILABLE in the envelope with
Retry-After, never a 500; /readyz says why it is not ready."""

from __future__ import annotations

import psycopg
from fastapi import FastAPI

from sahod.db import create_engine, create_session_factory
from tests.conftest import TenantClient
from tests.e2e.server import free_port


def lose_the_database(app: object) -> None:
    assert isinstance(app, FastAPI)
    nowhere = create_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    app.state.session_factory = create_session_factory(nowhere)


async def test_a_request_while_the_database_is_away_is_503_with_retry_after(
    app: object, tenant: TenantClient
) -> None:
    assert (await tenant.http.get("/v1/accounts")).status_code == 200
    lose_the_database(app)
    response = await tenant.http.get("/v1/accounts")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.json()
    assert body["code"] == "SERVER_UNAVAILABLE"
    assert body["data"] == {} and body["requestId"] == response.headers["x-request-id"]


async def test_readyz_names_the_database_when_it_is_away(app: object, tenant: TenantClient) -> None:
    assert (await tenant.http.get("/healthz")).status_code == 200
    lose_the_database(app)
    response = await tenant.http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "SERVER_UNAVAILABLE"
    assert body["data"]["ready"] is False
    assert body["data"]["checks"]["database"] == "the database does not answer"
    assert "the database does not answer" in body["message"]
    assert (await tenant.http.get("/healthz")).status_code == 200  # alive all the same


async def test_readyz_fails_when_the_oldest_due_job_waited_too_long(
    tenant: TenantClient, database_url: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args, scheduled_at) "
            "VALUES ('default', 'readyz.check', '{}', now() - interval '10 minutes') RETURNING id"
        ).fetchone()
        assert row is not None
        try:
            response = await tenant.http.get("/readyz")
        finally:
            conn.execute("DELETE FROM procrastinate_jobs WHERE id = %s", (row[0],))
    assert response.status_code == 503
    reason = response.json()["data"]["checks"]["queue"]
    assert reason.startswith("the oldest due job has waited 6"), reason  # 600 s and a bit
    assert "limit 300 s" in reason
