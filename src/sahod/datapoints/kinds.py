"""The data point kinds Sahod stores, with their wire names, id prefixes and event names."""

from __future__ import annotations

from enum import StrEnum


class DataPointKind(StrEnum):
    """Values are the contract's ``RefDatapoint`` names."""

    IDENTITIES = "IDENTITIES"
    EMPLOYMENTS = "EMPLOYMENTS"
    INCOMES = "INCOMES"
    EINCOMES = "EINCOMES"
    CONTRIBUTIONS = "CONTRIBUTIONS"
    DOCUMENTS = "DOCUMENTS"
    LIABILITIES = "LIABILITIES"

    @property
    def path(self) -> str:
        """The collection's path segment under /v1."""
        return self.value.lower()

    @property
    def id_prefix(self) -> str:
        return _ID_PREFIXES[self]

    @property
    def added_event(self) -> str:
        # The contract's event catalogue spells the identity event in the singular.
        return "IDENTITY_ADDED" if self is DataPointKind.IDENTITIES else f"{self.value}_ADDED"

    @property
    def updated_event(self) -> str | None:
        # There is no IDENTITY_UPDATED in the contract's catalogue; an identity change is
        # reported as IDENTITY_ADDED of the new version.
        return None if self is DataPointKind.IDENTITIES else f"{self.value}_UPDATED"


_ID_PREFIXES: dict[DataPointKind, str] = {
    DataPointKind.IDENTITIES: "i",
    DataPointKind.EMPLOYMENTS: "e",
    DataPointKind.INCOMES: "inc",
    DataPointKind.EINCOMES: "einc",
    DataPointKind.CONTRIBUTIONS: "con",
    DataPointKind.DOCUMENTS: "d",
    DataPointKind.LIABILITIES: "lia",
}
