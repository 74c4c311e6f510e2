"""Archives and stored files; data points may come from an archive (issue 13)

Files are two tables: what is known of each (``stored_files``) and, for the PostgreSQL
store, the bytes (``file_blobs``, stored uncompressed out of line: documents are
compressed formats already). A data point now names its source: an account (as before)
or an archive; its wire JSON says which (``metadata.sourceType``), so the generated column
is rebuilt with a function that knows both.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# sahod.datapoints.service.wire_item: an account's items as before; an archive's carry
# its id as sourceId, sourceType ARCHIVE and no (deprecated) accountId.
_WIRE_V2 = """
CREATE FUNCTION sahod_datapoint_wire_v2(
    id text, payload jsonb, account_created_at timestamptz, created_at timestamptz,
    source_type text, account_id text, archive_id text, provider_id text, user_id text
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{"id":' || sahod_json_text(id)
    || CASE WHEN payload = '{}'::jsonb THEN ''
            ELSE ',' || substr(payload::text, 2, length(payload::text) - 2) END
    || ',"metadata":{"createdAt":' || sahod_json_instant(account_created_at)
    || ',"itemCreatedAt":' || sahod_json_instant(created_at)
    || CASE WHEN source_type = 'ARCHIVE'
            THEN ',"sourceId":' || sahod_json_text(archive_id) || ',"sourceType":"ARCHIVE"'
            ELSE ',"accountId":' || sahod_json_text(account_id)
                 || ',"sourceId":' || sahod_json_text(account_id) || ',"sourceType":"ACCOUNT"'
       END
    || ',"providerId":' || sahod_json_text(provider_id)
    || ',"userId":' || sahod_json_text(user_id)
    || '}}'
"""

WIRE_V2 = (
    "sahod_datapoint_wire_v2(id, payload, account_created_at, created_at,"
    " source_type, account_id, archive_id, provider_id, user_id)"
)
WIRE_V1 = (
    "sahod_datapoint_wire(id, payload, account_created_at, created_at,"
    " account_id, provider_id, user_id)"
)


def upgrade() -> None:
    op.create_table(
        "archives",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("tenant_id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(80), nullable=False),
        sa.Column("provider_id", sa.String(40), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("declared_type", sa.String(40), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("state_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("classification", postgresql.JSONB(), nullable=True),
        sa.Column("analysis", postgresql.JSONB(), nullable=True),
        sa.Column("extraction", postgresql.JSONB(), nullable=True),
        sa.Column("validation", postgresql.JSONB(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_archives_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_archives_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_archives"),
    )
    op.create_index("ix_archives_tenant_seq", "archives", ["tenant_id", "seq"])
    op.create_index("ix_archives_tenant_user_seq", "archives", ["tenant_id", "user_id", "seq"])
    op.create_index(
        "ix_archives_expires_at",
        "archives",
        ["expires_at"],
        postgresql_where=sa.text("status <> 'REVOKED'"),
    )

    op.create_table(
        "stored_files",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("tenant_id", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("sub_type", sa.String(40), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("store", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_stored_files_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stored_files"),
    )
    op.create_index(
        "ix_stored_files_tenant_owner", "stored_files", ["tenant_id", "owner_id", "position"]
    )
    op.create_index(
        "ix_stored_files_expires_at",
        "stored_files",
        ["expires_at"],
        postgresql_where=sa.text("deleted_at IS NULL AND expires_at IS NOT NULL"),
    )
    op.create_table(
        "file_blobs",
        sa.Column("file_id", sa.String(40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name="fk_file_blobs_file_id_stored_files",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", name="pk_file_blobs"),
    )
    # PDFs and images are compressed already: out of line, without pglz trying again.
    op.execute("ALTER TABLE file_blobs ALTER COLUMN data SET STORAGE EXTERNAL")

    op.execute(_WIRE_V2)
    op.alter_column("datapoints", "account_id", existing_type=sa.String(40), nullable=True)
    op.add_column("datapoints", sa.Column("archive_id", sa.String(40), nullable=True))
    op.add_column(
        "datapoints",
        sa.Column("source_type", sa.String(16), nullable=False, server_default="ACCOUNT"),
    )
    op.create_foreign_key(
        "fk_datapoints_archive_id_archives",
        "datapoints",
        "archives",
        ["archive_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_unique_constraint(
        "uq_datapoints_archive_record", "datapoints", ["archive_id", "kind", "reference"]
    )
    op.create_check_constraint(
        op.f("ck_datapoints_one_source"),
        "datapoints",
        "(account_id IS NULL) <> (archive_id IS NULL)",
    )
    op.create_index(
        "ix_datapoints_tenant_kind_archive_seq",
        "datapoints",
        ["tenant_id", "kind", "archive_id", "seq"],
        postgresql_where=sa.text("archive_id IS NOT NULL"),
    )
    # A generated column's expression cannot be altered on PostgreSQL 15: rebuilt (this
    # rewrites the table once, filling every row's JSON again).
    op.drop_column("datapoints", "wire_json")
    op.add_column(
        "datapoints", sa.Column("wire_json", sa.Text(), sa.Computed(WIRE_V2, persisted=True))
    )


def downgrade() -> None:
    op.drop_column("datapoints", "wire_json")
    op.execute("DELETE FROM datapoints WHERE archive_id IS NOT NULL")
    op.drop_index("ix_datapoints_tenant_kind_archive_seq", table_name="datapoints")
    op.drop_constraint(op.f("ck_datapoints_one_source"), "datapoints", type_="check")
    op.drop_constraint("uq_datapoints_archive_record", "datapoints", type_="unique")
    op.drop_constraint("fk_datapoints_archive_id_archives", "datapoints", type_="foreignkey")
    op.drop_column("datapoints", "source_type")
    op.drop_column("datapoints", "archive_id")
    op.alter_column("datapoints", "account_id", existing_type=sa.String(40), nullable=False)
    op.add_column(
        "datapoints", sa.Column("wire_json", sa.Text(), sa.Computed(WIRE_V1, persisted=True))
    )
    op.execute("DROP FUNCTION sahod_datapoint_wire_v2")
    op.drop_table("file_blobs")
    op.drop_table("stored_files")
    op.drop_table("archives")
