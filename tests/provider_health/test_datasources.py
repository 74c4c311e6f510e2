"""The data-sources catalogue is read from the API's own models: it names exactly the
fields the API's OpenAPI document gives each data point."""

from __future__ import annotations

from typing import Any

import pytest

from sahod.errors import MissingResource
from sahod.provider_health.service import data_sources, provider_datapoints
from sahod.providers.catalog import PROVIDERS_BY_ID
from tests.conftest import TenantClient


async def test_every_field_matches_the_openapi_document(tenant: TenantClient) -> None:
    document = (await tenant.http.get("/v1/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for source in data_sources():
        assert [d.kind for d in source.datapoints] == [
            k.value for k in PROVIDERS_BY_ID[source.id].supported
        ]
        for datapoint in source.datapoints:
            item = schemas[_item_schema(schemas, datapoint.path, document)]
            assert [f.name for f in datapoint.fields] == list(item["properties"])
            assert {f.name for f in datapoint.fields if f.required} == set(item.get("required", []))


def _item_schema(schemas: dict[str, Any], path: str, document: dict[str, Any]) -> str:
    """The component name of the item ``GET path/{id}`` answers with."""
    ref = document["paths"][path + "/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    envelope = schemas[ref.rsplit("/", 1)[-1]]
    return str(envelope["properties"]["data"]["$ref"].rsplit("/", 1)[-1])


def test_nested_fields_and_types_are_described() -> None:
    liabilities = next(d for d in provider_datapoints("sss") if d.kind == "LIABILITIES")
    by_name = {f.name: f for f in liabilities.fields}
    assert by_name["startDate"].type == "string (date)" and by_name["startDate"].required
    assert by_name["outstandingBalance"].nullable and not by_name["outstandingBalance"].required
    metadata = by_name["metadata"].fields
    assert metadata is not None and "providerId" in {f.name for f in metadata}


def test_an_unknown_provider_is_missing() -> None:
    with pytest.raises(MissingResource):
        provider_datapoints("nope")
