"""The provider directory: the static catalogue, filtered as the contract's query allows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sahod.errors import InvalidParameters, MissingResource
from sahod.providers.catalog import PROVIDERS, PROVIDERS_BY_ID, ProviderInfo
from sahod.providers.registry import REGISTRATIONS_BY_ID
from sahod.providers.schemas import ProviderOut

MAX_TOP_IDS = 10


@dataclass(frozen=True, slots=True)
class ProviderFilter:
    type: str | None = None
    sub_type: str | None = None
    active: bool | None = None
    enabled: bool | None = None
    account_connection: bool | None = None
    name: str | None = None
    ids: Sequence[str] = ()
    top_ids: Sequence[str] = ()


def split_list(values: Sequence[str] | None) -> list[str]:
    """``ids=a&ids=b`` and ``ids=a,b`` both name two ids."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def _matches(provider: ProviderInfo, wanted: ProviderFilter) -> bool:
    checks = (
        wanted.type is None or provider.type == wanted.type.upper(),
        wanted.sub_type is None or provider.sub_type == wanted.sub_type.upper(),
        wanted.active is None or provider.active == wanted.active,
        wanted.enabled is None or provider.enabled == wanted.enabled,
        wanted.account_connection is None
        or provider.account_connection == wanted.account_connection,
        not wanted.name
        or wanted.name.lower() in provider.name.lower()
        or wanted.name.lower() in provider.long_name.lower(),
        not wanted.ids or provider.id in wanted.ids,
    )
    return all(checks)


def find_providers(wanted: ProviderFilter) -> list[ProviderInfo]:
    if len(wanted.top_ids) > MAX_TOP_IDS:
        raise InvalidParameters(f"topIds takes at most {MAX_TOP_IDS} ids")
    found = [p for p in PROVIDERS if _matches(p, wanted)]
    # topIds come first, in the order given; the rest keep the catalogue's order.
    rank = {provider_id: i for i, provider_id in enumerate(wanted.top_ids)}
    return sorted(found, key=lambda p: rank.get(p.id, len(rank)))


def get_provider(provider_id: str) -> ProviderInfo:
    provider = PROVIDERS_BY_ID.get(provider_id)
    if provider is None:
        raise MissingResource(f"There is no provider {provider_id}.")
    return provider


def logo_path(provider_id: str) -> Path:
    registration = REGISTRATIONS_BY_ID.get(provider_id)
    if registration is None:
        raise MissingResource(f"There is no provider {provider_id}.")
    return registration.logo


def provider_out(provider: ProviderInfo, base_url: str) -> ProviderOut:
    return ProviderOut(
        id=provider.id,
        name=provider.name,
        long_name=provider.long_name,
        logo_url=f"{base_url}/static/providers/{provider.id}.svg",
        type=provider.type,
        type_label=provider.type_label,
        sub_type=provider.sub_type,
        sub_type_label=provider.sub_type_label,
        active=provider.active,
        enabled=provider.enabled,
        mfa=provider.mfa,
        account_connection=provider.account_connection,
        supported=list(provider.supported),
        monitor_supported=provider.monitor_supported,
    )
