"""Sandbox portals side by side as one ASGI app, each under ``/<provider>``.

The machinery only: which portals there are is the providers' registration
(``sahod.providers.sandbox`` passes them in), so nothing here knows a provider by name.
Sessions live in the memory of the process serving the app, so run it with one worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

from sahod.kit.clock import Clock, SystemClock
from sahod.sandbox.faults import PortalFaults
from sahod.sandbox.portals.common import OperatorAccess, Portal, esc

PortalFactory = Callable[[Clock, PortalFaults], Starlette]
"""Builds one portal's app on the sandbox clock and its own fault settings."""


@dataclass(frozen=True, slots=True)
class MountedPortal:
    provider_id: str
    """The path segment the portal is served under."""
    name: str
    """What the index page calls it."""
    create_app: PortalFactory


def mount_portals(
    portals: Sequence[MountedPortal], clock: Clock | None = None, *, operator: OperatorAccess
) -> Starlette:
    """The portals under ``/<provider>``; ``app.state.faults[provider]`` sets faults from
    code, ``app.state.portals[provider]`` reaches a portal's sessions and counters;
    ``operator`` says who may use their fault, reset and stats endpoints."""
    clock = clock or SystemClock()
    faults = {portal.provider_id: PortalFaults() for portal in portals}
    apps = {p.provider_id: p.create_app(clock, faults[p.provider_id]) for p in portals}

    async def index(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", ""))
        items = "".join(
            f'<li><a href="{esc(root)}/{esc(p.provider_id)}/">{esc(p.name)}</a></li>'
            for p in portals
        )
        return HTMLResponse(
            "<!DOCTYPE html><html><head><title>Sahod sandbox portals</title></head><body>"
            f"<h1>Sandbox portals</h1><ul>{items}</ul>"
            "<p>Personas: see the Sandbox section of the README. One-time code: 1234.</p>"
            "</body></html>"
        )

    app = Starlette(routes=[Route("/", index), *(Mount(f"/{p}", app=a) for p, a in apps.items())])
    app.state.faults = faults
    app.state.portals = {p: _portal(a) for p, a in apps.items()}
    for portal in app.state.portals.values():
        portal.operator = operator
    return app


def _portal(app: Starlette) -> Portal:
    portal = app.state.portal
    if not isinstance(portal, Portal):
        raise TypeError("not a sandbox portal app")
    return portal
