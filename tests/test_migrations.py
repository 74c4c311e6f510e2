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


def test_archive_tasks_need_one_source_and_go_with_a_downgrade(server_url: str) -> None:
    """Migration 0015: a task names an account or an archive, never neither; going down
    drops the archive tasks (0014 has no column for their source) and comes up again."""
    import psycopg

    from tests.conftest import scratch_database

    with scratch_database(server_url, "sahod_mig_0015") as url:
        config = alembic_config(url)
        command.upgrade(config, "0015")
        task = (
            "INSERT INTO tasks (id, tenant_id, user_id, account_id, archive_id, provider_id,"
            " type, status, datapoints, started_at, account_created_at)"
            " VALUES (%s, 't1', 'u1', %s, %s, 'tenant-provided', 'ANALYZE_ARCHIVE', 'Started',"
            " '{}', now(), now())"
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO tenants (id, name, mode) VALUES ('t1', 'T', 'SANDBOX')")
            conn.execute(
                "INSERT INTO users (id, tenant_id, external_metadata, created_at)"
                " VALUES ('u1', 't1', '{}', now())"
            )
            conn.execute(
                "INSERT INTO archives (id, tenant_id, user_id, provider_id, type, status,"
                " state_updated_at, created_at, expires_at) VALUES ('u-1', 't1', 'u1',"
                " 'tenant-provided', 'PAYSLIP', 'STARTED', now(), now(), now())"
            )
            conn.execute(task, ("tsk-1", None, "u-1"))
            try:
                conn.execute(task, ("tsk-2", None, None))
            except psycopg.errors.CheckViolation:
                pass
            else:
                raise AssertionError("a task without a source was stored")
        command.downgrade(config, "0014")
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM tasks").fetchone() == (0,)
        command.upgrade(config, "head")
