"""The tenant API's request-rate limit and the brake on failed authentication, as ASGI
middleware: one PostgreSQL statement per request, before any other work is done."""

from __future__ import annotations

import base64
import binascii
import logging

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sahod.config import Settings
from sahod.limits.service import Counters, Limit, Verdict, counters_of, digest, limit_headers

log = logging.getLogger(__name__)

TENANT_API_PREFIX = "/v1/"
AUTH_FAILURE_WINDOW_SECONDS = 60


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _basic_user(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, encoded = value.partition(b" ")
            if scheme.lower() != b"basic":
                return None
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
            return decoded.partition(":")[0] or None
    return None


class TenantApiLimitMiddleware:
    """Answers 429 ``REQUEST_LIMIT_EXCEEDED`` (with ``Retry-After`` and the IETF
    ``RateLimit`` headers) to a client address or API key over its per-second quota, and to
    an address with too many failed authentications this minute."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(TENANT_API_PREFIX):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings: Settings = state.settings
        runtime = getattr(state, "runtime", None)
        address = client_address(scope)
        checks: list[tuple[str, Limit]] = []
        if settings.rate_limit_per_ip:
            checks.append((f"ip:{address}", Limit("ip", settings.rate_limit_per_ip, 1)))
        api_key = _basic_user(scope) if settings.rate_limit_per_key else None
        if api_key is not None:
            checks.append((f"key:{digest(api_key)}", Limit("key", settings.rate_limit_per_key, 1)))
        failures: list[tuple[str, Limit]] = []
        if settings.auth_failures_per_minute:
            failures.append(
                (
                    f"authfail:{address}",
                    Limit(
                        "auth-failures",
                        settings.auth_failures_per_minute,
                        AUTH_FAILURE_WINDOW_SECONDS,
                    ),
                )
            )
        if runtime is None or not (checks or failures):
            await self.app(scope, receive, send)
            return
        counters = counters_of(runtime.extras, runtime.engine)
        try:
            verdicts, failed = await counters.count(checks, failures)
        except Exception:
            log.warning("rate limit counters unavailable; request let through", exc_info=True)
            await self.app(scope, receive, send)
            return
        if any(not v.allowed for v in verdicts):
            await _refuse(scope, send, verdicts, "Too many requests; slow down.")
            return
        if failed and failed[0].hits >= failed[0].limit.quota:
            blocked = Verdict(failed[0].limit, failed[0].hits + 1, failed[0].reset_seconds)
            await _refuse(
                scope,
                send,
                [blocked],
                "Too many failed authentications from this address; try again later.",
            )
            return
        extra = (
            [
                (name.lower().encode(), value.encode())
                for name, value in limit_headers(verdicts).items()
            ]
            if verdicts
            else []
        )

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 401 and failures:
                    await _record_failure(counters, failures)
                if extra:
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_counted)


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


async def _record_failure(counters: Counters, failures: list[tuple[str, Limit]]) -> None:
    try:
        await counters.count(failures)
    except Exception:
        log.warning("could not count a failed authentication", exc_info=True)


async def _refuse(scope: Scope, send: Send, verdicts: list[Verdict], message: str) -> None:
    body = orjson.dumps(
        {
            "code": "REQUEST_LIMIT_EXCEEDED",
            "message": message,
            "requestId": scope.get("state", {}).get("request_id", ""),
            "data": {},
        }
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(
            (name.lower().encode(), value.encode())
            for name, value in limit_headers(verdicts).items()
        ),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
