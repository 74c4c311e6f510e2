"""Mounted sandbox portals on a loopback port, in a background thread.

For tests and tools that need the portals over real HTTP without a second process; the
registered providers' portals are ``sahod.providers.sandbox.BackgroundPortals``:

    with BackgroundPortals(clock=ManualClock(...)) as portals:
        connector = create_connector("sss", base_url=portals.base_url)
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from sahod.sandbox.portals.common import Portal


class PortalsServer:
    def __init__(self, app: Starlette, host: str = "127.0.0.1", mount_path: str = "") -> None:
        """``app`` is a :func:`sahod.sandbox.mount.mount_portals` app; ``mount_path``
        (e.g. ``/sandbox/portals``) serves it below a prefix, the way Sahod's main app
        mounts the portals."""
        self.app = app
        served: Starlette = (
            Starlette(routes=[Mount(mount_path, app=self.app)]) if mount_path else self.app
        )
        # Binding here, before uvicorn starts, means the port is ours: no free-port race.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        host_, port = self._socket.getsockname()
        self.base_url = f"http://{host_}:{port}{mount_path}"
        config = uvicorn.Config(served, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def portal(self, provider: str) -> Portal:
        portal = self.app.state.portals[provider]
        if not isinstance(portal, Portal):
            raise KeyError(provider)
        return portal

    def start(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox portals did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
