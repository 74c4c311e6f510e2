from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from sahod.kit.envelope import WireModel


class ConnectionStatus(StrEnum):
    PENDING = "PENDING"
    AWAITING_MFA = "AWAITING_MFA"
    ERROR = "ERROR"
    CONNECTED = "CONNECTED"
    DISCONNECTED = "DISCONNECTED"


class MonitorStatus(StrEnum):
    ACTIVE = "ACTIVE"
    USER_ACTION_REQUIRED = "USER_ACTION_REQUIRED"
    UNSUPPORTED = "UNSUPPORTED"
    CUSTOMER_DISABLED = "CUSTOMER_DISABLED"


class Connection(WireModel):
    status: ConnectionStatus
    error_code: str | None
    error_message: str | None
    updated_at: datetime


class Monitor(WireModel):
    status: MonitorStatus
    updated_at: datetime | None


class AccountOut(WireModel):
    id: str
    created_at: datetime
    provider_id: str
    user_id: str
    connection_status: ConnectionStatus
    connection: Connection
    monitor_status: MonitorStatus
    monitor: Monitor


class PayloadMetadata(WireModel):
    source_id: str
    source_type: str
    user_id: str
    provider_id: str


class AccountPayloadOut(WireModel):
    """Every data point of an account, grouped by kind (the contract's AccountPayload)."""

    metadata: PayloadMetadata
    identity: dict[str, Any] | None = None
    documents: list[dict[str, Any]] = Field(default_factory=list)
    incomes: list[dict[str, Any]] = Field(default_factory=list)
    employments: list[dict[str, Any]] = Field(default_factory=list)
    contributions: list[dict[str, Any]] = Field(default_factory=list)
    liabilities: list[dict[str, Any]] = Field(default_factory=list)
    eincomes: list[dict[str, Any]] = Field(default_factory=list)
