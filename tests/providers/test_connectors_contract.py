"""Every record every connector produces fits the Smile contract's shape for its kind, and
the shape Sahod stores and serves."""

from __future__ import annotations

import pytest

from sahod.datapoints.kinds import DataPointKind
from sahod.datapoints.registry import SPECS
from tests.contract.smile import schema_errors
from tests.providers.conftest import PROVIDERS, SignIn
from tests.providers.test_connectors import MakeConnector

CONTRACT_SCHEMAS = {
    DataPointKind.IDENTITIES: "IdentityPayload",
    DataPointKind.EMPLOYMENTS: "EmploymentPayload",
    DataPointKind.INCOMES: "IncomePayload",
    DataPointKind.EINCOMES: "EincomePayload",
    DataPointKind.CONTRIBUTIONS: "ContributionPayload",
    DataPointKind.DOCUMENTS: "DocumentPayload",
    DataPointKind.LIABILITIES: "LiabilityPayload",
}

PERSONAS = [
    ("gpalomero1234@smileapi.io", "123456"),
    ("ryan1234@smileapi.io", "654321"),
    ("christina4321@smileapi.io", "YGUS1"),
    ("anisha98765@smileapi.io", "123456"),
    ("longtime@sahod.test", "sandbox1"),
]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_every_record_fits_the_contract(
    provider: str, connector_for: MakeConnector, sign_in: SignIn
) -> None:
    connector = connector_for(provider)
    problems: list[str] = []
    kinds: set[DataPointKind] = set()
    for username, password in PERSONAS:
        records = await connector.fetch(await sign_in(connector, username, password))
        for record in records:
            kinds.add(record.kind)
            item = {"id": f"{record.kind.id_prefix}-0", **record.payload}
            for error in schema_errors(CONTRACT_SCHEMAS[record.kind], item):
                problems.append(f"{username} {record.kind} {record.reference}: {error}")
            # …and Sahod's own stored shape accepts it as it is.
            SPECS[record.kind].payload_model.model_validate(record.payload)
    assert not problems, "\n".join(problems[:20])
    assert kinds == set(connector_supported(provider))


def connector_supported(provider: str) -> tuple[DataPointKind, ...]:
    from sahod.providers.catalog import PROVIDERS_BY_ID

    return PROVIDERS_BY_ID[provider].supported
