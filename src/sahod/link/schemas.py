from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field

from sahod.accounts.schemas import AccountOut
from sahod.archives.schemas import FileTypeOut, LinkArchiveOut
from sahod.kit.envelope import WireModel


@dataclass(frozen=True, slots=True)
class LinkContext:
    """Who the widget acts for: one user of one tenant, until the token expires."""

    tenant_id: str
    user_id: str
    mode: str
    expires_at: datetime
    token_id: str = ""
    kind: str = "LINK"


class LinkSession(WireModel):
    """Who the token acts for (the widget reports it in onUIEvent before any account)."""

    user_id: str
    mode: str
    expires_at: datetime


class LinkSessionOpened(LinkSession):
    """The widget session a link token was exchanged for."""

    session_token: str


class LinkCredentials(WireModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=200, repr=False)


class LinkAccountCreate(WireModel):
    provider_id: str = Field(min_length=1, max_length=40)
    credentials: LinkCredentials
    consent: bool = Field(description="The user agreed to share this account's data.")


class ReauthorizeRequest(WireModel):
    credentials: LinkCredentials


class MfaSubmit(WireModel):
    code: str = Field(min_length=1, max_length=20)


class MfaPrompt(WireModel):
    method: Literal["sms", "email"] | str
    destination: str | None


class LinkAccountOut(AccountOut):
    """The Account object, plus what the widget shows while a code is awaited."""

    mfa: MfaPrompt | None = None


class LinkFileTypes(WireModel):
    items: list[FileTypeOut]


class LinkArchives(WireModel):
    items: list[LinkArchiveOut]
