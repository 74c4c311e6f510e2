"""Bounds on what a client may make the HTTP server hold: header size and header-read time.

uvicorn bounds neither in the way a public server needs: its keep-alive timer only runs
between requests, so a client that opens a connection and sends its request line one byte a
minute holds the connection (and a file descriptor) for ever, and its httptools protocol
takes request heads of any size. The protocol below drops a connection whose request head
is not complete within ``header_timeout`` seconds of the first byte (or of connecting), and
refuses a head larger than ``MAX_HEADER_BYTES``.

It is uvicorn's httptools protocol (the llhttp parser in C), not its h11 one: h11 parses
in Python, which cost a good share of a small request's time in the API process.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

MAX_HEADER_BYTES = 32 * 1024
"""The whole request head (request line and headers); more is a 431 and a closed
connection."""

HEADER_TIMEOUT_SECONDS = 5.0

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 31\r\n"
    b"connection: close\r\n\r\n"
    b"Request header fields too large"
)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline and a size bound for each request's
    head."""

    header_timeout = HEADER_TIMEOUT_SECONDS
    max_header_bytes = MAX_HEADER_BYTES

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._in_head = True
        """Between requests or inside a head: bytes received now belong to a head."""
        self._head_bytes = 0
        self._head_tail = b""
        """The last bytes of the head so far: its blank line may straddle two reads."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            # Counted before parsing, and only up to the blank line that ends the head: one
            # read often carries the head and the start of a large body (an upload), which
            # must not count against the head's bound.
            seen = self._head_tail + data
            end = seen.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else max(end + 4 - len(self._head_tail), 0)
            self._head_tail = seen[-3:]
            if self._head_bytes > self.max_header_bytes:
                self._disarm_head_deadline()
                self.transport.write(_TOO_LARGE)
                self.transport.close()
                return
            self._arm_head_deadline()
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm_head_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        # The next bytes on this connection start the next request's head.
        self._in_head = True
        self._head_bytes = 0
        self._head_tail = b""
        super().on_message_complete()

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
        if self._in_head and not self.transport.is_closing():
            self.transport.close()


def server_limits() -> dict[str, Any]:
    """The uvicorn.Config arguments that bound request heads."""
    return {"http": BoundedHttpToolsProtocol}
