"""A small streaming reverse proxy to the sandbox portals' own process.

Why: a portal keeps its sign-in sessions, faults and counters in the memory of the process
serving it. `sahod serve --workers N` therefore runs the portals once, in a child process
on a loopback socket, and every API process mounts this proxy at ``/sandbox/portals``
instead of a copy of its own; clients see the same URLs and the same operator endpoints
whichever API process they reach.

The request path is forwarded unchanged (the child serves the portals under the same
prefix), and so is the Host header, so the pages the portals render link where they did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from starlette.types import Message, Receive, Scope, Send

# RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

UNAVAILABLE = (
    b"<!DOCTYPE html><html><head><title>Sandbox portals unavailable</title></head><body>"
    b"<h1>The sandbox portals are restarting</h1><p>Try again in a moment.</p></body></html>"
)


def _forwarded(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    # A header listed in Connection is hop-by-hop too (RFC 9110 section 7.6.1).
    listed = {
        token.strip().lower().encode()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    return [
        (name.lower(), value)
        for name, value in headers
        if name.lower().decode("latin-1") not in HOP_BY_HOP and name.lower() not in listed
    ]


class PortalsProxy:
    """An ASGI app forwarding every HTTP request to ``upstream`` (``http://host:port``):
    bodies streamed both ways, connections kept alive and bounded in number."""

    def __init__(
        self,
        upstream: str,
        *,
        max_connections: int = 64,
        timeout: float = 60.0,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self._limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections // 2
        )
        # Connecting is quick on loopback; reading waits for the slow persona and latency
        # faults, which the portals add on purpose.
        self._timeout = httpx.Timeout(timeout, connect=5.0, pool=timeout)
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Made on first use, in the event loop of the process serving it.
        if self._client is None:
            self._client = httpx.AsyncClient(
                limits=self._limits,
                timeout=self._timeout,
                follow_redirects=False,
                # Cookies belong to the clients: a jar that stores nothing, so one client's
                # session is never replayed for another.
                cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                trust_env=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # No websockets on the portals; lifespan is the main app's.
            return
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        target = path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        url = self.upstream + target
        headers = _forwarded(list(scope["headers"]))
        names = {name for name, _ in scope["headers"]}
        has_body = b"content-length" in names or b"transfer-encoding" in names
        client = self._http()
        request = client.build_request(
            scope["method"], url, headers=headers, content=_body(receive) if has_body else None
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError:
            await _answer(send, 502, UNAVAILABLE)
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (name, value)
                        for name, value in _forwarded(list(response.headers.raw))
                        # The server in front says these itself; twice would be two values.
                        if name not in (b"date", b"server")
                    ],
                }
            )
            # Raw: the body goes out exactly as the portal encoded it, with its length.
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
