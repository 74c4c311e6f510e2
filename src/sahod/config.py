"""The one settings class. Nothing else in Sahod reads ``os.environ``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting, each also readable from the environment as ``SAHOD_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SAHOD_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="postgresql:// URL of the store; unset means a private embedded PostgreSQL.",
    )
    data_dir: Path = Field(
        default=Path(".sahod"),
        description="Where the embedded PostgreSQL, the sealing key and the sandbox keys live.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None,
        description="Base URL clients reach this server at; defaults to http://HOST:PORT.",
    )
    run_worker: bool = Field(
        default=True, description="Run the procrastinate worker inside `sahod serve`."
    )
    worker_concurrency: int = 20
    worker_niceness: int = Field(
        default=10,
        ge=0,
        le=19,
        description="The CPU priority (nice) of the job worker `sahod serve` starts: queued "
        "work yields the CPU to API requests on a busy machine.",
    )
    sealing_key: str | None = Field(
        default=None,
        description="Base64 AES-256 key for sealing credentials and secrets; "
        "unset means a key file with mode 0600 in the data dir.",
    )
    sandbox_portals: bool | None = Field(
        default=None,
        description="Mount the sandbox portals at /sandbox/portals/<provider>; unset means "
        "yes, except on a production server (see `production`).",
    )
    sandbox_portals_upstream: str | None = Field(
        default=None,
        description="Set by `sahod serve --workers N` for its API processes: the loopback "
        "address of the one process serving the sandbox portals, which each API process's "
        "/sandbox/portals forwards to (a portal's sessions and faults live in one process).",
    )
    portal_base_url: str | None = Field(
        default=None,
        description="Where connectors find the member portals; defaults to this server's "
        "own sandbox portals, PUBLIC_URL/sandbox/portals.",
    )
    # --- production safety: sandbox and production apart, keys, retention ---------------
    sandbox_operator_token: str | None = Field(
        default=None,
        description="Lets the sandbox portals mounted on this server serve /_faults, /_reset "
        "and /_stats to requests with `Authorization: Bearer <token>`; unset, they are not "
        "served there (`sahod sandbox-portals` serves them on its own port).",
    )
    embedded_database: bool = Field(
        default=False,
        description="Set by `sahod serve` for the processes it starts: DATABASE_URL is then "
        "the embedded PostgreSQL of DATA_DIR, and the embedded defaults hold (the key file in "
        "the data dir, the sandbox portals, not a production server).",
    )
    production: bool | None = Field(
        default=None,
        description="Run as a production server: unset means yes when DATABASE_URL is set. "
        "A production server mounts no sandbox portals unless SANDBOX_PORTALS=true and "
        "needs its sealing key from outside the data directory.",
    )
    portal_urls: dict[str, str] = Field(
        default={},
        description="Production tenants' member portals: a JSON map of provider id to base "
        "URL. A provider missing here cannot be linked by a production tenant.",
    )
    sealing_key_file: Path | None = Field(
        default=None,
        description="A file holding the base64 sealing key; in server mode it must lie "
        "outside the data directory.",
    )
    sealing_keys: dict[str, str] = Field(
        default={},
        description="A keyring for rotation: JSON map of key id to base64 AES-256 key. "
        "Old keys stay here, readable, until `sahod keys rotate` has finished.",
    )
    sealing_key_id: str | None = Field(
        default=None, description="The keyring's current key: new values are sealed with it."
    )
    error_credentials_retention_hours: float = Field(
        default=24.0,
        description="Credentials of an account that ended in ERROR are deleted this long "
        "after it did.",
    )
    data_retention_days: int = Field(
        default=60,
        description="An account's data is kept this long after it connected, unless its "
        "tenant has Continuous Data Sync; then it is revoked.",
    )
    # --- end of production safety ----------------------------------------------------

    mfa_timeout_seconds: int = Field(
        default=300, description="How long a one-time code is awaited before MFA_TIMEOUT."
    )
    mfa_max_attempts: int = Field(
        default=3, description="Wrong one-time codes allowed before ERROR INVALID_MFA."
    )
    connector_timeout_seconds: float = 15.0
    retry_base_seconds: float = Field(
        default=5.0,
        description="First wait before a retriable portal failure is tried again; "
        "it doubles with each try.",
    )
    sync_retry_base_seconds: float = Field(
        default=600.0,
        description="First wait before a failed monthly sync is tried again (it doubles, so "
        "the tries fall within the day).",
    )
    worker_heartbeat_seconds: float = 10.0
    stalled_after_seconds: float = Field(
        default=30.0,
        description="A worker silent this long is presumed dead; its jobs are "
        "put back in the queue.",
    )
    stalled_check_seconds: int = Field(
        default=15, ge=1, le=59, description="How often a worker looks for stalled jobs."
    )
    link_attempts: int = Field(
        default=4, description="Tries of a retriable portal failure before SERVICE_UNAVAILABLE."
    )
    # --- Outages and the process model (see sahod.supervisor, sahod.health) -------------
    link_retry_window_seconds: float = Field(
        default=7200.0,
        description="How long a link whose portal is unavailable keeps being retried (the "
        "account stays PENDING, errorCode SERVICE_UNAVAILABLE) before it ends in ERROR.",
    )
    link_retry_max_wait_seconds: float = Field(
        default=300.0, description="The longest wait between two tries of such a link."
    )
    statement_timeout_seconds: float = Field(
        default=5.0,
        description="A query the database cannot answer within this ends; an API request "
        "answers 504 TIME_LIMIT_EXCEEDED. 0 turns the limit off.",
    )
    worker_restart_first_seconds: float = Field(
        default=0.5, description="First wait before a job worker that lost the database restarts."
    )
    worker_restart_max_seconds: float = Field(
        default=10.0, description="The longest wait between two restarts of the job worker."
    )
    api_workers: int = Field(
        default=1, ge=1, description="API processes `sahod serve` runs (`--workers N`)."
    )
    ready_heartbeat_max_age_seconds: float = Field(
        default=30.0,
        description="/readyz fails when no job worker has sent a heartbeat for this long.",
    )
    ready_queue_max_delay_seconds: float = Field(
        default=300.0,
        description="/readyz fails when the oldest due job has waited longer than this.",
    )
    # Provider health (sahod.provider_health): the developer portal and
    # GET /v1/providers/{id}/health.
    provider_degraded_below: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="A provider whose sign-in success rate over the last hour is below this "
        "share is DEGRADED.",
    )
    provider_degraded_min_attempts: int = Field(
        default=5,
        ge=1,
        description="Sign-ins the last hour needs before a provider is judged (else UNKNOWN).",
    )
    # Operations: metrics and logs (sahod.metrics, sahod.kit.logs).
    metrics_host: str = Field(
        default="127.0.0.1",
        description="Where the Prometheus metrics server listens (GET /metrics).",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="The metrics server's port; unset: no metrics server. `sahod serve` "
        "starts it in its own process for itself, its API processes and its job worker; a "
        "`sahod worker` run alone starts its own.",
    )
    metrics_cds_late_seconds: float = Field(
        default=900.0,
        description="A monthly sync due for longer than this counts as late "
        "(sahod_cds_accounts_late): the scan that queues them runs every minute.",
    )
    log_format: str = Field(
        default="json",
        pattern="^(json|text)$",
        description="json: one JSON object a line; text: plain lines for a terminal.",
    )
    max_body_bytes: int = 1_048_576
    # --- Uploaded documents and stored files (issue 13; see sahod.files, sahod.archives) --
    max_upload_body_bytes: int = Field(
        default=64 * 1024 * 1024,
        description="The body limit of the archive uploads (POST /v1/archives and "
        "/link/v1/archives) instead of MAX_BODY_BYTES: three files at the 15 MB limit, "
        "base64-encoded.",
    )
    archive_max_files: int = Field(
        default=10, ge=1, description="Files one archive upload may hold."
    )
    archive_retention_days: int = Field(
        default=60,
        ge=1,
        description="Archives (and every stored file with an expiry) are revoked and their "
        "bytes deleted this long after the upload.",
    )
    archive_analysis_timeout_seconds: float = Field(
        default=120.0, description="The longest one archive's analysis may run before ERROR."
    )
    archive_analysis_concurrency: int = Field(
        default=2,
        ge=1,
        description="Archives analysed at once per worker process: each analysis is a child "
        "process that may use up to 1.5 GB, so the worker's other jobs are not starved.",
    )
    file_store: Literal["postgres", "s3"] = Field(
        default="postgres",
        description="Where stored files' bytes live: `postgres` (a table of its own) or "
        "`s3` (an S3-compatible bucket; needs the `s3` extra, boto3).",
    )
    file_url_ttl_seconds: int = Field(
        default=3600,
        ge=60,
        description="How long a signed download URL (`rawFiles[].url`) stays valid.",
    )
    s3_bucket: str | None = Field(default=None, description="The bucket of FILE_STORE=s3.")
    s3_endpoint_url: str | None = Field(
        default=None, description="The S3-compatible endpoint (unset: AWS's own)."
    )
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_prefix: str = Field(default="sahod/", description="Key prefix of stored objects.")
    token_ttl_seconds: int = 5 * 3600
    db_pool_size: int = 10
    log_level: str = "INFO"

    # Webhooks: delivery, retries and the address guard (see sahod.webhooks).
    webhook_timeout_seconds: float = Field(
        default=15.0, description="A delivery is a success only with a 2xx within this time."
    )
    webhook_retry_schedule: list[float] = Field(
        default=[5, 300, 1800, 7200, 18000, 36000, 36000],
        description="Seconds to wait before each retry of a failed delivery (a JSON list); "
        "after the last one the delivery is given up.",
    )
    webhook_retry_jitter: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Each wait is stretched or shrunk at random by up to this share, so that "
        "a receiver coming back is not hit by every retry in the same second.",
    )
    webhook_retry_after_max_seconds: float = Field(
        default=86400,
        description="The longest Retry-After (on 429 and 503) that is honoured as given.",
    )
    webhook_disable_after_seconds: float = Field(
        default=5 * 86400,
        description="A webhook whose deliveries have failed for this long without one "
        "success is disabled.",
    )
    webhook_secret_grace_seconds: float = Field(
        default=86400,
        description="After a secret rotation, the old secret also signs for this long.",
    )
    webhook_allowed_networks: list[str] = Field(
        default=[],
        description="CIDRs deliveries may reach even though the address guard refuses them "
        "(loopback, private, link-local, metadata), e.g. an internal receiver; a JSON list.",
    )
    webhook_sandbox_allowed_networks: list[str] = Field(
        default=[],
        description="CIDRs sandbox tenants' deliveries may also reach, e.g. "
        '["127.0.0.0/8", "::1/128"] for a receiver on the developer\'s own machine; a JSON list. '
        "The embedded `sahod serve` and `sahod demo` allow loopback here unless it is set.",
    )
    webhook_max_connections: int = Field(
        default=100, description="Open connections to receivers, per worker process."
    )

    # Abuse limits (see sahod.limits). 0 turns a limit off.
    rate_limit_per_ip: int = Field(
        default=20, ge=0, description="Tenant API requests per second from one client address."
    )
    rate_limit_per_key: int = Field(
        default=0, ge=0, description="Tenant API requests per second with one API key (0: off)."
    )
    auth_failures_per_minute: int = Field(
        default=10,
        ge=0,
        description="Failed API authentications from one address in a minute before that "
        "address is answered 429 for the rest of the minute.",
    )
    link_accounts_per_token_hour: int = Field(
        default=10,
        ge=0,
        description="Account creations and reauthorizations per link token, per hour.",
    )
    link_accounts_per_user_day: int = Field(
        default=30, ge=0, description="Account creations and reauthorizations per user, per day."
    )
    link_archives_per_user_day: int = Field(
        default=30,
        ge=0,
        description="Document uploads (POST /link/v1/archives) per user, per day: each is up "
        "to MAX_UPLOAD_BODY_BYTES stored and a reader's minute of CPU.",
    )
    portal_sign_in_failures_per_hour: int = Field(
        default=5,
        ge=0,
        description="Rejected portal sign-ins (INVALID_CREDENTIALS) for one provider user name "
        "in an hour before further tries with that name are refused for the hour.",
    )
    # --- the developer portal at /portal (issue 14) ---
    dev_portal_session_hours: float = Field(
        default=12,
        gt=0,
        description="A developer-portal sign-in lasts this long after the last page it "
        "opened; then the member signs in again.",
    )
    dev_portal_lockout_failures: int = Field(
        default=10,
        ge=1,
        description="Wrong passwords in a row after which a portal member is locked out.",
    )
    dev_portal_lockout_minutes: float = Field(
        default=15,
        gt=0,
        description="How long a locked-out portal member cannot sign in, even with the "
        "right password.",
    )
    event_streams_per_token: int = Field(
        default=5, ge=0, description="Event streams open at once per widget session (per process)."
    )

    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def resolved_portal_base_url(self) -> str:
        return (self.portal_base_url or f"{self.resolved_public_url()}/sandbox/portals").rstrip("/")

    def uses_embedded_database(self) -> bool:
        """The embedded default: no database configured, or (in the processes `sahod serve`
        starts) the embedded PostgreSQL of this data dir, passed on as DATABASE_URL."""
        return self.database_url is None or self.embedded_database

    def is_production_server(self) -> bool:
        if self.production is not None:
            return self.production
        return not self.uses_embedded_database()

    def mounts_sandbox_portals(self) -> bool:
        if self.sandbox_portals is not None:
            return self.sandbox_portals
        return not self.is_production_server()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
