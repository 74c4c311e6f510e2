"""What a job needs from the process it runs in, built by ``sahod.runtime``.

Tasks and the pipeline take this object rather than ``sahod.runtime.Runtime``, so the
domain packages never import the composition root: it imports them (to register their
tasks), never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sahod.config import Settings
from sahod.kit.clock import Clock
from sahod.kit.crypto import Sealer

ConnectorT = TypeVar("ConnectorT")


@dataclass(kw_only=True)
class Services(Generic[ConnectorT]):
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    clock: Clock
    sealer: Sealer
    jobs: procrastinate.App
    connector_factory: Callable[[str, Settings, str], ConnectorT]
    """Makes a provider's connector for these settings and a tenant mode (SANDBOX or
    PRODUCTION: the mode picks the portal); ``connector`` keeps one each."""
    connectors: dict[str, ConnectorT] = field(default_factory=dict)
    """One connector per provider and mode, shared by this process's jobs (its HTTP pools)."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Clients a domain keeps for the process (the webhook sender's), closed with it."""

    def connector(self, provider_id: str, mode: str) -> ConnectorT:
        """The connector for accounts of ``mode`` tenants: no default, so that no caller
        can send a production account to the sandbox portals by forgetting the mode."""
        key = f"{mode}:{provider_id}"
        if key not in self.connectors:
            self.connectors[key] = self.connector_factory(provider_id, self.settings, mode)
        return self.connectors[key]


def runtime_of(context: procrastinate.JobContext) -> Services[Any]:
    """The services a task runs with (settings, sessions, clock, sealer, connectors)."""
    services = context.additional_context.get("runtime")
    if not isinstance(services, Services):
        raise RuntimeError("tasks run only under a Sahod worker")
    return services


AnyServices = Services[Any]
"""For code that does not use the connectors (the webhook sender)."""
