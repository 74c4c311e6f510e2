"""What a provider package registers: everything Sahod knows about one provider.

Each provider package (``sahod.providers.sss``…) exports one :class:`ProviderRegistration`
as ``PROVIDER``; ``sahod.providers.registry.REGISTRATIONS`` lists them, and the catalogue,
the connectors, the sandbox portals and the logos are all read from that list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sahod.agencies.schedules import Agency
from sahod.datapoints.kinds import DataPointKind
from sahod.providers.portal import PortalConnector
from sahod.sandbox.mount import PortalFactory


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """The provider as the tenant API's catalogue describes it."""

    id: str
    name: str
    long_name: str
    login_label: str
    """What the portal calls the username field (the widget shows it)."""
    login_kind: str
    """``email`` or ``member_number_or_email``: which identifiers the portal accepts."""
    supported: tuple[DataPointKind, ...]
    type: str = "GOVERNMENT"
    type_label: str = "Govt Service"
    sub_type: str = "INSURANCE"
    sub_type_label: str = "Social Insurance"
    active: bool = True
    enabled: bool = True
    mfa: bool = True
    account_connection: bool = True
    monitor_supported: bool = True


@dataclass(frozen=True, slots=True)
class ProviderRegistration:
    info: ProviderInfo
    """The catalogue entry (``GET /v1/providers``)."""
    connector: type[PortalConnector]
    """Reads the provider's member portal."""
    agency: Agency
    """Whose contribution schedules turn the portal's contributions into income estimates."""
    sandbox_portal: PortalFactory
    """The simulated member portal sandbox tenants connect to."""
    logo: Path
    """An SVG file, served at ``/static/providers/<id>.svg``."""

    def __post_init__(self) -> None:
        # A mismatch would route one provider's accounts to another's portal; refuse to load.
        if self.connector.provider_id != self.info.id:
            raise ValueError(f"{self.info.id}: connector is for {self.connector.provider_id}")
        if self.logo.suffix != ".svg" or not self.logo.is_file():
            raise ValueError(f"{self.info.id}: no SVG logo at {self.logo}")

    @property
    def id(self) -> str:
        return self.info.id
