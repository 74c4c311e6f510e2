"""A real HTTP/1.1 webhook receiver on loopback: plain asyncio streams, no framework.

It records every request (arrival time, headers, raw body) and answers what its
``respond`` function says, so a test can be a receiver that is down, fails, answers 410 or
is slow. ``stop()`` closes the listening socket *and* the open keep-alive connections, so
the sender sees a real outage; ``start()`` brings it back on the same port.

Run as a module it is the benchmark's receiver, in a process of its own:
``python -m tests.webhooks.receiver --port N`` answers 204 to every POST; ``GET /_count``
says how many came, ``GET /_received`` lists ``[webhook-id, arrival time]`` of each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Received:
    at: float
    """time.time() when the body was in."""
    method: str
    path: str
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes

    @property
    def event_id(self) -> str:
        return self.headers.get("webhook-id", "")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Responder = Callable[[Received], Reply | Awaitable[Reply]]

_REASONS = {200: "OK", 204: "No Content", 301: "Moved", 302: "Found", 410: "Gone"}


class Receiver:
    def __init__(self, respond: Responder | None = None, *, port: int = 0) -> None:
        self.respond: Responder = respond or (lambda _: Reply())
        self.port = port
        self.received: list[Received] = []
        self.arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def posts(self) -> list[Received]:
        return [r for r in self.received if r.method == "POST"]

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Down: nothing listens, and open connections are closed."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._connections):
                writer.close()
            for task in list(self._handlers):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def __aenter__(self) -> Receiver:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_for(
        self, predicate: Callable[[list[Received]], bool], within: float = 30.0
    ) -> list[Received]:
        """Until ``predicate(posts)`` holds; AssertionError after ``within`` seconds."""
        deadline = time.monotonic() + within
        while not predicate(self.posts):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"receiver: still waiting after {within} s: {self.posts}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), min(left, 0.2))
        return self.posts

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._connections.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Received(time.time(), method, path, headers, body)
                self.received.append(request)
                self.arrived.set()
                reply = self.respond(request)
                if not isinstance(reply, Reply):
                    reply = await reply
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
                reason = _REASONS.get(reply.status, "Status")
                writer.write(
                    f"HTTP/1.1 {reply.status} {reason}\r\ncontent-length: {len(reply.body)}\r\n"
                    f"content-type: text/plain\r\n{extra}\r\n".encode()
                    + reply.body
                )
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._connections.discard(writer)
            self._handlers.discard(task)
            writer.close()


# ---------------------------------------------------------------------------------------
# The benchmark's receiver, as a process of its own
# ---------------------------------------------------------------------------------------


async def _bench_main(port: int) -> None:
    arrivals: list[tuple[str, float]] = []

    def respond(request: Received) -> Reply:
        if request.method == "GET" and request.path == "/_count":
            return Reply(200, str(len(arrivals)).encode())
        if request.method == "GET" and request.path == "/_received":
            return Reply(200, json.dumps(arrivals).encode())
        arrivals.append((request.event_id, request.at))
        return Reply(204, b"")

    receiver = Receiver(respond, port=port)
    # The benchmark reads arrivals, not the recorded requests: keep memory flat.
    await receiver.start()
    print(f"receiver listening on {receiver.url}", flush=True)
    while True:
        receiver.received.clear()
        await asyncio.sleep(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a loopback webhook receiver (benchmarks)")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with contextlib.suppress(ImportError):  # uvloop (with uvicorn[standard]): a cheaper loop
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_bench_main(args.port))
