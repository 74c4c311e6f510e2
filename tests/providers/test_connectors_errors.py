"""The 16 error codes: any username with the password ``error_<CODE>`` ends in that code,
on every portal, through the connector over real HTTP - and no credential leaks."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from sahod.providers.base import (
    Connector,
    ConnectorError,
    Credentials,
    ErrorCode,
    MfaChallenge,
    PortalSession,
)

from .conftest import PROVIDERS, SignIn

MakeConnector = Callable[..., Connector]

# Restated from the contract's descriptions rather than imported, so a change to the
# connector's table has to be a deliberate one.
RETRIABLE = {ErrorCode.SERVICE_UNAVAILABLE}
MEMBER_MUST_ACT = {
    ErrorCode.ACCOUNT_DISABLED,
    ErrorCode.ACCOUNT_INACCESSIBLE,
    ErrorCode.ACCOUNT_INCOMPLETE,
    ErrorCode.ACCOUNT_LOCKED,
    ErrorCode.AUTH_REQUIRED,
    ErrorCode.EXPIRED_CREDENTIALS,
    ErrorCode.INVALID_ACCOUNT_TYPE,
    ErrorCode.INVALID_CREDENTIALS,
    ErrorCode.INVALID_MFA,
    ErrorCode.MFA_TIMEOUT,
    ErrorCode.TOS_REQUIRED,
}
# Where in the flow each code shows up, as a member would live it.
AFTER_THE_CODE_STEP = {ErrorCode.INVALID_MFA, ErrorCode.MFA_TIMEOUT}
ON_THE_MEMBER_PAGES = {ErrorCode.SYSTEM_ERROR}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("code", list(ErrorCode))
async def test_error_persona_ends_in_its_code(
    provider: str,
    code: ErrorCode,
    connector_for: MakeConnector,
    caplog: pytest.LogCaptureFixture,
) -> None:
    username, password = "juan.delacruz@example.ph", f"error_{code.value}"
    connector = connector_for(provider)
    caplog.set_level(logging.DEBUG)

    stage = "login"
    with pytest.raises(ConnectorError) as caught:
        outcome = await connector.login(Credentials(username, password))
        stage = "code"
        if isinstance(outcome, MfaChallenge):
            outcome = await connector.submit_mfa(outcome.pending_state, "1234")
        stage = "fetch"
        assert isinstance(outcome, PortalSession)
        await connector.fetch(outcome)

    error = caught.value
    assert error.code is code
    assert error.retriable is (code in RETRIABLE)
    assert error.user_action_required is (code in MEMBER_MUST_ACT)
    if code in AFTER_THE_CODE_STEP:
        assert stage == "code"
    elif code in ON_THE_MEMBER_PAGES:
        assert stage == "fetch"
    else:
        assert stage == "login"

    said = " ".join([str(error), repr(error), error.message, *map(str, error.args), caplog.text])
    assert password not in said
    assert "error_" not in said
    assert username not in said


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_wrong_password_is_invalid_credentials(
    provider: str, connector_for: MakeConnector
) -> None:
    with pytest.raises(ConnectorError) as caught:
        await connector_for(provider).login(
            Credentials("gpalomero1234@smileapi.io", "not-his-password")
        )
    assert caught.value.code is ErrorCode.INVALID_CREDENTIALS
    assert caught.value.user_action_required
    assert "not-his-password" not in str(caught.value)


async def test_empty_credentials_never_reach_the_portal(connector_for: MakeConnector) -> None:
    connector = connector_for("sss")
    with pytest.raises(ConnectorError) as caught:
        await connector.login(Credentials("gpalomero1234@smileapi.io", ""))
    assert caught.value.code is ErrorCode.AUTH_REQUIRED


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_password_changed_after_the_first_connection(
    provider: str, connector_for: MakeConnector, sign_in: SignIn
) -> None:
    connector = connector_for(provider)
    email = "changed.password@sahod.test"

    first = await sign_in(connector, email, "oldpass123")
    assert await connector.fetch(first)

    # The member changed it on the portal afterwards: the monthly re-sync now fails in a
    # way that asks the member, not a retry, to fix it.
    with pytest.raises(ConnectorError) as caught:
        await sign_in(connector, email, "oldpass123")
    assert caught.value.code is ErrorCode.INVALID_CREDENTIALS
    assert caught.value.user_action_required and not caught.value.retriable
    assert await connector.fetch(await sign_in(connector, email, "newpass456"))


def test_credentials_do_not_show_in_reprs() -> None:
    credentials = Credentials("gpalomero1234@smileapi.io", "123456")
    for text in (repr(credentials), str(credentials), f"{credentials}"):
        assert "123456" not in text and "gpalomero" not in text
