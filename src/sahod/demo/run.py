"""`sahod demo`: Sahod as `sahod serve` runs it (embedded defaults, the worker, the sandbox
portals) plus a sample tenant site on another port that embeds the SDK, in one process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from types import FrameType
from typing import Literal

from sahod.config import Settings
from sahod.db import session_scope

WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # noqa: S104 - names, to connect to loopback instead


def _bind(host: str, port: int) -> socket.socket:
    """Listen before starting, so a port in use is a clear error and not a half-started demo."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SystemExit(f"sahod demo: cannot listen on {host}:{port}: {error.strerror}") from None
    sock.set_inheritable(True)
    return sock


def banner(
    *,
    site_url: str,
    sahod_url: str,
    api_key: str,
    api_secret: str,
    webhooks: str,
    member: tuple[str, str],
) -> str:
    return f"""
  Sahod demo: a sample tenant site that uses Sahod, as a lender's web app would.

  1. Open {site_url} in your browser (Acme Lending, on its own origin).
  2. Click "Connect an account", agree, pick a provider (My.SSS, for example) and sign in:
       username       gpalomero1234@smileapi.io
       password       123456
       one-time code  1234     (any other code shows "that code was not right")
     To see an error: any username with the password error_ACCOUNT_LOCKED
     (or error_ followed by any of the 16 error codes).
  3. Watch the SDK's callbacks and the signed webhooks arrive in the live log.
  4. Open the developer portal, {sahod_url}/portal/, and sign in as
       e-mail    {member[0]}
       password  {member[1]}
     to find that user, their CV view and raw data, and every webhook delivery.

  Sahod API:       {sahod_url}   (docs: {sahod_url}/v1/docs)
  Sandbox tenant:  API key {api_key}
                   API secret {api_secret}
  Webhooks:        {webhooks}
  Ctrl-C stops everything.
"""


async def run_demo(settings: Settings, site_port: int) -> None:
    import uvicorn

    from sahod.app import create_app
    from sahod.demo.site import DemoSite
    from sahod.portal.bootstrap import ensure_sandbox_member
    from sahod.runtime import open_runtime
    from sahod.tenants.bootstrap import ensure_sandbox_tenant

    local = "127.0.0.1" if settings.host in WILDCARD_HOSTS else settings.host
    api_socket = _bind(settings.host, settings.port)
    site_socket = _bind(settings.host, site_port)

    async with open_runtime(settings) as runtime:
        async with session_scope(runtime.session_factory) as session:
            keys = await ensure_sandbox_tenant(session, settings.data_dir, runtime.clock)
            member = await ensure_sandbox_member(
                session, settings.data_dir, keys.tenant_id, runtime.clock
            )
        app = create_app(settings, runtime=runtime)
        site = DemoSite(
            api_url=f"http://{local}:{settings.port}",
            browser_sahod_url=settings.resolved_public_url(),
            api_key=keys.api_key,
            api_secret=keys.api_secret,
            webhook_url=f"http://{local}:{site_port}/webhook",
        )

        def config(asgi: object, port: int, lifespan: Literal["on", "off"]) -> uvicorn.Config:
            return uvicorn.Config(
                asgi,  # type: ignore[arg-type]
                host=settings.host,
                port=port,
                log_level="warning",
                # Through Sahod's JSON lines (sahod.kit.logs), not uvicorn's own format.
                log_config=None,
                access_log=False,
                lifespan=lifespan,
                proxy_headers=False,
                timeout_keep_alive=30,
                # Open event streams (the widget's, the log's) must not hold up a stop.
                timeout_graceful_shutdown=3,
            )

        class SiteServer(uvicorn.Server):
            """Leaves the signals to the API server, which stops both."""

            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        site_server = SiteServer(config(site.app(), site_port, "off"))

        class ApiServer(uvicorn.Server):
            """Stops the site too on SIGINT/SIGTERM, and returns rather than re-raising the
            signal (as uvicorn does), so the worker, pools and embedded PostgreSQL close."""

            def handle_exit(self, sig: int, frame: FrameType | None) -> None:
                site_server.should_exit = True
                if self.should_exit:
                    self.force_exit = True
                    site_server.force_exit = True
                self.should_exit = True

        api_server = ApiServer(config(app, settings.port, "on"))
        serving = [
            asyncio.create_task(api_server.serve(sockets=[api_socket])),
            asyncio.create_task(site_server.serve(sockets=[site_socket])),
        ]
        try:
            while not (api_server.started and site_server.started):
                if any(task.done() for task in serving):
                    break
                await asyncio.sleep(0.05)
            if api_server.started and site_server.started:
                webhooks = await site.subscribe()
                print(
                    banner(
                        site_url=f"http://{local}:{site_port}",
                        sahod_url=settings.resolved_public_url(),
                        api_key=keys.api_key,
                        api_secret=keys.api_secret,
                        webhooks=webhooks,
                        member=member,
                    ),
                    flush=True,
                )
            # Either server ending (a signal, a failure) ends the other.
            await asyncio.wait(serving, return_when=asyncio.FIRST_COMPLETED)
        finally:
            api_server.should_exit = site_server.should_exit = True
            await asyncio.gather(*serving, return_exceptions=True)
            api_socket.close()
            site_socket.close()
