"""The providers Sahod connects to: the one list every other list is derived from.

Adding a provider is a new package exporting a ``PROVIDER`` registration and one line
here (see "Adding a provider" in the README).
"""

from __future__ import annotations

import aiohttp

from sahod.providers import gsis, pagibig, philhealth, sss
from sahod.providers.base import Connector
from sahod.providers.http import RetryPolicy
from sahod.providers.portal import PortalConnector
from sahod.providers.registration import ProviderRegistration

REGISTRATIONS: tuple[ProviderRegistration, ...] = (
    sss.PROVIDER,
    gsis.PROVIDER,
    philhealth.PROVIDER,
    pagibig.PROVIDER,
)
"""In catalogue order: ``GET /v1/providers`` lists them in this order."""

REGISTRATIONS_BY_ID: dict[str, ProviderRegistration] = {r.id: r for r in REGISTRATIONS}
if len(REGISTRATIONS_BY_ID) != len(REGISTRATIONS):
    raise RuntimeError("two providers are registered under one id")

CONNECTORS: dict[str, type[PortalConnector]] = {r.id: r.connector for r in REGISTRATIONS}


def create_connector(
    provider_id: str,
    *,
    base_url: str,
    client_session: aiohttp.ClientSession | None = None,
    timeout: float = 15.0,
    max_concurrency: int = 50,
    retry: RetryPolicy | None = None,
) -> Connector:
    """A connector for ``provider_id`` talking to the portals under ``base_url``
    (e.g. ``http://127.0.0.1:8000/sandbox/portals``; ``/<provider>`` is appended).

    ``client_session`` may be shared between connectors if its cookie jar is an
    ``aiohttp.DummyCookieJar``: sessions keep their own cookies, never the client's.
    ``timeout`` bounds every request, ``max_concurrency`` the requests in flight to this
    portal from this connector.
    """
    try:
        cls = CONNECTORS[provider_id]
    except KeyError:
        raise ValueError(f"no connector for provider {provider_id!r}") from None
    return cls(
        base_url=base_url,
        client_session=client_session,
        timeout=timeout,
        max_concurrency=max_concurrency,
        retry=retry,
    )
