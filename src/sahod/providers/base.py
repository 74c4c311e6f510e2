"""The connector contract: what the rest of Sahod exchanges with a connector.

A connector logs in to a government member portal *as the user*, gets past its one-time
code step, reads the member pages and turns them into data points. The rest of Sahod
codes against :class:`Connector`, :class:`ConnectorError` and the small value types here.

Two rules hold everywhere in the providers package: no credential (username, password,
one-time code, cookie) ever reaches a log line or an exception message, and every failure
a caller can see is a :class:`ConnectorError` carrying one of the 16 error codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from sahod.datapoints.records import FetchedRecord as FetchedRecord

# ---------------------------------------------------------------------------------------
# Error codes and typed errors
# ---------------------------------------------------------------------------------------


class ErrorCode(StrEnum):
    """The contract's ``AccountErrorCode`` values (seed 000, "Error Codes")."""

    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    ACCOUNT_INACCESSIBLE = "ACCOUNT_INACCESSIBLE"
    ACCOUNT_INCOMPLETE = "ACCOUNT_INCOMPLETE"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    AUTH_REQUIRED = "AUTH_REQUIRED"
    EXPIRED_CREDENTIALS = "EXPIRED_CREDENTIALS"
    INVALID_ACCOUNT_TYPE = "INVALID_ACCOUNT_TYPE"
    INVALID_AUTH = "INVALID_AUTH"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_MFA = "INVALID_MFA"
    MFA_TIMEOUT = "MFA_TIMEOUT"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    SYSTEM_ERROR = "SYSTEM_ERROR"
    TOS_REQUIRED = "TOS_REQUIRED"
    UNSUPPORTED_AUTH_TYPE = "UNSUPPORTED_AUTH_TYPE"
    UNSUPPORTED_MFA_METHOD = "UNSUPPORTED_MFA_METHOD"


@dataclass(frozen=True, slots=True)
class _Traits:
    retriable: bool
    user_action_required: bool
    message: str


# `retriable`: running the same job again later can succeed without anyone doing anything.
# `user_action_required`: only the member can fix it (new password, unlock, accept terms
# on the portal, type the code again) - CDS turns these into USER_ACTION_REQUIRED.
_TRAITS: dict[ErrorCode, _Traits] = {
    ErrorCode.ACCOUNT_DISABLED: _Traits(False, True, "The provider says this account is disabled."),
    ErrorCode.ACCOUNT_INACCESSIBLE: _Traits(
        False, True, "The provider says this account cannot be accessed right now."
    ),
    ErrorCode.ACCOUNT_INCOMPLETE: _Traits(
        False, True, "The provider says this account's registration is incomplete."
    ),
    ErrorCode.ACCOUNT_LOCKED: _Traits(False, True, "The provider says this account is locked."),
    ErrorCode.AUTH_REQUIRED: _Traits(
        False, True, "The provider needs a username and password to sign in."
    ),
    ErrorCode.EXPIRED_CREDENTIALS: _Traits(
        False, True, "The provider says the password has expired and must be changed."
    ),
    ErrorCode.INVALID_ACCOUNT_TYPE: _Traits(
        False, True, "This is not a member account the provider lets us read."
    ),
    ErrorCode.INVALID_AUTH: _Traits(False, False, "Signing in to the provider failed."),
    ErrorCode.INVALID_CREDENTIALS: _Traits(
        False, True, "The username or password was not accepted by the provider."
    ),
    ErrorCode.INVALID_MFA: _Traits(False, True, "The one-time code was not accepted."),
    ErrorCode.MFA_TIMEOUT: _Traits(False, True, "The one-time code expired before it was entered."),
    ErrorCode.SERVICE_UNAVAILABLE: _Traits(
        True, False, "The provider's portal is unavailable at the moment."
    ),
    ErrorCode.SYSTEM_ERROR: _Traits(False, False, "Sahod could not read the provider's portal."),
    ErrorCode.TOS_REQUIRED: _Traits(
        False, True, "The provider asks the member to accept its terms of service first."
    ),
    ErrorCode.UNSUPPORTED_AUTH_TYPE: _Traits(
        False, False, "The provider asks for a sign-in method Sahod does not support."
    ),
    ErrorCode.UNSUPPORTED_MFA_METHOD: _Traits(
        False, False, "The provider asks for a verification method Sahod does not support."
    ),
}


