"""The four government providers Sahod connects to, as the tenant API describes them.

Supported data points follow the provider table of the Accounts seed document
(seeds/000_ea32424262aea762.txt, "Supported Providers and Data Points").
"""

from __future__ import annotations

from dataclasses import dataclass

from sahod.datapoints.kinds import DataPointKind as K


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    id: str
    name: str
    long_name: str
    login_label: str
    """What the portal calls the username field (the widget shows it)."""
    login_kind: str
    """``email`` or ``member_number_or_email``: which identifiers the portal accepts."""
    supported: tuple[K, ...]
    type: str = "GOVERNMENT"
    type_label: str = "Govt Service"
    sub_type: str = "INSURANCE"
    sub_type_label: str = "Social Insurance"
    active: bool = True
    enabled: bool = True
    mfa: bool = True
    account_connection: bool = True
    monitor_supported: bool = True


PROVIDERS: tuple[ProviderInfo, ...] = (
    ProviderInfo(
        id="sss",
        name="My.SSS",
        long_name="Social Security System",
        login_label="User ID, e-mail or SS number",
        login_kind="member_number_or_email",
        supported=(
            K.IDENTITIES,
            K.EMPLOYMENTS,
            K.DOCUMENTS,
            K.CONTRIBUTIONS,
            K.LIABILITIES,
            K.EINCOMES,
        ),
    ),
    ProviderInfo(
        id="gsis",
        name="eGSIS MO",
        long_name="Government Service Insurance System",
        login_label="E-mail address",
        login_kind="email",
        supported=(K.IDENTITIES, K.EMPLOYMENTS, K.DOCUMENTS, K.INCOMES, K.EINCOMES),
    ),
    ProviderInfo(
        id="philhealth",
        name="My PhilHealth Portal",
        long_name="Philippine Health Insurance Corporation",
        login_label="E-mail address",
        login_kind="email",
        supported=(K.IDENTITIES, K.EMPLOYMENTS, K.DOCUMENTS, K.CONTRIBUTIONS, K.EINCOMES),
    ),
    ProviderInfo(
        id="pagibig",
        name="Virtual Pag-IBIG",
        long_name="Home Development Mutual Fund (Pag-IBIG Fund)",
        login_label="E-mail address",
        login_kind="email",
        supported=(
            K.IDENTITIES,
            K.EMPLOYMENTS,
            K.DOCUMENTS,
            K.CONTRIBUTIONS,
            K.LIABILITIES,
            K.EINCOMES,
        ),
    ),
)

PROVIDERS_BY_ID: dict[str, ProviderInfo] = {p.id: p for p in PROVIDERS}
