"""The API's HTTP protocol sends each response in one write: head and body together."""

from __future__ import annotations

import asyncio
from typing import Any

from sahod.kit.http_server import _CoalescingTransport


class SocketTransport(asyncio.Transport):
    """Stands in for the connection's socket: records what reaches it, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"


async def test_a_head_leaves_with_its_body_in_one_write() -> None:
    socket = SocketTransport()
    transport = _CoalescingTransport(socket, asyncio.get_running_loop())
    transport.write(HEAD)
    transport.write(b"hello")
    assert socket.writes == [HEAD + b"hello"]
    await asyncio.sleep(0)
    assert socket.writes == [HEAD + b"hello"]  # nothing left behind to send twice


async def test_a_head_without_a_body_leaves_at_the_next_turn_of_the_loop() -> None:
    socket = SocketTransport()
    transport = _CoalescingTransport(socket, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")
    await asyncio.sleep(0)
    assert socket.writes == [b"HTTP/1.1 204 No Content\r\n\r\n"]


async def test_closing_sends_a_held_head_first() -> None:
    socket = SocketTransport()
    transport = _CoalescingTransport(socket, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 304 Not Modified\r\n\r\n")
    transport.close()
    assert socket.writes == [b"HTTP/1.1 304 Not Modified\r\n\r\n"]
    assert socket.closed


async def test_other_writes_pass_straight_through() -> None:
    socket = SocketTransport()
    transport = _CoalescingTransport(socket, asyncio.get_running_loop())
    refusal = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 2\r\n\r\nno"
    transport.write(refusal)
    transport.write(b"more")
    assert socket.writes == [refusal, b"more"]
