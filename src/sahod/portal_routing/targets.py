"""Sandbox tenants reach the sandbox portals; production tenants reach the portal URLs the
operator configured (``SAHOD_PORTAL_URLS``), and never a sandbox portal."""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from sahod.config import Settings
from sahod.providers.base import (
    Connector,
    ConnectorError,
    Credentials,
    ErrorCode,
    FetchedRecord,
    LoginOutcome,
    PortalSession,
)
from sahod.providers.registry import create_connector

log = logging.getLogger(__name__)

SANDBOX = "SANDBOX"
PRODUCTION = "PRODUCTION"

NOT_CONFIGURED_MESSAGE = "This provider is not available for live accounts yet."

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class PortalConfigurationError(ValueError):
    """A production portal URL the server must refuse to start with."""


class UnconfiguredPortal:
    """A production tenant's connector for a provider with no production URL: it fails
    every call honestly (SERVICE_UNAVAILABLE, not retried) instead of falling back to the
    sandbox portals."""

    def __init__(self, provider_id: str) -> None:
        self._provider_id = provider_id

    @property
    def provider_id(self) -> str:
        return self._provider_id

    def _refuse(self) -> ConnectorError:
        log.error(
            "a production account of %s cannot be linked: no production portal URL is "
            "configured for it (set SAHOD_PORTAL_URLS)",
            self._provider_id,
        )
        return ConnectorError(
            ErrorCode.SERVICE_UNAVAILABLE, NOT_CONFIGURED_MESSAGE, retriable=False
        )

    async def login(
        self, credentials: Credentials, *, remembered_device: str | None = None
    ) -> LoginOutcome:
        raise self._refuse()

    async def submit_mfa(self, pending_state: dict[str, object], code: str) -> PortalSession:
        raise self._refuse()

    async def fetch(self, session: PortalSession) -> list[FetchedRecord]:
        raise self._refuse()

    async def aclose(self) -> None:
        return None


def connector_for(provider_id: str, settings: Settings, mode: str) -> Connector:
    """The connector an account of a ``mode`` tenant uses for ``provider_id``."""
    if mode == SANDBOX:
        base_url = settings.resolved_portal_base_url()
    else:
        configured = settings.portal_urls.get(provider_id)
        if not configured:
            return UnconfiguredPortal(provider_id)
        base_url = configured
    return create_connector(
        provider_id, base_url=base_url, timeout=settings.connector_timeout_seconds
    )


def _is_own_address(host: str, port: int | None, settings: Settings) -> bool:
    own = urlsplit(settings.resolved_public_url())
    if host == (own.hostname or "").lower() and port == (own.port or _default_port(own.scheme)):
        return True
    if port != settings.port:
        return False
    if host in _LOOPBACK_NAMES or host == settings.host.lower():
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def check_portal_urls(settings: Settings) -> None:
    """Refuse production portal URLs that are not absolute http(s) URLs, or that lead back
    to this server's own sandbox portals (or to where sandbox tenants' portals are)."""
    sandbox_base = settings.resolved_portal_base_url().rstrip("/")
    for provider_id, url in settings.portal_urls.items():
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PortalConfigurationError(
                f"SAHOD_PORTAL_URLS[{provider_id!r}] must be an absolute http(s) URL"
            )
        try:
            port = parts.port or _default_port(parts.scheme)
        except ValueError as error:
            raise PortalConfigurationError(
                f"SAHOD_PORTAL_URLS[{provider_id!r}] has a bad port"
            ) from error
        points_home = _is_own_address(parts.hostname.lower(), port, settings) and (
            parts.path.rstrip("/").startswith("/sandbox")
        )
        if points_home or url.rstrip("/").startswith(sandbox_base):
            raise PortalConfigurationError(
                f"SAHOD_PORTAL_URLS[{provider_id!r}] = {url} points at the sandbox portals; "
                "production tenants must never reach them"
            )
