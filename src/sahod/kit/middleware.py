"""Pure ASGI middleware: a request id on every response, and a bound on body size.

Written against raw ASGI rather than BaseHTTPMiddleware, which would add a task and a
memory copy to every request.
"""

from __future__ import annotations

import secrets
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sahod.kit import logs
from sahod.kit.envelope import REQUEST_ID_HEADER

access_log = logs.get_logger("sahod.access")

_HEADER = REQUEST_ID_HEADER.lower().encode()


def new_request_id() -> str:
    return f"req-{secrets.token_hex(12)}"


class RequestIdMiddleware:
    """A request id on every response and on every log line of the request, which ends
    with one access line (the path without its query: a query may carry a token)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        logs.start_request(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [h for h in message.get("headers", []) if h[0].lower() != _HEADER]
                headers.append((_HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            logs.end_request()


class BodyLimitMiddleware:
    """Refuses a body larger than the limit with the 400 envelope, before anyone reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send)
            return
        received = 0
        response_started = False
        answered = False

        async def counted_receive() -> Message:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Answer here, once, whatever the reader does with the exception
                    # (an error handler may try to send a 500 of its own: it is dropped).
                    if not response_started and not answered:
                        answered = True
                        await self._refuse(scope, send)
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if answered:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not answered:
                raise
            # The 400 went out; what the app raised while it was being refused is expected.

    async def _refuse(self, scope: Scope, send: Send) -> None:
        request_id = scope.get("state", {}).get("request_id", "")
        body = orjson.dumps(
            {
                "code": "INVALID_PARAMETERS",
                "message": f"The request body is larger than {self.max_bytes} bytes.",
                "requestId": request_id,
                "data": {},
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API answer that does not set its own: they
    carry tokens, webhook secrets and people's records, which no cache may keep."""

    PREFIXES = ("/v1/", "/link/v1/")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_no_store)
