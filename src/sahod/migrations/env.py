"""Alembic environment: one database, migrated under an advisory lock.

The lock lets `sahod serve` and any number of `sahod worker` processes start together
against one database without racing each other through the same migration.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

import sahod.models  # noqa: F401  (registers every table on the metadata)
from sahod.db import Base, sqlalchemy_url

MIGRATION_LOCK_KEY = 0x5A40D  # any fixed bigint; shared by every Sahod process

config = context.config
target_metadata = Base.metadata


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """procrastinate's tables are migrated from its own SQL (0002), not from our models."""
    return not (name or "").startswith(("procrastinate_", "idx_procrastinate"))


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sahod.cli sets sqlalchemy.url"
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                include_object=include_object,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
    engine.dispose()


run_migrations_online()
