"""What a source hands the data points to store: one record of one kind, as read.

Defined here, below the providers, so that storing records needs nothing from the code
that fetches them; connectors produce these (``sahod.providers.base`` re-exports it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sahod.datapoints.kinds import DataPointKind


@dataclass(frozen=True)
class FetchedRecord:
    kind: DataPointKind
    reference: str
    """The provider's own stable reference for this record, unique per (account, kind)."""
    payload: dict[str, object]
    """The contract item's fields in camelCase, without ``id`` and ``metadata``."""
