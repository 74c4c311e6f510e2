"""Which database errors are an outage (wait and retry) and which are not."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from sqlalchemy.exc import OperationalError

from sahod.kit.outage import is_configuration_error, is_database_unavailable, is_statement_timeout


async def test_a_server_that_does_not_listen_is_unavailable() -> None:
    with pytest.raises(psycopg.OperationalError) as caught:
        await psycopg.AsyncConnection.connect(
            "postgresql://postgres@127.0.0.1:1/x", connect_timeout=2
        )
    assert is_database_unavailable(caught.value)
    wrapped = OperationalError("SELECT 1", {}, caught.value)
    assert is_database_unavailable(wrapped)


async def test_a_wrong_database_name_is_a_configuration_error(database_url: str) -> None:
    wrong = make_conninfo(database_url, dbname="no_such_database_here")
    with pytest.raises(psycopg.OperationalError) as caught:
        await psycopg.AsyncConnection.connect(wrong)
    assert is_configuration_error(caught.value)
    assert not is_database_unavailable(caught.value)


async def test_a_statement_timeout_is_not_an_outage(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await conn.execute("SET statement_timeout = 50")
        with pytest.raises(psycopg.errors.QueryCanceled) as caught:
            await conn.execute("SELECT pg_sleep(1)")
    assert is_statement_timeout(caught.value)
    assert not is_database_unavailable(caught.value)
