"""Where webhooks may be sent: URL rules, and the server-side request forgery guard.

A webhook URL is chosen by a tenant and fetched by our servers, so without a guard it would
let a tenant make Sahod call its own network: the cloud metadata service (credentials), an
admin port on loopback, a database on a private address. Two checks:

* when a webhook is created or changed: the URL's form (https for production tenants), and
  a literal IP address in it;
* when a delivery connects: the host is resolved once, every address is checked, and the
  connection is made to a checked address, whose peer address is checked again once
  connected. Checking the name at creation alone would not do: DNS can answer differently
  later (rebinding).

Production tenants may reach public (globally routable) addresses only. Sandbox tenants,
which develop against receivers on their own machine, may also reach loopback and private
addresses, but never link-local or cloud metadata addresses. ``webhook_allowed_networks``
lets an operator allow particular networks (an internal receiver) for everyone.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud instance-metadata endpoints, refused in every mode. Most are link-local already;
# the others are listed because they are not.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)


class AddressRefused(Exception):
    """The guard refused a destination; the message says which address and why."""


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses a delivery may connect to."""

    public_only: bool
    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def for_mode(cls, production: bool, allowed_networks: Iterable[str]) -> AddressPolicy:
        try:
            allowed = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in allowed_networks)
        except ValueError as error:
            raise ValueError(f"SAHOD_WEBHOOK_ALLOWED_NETWORKS: {error}") from None
        return cls(public_only=production, allowed=allowed)

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` may not be reached, or None when it may."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if any(address in network for network in self.allowed):
            return None
        if address in METADATA_ADDRESSES:
            return "a cloud metadata address"
        if address.is_link_local:
            return "a link-local address"
        if address.is_unspecified or address.is_multicast:
            return "not a unicast address"
        if not self.public_only:
            return None
        if address.is_loopback:
            return "a loopback address"
        if address.is_private:
            return "a private address"
        if not address.is_global:
            return "not a public address"
        return None


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def url_problem(url: str, *, production: bool, policy: AddressPolicy) -> str | None:
    """What is wrong with a webhook URL for a tenant of this mode, or None."""
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return "url must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
        httpx.URL(url)
    except ValueError:
        return "url is not a valid URL"
    scheme = parts.scheme.lower()
    if production and scheme != "https":
        return "url must begin with https:// (http is allowed for sandbox tenants only)"
    if scheme not in ("http", "https"):
        return "url must begin with https:// or http://"
    host = parts.hostname
    if not host:
        return "url must name a host"
    if parts.username is not None or parts.password is not None:
        return "url must not carry a user name or password; put a token in the path or query"
    if port == 0:
        return "url must not use port 0"
    literal = _literal_address(host)
    if literal is not None:
        reason = policy.refusal(literal)
        if reason is not None:
            return f"url points to {literal}, {reason}, which webhooks may not reach"
    return None


async def resolve(host: str, port: int) -> list[IPAddress]:
    literal = _literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise httpcore.ConnectError(f"cannot resolve {host}: {error.strerror}") from None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port)
        permitted = [a for a in addresses if self._policy.refusal(a) is None]
        if not permitted:
            reasons = "; ".join(f"{a} is {self._policy.refusal(a)}" for a in addresses)
            raise AddressRefused(f"refused to connect to {host}: {reasons}")
        last_error: Exception | None = None
        for address in permitted:
            try:
                # The checked address itself, so no second lookup can answer differently.
                stream = await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
                continue
            peer = stream.get_extra_info("server_addr")
            reason = self._peer_refusal(peer)
            if reason is not None:
                await stream.aclose()
                raise AddressRefused(f"refused: {host} connected to {reason}")
            return stream
        assert last_error is not None
        raise last_error

    def _peer_refusal(self, peer: Any) -> str | None:
        if not peer:
            return "an address the system did not report"
        address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
        reason = self._policy.refusal(address)
        return None if reason is None else f"{address}, {reason}"

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("webhooks are not sent over Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over the guarded backend, with no proxy taken from the environment
    (a proxy would make the connection, so the guard would check the proxy, not the target).
    """

    def __init__(self, policy: AddressPolicy, *, max_connections: int) -> None:
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        super().__init__(trust_env=False, limits=limits)
        # httpx has no parameter for the network backend; the pool it built is replaced by
        # the same pool over ours (the attribute is how httpx's own transport holds it).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy),
        )
