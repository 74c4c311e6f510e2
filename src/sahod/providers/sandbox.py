"""The registered providers' sandbox portals as one ASGI app.

Sahod's main app mounts it at ``/sandbox/portals`` in sandbox mode; ``sahod
sandbox-portals --port N`` runs it alone (``serve``) for benchmarks and fault tests;
tests run it on a loopback port in a thread (``BackgroundPortals``). Sessions live in the
memory of the process serving it, so run it with one worker.
"""

from __future__ import annotations

import uvicorn
from starlette.applications import Starlette

from sahod.kit.clock import Clock
from sahod.providers.registry import REGISTRATIONS
from sahod.sandbox.mount import MountedPortal, mount_portals
from sahod.sandbox.portals.common import OperatorAccess
from sahod.sandbox.server import PortalsServer


def create_portals_app(
    clock: Clock | None = None, *, operator: OperatorAccess | None = None
) -> Starlette:
    """The portals under ``/<provider>``; ``app.state.faults[provider]`` sets faults from
    code, ``app.state.portals[provider]`` reaches a portal's sessions and counters. Their
    fault, reset and stats endpoints are open unless ``operator`` says otherwise (the API
    server's mount does)."""
    return mount_portals(
        [MountedPortal(r.id, r.info.name, r.sandbox_portal) for r in REGISTRATIONS],
        clock,
        operator=operator or OperatorAccess(open=True),
    )


def serve(host: str, port: int) -> None:
    """Run the portals alone (``sahod sandbox-portals``)."""
    uvicorn.run(
        create_portals_app(),
        host=host,
        port=port,
        log_level="warning",
        log_config=None,  # through Sahod's JSON lines (sahod.kit.logs)
        workers=1,
    )


class BackgroundPortals(PortalsServer):
    """Every registered provider's portal on a loopback port, in a background thread."""

    def __init__(
        self, clock: Clock | None = None, host: str = "127.0.0.1", mount_path: str = ""
    ) -> None:
        super().__init__(create_portals_app(clock), host=host, mount_path=mount_path)
