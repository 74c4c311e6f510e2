"""The address guard and the URL rules, address by address."""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field

import aiohttp
import pytest

from sahod.webhooks.guard import (
    AddressPolicy,
    AddressRefused,
    GuardedConnector,
    IPAddress,
    url_problem,
)
from tests.webhooks.receiver import Receiver

PRODUCTION = AddressPolicy.for_mode(True, [])
# Sandbox tenants as the embedded dev server (and the test settings) allow them: the
# developer's own machine and a private network, opted into by the operator.
SANDBOX = AddressPolicy.for_mode(
    False,
    [],
    [
        "127.0.0.0/8",
        "::1/128",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
        "100.64.0.0/10",
    ],
)


@pytest.mark.parametrize(
    ("address", "production", "sandbox"),
    [
        ("93.184.216.34", None, None),
        ("2606:4700::6810:85e5", None, None),
        ("127.0.0.1", "loopback", None),
        ("::1", "loopback", None),
        ("10.0.0.1", "private", None),
        ("172.16.5.4", "private", None),
        ("192.168.1.1", "private", None),
        ("fd12:3456::1", "private", None),
        ("::ffff:10.0.0.1", "private", None),
        ("100.64.0.1", "not a public", None),
        ("169.254.169.254", "metadata", "metadata"),
        ("fd00:ec2::254", "metadata", "metadata"),
        ("100.100.100.200", "metadata", "metadata"),
        ("169.254.10.10", "link-local", "link-local"),
        ("fe80::1", "link-local", "link-local"),
        ("::ffff:169.254.169.254", "metadata", "metadata"),
        ("0.0.0.0", "unicast", "unicast"),
        ("224.0.0.1", "unicast", "unicast"),
    ],
)
def test_which_addresses_each_mode_may_reach(
    address: str, production: str | None, sandbox: str | None
) -> None:
    ip = ipaddress.ip_address(address)
    for policy, wanted in ((PRODUCTION, production), (SANDBOX, sandbox)):
        reason = policy.refusal(ip)
        if wanted is None:
            assert reason is None, (address, reason)
        else:
            assert reason is not None and wanted in reason, (address, reason)


def test_the_allow_list_overrides_the_guard() -> None:
    policy = AddressPolicy.for_mode(True, ["10.1.0.0/16", "169.254.169.254"])
    assert policy.refusal(ipaddress.ip_address("10.1.2.3")) is None
    assert policy.refusal(ipaddress.ip_address("169.254.169.254")) is None
    assert policy.refusal(ipaddress.ip_address("10.2.0.1")) is not None
    with pytest.raises(ValueError, match="ALLOWED_NETWORKS"):
        AddressPolicy.for_mode(True, ["not-a-network"])


@pytest.mark.parametrize(
    ("url", "production", "problem"),
    [
        ("https://hooks.example.com/sahod?x=1", True, None),
        ("http://hooks.example.com/", True, "https"),
        ("http://hooks.example.com/", False, None),
        ("https://localhost:8443/", True, None),  # a name: checked when connecting
        ("https://127.0.0.1/", True, "loopback"),
        ("https://[::1]:8443/", True, "loopback"),
        ("http://127.0.0.1:9000/", False, None),
        ("http://169.254.169.254/", False, "metadata"),
        ("gopher://example.com/", False, "https:// or http://"),
        ("https://a b/", True, "spaces"),
        ("https://example.com/\r\nX: y", True, "control"),
        ("https://u:p@example.com/", True, "user name"),
        ("https://example.com:0/", True, "port 0"),
        ("https://example.com:70000/", True, "valid URL"),
        ("https:///path", True, "host"),
    ],
)
def test_url_rules(url: str, production: bool, problem: str | None) -> None:
    found = url_problem(url, production=production, policy=PRODUCTION if production else SANDBOX)
    if problem is None:
        assert found is None, found
    else:
        assert found is not None and problem in found, found


async def post(policy: AddressPolicy, url: str) -> int:
    connector = GuardedConnector(policy, max_connections=2)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(url, data=b"{}") as response,
    ):
        return response.status


async def test_the_connector_refuses_at_connect_time_and_allows_what_is_allowed() -> None:
    async with Receiver() as receiver:
        # "localhost" passes a URL check (it is a name) but resolves to loopback…
        with pytest.raises(AddressRefused, match="loopback"):
            await post(PRODUCTION, f"http://localhost:{receiver.port}/")
        # …and a literal address is checked too (aiohttp resolves none).
        with pytest.raises(AddressRefused, match=r"127\.0\.0\.1 is a loopback"):
            await post(PRODUCTION, f"{receiver.url}/")
        with pytest.raises(AddressRefused, match="loopback"):
            await post(PRODUCTION, f"http://[::ffff:127.0.0.1]:{receiver.port}/")
        allowed = AddressPolicy.for_mode(True, ["127.0.0.0/8", "::1/128"])
        assert await post(allowed, f"http://localhost:{receiver.port}/") == 200
        assert await post(SANDBOX, f"{receiver.url}/") == 200
    assert len(receiver.posts) == 2


@dataclass(frozen=True)
class ChangesItsMind(AddressPolicy):
    """Allows an address the first time it is asked, refuses it afterwards: what the peer
    check sees when the connection reached another address than the one resolved."""

    asked: list[IPAddress] = field(default_factory=list)

    def refusal(self, address: IPAddress) -> str | None:
        self.asked.append(address)
        return None if len(self.asked) == 1 else "a loopback address"


async def test_the_peer_is_checked_once_connected_before_the_request_is_written() -> None:
    async with Receiver() as receiver:
        policy = ChangesItsMind()
        with pytest.raises(AddressRefused, match=r"127\.0\.0\.1 connected to 127\.0\.0\.1, a loop"):
            await post(policy, f"{receiver.url}/")
        await asyncio.sleep(0.1)
    assert [str(a) for a in policy.asked] == ["127.0.0.1", "127.0.0.1"]
    assert receiver.received == []
