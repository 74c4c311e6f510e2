"""Bounds on what a client may make the HTTP server hold: header size and header-read time.

uvicorn bounds neither in the way a public server needs: its keep-alive timer only runs
between requests, so a client that opens a connection and sends its request line one byte a
minute holds the connection (and a file descriptor) for ever, and its httptools protocol
takes request heads of any size. The protocol below drops a connection whose request head
is not complete within ``header_timeout`` seconds of the first byte (or of connecting), and
refuses a head larger than ``MAX_HEADER_BYTES``.

It is uvicorn's httptools protocol (the llhttp parser in C), not its h11 one: h11 parses
in Python, which cost a good share of a small request's time in the API process. Its
responses leave in one write where uvicorn makes two (``_CoalescingTransport``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
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


_RESPONSE_HEAD_START = b"HTTP/1.1 "
_HEAD_END = b"\r\n\r\n"


class _CoalescingTransport(asyncio.Transport):
    """The connection's transport, sending a response's head together with its body.

    uvicorn writes the status line and headers, then the body, as two writes: two send
    calls, two TCP segments (the socket has TCP_NODELAY), and the client woken twice for
    one response. A head is held here until the next write, which the body's is in the
    same step of the event loop; one that nothing follows (a 204, a HEAD) leaves at the
    next iteration.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        chunk = bytes(data)
        if self._held is not None:
            chunk, self._held = self._held + chunk, None
        elif chunk.startswith(_RESPONSE_HEAD_START) and chunk.endswith(_HEAD_END):
            self._held = chunk
            self._loop.call_soon(self._flush)
            return
        self._transport.write(chunk)

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        self.write(b"".join(bytes(data) for data in list_of_data))

    def _flush(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()


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
        super().connection_made(_CoalescingTransport(transport, self.loop))
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
