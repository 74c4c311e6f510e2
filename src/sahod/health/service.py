"""Whether this server can do its work now, and if not, why."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sahod import migrate
from sahod.config import Settings
from sahod.health import repository
from sahod.kit.outage import is_database_unavailable, is_statement_timeout


@dataclass
class Readiness:
    ready: bool = True
    checks: dict[str, str] = field(default_factory=dict)
    """Each check's verdict: "ok", or a sentence saying what is wrong."""
    reasons: list[str] = field(default_factory=list)

    def fail(self, check: str, reason: str) -> None:
        self.ready = False
        self.checks[check] = reason
        self.reasons.append(reason)


@lru_cache(maxsize=1)
def _heads() -> frozenset[str]:
    return frozenset(migrate.head_revisions())


async def _check(session: AsyncSession, settings: Settings, readiness: Readiness) -> None:
    applied = await repository.applied_revisions(session)
    readiness.checks["database"] = "ok"
    if applied != _heads():
        readiness.fail(
            "migrations",
            f"the database schema is at {sorted(applied) or 'nothing'}, not {sorted(_heads())}: "
            "run `sahod migrate`",
        )
    else:
        readiness.checks["migrations"] = "ok"

    heartbeat = await repository.seconds_since_last_heartbeat(session)
    limit = settings.ready_heartbeat_max_age_seconds
    if heartbeat is None:
        readiness.fail("worker", "no job worker is running")
    elif heartbeat > limit:
        readiness.fail(
            "worker",
            f"no job worker has sent a heartbeat for {heartbeat:.0f} s (limit {limit:.0f} s)",
        )
    else:
        readiness.checks["worker"] = "ok"

    waiting = await repository.oldest_due_job_seconds(session)
    limit = settings.ready_queue_max_delay_seconds
    if waiting is not None and waiting > limit:
        readiness.fail(
            "queue", f"the oldest due job has waited {waiting:.0f} s (limit {limit:.0f} s)"
        )
    else:
        readiness.checks["queue"] = "ok"


async def readiness(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> Readiness:
    result = Readiness()
    try:
        async with session_factory() as session:
            await _check(session, settings, result)
    except Exception as error:
        if is_statement_timeout(error):
            result.fail("database", "the database did not answer in time")
        elif is_database_unavailable(error):
            result.fail("database", "the database does not answer")
        else:
            raise
    return result
