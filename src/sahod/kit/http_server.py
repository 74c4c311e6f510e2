"""Bounds on what a client may make the HTTP server hold: header size and header-read time.

uvicorn bounds neither by default in the way a public server needs: its h11 buffer takes
16 KB of headers but its keep-alive timer only runs between requests, so a client that
opens a connection and sends its request line one byte a minute holds the connection (and
a file descriptor) for ever. The protocol below drops a connection whose request head is
not complete within ``header_timeout`` seconds of the first byte (or of connecting).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

MAX_HEADER_BYTES = 32 * 1024
"""The whole request head (request line and headers); more is a 400 from h11."""

HEADER_TIMEOUT_SECONDS = 5.0


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline for reading each request's head."""

    header_timeout = HEADER_TIMEOUT_SECONDS

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._arm_head_deadline()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def server_limits() -> dict[str, Any]:
    """The uvicorn.Config arguments that bound request heads."""
    return {"http": BoundedH11Protocol, "h11_max_incomplete_event_size": MAX_HEADER_BYTES}
