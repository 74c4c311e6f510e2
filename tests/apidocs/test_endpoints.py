"""The docs pages name only this server's files, and every one of them is served."""

from __future__ import annotations

import re

import httpx
import pytest


@pytest.mark.parametrize("path", ["/v1/docs", "/v1/redoc"])
async def test_the_pages_load_only_files_of_this_server(
    anonymous: httpx.AsyncClient, path: str
) -> None:
    page = await anonymous.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp
    assert "http" not in csp  # no outside host is allowed anything
    assert "<script>" not in page.text  # no inline script: the policy would refuse it
    referenced = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert referenced
    for url in referenced:
        assert url.startswith("/v1/"), url
        answer = await anonymous.get(url)
        assert answer.status_code == 200, url
        assert int(answer.headers["content-length"]) > 0


async def test_the_files_have_their_types_and_are_cached(anonymous: httpx.AsyncClient) -> None:
    script = await anonymous.get("/v1/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in script.text
    assert script.headers["cache-control"] == "public, max-age=86400"
    style = await anonymous.get("/v1/docs/assets/swagger-ui.css")
    assert style.headers["content-type"].startswith("text/css")
    redoc = await anonymous.head("/v1/docs/assets/redoc.standalone.js")
    assert redoc.status_code == 200


@pytest.mark.parametrize("name", ["nope.js", "..%2Fendpoints.py", "%2Fetc%2Fpasswd"])
async def test_only_the_known_files_are_served(anonymous: httpx.AsyncClient, name: str) -> None:
    answer = await anonymous.get(f"/v1/docs/assets/{name}")
    assert answer.status_code == 404
    assert answer.json()["code"] == "MISSING_RESOURCE"


async def test_the_docs_are_not_in_the_api_document(anonymous: httpx.AsyncClient) -> None:
    paths = (await anonymous.get("/v1/openapi.json")).json()["paths"]
    assert not any(path.startswith(("/v1/docs", "/v1/redoc")) for path in paths)
