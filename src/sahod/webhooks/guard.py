"""Where webhooks may be sent: URL rules, and the server-side request forgery guard.

A webhook URL is chosen by a tenant and fetched by our servers, so without a guard it would
let a tenant make Sahod call its own network: the cloud metadata service (credentials), an
admin port on loopback, a database on a private address. Two checks:

* when a webhook is created or changed: the URL's form (https for production tenants), and
  a literal IP address in it;
* when a delivery connects: the host is resolved once, every address is checked, and the
  connection is made to a checked address, whose peer address is checked again once
  connected, before the request is written. Checking the name at creation alone would not
  do: DNS can answer differently later (rebinding).

Every tenant, sandbox or production, may reach public (globally routable) addresses only.
The operator may allow more: ``webhook_allowed_networks`` for everyone (an internal
receiver), ``webhook_sandbox_allowed_networks`` for sandbox tenants only (the embedded
``sahod serve`` and ``sahod demo`` allow loopback there, for the local demo receiver).
An IPv4 address carried inside an IPv6 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4) is
checked as the IPv4 address it reaches.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import httpx
import idna
from aiohttp.abc import AbstractResolver, ResolveResult

if TYPE_CHECKING:
    from aiohttp.client_proto import ResponseHandler
    from aiohttp.tracing import Trace

    from sahod.config import Settings

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

    allowed: tuple[IPNetwork, ...] = ()
    """Reachable whatever they are, metadata addresses included (the operator said so)."""
    local_allowed: tuple[IPNetwork, ...] = ()
    """Loopback and private addresses reachable in these networks; never metadata or
    link-local ones, which an allowance for a developer's receiver must not open."""

    @classmethod
    def for_mode(
        cls,
        production: bool,
        allowed_networks: Iterable[str],
        sandbox_allowed_networks: Iterable[str] = (),
    ) -> AddressPolicy:
        """Public addresses, and the networks the operator allows this mode."""
        allowed = _networks(allowed_networks, "SAHOD_WEBHOOK_ALLOWED_NETWORKS")
        local = _networks(sandbox_allowed_networks, "SAHOD_WEBHOOK_SANDBOX_ALLOWED_NETWORKS")
        return cls(allowed=allowed, local_allowed=() if production else local)

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` may not be reached, or None when it may."""
        if any(address in network for network in self.allowed):
            return None
        embedded = embedded_ipv4(address)
        if embedded is not None:
            # 64:ff9b::7f00:1 reaches 127.0.0.1 through a NAT64 gateway: judge 127.0.0.1.
            reason = self.refusal(embedded)
            return None if reason is None else f"{reason} ({embedded} inside {address})"
        if address in METADATA_ADDRESSES:
            return "a cloud metadata address"
        if address.is_link_local:
            return "a link-local address"
        if address.is_unspecified or address.is_multicast:
            return "not a unicast address"
        if any(address in network for network in self.local_allowed):
            return None
        if address.is_loopback:
            return "a loopback address"
        if address.is_private:
            return "a private address"
        if not address.is_global:
            return "not a public address"
        return None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (and reaches), if it carries one."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:a.b.c.d
    if address in _NAT64 or address in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour  # 2002:AABB:CCDD::/48
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        # ::a.b.c.d (deprecated, still routed by some stacks); :: and ::1 are not IPv4.
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _networks(values: Iterable[str], setting: str) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in values)
    except ValueError as error:
        raise ValueError(f"{setting}: {error}") from None


def policy_for(settings: Settings, *, production: bool) -> AddressPolicy:
    """The address policy of a tenant mode under this server's settings."""
    return AddressPolicy.for_mode(
        production,
        settings.webhook_allowed_networks,
        settings.webhook_sandbox_allowed_networks,
    )


LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")

_NUMERIC_HOST = re.compile(r"[0-9a-fA-FxX.]+")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def host_problem(host: str) -> str | None:
    """What is wrong with the host part of a URL (as written, brackets kept), or None.

    Only the forms every resolver reads the same way are accepted: a dotted-quad IPv4
    address without leading zeros, a bracketed IPv6 address, or a DNS name valid under IDNA
    2008. ``0177.0.0.1`` (octal for 127.0.0.1 to some resolvers), ``256.1.1.1`` and
    ``01.02.03.04`` are refused, not guessed at.
    """
    if host.startswith("[") or host.endswith("]"):
        if not (host.startswith("[") and host.endswith("]")):
            return "url has a malformed IPv6 address"
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return "url has a malformed IPv6 address"
        return None
    name = host.rstrip(".") if host.endswith(".") and not host.endswith("..") else host
    if not name:
        return "url must name a host"
    last = name.rsplit(".", 1)[-1]
    if _NUMERIC_HOST.fullmatch(name) and (last.isdigit() or last.lower().startswith("0x")):
        # Looks like an IPv4 address, so it must be exactly one.
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            return (
                "url has a malformed IPv4 address; write it as four decimal numbers "
                "0-255 without leading zeros"
            )
        return None
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return "url has a host name that is not a valid (IDNA) domain name"
    if len(ascii_name) > 253:
        return "url has a host name longer than 253 characters"
    for label in ascii_name.lower().split("."):
        if not _LABEL.fullmatch(label):
            return "url has a host name that is not a valid (IDNA) domain name"
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError, ValueError):
                return "url has a host name that is not a valid (IDNA) domain name"
    if ascii_name.rsplit(".", 1)[-1].isdigit():
        return "url has a host name whose last label is a number"
    return None


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def url_problem(url: str, *, production: bool, policy: AddressPolicy) -> str | None:
    """What is wrong with a webhook URL for a tenant of this mode, or None."""
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return "url must not contain spaces or control characters"
    if len(url) > 2048:
        return "url must not be longer than 2048 characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "url is not a valid URL"
    host_part = parts.netloc.rpartition("@")[2]
    if host_part.startswith("["):
        bracket_end = host_part.find("]")
        written_host = host_part[: bracket_end + 1] if bracket_end != -1 else host_part
        rest = host_part[len(written_host) :]
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return "url has a malformed IPv6 address"
    else:
        written_host = host_part.rpartition(":")[0] if ":" in host_part else host_part
    if written_host:
        problem = host_problem(written_host)
        if problem is not None:
            return problem
    try:
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
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


class Unresolvable(OSError):
    """The receiver's host name has no address (the sender says "cannot resolve")."""


async def resolve(host: str, port: int, family: int = socket.AF_UNSPEC) -> list[IPAddress]:
    literal = _literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Unresolvable(error.errno, f"cannot resolve {host}: {error.strerror}") from None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def permitted_addresses(
    policy: AddressPolicy, host: str, addresses: list[IPAddress]
) -> list[IPAddress]:
    """The addresses of ``host`` the policy allows; AddressRefused when there is none."""
    permitted = [a for a in addresses if policy.refusal(a) is None]
    if not permitted:
        reasons = "; ".join(f"{a} is {policy.refusal(a)}" for a in addresses)
        raise AddressRefused(f"refused to connect to {host}: {reasons}")
    return permitted


class GuardedResolver(AbstractResolver):
    """Resolves a receiver's name once and hands aiohttp only the addresses the policy
    allows, so the connection is made to a checked address and no second lookup can answer
    differently."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[ResolveResult]:
        addresses = await resolve(host, port, family)
        return [
            {
                "hostname": host,
                "host": str(address),
                "port": port,
                "family": socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in permitted_addresses(self._policy, host, addresses)
        ]

    async def close(self) -> None:
        return None


class GuardedConnector(aiohttp.TCPConnector):
    """aiohttp's connection pool, connecting only to addresses the policy allows.

    Names go through ``GuardedResolver``. Two of aiohttp's own steps are extended (they are
    how its TCPConnector is built; ``tests/webhooks/test_guard.py`` fails should either stop
    being called): a literal IP address, which aiohttp never hands to a resolver, is
    checked in ``_resolve_host``; and every new connection's peer address is checked in
    ``_wrap_create_connection``, before a byte of the request is written.
    """

    def __init__(self, policy: AddressPolicy, *, max_connections: int) -> None:
        super().__init__(
            resolver=GuardedResolver(policy),
            # Resolved at each new connection (a kept-alive one needs none): a cached answer
            # would outlive the name's own TTL.
            use_dns_cache=False,
            limit=max_connections,
            limit_per_host=0,
            keepalive_timeout=5.0,
            ssl=_tls_context(),
        )
        self._policy = policy

    async def _resolve_host(
        self, host: str, port: int, traces: Sequence[Trace] | None = None
    ) -> list[ResolveResult]:
        literal = _literal_address(host)
        if literal is not None:
            permitted_addresses(self._policy, host, [literal])
        return await super()._resolve_host(host, port, traces=traces)

    async def _wrap_create_connection(
        self, *args: Any, **kwargs: Any
    ) -> tuple[asyncio.Transport, ResponseHandler]:
        transport, protocol = await super()._wrap_create_connection(*args, **kwargs)
        reason = self._peer_refusal(transport.get_extra_info("peername"))
        if reason is not None:
            transport.abort()
            request = kwargs.get("req")
            host = request.host if isinstance(request, aiohttp.ClientRequest) else "the host"
            raise AddressRefused(f"refused: {host} connected to {reason}")
        return transport, protocol

    def _peer_refusal(self, peer: Any) -> str | None:
        if not peer:
            return "an address the system did not report"
        address = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
        reason = self._policy.refusal(address)
        return None if reason is None else f"{address}, {reason}"


def _tls_context() -> ssl.SSLContext:
    # The CA bundle httpx verified receivers with (certifi), and nothing from the
    # environment: a receiver trusted yesterday is trusted today.
    return httpx.create_ssl_context(trust_env=False)