class ConnectorError(Exception):
    """A failure talking to a portal, as one of the 16 error codes.

    ``message`` is user-facing. It is always one of our own sentences, never text copied
    from the portal, so it cannot carry a username or password the portal echoed back.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        *,
        retriable: bool | None = None,
        user_action_required: bool | None = None,
    ) -> None:
        traits = _TRAITS[code]
        self.code = code
        self.message = message or traits.message
        self.retriable = traits.retriable if retriable is None else retriable
        self.user_action_required = (
            traits.user_action_required if user_action_required is None else user_action_required
        )
        super().__init__(f"{code.value}: {self.message}")


class ServiceUnavailable(ConnectorError):
    """The portal is down, in maintenance, too slow or refusing us for now."""

    def __init__(self, message: str | None = None, *, retry_after: float | None = None) -> None:
        super().__init__(ErrorCode.SERVICE_UNAVAILABLE, message)
        self.retry_after = retry_after


class PageNotUnderstood(ConnectorError):
    """A page did not look like anything this connector knows: fail loudly, never guess.

    The message names the page and what was missing, never a value read off the page:
    messages are shown and stored, and page values are the member's personal data.
    """

    def __init__(self, page: str, what: str) -> None:
        super().__init__(
            ErrorCode.SYSTEM_ERROR, f"The provider's {page} page was not understood: {what}."
        )
        self.page = page


class SessionExpired(ConnectorError):
    """The portal session ended (idle timeout, signed out elsewhere): log in again.

    Not retriable as such - the same session will not come back - but nothing the member
    must do either: the sync pipeline logs in again with the stored credentials.
    """

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.AUTH_REQUIRED,
            "The provider's session has expired; a new sign-in is needed.",
            retriable=False,
            user_action_required=False,
        )


# ---------------------------------------------------------------------------------------
# Values the rest of Sahod exchanges with connectors
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:
        # The username is personal data too; neither belongs in a traceback or a log.
        return "Credentials(username=<hidden>, password=<hidden>)"

    __str__ = __repr__


@dataclass(frozen=True)
class MfaChallenge:
    """The portal sent a one-time code; the member has to type it in."""

    provider_id: str
    method: str
    """``sms`` or ``email``."""
    destination: str
    """Where the code went, masked as the portal shows it (``+63 9** *** 4567``)."""
    pending_state: dict[str, object] = field(repr=False)
    """Everything ``submit_mfa`` needs, JSON-serialisable, so another process can finish."""


@dataclass(frozen=True)
class PortalSession:
    """A signed-in portal session, resumable in another process via ``to_state()``."""

    provider_id: str
    cookies: dict[str, str] = field(repr=False)
    remembered_device: str | None = field(default=None, repr=False)
    """The portal's "remember this device" token; a later login with it skips the code."""

    def to_state(self) -> dict[str, object]:
        return {
            "providerId": self.provider_id,
            "cookies": dict(self.cookies),
            "rememberedDevice": self.remembered_device,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, object]) -> PortalSession:
        cookies = state.get("cookies")
        device = state.get("rememberedDevice")
        provider = state.get("providerId")
        if not isinstance(provider, str) or not isinstance(cookies, dict):
            raise ValueError("not a portal session state")
        return cls(
            provider_id=provider,
            cookies={str(k): str(v) for k, v in cookies.items()},
            remembered_device=device if isinstance(device, str) else None,
        )


LoginOutcome = PortalSession | MfaChallenge


@runtime_checkable
class Connector(Protocol):
    @property
    def provider_id(self) -> str: ...

    async def login(
        self, credentials: Credentials, *, remembered_device: str | None = None
    ) -> LoginOutcome: ...

    async def submit_mfa(self, pending_state: dict[str, object], code: str) -> PortalSession: ...

    async def fetch(self, session: PortalSession) -> list[FetchedRecord]: ...

    async def aclose(self) -> None: ...
