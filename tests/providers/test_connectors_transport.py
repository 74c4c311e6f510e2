"""The connection under a connector: dropped and silent connections, cookies from answers
that set several, one HTTP client session shared by many members, and certificates.

A small TCP relay stands between the connector and the suite's sandbox portals, so that
the portals are reached over real HTTP while the relay misbehaves the way networks do."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sahod.datapoints.kinds import DataPointKind
from sahod.providers.base import (
    Connector,
    Credentials,
    FetchedRecord,
    MfaChallenge,
    PortalSession,
    ServiceUnavailable,
)
from sahod.providers.http import RetryPolicy
from sahod.providers.registry import create_connector
from sahod.providers.sandbox import BackgroundPortals

from .conftest import FAST_RETRY, SignIn

MakeConnector = Callable[..., Connector]
GEORGE = Credentials("gpalomero1234@smileapi.io", "123456")
RYAN = Credentials("ryan1234@smileapi.io", "654321")


class Relay:
    """Forwards connections to the portals; the first ``drop`` connections are closed once
    their request has arrived, without an answer, and with ``silent`` none is answered."""

    def __init__(self, target: str, *, drop: int = 0, silent: bool = False) -> None:
        parts = urlsplit(target)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._drop = drop
        self._silent = silent
        self.dropped = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self.base_url = ""

    async def __aenter__(self) -> Relay:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for pipe in self._pipes:
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        first = await reader.read(65536)
        if self._silent:
            while await reader.read(65536):
                pass
            writer.close()
            return
        if self.dropped < self._drop:
            self.dropped += 1
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        upstream_writer.write(first)
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            pipe = asyncio.create_task(_pipe(source, sink))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    except ConnectionError:
        pass
    finally:
        with suppress(ConnectionError):
            sink.close()


OpenRelay = Callable[..., Awaitable[Relay]]


@pytest.fixture
async def open_relay(portals: BackgroundPortals) -> AsyncIterator[OpenRelay]:
    opened: list[Relay] = []

    async def open_(*, drop: int = 0, silent: bool = False) -> Relay:
        relay = await Relay(portals.base_url, drop=drop, silent=silent).__aenter__()
        opened.append(relay)
        return relay

    yield open_
    for relay in opened:
        await relay.__aexit__()


async def test_a_connection_dropped_before_the_answer_is_retried(
    open_relay: OpenRelay, sign_in: SignIn
) -> None:
    relay = await open_relay(drop=2)
    connector = create_connector("sss", base_url=relay.base_url, retry=FAST_RETRY)
    try:
        records = await connector.fetch(await sign_in(connector, GEORGE.username, "123456"))
    finally:
        await connector.aclose()
    assert relay.dropped == 2
    assert len(records) > 100, "the member's data arrives whole despite the two drops"


async def test_a_portal_that_never_answers_times_out(open_relay: OpenRelay) -> None:
    relay = await open_relay(silent=True)
    connector = create_connector(
        "sss",
        base_url=relay.base_url,
        timeout=0.2,
        retry=RetryPolicy(max_attempts=2, backoff_base=0.01),
    )
    started = time.monotonic()
    try:
        with pytest.raises(ServiceUnavailable) as caught:
            await connector.login(GEORGE)
    finally:
        await connector.aclose()
    assert caught.value.retriable
    assert time.monotonic() - started < 1.5, "two attempts of 0.2 s, not a hang"
    assert relay.connections == 2


async def test_both_cookies_of_the_code_steps_answer_are_kept(
    connector_for: MakeConnector,
) -> None:
    # Passing the code answers with two Set-Cookie headers: the rotated session and the
    # remembered device. Losing either shows: no member pages, or a code every month.
    connector = connector_for("sss")
    challenge = await connector.login(GEORGE)
    assert isinstance(challenge, MfaChallenge)
    session = await connector.submit_mfa(challenge.pending_state, "1234")
    assert session.remembered_device
    assert set(session.cookies) == {"JSESSIONID"}
    assert session.cookies["JSESSIONID"] not in str(challenge.pending_state["cookies"])
    assert await connector.fetch(session)
    again = await connector.login(GEORGE, remembered_device=session.remembered_device)
    assert isinstance(again, PortalSession), "the remembered device skips the code"


async def test_members_sharing_one_client_session_keep_their_own_data(
    portals: BackgroundPortals, sign_in: SignIn
) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as shared:
        connector = create_connector("sss", base_url=portals.base_url, client_session=shared)

        async def fetch(who: Credentials) -> list[FetchedRecord]:
            return await connector.fetch(await sign_in(connector, who.username, who.password))

        george, ryan = await asyncio.gather(fetch(GEORGE), fetch(RYAN))
        await connector.aclose()
        assert not shared.closed, "a session passed in is its owner's to close"
    assert _identity(george)["fullName"] == "George Cimafranca Palomero, Jr"
    assert _identity(ryan)["fullName"] == "Ryan Mendoza Santos"
    assert len(george) != len(ryan)


def _identity(records: list[FetchedRecord]) -> dict[str, object]:
    (identity,) = (r.payload for r in records if r.kind is DataPointKind.IDENTITIES)
    return identity


async def test_a_shared_client_session_that_keeps_cookies_is_refused(
    portals: BackgroundPortals,
) -> None:
    async with aiohttp.ClientSession() as keeps_cookies:
        with pytest.raises(ValueError, match="cookies"):
            create_connector("sss", base_url=portals.base_url, client_session=keeps_cookies)


def _self_signed_context(directory: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal.test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


async def test_a_portal_whose_certificate_cannot_be_verified_is_not_sent_credentials(
    tmp_path: Path,
) -> None:
    requests_received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError, ssl.SSLError):
            requests_received.append(await reader.read(65536))
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=_self_signed_context(tmp_path))
    port = server.sockets[0].getsockname()[1]
    connector = create_connector(
        "sss",
        base_url=f"https://127.0.0.1:{port}",
        retry=RetryPolicy(max_attempts=2, backoff_base=0.01),
    )
    try:
        with pytest.raises(ServiceUnavailable):
            await connector.login(GEORGE)
    finally:
        await connector.aclose()
        server.close()
        await server.wait_closed()
    assert not any(requests_received), "no request went over the unverified connection"
