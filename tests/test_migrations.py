"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic import command

from sahod.migrate import alembic_config


def test_models_and_migrations_agree(database_url: str, shared_runtime: object) -> None:
    # shared_runtime has migrated the test database to head; check finds no difference.
    command.check(alembic_config(database_url))
