"""Everything Sahod knows about a provider comes from its one registration."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from sahod.providers import gsis, sss
from sahod.providers.catalog import PROVIDERS, PROVIDERS_BY_ID
from sahod.providers.registry import CONNECTORS, REGISTRATIONS, create_connector
from sahod.providers.sandbox import create_portals_app


def test_the_catalogue_connectors_and_portals_follow_the_registrations() -> None:
    ids = [registration.id for registration in REGISTRATIONS]
    assert [provider.id for provider in PROVIDERS] == ids
    assert list(PROVIDERS_BY_ID) == ids
    assert list(CONNECTORS) == ids
    assert list(create_portals_app().state.portals) == ids
    for registration in REGISTRATIONS:
        assert PROVIDERS_BY_ID[registration.id] is registration.info
        connector = create_connector(registration.id, base_url="http://portals.invalid")
        assert isinstance(connector, registration.connector)


async def test_the_portals_index_names_every_registered_portal() -> None:
    transport = httpx.ASGITransport(app=create_portals_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://portals") as http:
        index = (await http.get("/")).text
        for registration in REGISTRATIONS:
            assert f'href="/{registration.id}/"' in index
            assert registration.info.name in index
            assert (await http.get(f"/{registration.id}/")).status_code < 500


async def test_each_logo_is_served_from_its_package(anonymous: httpx.AsyncClient) -> None:
    for registration in REGISTRATIONS:
        response = await anonymous.get(f"/static/providers/{registration.id}.svg")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert response.content == registration.logo.read_bytes()
    assert (await anonymous.get("/static/providers/nobody.svg")).status_code == 404


def test_a_registration_that_does_not_add_up_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="connector is for gsis"):
        replace(sss.PROVIDER, connector=gsis.PROVIDER.connector)
    with pytest.raises(ValueError, match="no SVG logo"):
        replace(sss.PROVIDER, logo=tmp_path / "missing.svg")
