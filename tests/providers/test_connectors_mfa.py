"""The one-time code step: wrong codes, codes never entered, finishing in another process,
remembered devices, and sessions that resume elsewhere or expire."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from sahod.kit.clock import ManualClock
from sahod.providers.base import (
    Connector,
    ConnectorError,
    Credentials,
    ErrorCode,
    MfaChallenge,
    PortalSession,
    SessionExpired,
)

from .conftest import PROVIDERS, SignIn

MakeConnector = Callable[..., Connector]
GEORGE = Credentials("gpalomero1234@smileapi.io", "123456")


async def challenge(connector: Connector, credentials: Credentials = GEORGE) -> MfaChallenge:
    outcome = await connector.login(credentials)
    assert isinstance(outcome, MfaChallenge)
    return outcome


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_wrong_code_can_be_corrected(provider: str, connector_for: MakeConnector) -> None:
    connector = connector_for(provider)
    step = await challenge(connector)

    with pytest.raises(ConnectorError) as caught:
        await connector.submit_mfa(step.pending_state, "9999")
    assert caught.value.code is ErrorCode.INVALID_MFA
    assert caught.value.user_action_required

    session = await connector.submit_mfa(step.pending_state, "1234")
    assert await connector.fetch(session)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_three_wrong_codes_end_the_attempt(
    provider: str, connector_for: MakeConnector
) -> None:
    connector = connector_for(provider)
    step = await challenge(connector)
    for _ in range(3):
        with pytest.raises(ConnectorError) as caught:
            await connector.submit_mfa(step.pending_state, "0000")
        assert caught.value.code is ErrorCode.INVALID_MFA

    # The portal dropped the half-signed-in session: even the right code is too late now.
    with pytest.raises(ConnectorError) as caught:
        await connector.submit_mfa(step.pending_state, "1234")
    assert caught.value.code is ErrorCode.MFA_TIMEOUT


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_code_never_entered_times_out(
    provider: str, connector_for: MakeConnector, sandbox_clock: ManualClock
) -> None:
    connector = connector_for(provider)
    quick = await challenge(connector, Credentials("mfa.never@sahod.test", "sandbox1"))
    usual = await challenge(connector)

    sandbox_clock.advance(timedelta(seconds=4))
    with pytest.raises(ConnectorError) as caught:
        await connector.submit_mfa(quick.pending_state, "1234")
    assert caught.value.code is ErrorCode.MFA_TIMEOUT

    sandbox_clock.advance(timedelta(minutes=6))
    with pytest.raises(ConnectorError) as caught:
        await connector.submit_mfa(usual.pending_state, "1234")
    assert caught.value.code is ErrorCode.MFA_TIMEOUT


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_code_step_finishes_in_another_process(
    provider: str, connector_for: MakeConnector
) -> None:
    step = await challenge(connector_for(provider))
    saved = json.dumps(step.pending_state)

    # A different connector instance (as in another worker) with only the saved state.
    session = await connector_for(provider).submit_mfa(json.loads(saved), "1234")
    stored = json.dumps(session.to_state())

    resumed = PortalSession.from_state(json.loads(stored))
    records = await connector_for(provider).fetch(resumed)
    assert any(r.reference for r in records)
    assert "1234" not in repr(step) and "cookies" not in repr(session)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_remembered_device_skips_the_code(
    provider: str, connector_for: MakeConnector
) -> None:
    connector = connector_for(provider)
    first = await connector.submit_mfa((await challenge(connector)).pending_state, "1234")
    assert first.remembered_device

    # Next month's sync logs in from the same "device": no code, straight in.
    again = await connector.login(GEORGE, remembered_device=first.remembered_device)
    assert isinstance(again, PortalSession)
    assert await connector.fetch(again)

    # The device is George's, not anyone's.
    other = await connector.login(
        Credentials("ryan1234@smileapi.io", "654321"), remembered_device=first.remembered_device
    )
    assert isinstance(other, MfaChallenge)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_portal_that_always_asks_for_the_code(
    provider: str, connector_for: MakeConnector
) -> None:
    connector = connector_for(provider)
    who = Credentials("alwaysmfa@sahod.test", "sandbox1")
    first = await connector.submit_mfa((await challenge(connector, who)).pending_state, "1234")
    again = await connector.login(who, remembered_device=first.remembered_device)
    assert isinstance(again, MfaChallenge)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_idle_session_expires(
    provider: str, connector_for: MakeConnector, sign_in: SignIn, sandbox_clock: ManualClock
) -> None:
    connector = connector_for(provider)
    session = await sign_in(connector, GEORGE.username, GEORGE.password)
    assert await connector.fetch(session)

    sandbox_clock.advance(timedelta(minutes=16))
    with pytest.raises(SessionExpired) as caught:
        await connector.fetch(session)
    # Signing in again is the sync pipeline's job, not the member's.
    assert caught.value.code is ErrorCode.AUTH_REQUIRED
    assert not caught.value.user_action_required
