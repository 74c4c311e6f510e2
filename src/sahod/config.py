"""The one settings class. Nothing else in Sahod reads ``os.environ``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    sealing_key: str | None = Field(
        default=None,
        description="Base64 AES-256 key for sealing credentials and secrets; "
        "unset means a key file with mode 0600 in the data dir.",
    )
    sandbox_portals: bool = Field(
        default=True, description="Mount the sandbox portals at /sandbox/portals/<provider>."
    )
    portal_base_url: str | None = Field(
        default=None,
        description="Where connectors find the member portals; defaults to this server's "
        "own sandbox portals, PUBLIC_URL/sandbox/portals.",
    )
    mfa_timeout_seconds: int = Field(
        default=300, description="How long a one-time code is awaited before MFA_TIMEOUT."
    )
    connector_timeout_seconds: float = 15.0
    link_attempts: int = Field(
        default=4, description="Tries of a retriable portal failure before SERVICE_UNAVAILABLE."
    )
    max_body_bytes: int = 1_048_576
    token_ttl_seconds: int = 5 * 3600
    db_pool_size: int = 10
    log_level: str = "INFO"

    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def resolved_portal_base_url(self) -> str:
        return (self.portal_base_url or f"{self.resolved_public_url()}/sandbox/portals").rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
