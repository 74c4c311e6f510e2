"""Webhook egress (issue 12): nobody reaches this machine or its networks unless the operator
says so, every URL is checked in full, and a delivery that fails in any way is an attempt."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy import update

from sahod.db import session_scope
from sahod.webhooks.guard import AddressPolicy, policy_for, url_problem
from sahod.webhooks.models import Webhook
from tests.webhooks.conftest import Env
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import all_in

EnvFactory = Callable[..., AbstractAsyncContextManager[Env]]

DEFAULT_SANDBOX = AddressPolicy.for_mode(False, [])
DEFAULT_PRODUCTION = AddressPolicy.for_mode(True, [])
LOOPBACK = ["127.0.0.0/8", "::1/128"]


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "::1", "10.0.0.1", "192.168.1.1", "fd12::1", "100.64.0.1", "169.254.169.254"],
)
def test_by_default_no_tenant_reaches_local_or_private_addresses(address: str) -> None:
    for policy in (DEFAULT_SANDBOX, DEFAULT_PRODUCTION):
        assert policy.refusal(ipaddress.ip_address(address)) is not None, (policy, address)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "metadata"),  # NAT64 of 169.254.169.254
        ("64:ff9b:1::a00:1", "private"),  # local-use NAT64 of 10.0.0.1
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::", "metadata"),  # 6to4 of 169.254.169.254
        ("::127.0.0.1", "loopback"),  # IPv4-compatible
        ("::10.1.2.3", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ],
)
def test_ipv4_inside_ipv6_is_judged_as_the_ipv4_address(address: str, reason: str) -> None:
    for policy in (DEFAULT_SANDBOX, DEFAULT_PRODUCTION):
        found = policy.refusal(ipaddress.ip_address(address))
        assert found is not None and reason in found, (address, found)
    # A public IPv4 address behind NAT64 stays reachable.
    assert DEFAULT_PRODUCTION.refusal(ipaddress.ip_address("64:ff9b::808:808")) is None


def test_sandbox_allowance_opens_loopback_to_sandbox_tenants_only_and_never_metadata() -> None:
    sandbox = AddressPolicy.for_mode(False, [], ["127.0.0.0/8", "::1/128", "169.254.0.0/16"])
    production = AddressPolicy.for_mode(True, [], ["127.0.0.0/8", "::1/128"])
    assert sandbox.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert sandbox.refusal(ipaddress.ip_address("::ffff:127.0.0.1")) is None
    refused = sandbox.refusal(ipaddress.ip_address("169.254.169.254"))
    assert refused is not None and "metadata" in refused
    assert production.refusal(ipaddress.ip_address("127.0.0.1")) is not None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://0177.0.0.1/", "IPv4"),
        ("http://256.1.1.1/", "IPv4"),
        ("http://01.02.03.04/", "IPv4"),
        ("http://0x7f.1/", "IPv4"),
        ("http://2130706433/", "IPv4"),
        ("http://127.1/", "IPv4"),
        ("http://[::1]x/", "IPv6"),
        ("http://[::1/", "valid URL"),
        ("http://[zz::1]/", "valid URL"),
        ("http://xn--/", "IDNA"),
        ("http://xn--zz.example.com/", "IDNA"),
        ("http://-bad-.example.com/", "IDNA"),
        ("http://a..b.example.com/", "IDNA"),
        ("http://example.123/", "number"),
        ("http://" + "a" * 64 + ".example.com/", "IDNA"),
        ("http://exa mple.com/", "spaces"),
        ("http://example.com\x7f/", "control"),
    ],
)
def test_malformed_hosts_are_refused_by_name(url: str, problem: str) -> None:
    found = url_problem(url, production=False, policy=DEFAULT_SANDBOX)
    assert found is not None and problem in found and found.startswith("url"), (url, found)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/x?token=1",
        "https://bücher.example/hook",
        "https://xn--bcher-kva.example/hook",
        "https://example.com.:8443/",
        "https://93.184.216.34/",
        "https://[2606:4700::6810:85e5]:443/",
    ],
)
def test_well_formed_public_urls_pass(url: str) -> None:
    assert url_problem(url, production=True, policy=DEFAULT_PRODUCTION) is None


async def test_a_sandbox_webhook_to_a_loopback_listener_is_refused_unless_the_operator_allows(
    delivery_env: EnvFactory,
) -> None:
    async with (
        delivery_env(webhook_retry_schedule=[], webhook_sandbox_allowed_networks=[]) as env,
        Receiver() as receiver,
    ):
        assert policy_for(env.runtime.settings, production=False).refusal(
            ipaddress.ip_address("127.0.0.1")
        )
        tenant = await env.tenant()
        literal = await tenant.http.post(
            "/v1/webhooks",
            json={
                "name": "x",
                "url": receiver.url,
                "eventTypes": ["ALL_EVENTS"],
                "active": True,
                "secret": "s3cret-s3cret",
            },
        )
        assert literal.status_code == 400
        assert "url" in literal.json()["message"] and "loopback" in literal.json()["message"]
        # A name resolving to loopback passes the URL check and is refused at connect time.
        hook = await tenant.create_webhook(f"http://localhost:{receiver.port}/", "s3cret-s3cret")
        await tenant.create_user()
        (delivery,) = await env.settled(hook["id"], all_in("FAILED", 1))
        (attempt,) = await env.attempts(delivery.id)
        assert attempt.error is not None and "loopback" in attempt.error
    assert receiver.received == []

    async with (
        delivery_env(webhook_retry_schedule=[], webhook_sandbox_allowed_networks=LOOPBACK) as env,
        Receiver() as receiver,
    ):
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        await tenant.create_user()
        await env.settled(hook["id"], all_in("SUCCEEDED", 1))
    assert len(receiver.received) == 1


async def test_a_url_that_fails_in_the_sender_is_a_failed_attempt_not_a_crashed_job(
    delivery_env: EnvFactory,
) -> None:
    async with delivery_env(webhook_retry_schedule=[]) as env, Receiver() as receiver:
        tenant = await env.tenant()
        hook = await tenant.create_webhook(receiver.url, "s3cret-s3cret")
        # As a webhook stored before URLs were checked in full would be.
        async with session_scope(env.runtime.session_factory) as session:
            await session.execute(
                update(Webhook).where(Webhook.id == hook["id"]).values(url="http://xn--/")
            )
        await tenant.create_user()
        (delivery,) = await env.settled(hook["id"], all_in("FAILED", 1))
        (attempt,) = await env.attempts(delivery.id)
    assert attempt.error
    assert receiver.received == []
