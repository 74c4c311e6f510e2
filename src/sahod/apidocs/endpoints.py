"""`GET /v1/docs`, `GET /v1/redoc` and their files (outside the OpenAPI document)."""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, HTMLResponse, Response

from sahod.errors import MissingResource

OPENAPI_URL = "/v1/openapi.json"
ASSETS_PATH = "/v1/docs/assets"

# Swagger UI's and ReDoc's own builds, as the fastapi-offline package ships them.
_VENDOR = Path(str(files("fastapi_offline") / "static"))
_OWN = Path(__file__).parent / "static"
ASSETS: dict[str, Path] = {
    "swagger-ui-bundle.js": _VENDOR / "swagger-ui-bundle.js",
    "swagger-ui.css": _VENDOR / "swagger-ui.css",
    "redoc.standalone.js": _VENDOR / "redoc.standalone.js",
    "favicon.png": _VENDOR / "favicon.png",
    "swagger-init.js": _OWN / "swagger-init.js",
}
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}


def _csp(*, style_inline: bool) -> str:
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            # ReDoc styles itself with <style> elements it writes (styled-components).
            "style-src 'self'" + (" 'unsafe-inline'" if style_inline else ""),
            # Both draw their icons as data: images; ReDoc searches in a blob: worker.
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "form-action 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


SWAGGER_CSP = _csp(style_inline=False)
REDOC_CSP = _csp(style_inline=True)
_COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

router = APIRouter(include_in_schema=False)


def _page(title: str, head: str, body: str, csp: str) -> HTMLResponse:
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon.png">
{head}</head><body>
{body}
</body></html>
"""
    return HTMLResponse(
        document,
        headers={**_COMMON, "Content-Security-Policy": csp, "Cache-Control": "no-cache"},
    )


@router.get("/v1/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    title = f"{request.app.title} - Swagger UI"
    return _page(
        title,
        f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">\n',
        f'<div id="swagger-ui" data-openapi-url="{OPENAPI_URL}"></div>\n'
        f'<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{ASSETS_PATH}/swagger-init.js"></script>',
        SWAGGER_CSP,
    )


@router.get("/v1/redoc")
async def redoc(request: Request) -> HTMLResponse:
    title = f"{request.app.title} - ReDoc"
    return _page(
        title,
        "",
        f'<redoc spec-url="{OPENAPI_URL}"></redoc>\n'
        f'<script src="{ASSETS_PATH}/redoc.standalone.js"></script>',
        REDOC_CSP,
    )


@router.api_route(ASSETS_PATH + "/{name}", methods=["GET", "HEAD"])
async def asset(name: str) -> Response:
    """One of the files above, by name only: a request never names a path of its own."""
    path = ASSETS.get(name)
    if path is None:
        raise MissingResource(f"There is no docs file {name}.")
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[path.suffix],
        headers={**_COMMON, "Cache-Control": "public, max-age=86400"},
    )
