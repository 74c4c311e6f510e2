from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from sahod.kit.envelope import WireModel
from sahod.webhooks.signing import standard_key


class EventType(StrEnum):
    """The contract's ``RefWebhookEventType``: every event a webhook may subscribe to."""

    USER_CREATED = "USER_CREATED"
    ACCOUNT_CREATED = "ACCOUNT_CREATED"
    ACCOUNT_CONNECTED = "ACCOUNT_CONNECTED"
    ACCOUNT_DISCONNECTED = "ACCOUNT_DISCONNECTED"
    ACCOUNT_FAILED = "ACCOUNT_FAILED"
    TASK_STARTED = "TASK_STARTED"
    TASK_FINISHED = "TASK_FINISHED"
    ACCOUNT_SYNC_TASK_FINISHED = "ACCOUNT_SYNC_TASK_FINISHED"
    ARCHIVE_STARTED = "ARCHIVE_STARTED"
    ARCHIVE_ANALYZED = "ARCHIVE_ANALYZED"
    ARCHIVE_REVOKED = "ARCHIVE_REVOKED"
    ARCHIVE_FAILED = "ARCHIVE_FAILED"
    INVITE_INVITED = "INVITE_INVITED"
    INVITE_LINKED = "INVITE_LINKED"
    IDENTITY_ADDED = "IDENTITY_ADDED"
    RATING_ADDED = "RATING_ADDED"
    TRANSACTIONS_ADDED = "TRANSACTIONS_ADDED"
    DOCUMENTS_ADDED = "DOCUMENTS_ADDED"
    DOCUMENTS_UPDATED = "DOCUMENTS_UPDATED"
    EMPLOYMENTS_ADDED = "EMPLOYMENTS_ADDED"
    EMPLOYMENTS_UPDATED = "EMPLOYMENTS_UPDATED"
    INCOMES_ADDED = "INCOMES_ADDED"
    INCOMES_UPDATED = "INCOMES_UPDATED"
    CONTRIBUTIONS_ADDED = "CONTRIBUTIONS_ADDED"
    CONTRIBUTIONS_UPDATED = "CONTRIBUTIONS_UPDATED"
    EINCOMES_ADDED = "EINCOMES_ADDED"
    EINCOMES_UPDATED = "EINCOMES_UPDATED"
    LIABILITIES_ADDED = "LIABILITIES_ADDED"
    LIABILITIES_UPDATED = "LIABILITIES_UPDATED"
    INSIGHT_ADDED = "INSIGHT_ADDED"
    LINK_ADDED = "LINK_ADDED"
    VERIFICATION_STARTED = "VERIFICATION_STARTED"
    VERIFICATION_COMPLETED = "VERIFICATION_COMPLETED"
    RECORD_CREATED = "RECORD_CREATED"
    RECORD_COMPLETED = "RECORD_COMPLETED"
    USER_SESSION_COMPLETED = "USER_SESSION_COMPLETED"
    USER_SESSION_RESET = "USER_SESSION_RESET"
    ALL_EVENTS = "ALL_EVENTS"


ALL_EVENTS = EventType.ALL_EVENTS.value

# The events whose data can carry the task's data points (``includePayload``).
PAYLOAD_EVENTS = frozenset({"TASK_FINISHED", "ACCOUNT_SYNC_TASK_FINISHED"})


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    """Not sent yet, or failed and waiting for its next retry."""
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    """Given up: the retry schedule ran out, or the webhook was disabled."""


Name = Annotated[str, Field(min_length=1, max_length=200, description="Your name for it.")]
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        description="Where events are POSTed: https:// (http:// for sandbox tenants). "
        "Redirects are not followed.",
    ),
]
Secret = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="Signs every delivery: Smile-Signature (hex HMAC-SHA512 of the body) and "
        "the Standard Webhooks webhook-signature (for a secret starting with whsec_, the "
        "base64 after it is the key). Returned in full only by the call that sets it.",
    ),
]
EventTypes = Annotated[
    list[EventType],
    Field(
        min_length=1,
        max_length=len(EventType),
        description="The events to receive; ALL_EVENTS for every one.",
    ),
]


def _no_nul(value: str | None, field: str) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError(f"{field} must not contain NUL characters")
    return value


def _check_secret(value: str | None) -> str | None:
    if value is None:
        return value
    _no_nul(value, "secret")
    standard_key(value)  # a whsec_ secret must decode: raises ValueError saying so
    return value


def _check_name(value: str | None) -> str | None:
    _no_nul(value, "name")
    if value is not None and not value.strip():
        raise ValueError("name must not be blank")
    return value


def _distinct(values: list[EventType] | None) -> list[EventType] | None:
    return None if values is None else list(dict.fromkeys(values))


class WebhookCreate(WireModel):
    name: Name
    url: Url
    event_types: EventTypes
    active: bool = Field(description="Whether events are sent to it.")
    include_payload: bool = Field(
        default=False,
        description="Put the task's data points into TASK_FINISHED and "
        "ACCOUNT_SYNC_TASK_FINISHED (per kind, {nextCursor, items}, at most 300 items).",
    )
    secret: Secret

    _name = field_validator("name")(_check_name)
    _secret = field_validator("secret")(_check_secret)
    _types = field_validator("event_types")(_distinct)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _no_nul(value, "url") or value


class WebhookUpdate(WireModel):
    """Only the fields sent change. A new ``secret`` starts a rotation: the old one keeps
    signing too (a second webhook-signature) for a grace period, so receivers can switch
    without losing an event."""

    name: Name | None = None
    url: Url | None = None
    event_types: EventTypes | None = None
    active: bool | None = Field(
        default=None, description="true also re-enables a webhook Sahod disabled."
    )
    include_payload: bool | None = None
    secret: Secret | None = None

    _name = field_validator("name")(_check_name)
    _secret = field_validator("secret")(_check_secret)
    _types = field_validator("event_types")(_distinct)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _no_nul(value, "url")

    @model_validator(mode="after")
    def _something(self) -> WebhookUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for field in self.model_fields_set:
            if getattr(self, field) is None:
                raise ValueError(f"{field} must not be null")
        return self


class WebhookOut(WireModel):
    id: str
    created_at: datetime
    updated_at: datetime
    name: str
    url: str
    event_types: list[EventType]
    active: bool
    include_payload: bool
    secret: str = Field(
        description="In full only in the response that set it; elsewhere masked "
        "(its last 4 characters, when it is long enough to spare them)."
    )
    disabled_reason: str | None = Field(
        default=None,
        description="Set when Sahod turned the webhook off: GONE (it answered 410) or "
        "FAILING (no successful delivery for days). Cleared by setting active to true.",
    )


class AttemptOut(WireModel):
    id: str
    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status; null: no answer.")
    duration_ms: int
    succeeded: bool
    error: str | None
    response: str | None = Field(description="The first 2 KB of the receiver's answer.")


class DeliveryOut(WireModel):
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None = Field(
        description="When the next attempt is due, while the delivery is PENDING."
    )
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    attempts: list[AttemptOut] = Field(description="Every attempt, oldest first.")


class RecoverOut(WireModel):
    resent: int = Field(description="How many deliveries were queued to be sent again.")
