"""The reverse proxy `sahod serve --workers N` puts in front of its one portals process,
over real HTTP on both sides: a connector signs in through it, it keeps no client's
cookies, and a portals process that is not there is a 502, not a 500."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from sahod.providers.base import Credentials, MfaChallenge
from sahod.providers.registry import create_connector
from sahod.providers.sandbox import BackgroundPortals
from sahod.sandbox.proxy import PortalsProxy, _forwarded
from sahod.sandbox.server import PortalsServer
from tests.e2e.server import free_port


def _front(upstream: str) -> PortalsServer:
    # Mounted the way the API app mounts it.
    app = Starlette(routes=[Mount("/sandbox/portals", app=PortalsProxy(upstream))])
    return PortalsServer(app)


@pytest.fixture(scope="module")
def through_proxy() -> Iterator[str]:
    """The base URL of the portals as a client of an API process sees them."""
    with BackgroundPortals(mount_path="/sandbox/portals") as portals:
        upstream = portals.base_url.removesuffix("/sandbox/portals")
        with _front(upstream) as front:
            yield front.base_url + "/sandbox/portals"


async def test_a_connector_signs_in_and_fetches_through_the_proxy(through_proxy: str) -> None:
    connector = create_connector("pagibig", base_url=through_proxy)
    try:
        step = await connector.login(Credentials("christina4321@smileapi.io", "YGUS1"))
        assert isinstance(step, MfaChallenge)
        records = await connector.fetch(await connector.submit_mfa(step.pending_state, "1234"))
        assert any(r.payload.get("type") == "Housing Loan" for r in records)
    finally:
        await connector.aclose()


async def test_one_clients_session_is_not_anothers(through_proxy: str) -> None:
    connector = create_connector("sss", base_url=through_proxy)
    try:
        step = await connector.login(Credentials("gpalomero1234@smileapi.io", "123456"))
        assert isinstance(step, MfaChallenge)
        assert await connector.fetch(await connector.submit_mfa(step.pending_state, "1234"))
    finally:
        await connector.aclose()
    async with httpx.AsyncClient() as stranger:
        home = await stranger.get(f"{through_proxy}/sss/member/dashboard")
    assert home.status_code in (302, 303)
    assert "/sss/login" in home.headers["location"]


async def test_the_portals_index_and_operator_endpoints_pass_through(through_proxy: str) -> None:
    async with httpx.AsyncClient() as client:
        index = await client.get(f"{through_proxy}/?x=1")
        assert index.status_code == 200
        # The portals see the prefix they are served under, as in the API app.
        assert 'href="/sandbox/portals/sss/"' in index.text
        put = await client.put(f"{through_proxy}/gsis/_faults", json={"latency_ms": 1})
        assert put.status_code == 200, put.text
        assert (await client.get(f"{through_proxy}/gsis/_faults")).json()["latency_ms"] == 1
        assert (await client.post(f"{through_proxy}/gsis/_reset")).status_code == 200


async def test_no_portals_process_is_a_502_with_retry_after() -> None:
    with _front(f"http://127.0.0.1:{free_port()}") as front:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{front.base_url}/sandbox/portals/sss/login")
    assert answer.status_code == 502
    assert answer.headers["retry-after"] == "1"


def test_hop_by_hop_headers_stay_on_their_connection() -> None:
    headers = [
        (b"Connection", b"keep-alive, X-Hop"),
        (b"X-Hop", b"1"),
        (b"Keep-Alive", b"timeout=5"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Cookie", b"JSESSIONID=abc"),
        (b"Host", b"sahod.test"),
    ]
    assert _forwarded(headers) == [(b"cookie", b"JSESSIONID=abc"), (b"host", b"sahod.test")]


async def test_the_front_servers_date_and_server_headers_are_not_doubled(
    through_proxy: str,
) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{through_proxy}/sss/login")
    assert answer.status_code == 200
    assert len(answer.headers.get_list("date")) == 1
    assert len(answer.headers.get_list("server")) <= 1
