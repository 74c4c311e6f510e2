"""The four sandbox portals as one ASGI app.

Sahod's main app mounts it at ``/sandbox/portals`` in sandbox mode; ``sahod
sandbox-portals --port N`` runs it alone (``serve``) for benchmarks and fault tests.
Sessions live in the memory of the process serving it, so run it with one worker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

from sahod.kit.clock import Clock, SystemClock
from sahod.providers.catalog import PROVIDERS_BY_ID
from sahod.sandbox.faults import PortalFaults
from sahod.sandbox.portals import gsis, pagibig, philhealth, sss
from sahod.sandbox.portals.common import Portal, esc

PortalFactory = Callable[[Clock, PortalFaults], Starlette]

PORTALS: Mapping[str, PortalFactory] = {
    "sss": sss.create_app,
    "gsis": gsis.create_app,
    "philhealth": philhealth.create_app,
    "pagibig": pagibig.create_app,
}


def create_portals_app(clock: Clock | None = None) -> Starlette:
    """The portals under ``/<provider>``; ``app.state.faults[provider]`` sets faults from
    code, ``app.state.portals[provider]`` reaches a portal's sessions and counters."""
    clock = clock or SystemClock()
    faults = {provider: PortalFaults() for provider in PORTALS}
    apps = {provider: factory(clock, faults[provider]) for provider, factory in PORTALS.items()}

    async def index(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", ""))
        items = "".join(
            f'<li><a href="{esc(root)}/{p}/">{esc(PROVIDERS_BY_ID[p].name)}</a></li>'
            for p in PORTALS
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
    return app


def _portal(app: Starlette) -> Portal:
    portal = app.state.portal
    if not isinstance(portal, Portal):
        raise TypeError("not a sandbox portal app")
    return portal


def serve(host: str, port: int) -> None:
    """Run the portals alone (``sahod sandbox-portals``)."""
    uvicorn.run(create_portals_app(), host=host, port=port, log_level="warning", workers=1)
