"""A sample tenant site: what a lender's web app does to use Sahod.

Its backend holds the tenant's API key, creates a user and a widget token through the
tenant API, and receives the webhooks Sahod sends, checking each `Smile-Signature`. Its
page embeds the SDK exactly as the Smile documents show and logs every callback next to
every webhook, live.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import html
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
WEBHOOK_NAME = "sahod demo"
KINDS = (
    "identities",
    "employments",
    "incomes",
    "eincomes",
    "contributions",
    "documents",
    "liabilities",
)
KEEPALIVE_SECONDS = 15.0


def smile_signature(body: bytes, secret: str) -> str:
    """Smile's webhook signature: lowercase hex HMAC-SHA512 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def signature_is_valid(body: bytes, header: str | None, secret: str) -> bool:
    if not header:
        return False
    return hmac.compare_digest(smile_signature(body, secret), header.strip().lower())


@dataclass
class DemoSite:
    """The tenant's backend. `api_url` is where it reaches Sahod; `browser_sahod_url` is
    where the page's browser loads the SDK from."""

    api_url: str
    browser_sahod_url: str
    api_key: str
    api_secret: str
    webhook_url: str
    webhook_secret: str = field(
        default_factory=lambda: "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    )
    user_id: str | None = None
    webhook_id: str | None = None
    subscription: str = "not set up yet"
    received: list[dict[str, Any]] = field(default_factory=list)
    _changed: asyncio.Condition | None = None

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.api_url, auth=(self.api_key, self.api_secret), timeout=15
        )

    @property
    def changed(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    # --- Webhooks --------------------------------------------------------------------------

    async def subscribe(self) -> str:
        """Subscribe the receiver to every event, replacing a subscription an earlier run
        of the demo left (its secret is gone with that run). Says what it did."""
        async with self._client() as api:
            listed = await api.get("/v1/webhooks", params={"size": 150})
            if listed.status_code == 404:
                self.subscription = "none (this server has no /v1/webhooks): callbacks only"
                return self.subscription
            listed.raise_for_status()
            for old in listed.json()["data"]["items"]:
                if old.get("name") == WEBHOOK_NAME:
                    await api.delete(f"/v1/webhooks/{old['id']}")
            created = await api.post(
                "/v1/webhooks",
                json={
                    "name": WEBHOOK_NAME,
                    "url": self.webhook_url,
                    "eventTypes": ["ALL_EVENTS"],
                    "active": True,
                    "secret": self.webhook_secret,
                },
            )
            if created.status_code >= 300:
                self.subscription = f"failed ({created.status_code}): {created.text[:200]}"
            else:
                self.webhook_id = created.json()["data"]["id"]
                self.subscription = f"{self.webhook_url}, every event, Smile-Signature checked"
            return self.subscription

    async def receive_webhook(self, request: Request) -> Response:
        body = await request.body()
        valid = signature_is_valid(
            body, request.headers.get("smile-signature"), self.webhook_secret
        )
        try:
            event = orjson.loads(body)
        except orjson.JSONDecodeError:
            event = {}
        entry = {
            "kind": "webhook",
            "at": datetime.now(UTC).isoformat(),
            "verified": valid,
            "type": event.get("type") if isinstance(event, dict) else None,
            "id": event.get("id") if isinstance(event, dict) else None,
            "data": event.get("data") if isinstance(event, dict) else None,
        }
        async with self.changed:
            self.received.append(entry)
            self.changed.notify_all()
        if not valid:
            log.warning("a webhook with a wrong Smile-Signature was refused")
            return Response(status_code=400)
        return Response(status_code=204)

    async def webhook_stream(self, request: Request) -> Response:
        """Server-sent events: every webhook received so far, then each new one."""

        async def stream() -> AsyncIterator[bytes]:
            sent = 0
            while not await request.is_disconnected():
                async with self.changed:
                    if sent == len(self.received):
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self.changed.wait(), KEEPALIVE_SECONDS)
                    fresh = self.received[sent:]
                    sent = len(self.received)
                if not fresh:
                    yield b": keep-alive\n\n"
                for entry in fresh:
                    yield b"event: webhook\ndata: " + orjson.dumps(entry) + b"\n\n"

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    # --- Users, tokens and what the tenant can read ------------------------------------------

    async def token(self, request: Request) -> Response:
        """A fresh widget token for this site's user (created on first use)."""
        fresh_user = request.query_params.get("newUser") == "1"
        async with self._client() as api:
            if self.user_id is None or fresh_user:
                created = await api.post(
                    "/v1/users", json={"externalMetadata": {"source": "sahod demo"}}
                )
                created.raise_for_status()
                data = created.json()["data"]
                self.user_id = data["user"]["id"]
                token = data["token"]
            else:
                issued = await api.post("/v1/tokens", params={"userId": self.user_id})
                issued.raise_for_status()
                token = issued.json()["data"]
        return JSONResponse(
            {
                "userId": self.user_id,
                "userToken": token["accessToken"],
                "expiresAt": token["expiresAt"],
            }
        )

    async def records(self, request: Request) -> Response:
        """What the tenant can now read about its user through the tenant API."""
        if self.user_id is None:
            return JSONResponse({"userId": None, "accounts": [], "counts": {}})
        async with self._client() as api:
            accounts = await api.get("/v1/accounts", params={"userId": self.user_id, "size": 50})
            counts: dict[str, str] = {}
            for kind in KINDS:
                page = await api.get(f"/v1/{kind}", params={"userId": self.user_id, "size": 150})
                if page.status_code == 200:
                    data = page.json()["data"]
                    counts[kind] = f"{len(data['items'])}{'+' if data['nextCursor'] else ''}"
        items = accounts.json()["data"]["items"] if accounts.status_code == 200 else []
        return JSONResponse(
            {
                "userId": self.user_id,
                "accounts": [
                    {
                        "id": a["id"],
                        "providerId": a["providerId"],
                        "connectionStatus": a["connectionStatus"],
                        "monitorStatus": a["monitorStatus"],
                    }
                    for a in items
                ],
                "counts": counts,
            }
        )

    # --- The page -----------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        text = (STATIC_DIR / "index.html").read_text()
        text = text.replace("{{SAHOD_URL}}", html.escape(self.browser_sahod_url))
        return HTMLResponse(
            text.replace("{{WEBHOOKS}}", html.escape(self.subscription)),
            headers={"Cache-Control": "no-cache"},
        )

    def app(self) -> Starlette:
        def static(name: str, media_type: str) -> Route:
            async def serve(request: Request) -> Response:
                return FileResponse(
                    STATIC_DIR / name, media_type=media_type, headers={"Cache-Control": "no-cache"}
                )

            return Route(f"/{name}", serve)

        return Starlette(
            routes=[
                Route("/", self.page),
                static("demo.js", "text/javascript; charset=utf-8"),
                static("demo.css", "text/css; charset=utf-8"),
                Route("/api/token", self.token, methods=["POST"]),
                Route("/api/records", self.records),
                Route("/api/webhooks", self.webhook_stream),
                Route("/webhook", self.receive_webhook, methods=["POST"]),
            ]
        )
