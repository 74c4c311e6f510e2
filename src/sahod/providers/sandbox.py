"""The registered providers' sandbox portals as one ASGI app.

Sahod's main app mounts it at ``/sandbox/portals`` in sandbox mode; ``sahod
sandbox-portals --port N`` runs it alone (``serve``) for benchmarks and fault tests;
tests run it on a loopback port in a thread (``BackgroundPortals``). Sessions live in the
memory of the process serving it, so run it with one worker.
"""

from __future__ import annotations

import os
import socket
import threading

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

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


def serve_inherited_socket(
    fd: int, *, mount_path: str, operator: OperatorAccess, parent_pid: int | None
) -> None:
    """Run the portals under ``mount_path`` on a listening socket the parent opened
    (`sahod serve --workers N`'s portals process): the parent keeps the socket, so the
    port stays the same and connections wait in its backlog while this process restarts."""
    listening = socket.socket(fileno=fd)
    portals = create_portals_app(operator=operator)
    app = Starlette(routes=[Mount(mount_path, app=portals)]) if mount_path else portals
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            log_config=None,
            lifespan="off",
            # Longer than the proxy's pooled connections stay idle, so that a kept-alive
            # connection is not closed just as a request is sent on it.
            timeout_keep_alive=75,
        )
    )
    if parent_pid is not None:

        def exit_with_parent() -> None:
            # A portals process whose `sahod serve` was killed outright must not live on.
            while not server.should_exit:
                if os.getppid() != parent_pid:
                    server.should_exit = True
                    return
                threading.Event().wait(1)

        threading.Thread(target=exit_with_parent, name="parent watch", daemon=True).start()
    server.run(sockets=[listening])


class BackgroundPortals(PortalsServer):
    """Every registered provider's portal on a loopback port, in a background thread."""

    def __init__(
        self, clock: Clock | None = None, host: str = "127.0.0.1", mount_path: str = ""
    ) -> None:
        super().__init__(create_portals_app(clock), host=host, mount_path=mount_path)
