from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from sahod.kit.envelope import WireModel

MAX_METADATA_PAIRS = 5
MAX_METADATA_KEY = 50
MAX_METADATA_VALUE = 500


class UserCreate(WireModel):
    external_metadata: dict[str, str] | None = Field(
        default=None,
        description="Up to 5 string pairs of your own (keys at most 50 characters), "
        "returned with the user.",
    )

    @field_validator("external_metadata")
    @classmethod
    def _bounded(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        if len(value) > MAX_METADATA_PAIRS:
            raise ValueError(f"at most {MAX_METADATA_PAIRS} pairs are allowed")
        for key, item in value.items():
            if "\x00" in key or "\x00" in item:
                raise ValueError("keys and values must not contain NUL characters")
            if not key or len(key) > MAX_METADATA_KEY:
                raise ValueError(f"keys must be 1 to {MAX_METADATA_KEY} characters")
            if len(item) > MAX_METADATA_VALUE:
                raise ValueError(f"values must be at most {MAX_METADATA_VALUE} characters")
        return value


class UserSession(WireModel):
    user_id: str
    channel: Literal["WinkSite", "Default"] = "Default"
    status: Literal["IN_PROGRESS", "COMPLETED", "REVOKED"]


class UserOut(WireModel):
    id: str
    external_metadata: dict[str, str]
    created_at: datetime
    providers: list[str] = Field(
        description="Deprecated: the providers of the user's accounts that are not revoked."
    )
    session: UserSession


class TokenOut(WireModel):
    id: str
    expires_at: datetime
    mode: Literal["SANDBOX", "PRODUCTION"]
    access_token: str


class UserWithToken(WireModel):
    user: UserOut
    token: TokenOut
