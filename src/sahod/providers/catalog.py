"""The providers Sahod connects to, as the tenant API describes them.

Derived from the registrations (``sahod.providers.registry``). Supported data points follow
the provider table of the Accounts seed document (seeds/000_ea32424262aea762.txt,
"Supported Providers and Data Points").
"""

from __future__ import annotations

from sahod.providers.registration import ProviderInfo as ProviderInfo
from sahod.providers.registry import REGISTRATIONS

PROVIDERS: tuple[ProviderInfo, ...] = tuple(r.info for r in REGISTRATIONS)

PROVIDERS_BY_ID: dict[str, ProviderInfo] = {p.id: p for p in PROVIDERS}
