"""Every response of every endpoint, success and error, against the Smile contract."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sahod.datapoints.kinds import DataPointKind
from sahod.kit.clock import ManualClock
from tests.conftest import TenantClient
from tests.contract.smile import contract_errors
from tests.factories import seed_connected_user


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, object] | None = None
    json: object = None
    expected: int = 200
    authenticated: bool = True
    content_type: str | None = None
    raw: bytes | None = None
    contract_path: str | None = None
    """Where the contract describes this response, if not at ``path``."""


def _calls(user_id: str, account_id: str, point_ids: dict[DataPointKind, str]) -> list[Call]:
    calls = [
        Call("GET", "/providers"),
        Call("GET", "/providers", params={"name": "ss", "size": 1}),
        Call("GET", "/providers", params={"topIds": [f"p{i}" for i in range(11)]}, expected=400),
        Call("GET", "/providers/sss"),
        Call("GET", "/providers/nope", expected=404),
        Call("GET", "/providers", authenticated=False, expected=401),
        Call("POST", "/users", json={"externalMetadata": {"a": "b"}}, expected=201),
        Call("POST", "/users", expected=201),
        Call("POST", "/users", json={"externalMetadata": {"a": 1}}, expected=400),
        Call("POST", "/users", raw=b"{", content_type="application/json", expected=400),
        Call("POST", "/users", raw=b"x", content_type="text/plain", expected=415),
        Call("POST", "/users", authenticated=False, expected=401),
        Call("GET", "/users"),
        Call("GET", "/users", params={"size": 1, "startDate": "2026-01-01"}),
        Call("GET", "/users", params={"size": 999}, expected=400),
        Call("GET", f"/users/{user_id}"),
        Call("GET", "/users/nobody", expected=404),
        Call("POST", "/tokens", params={"userId": user_id}, expected=201),
        Call("POST", "/tokens", params={"userId": "nobody"}, expected=404),
        Call("POST", "/tokens", expected=400),
        Call("GET", "/accounts"),
        Call("GET", "/accounts", params={"userId": user_id, "size": 1}),
        Call("GET", "/accounts", params={"cursor": "bogus"}, expected=400),
        Call("GET", f"/accounts/{account_id}"),
        Call("GET", "/accounts/a-missing", expected=404),
        Call("GET", "/accounts", authenticated=False, expected=401),
        Call("GET", f"/accounts/{account_id}/payload"),
        Call("GET", "/accounts/a-missing/payload", expected=404),
        Call("GET", "/tasks"),
        Call("GET", "/tasks", params={"userId": user_id, "sourceId": account_id}),
        Call("GET", "/tasks", params={"sourceId": "u-missing", "startDate": "2026-01-01"}),
        Call(
            "GET",
            "/tasks",
            params={"startDate": "2026-02-01", "endDate": "2026-01-01"},
            expected=400,
        ),
        Call("GET", "/tasks/tsk-missing", expected=404),
        Call(
            "POST", f"/accounts/{account_id}/exports/generate", json={"exportExtensionType": "PDF"}
        ),
        Call(
            "POST", f"/accounts/{account_id}/exports/generate", json={"exportExtensionType": "CSV"}
        ),
        Call(
            "POST",
            f"/accounts/{account_id}/exports/generate",
            json={"exportExtensionType": "XLS"},
            expected=400,
        ),
        Call(
            "POST",
            "/accounts/a-missing/exports/generate",
            json={"exportExtensionType": "PDF"},
            expected=404,
        ),
        Call(
            "POST",
            f"/accounts/{account_id}/exports/generate",
            json={"exportExtensionType": "PDF"},
            authenticated=False,
            expected=401,
        ),
        Call("POST", f"/accounts/{account_id}/disableMonitor"),
        Call("POST", "/accounts/a-missing/disableMonitor", expected=404),
        # DELETE /accounts?userId= is the Accounts document's; the contract file has only
        # DELETE /accounts/{id}, whose CommonResponse it shares (contract/README.md).
        Call(
            "DELETE",
            "/accounts",
            params={"userId": "nobody"},
            expected=404,
            contract_path="/accounts/x",
        ),
        Call("DELETE", "/accounts/a-missing", expected=404),
    ]
    for kind, point_id in point_ids.items():
        dated = {"eincomes": {"startMonth": "2020-01"}, "identities": {}, "documents": {}}.get(
            kind.path, {"startDate": "2000-01-01"}
        )
        calls += [
            Call("GET", f"/{kind.path}"),
            Call(
                "GET", f"/{kind.path}", params={"userId": user_id, "sourceId": account_id, **dated}
            ),
            Call("GET", f"/{kind.path}", params={"size": 0}, expected=400),
            Call("GET", f"/{kind.path}/{point_id}"),
            Call("GET", f"/{kind.path}/missing", expected=404),
            Call("GET", f"/{kind.path}", authenticated=False, expected=401),
        ]
    return calls


def _closing_calls(user_id: str, account_id: str, task_id: str) -> list[Call]:
    """Run last: they change the account."""
    return [
        Call("GET", f"/tasks/{task_id}"),
        Call("DELETE", f"/accounts/{account_id}"),
        Call("DELETE", "/accounts", params={"userId": user_id}, contract_path="/accounts/x"),
    ]


async def test_every_response_matches_the_smile_contract(
    tenant: TenantClient,
    anonymous: httpx.AsyncClient,
    session: AsyncSession,
    clock: ManualClock,
) -> None:
    user, account, points = await seed_connected_user(session, tenant.tenant_id, clock.now())
    tasks = (await tenant.http.get("/v1/tasks")).json()["data"]["items"]
    calls = _calls(user.id, account.id, {kind: dp.id for kind, dp in points.items()})
    calls += _closing_calls(user.id, account.id, tasks[0]["id"])
    problems: list[str] = []
    for call in calls:
        client = tenant.http if call.authenticated else anonymous
        headers = {"content-type": call.content_type} if call.content_type else None
        response = await client.request(
            call.method,
            "/v1" + call.path,
            params=call.params,
            json=call.json,
            content=call.raw,
            headers=headers,
        )
        label = f"{call.method} {call.path} {call.params or ''}"
        if response.status_code != call.expected:
            problems.append(f"{label}: status {response.status_code}, wanted {call.expected}")
            continue
        for error in contract_errors(
            call.contract_path or call.path, call.method, response.status_code, response.json()
        ):
            problems.append(f"{label} → {response.status_code}: {error}")
    assert not problems, "\n".join(problems)
    assert len(calls) > 70


@pytest.mark.parametrize("kind", list(DataPointKind))
async def test_lists_hold_items_of_the_contract_shape(
    kind: DataPointKind, tenant: TenantClient, session: AsyncSession, clock: ManualClock
) -> None:
    await seed_connected_user(session, tenant.tenant_id, clock.now())
    response = await tenant.http.get(f"/v1/{kind.path}")
    body = response.json()
    assert len(body["data"]["items"]) == 1
    assert contract_errors(f"/{kind.path}", "GET", 200, body) == []
