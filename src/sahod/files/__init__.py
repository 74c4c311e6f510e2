"""Stored files (issue 13): uploaded documents and generated exports, kept apart from the
hot rows, behind a small store interface (PostgreSQL by default, or an S3-compatible
bucket), and handed out through signed, expiring, tenant-scoped download URLs."""
