"""A tenant and its user's widget, driving a real Sahod server over HTTP."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

SETTLED = ("ERROR", "DISCONNECTED")


@dataclass
class Widget:
    base_url: str
    tenant: httpx.AsyncClient
    user_id: str
    token: str
    """A link token left unspent, for a browser to open the widget with."""
    session_token: str = ""
    """The widget session these helpers act in (their own link token, exchanged)."""

    @classmethod
    async def open(cls, base_url: str, api_key: str, api_secret: str) -> Widget:
        tenant = httpx.AsyncClient(base_url=base_url, auth=(api_key, api_secret), timeout=30)
        created = (await tenant.post("/v1/users")).json()["data"]
        user_id = created["user"]["id"]
        own = (await tenant.post("/v1/tokens", params={"userId": user_id})).json()["data"]
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            opened = await http.post(
                "/link/v1/session", headers={"Authorization": f"Bearer {own['accessToken']}"}
            )
            assert opened.status_code == 201, opened.text
        return cls(
            base_url,
            tenant,
            user_id,
            created["token"]["accessToken"],
            opened.json()["data"]["sessionToken"],
        )

    async def close(self) -> None:
        await self.tenant.aclose()

    def _link(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            timeout=30,
            headers={"Authorization": f"Bearer {self.session_token or self.token}"},
        )

    async def connect(self, provider: str, username: str, password: str) -> dict[str, Any]:
        async with self._link() as link:
            response = await link.post(
                "/link/v1/accounts",
                json={
                    "providerId": provider,
                    "consent": True,
                    "credentials": {"username": username, "password": password},
                },
            )
            assert response.status_code == 201, response.text
            data: dict[str, Any] = response.json()["data"]
            return data

    async def account(self, account_id: str) -> dict[str, Any]:
        async with self._link() as link:
            data: dict[str, Any] = (await link.get(f"/link/v1/accounts/{account_id}")).json()[
                "data"
            ]
            return data

    async def submit_code(self, account_id: str, code: str = "1234") -> httpx.Response:
        async with self._link() as link:
            return await link.post(f"/link/v1/accounts/{account_id}/mfa", json={"code": code})

    async def wait(
        self, account_id: str, *, until: str, within: float = 60, **fields: Any
    ) -> dict[str, Any]:
        """Poll until the account is ``until`` (and any ``fields`` match); a settled account
        in another state fails at once."""
        deadline = time.monotonic() + within
        while True:
            view = await self.account(account_id)
            status = view["connectionStatus"]
            if status == until and all(view.get(k) == v for k, v in fields.items()):
                return view
            if status in SETTLED and status != until:
                raise AssertionError(f"{account_id} settled as {status}: {view['connection']}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{account_id} is {status}, not {until}: {view}")
            await asyncio.sleep(0.2)

    async def connect_fully(
        self, provider: str, username: str, password: str, code: str = "1234"
    ) -> dict[str, Any]:
        account = await self.connect(provider, username, password)
        view = await self.wait_any(account["id"], ("AWAITING_MFA", "CONNECTED", "ERROR"))
        if view["connectionStatus"] == "AWAITING_MFA":
            assert (await self.submit_code(account["id"], code)).status_code == 200
        return await self.wait(account["id"], until="CONNECTED", syncing=False)

    async def wait_changed(
        self, account_id: str, updated_at: str, within: float = 30
    ) -> dict[str, Any]:
        """Poll until the account's connection changes after ``updated_at``."""
        deadline = time.monotonic() + within
        while True:
            view = await self.account(account_id)
            if view["connection"]["updatedAt"] != updated_at:
                return view
            if time.monotonic() > deadline:
                raise AssertionError(f"{account_id} did not change: {view}")
            await asyncio.sleep(0.1)

    async def wait_any(
        self, account_id: str, statuses: tuple[str, ...], within: float = 60
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            view = await self.account(account_id)
            if view["connectionStatus"] in statuses:
                return view
            if time.monotonic() > deadline:
                raise AssertionError(f"{account_id} never reached {statuses}: {view}")
            await asyncio.sleep(0.2)
