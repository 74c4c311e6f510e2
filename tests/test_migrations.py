"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic import command

from sahod.migrate import alembic_config


def test_models_and_migrations_agree(database_url: str, shared_runtime: object) -> None:
    # shared_runtime has migrated the test database to head; check finds no difference.
    command.check(alembic_config(database_url))


def test_archive_sources_keep_existing_data_points_as_they_were(server_url: str) -> None:
    """Migration 0012 rebuilds the data points' wire JSON with the archive source: an
    account's item reads exactly as before, and the migration goes down and up again."""
    import psycopg

    from tests.conftest import scratch_database

    with scratch_database(server_url, "sahod_mig_0012") as url:
        config = alembic_config(url)
        command.upgrade(config, "0011")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO tenants (id, name, mode) VALUES ('t1', 'T', 'SANDBOX')")
            conn.execute(
                "INSERT INTO users (id, tenant_id, external_metadata, created_at)"
                " VALUES ('u1', 't1', '{}', now())"
            )
            conn.execute(
                "INSERT INTO accounts (id, tenant_id, user_id, provider_id, connection_status,"
                " connection_updated_at, created_at, monitor_status)"
                " VALUES ('a-1', 't1', 'u1', 'sss', 'CONNECTED', now(), now(), 'ACTIVE')"
            )
            conn.execute(
                "INSERT INTO datapoints (id, tenant_id, user_id, account_id, provider_id, kind,"
                " reference, payload, account_created_at, created_at, updated_at) VALUES"
                " ('inc-1', 't1', 'u1', 'a-1', 'sss', 'INCOMES', 'r1', '{\"currency\": \"PHP\"}',"
                " now(), now(), now())"
            )
            before = conn.execute("SELECT wire_json FROM datapoints").fetchone()
        command.upgrade(config, "0012")
        with psycopg.connect(url, autocommit=True) as conn:
            after = conn.execute("SELECT wire_json, source_type FROM datapoints").fetchone()
        assert before is not None and after is not None
        assert after == (before[0], "ACCOUNT")
        command.downgrade(config, "0011")
        command.upgrade(config, "head")
