"""Data points and accounts keep their finished wire JSON (issue 15)

A stored generated column, so the list and get endpoints hand PostgreSQL's text to the
response without building an object per item, and no writer can leave it stale: every
insert and update (the sync's upsert, the account transitions) recomputes it. Adding the
column fills it for every existing row.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Declared IMMUTABLE so generated columns may use them. They are: to_char with numeric
# fields only (no locale-dependent names) of a UTC instant, and to_json of text.
_FUNCTIONS = [
    # A JSON string, or null: the wire's text fields.
    """
    CREATE FUNCTION sahod_json_text(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(to_json(value)::text, 'null')
    """,
    # An instant as sahod.kit.clock.iso_z writes it (microseconds only when there are any),
    # as a JSON string, or null.
    """
    CREATE FUNCTION sahod_json_instant(value timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN value IS NULL THEN 'null' ELSE
        '"' || to_char(value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM value AT TIME ZONE 'UTC')::bigint % 1000000 = 0
                THEN '' ELSE to_char(value AT TIME ZONE 'UTC', '.US') END
        || 'Z"' END
    """,
    # sahod.datapoints.service.wire_item: the id, the payload's fields, the metadata.
    """
    CREATE FUNCTION sahod_datapoint_wire(
        id text, payload jsonb, account_created_at timestamptz, created_at timestamptz,
        account_id text, provider_id text, user_id text
    ) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '{"id":' || sahod_json_text(id)
        || CASE WHEN payload = '{}'::jsonb THEN ''
                ELSE ',' || substr(payload::text, 2, length(payload::text) - 2) END
        || ',"metadata":{"createdAt":' || sahod_json_instant(account_created_at)
        || ',"itemCreatedAt":' || sahod_json_instant(created_at)
        || ',"accountId":' || sahod_json_text(account_id)
        || ',"sourceId":' || sahod_json_text(account_id)
        || ',"sourceType":"ACCOUNT"'
        || ',"providerId":' || sahod_json_text(provider_id)
        || ',"userId":' || sahod_json_text(user_id)
        || '}}'
    """,
    # sahod.accounts.service.account_wire: the contract's Account object.
    """
    CREATE FUNCTION sahod_account_wire(
        id text, created_at timestamptz, provider_id text, user_id text,
        connection_status text, error_code text, error_message text,
        connection_updated_at timestamptz, monitor_status text, monitor_updated_at timestamptz
    ) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '{"id":' || sahod_json_text(id)
        || ',"createdAt":' || sahod_json_instant(created_at)
        || ',"providerId":' || sahod_json_text(provider_id)
        || ',"userId":' || sahod_json_text(user_id)
        || ',"connectionStatus":' || sahod_json_text(connection_status)
        || ',"connection":{"status":' || sahod_json_text(connection_status)
        || ',"errorCode":' || sahod_json_text(error_code)
        || ',"errorMessage":' || sahod_json_text(error_message)
        || ',"updatedAt":' || sahod_json_instant(connection_updated_at)
        || '},"monitorStatus":' || sahod_json_text(monitor_status)
        || ',"monitor":{"status":' || sahod_json_text(monitor_status)
        || ',"updatedAt":' || sahod_json_instant(monitor_updated_at)
        || '}}'
    """,
]

DATAPOINT_WIRE = (
    "sahod_datapoint_wire(id, payload, account_created_at, created_at,"
    " account_id, provider_id, user_id)"
)
ACCOUNT_WIRE = (
    "sahod_account_wire(id, created_at, provider_id, user_id, connection_status,"
    " error_code, error_message, connection_updated_at, monitor_status, monitor_updated_at)"
)


def upgrade() -> None:
    for function in _FUNCTIONS:
        op.execute(function)
    op.add_column(
        "datapoints",
        sa.Column("wire_json", sa.Text(), sa.Computed(DATAPOINT_WIRE, persisted=True)),
    )
    op.add_column(
        "accounts",
        sa.Column("wire_json", sa.Text(), sa.Computed(ACCOUNT_WIRE, persisted=True)),
    )


def downgrade() -> None:
    op.drop_column("accounts", "wire_json")
    op.drop_column("datapoints", "wire_json")
    for name in (
        "sahod_account_wire",
        "sahod_datapoint_wire",
        "sahod_json_instant",
        "sahod_json_text",
    ):
        op.execute(f"DROP FUNCTION {name}")
