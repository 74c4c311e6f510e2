"""The one place that knows which connector class serves which provider."""

from __future__ import annotations

import httpx

from sahod.providers.base import Connector
from sahod.providers.gsis.connector import GsisConnector
from sahod.providers.http import RetryPolicy
from sahod.providers.pagibig.connector import PagibigConnector
from sahod.providers.philhealth.connector import PhilhealthConnector
from sahod.providers.portal import PortalConnector
from sahod.providers.sss.connector import SssConnector

CONNECTORS: dict[str, type[PortalConnector]] = {
    cls.provider_id: cls
    for cls in (SssConnector, GsisConnector, PhilhealthConnector, PagibigConnector)
}


def create_connector(
    provider_id: str,
    *,
    base_url: str,
    http: httpx.AsyncClient | None = None,
    timeout: float = 15.0,
    max_concurrency: int = 50,
    retry: RetryPolicy | None = None,
) -> Connector:
    """A connector for ``provider_id`` talking to the portals under ``base_url``
    (e.g. ``http://127.0.0.1:8000/sandbox/portals``; ``/<provider>`` is appended).

    ``http`` may be shared between connectors: sessions keep their own cookies, never the
    client's. ``timeout`` bounds every request, ``max_concurrency`` the requests in flight
    to this portal from this connector.
    """
    try:
        cls = CONNECTORS[provider_id]
    except KeyError:
        raise ValueError(f"no connector for provider {provider_id!r}") from None
    return cls(
        base_url=base_url,
        http=http,
        timeout=timeout,
        max_concurrency=max_concurrency,
        retry=retry,
    )
