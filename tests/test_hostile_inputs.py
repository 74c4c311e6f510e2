"""The inputs issue 12 found answering 500: each is a 400 naming the field, and a property
test over the tenant API's query parameters and webhook URLs keeps it so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from dataclasses import replace
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sahod.app import create_app
from sahod.kit.middleware import BodyLimitMiddleware
from sahod.providers.sandbox import create_portals_app
from sahod.runtime import Runtime
from tests.conftest import TenantClient

LISTS = ["/v1/accounts", "/v1/users", "/v1/tasks"]
BAD_HOSTS = ["0177.0.0.1", "256.1.1.1", "01.02.03.04", "[::1]x", "xn--"]


def webhook(url: str) -> dict[str, Any]:
    return {
        "name": "n",
        "url": url,
        "eventTypes": ["ALL_EVENTS"],
        "active": True,
        "secret": "s3cret-s3cret",
    }


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("endDate", "9999-12-31"),
        ("startDate", "9999-12-31"),
        ("startDate", "0001-01-01"),
        ("endDate", "0001-01-01"),
    ],
)
async def test_extreme_dates_are_400s_naming_the_parameter(
    tenant: TenantClient, path: str, name: str, value: str
) -> None:
    response = await tenant.http.get(path, params={name: value})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_PARAMETERS"
    assert name in response.json()["message"]


async def test_the_widest_accepted_range_still_answers(tenant: TenantClient) -> None:
    for path in LISTS:
        response = await tenant.http.get(
            path, params={"startDate": "1900-01-01", "endDate": "9999-12-30"}
        )
        assert response.status_code == 200, (path, response.text)


@pytest.mark.parametrize("host", BAD_HOSTS)
async def test_malformed_webhook_hosts_are_400s_on_create_and_patch(
    tenant: TenantClient, host: str
) -> None:
    created = await tenant.http.post("/v1/webhooks", json=webhook(f"http://{host}/"))
    assert created.status_code == 400, created.text
    assert created.json()["message"].startswith("url")
    good = await tenant.http.post("/v1/webhooks", json=webhook("https://hooks.example.com/"))
    assert good.status_code == 200
    patched = await tenant.http.patch(
        f"/v1/webhooks/{good.json()['data']['id']}", json={"url": f"http://{host}/"}
    )
    assert patched.status_code == 400, patched.text
    assert patched.json()["message"].startswith("url")
    unchanged = await tenant.http.get(f"/v1/webhooks/{good.json()['data']['id']}")
    assert unchanged.json()["data"]["url"] == "https://hooks.example.com/"


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * size
        sent += size


@pytest.mark.parametrize("path", ["/v1/webhooks", "/v1/users"])
async def test_a_chunked_body_over_the_limit_gets_one_400_in_the_envelope(
    tenant: TenantClient, path: str
) -> None:
    method = "POST" if path.startswith("/v1") else "PUT"
    response = await tenant.http.request(
        method,
        path,
        content=_chunks(2 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_PARAMETERS"
    assert "larger than" in response.json()["message"]


async def test_the_sandbox_portals_alone_answer_an_oversized_chunked_body_once() -> None:
    sent: list[dict[str, Any]] = []
    app = BodyLimitMiddleware(create_portals_app(), max_bytes=1_048_576)

    async def receive_chunks() -> Any:
        return {"type": "http.request", "body": b"x" * 300_000, "more_body": True}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": "/sss/_faults",
        "raw_path": b"/sss/_faults",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, receive_chunks, send)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert [m["status"] for m in starts] == [400]


# --- the property: no 500, whatever the query or the URL -----------------------------------

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)
_dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.from_regex(r"\A[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}\Z"),
    _text,
)
_params = st.fixed_dictionaries(
    {},
    optional={
        "startDate": _dates,
        "endDate": _dates,
        "size": st.one_of(st.integers(-(10**20), 10**20).map(str), _text),
        "cursor": _text,
    },
)
_octet = st.one_of(
    st.integers(0, 999).map(str),
    st.integers(0, 255).map(lambda n: f"0{n:o}"),
    st.integers(0, 255).map(hex),
)
_hosts = st.one_of(
    st.lists(_octet, min_size=1, max_size=5).map(".".join),
    st.ip_addresses().map(lambda a: f"[{a}]" if a.version == 6 else str(a)),
    st.from_regex(r"\A[a-z0-9\-\.]{1,20}\Z"),
    st.sampled_from(["xn--", "xn--a", "localhost", "[::1]x", "[::1", "a..b", "bücher.example"]),
    _text,
)
_urls = st.one_of(
    st.builds(
        lambda scheme, host, port: f"{scheme}://{host}{port}/hook",
        st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
        _hosts,
        st.one_of(st.just(""), st.integers(-5, 70000).map(lambda p: f":{p}"), _text),
    ),
    _text,
)


def _blocking(loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, httpx.Response]) -> Any:
    return asyncio.run_coroutine_threadsafe(work, loop).result(timeout=30)


async def test_no_query_or_webhook_url_is_ever_a_500(tenant: TenantClient) -> None:
    loop = asyncio.get_running_loop()
    hook = await tenant.http.post("/v1/webhooks", json=webhook("https://hooks.example.com/"))
    hook_id = hook.json()["data"]["id"]

    @settings(
        max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(path=st.sampled_from(LISTS), params=_params, url=_urls)
    def property_holds(path: str, params: dict[str, str], url: str) -> None:
        listed = _blocking(loop, tenant.http.get(path, params=params))
        assert listed.status_code in (200, 400), (path, params, listed.text)
        created = _blocking(loop, tenant.http.post("/v1/webhooks", json=webhook(url)))
        assert created.status_code in (200, 400), (url, created.text)
        patched = _blocking(loop, tenant.http.patch(f"/v1/webhooks/{hook_id}", json={"url": url}))
        assert patched.status_code in (200, 400), (url, patched.text)
        if patched.status_code == 400:
            assert "url" in patched.json()["message"], (url, patched.text)

    await asyncio.to_thread(property_holds)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/sandbox/portals/sss/_faults"),
        ("GET", "/sandbox/portals/gsis/_faults"),
        ("POST", "/sandbox/portals/pagibig/_reset"),
        ("GET", "/sandbox/portals/philhealth/_stats"),
    ],
)
async def test_the_api_server_serves_no_fault_reset_or_stats_endpoint(
    anonymous: httpx.AsyncClient, method: str, path: str
) -> None:
    # They would let anyone stop every tenant's linking (maintenance) or read the counters;
    # only `sahod sandbox-portals` serves them.
    response = await anonymous.request(method, path, json={"maintenance": True})
    assert response.status_code == 404
    # The portal itself is still there (its root sends a visitor to its sign-in page).
    assert (await anonymous.get("/sandbox/portals/sss/")).status_code == 303


async def test_with_the_operator_token_the_api_server_serves_them(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"sandbox_operator_token": "operator-secret"})
    app = create_app(runtime=replace(runtime, settings=settings))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        path = "/sandbox/portals/sss/_faults"
        wrong = {"Authorization": "Bearer not-the-token"}
        assert (await http.put(path, json={"latency_ms": 1}, headers=wrong)).status_code == 404
        right = {"Authorization": "Bearer operator-secret"}
        changed = await http.put(path, json={"latency_ms": 1}, headers=right)
        assert changed.status_code == 200 and changed.json()["latency_ms"] == 1
        assert (await http.post("/sandbox/portals/sss/_reset", headers=right)).status_code == 200
