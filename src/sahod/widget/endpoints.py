"""The JS SDK (`/v2/smile.v2.js`) and the widget (`/link/`), served as static files.

The widget is plain HTML, CSS and JS (no build step). Its pages may load nothing but this
server's own files (the Content-Security-Policy says so), and any site may frame it: the
SDK opens it in an iframe on the tenant's page and the widget only talks to that page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, RedirectResponse, Response

from sahod.errors import MissingResource

STATIC_DIR = Path(__file__).parent / "static"
SDK_FILE = STATIC_DIR / "smile.v2.js"
WIDGET_DIR = STATIC_DIR / "link"
WIDGET_PAGE = WIDGET_DIR / "index.html"

_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Only these files, known at start: a request can never name a path of its own.
ASSETS: dict[str, Path] = {
    path.name: path for path in sorted(WIDGET_DIR.iterdir()) if path.suffix in _MEDIA_TYPES
}

WIDGET_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'none'",
        "base-uri 'none'",
        # Tenants embed the widget on their own sites.
        "frame-ancestors *",
    )
)
_COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

router = APIRouter(include_in_schema=False)


@router.api_route("/v2/smile.v2.js", methods=["GET", "HEAD"])
async def sdk() -> Response:
    """The SDK a tenant's page loads with a script tag, from any origin."""
    return FileResponse(
        SDK_FILE,
        media_type=_MEDIA_TYPES[".js"],
        headers={
            **_COMMON,
            "Cache-Control": "public, max-age=300",
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@router.get("/link")
async def widget_redirect() -> Response:
    # The browser keeps the fragment (the token) across the redirect.
    return RedirectResponse("/link/", status_code=308)


@router.api_route("/link/", methods=["GET", "HEAD"])
async def widget_page() -> Response:
    """The widget's single page; the SDK passes the token in the URL fragment."""
    return FileResponse(
        WIDGET_PAGE,
        media_type="text/html; charset=utf-8",
        headers={**_COMMON, "Content-Security-Policy": WIDGET_CSP, "Cache-Control": "no-cache"},
    )


@router.api_route("/link/assets/{name}", methods=["GET", "HEAD"])
async def widget_asset(name: str) -> Response:
    path = ASSETS.get(name)
    if path is None:
        raise MissingResource(f"There is no widget file {name}.")
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[path.suffix],
        headers={**_COMMON, "Cache-Control": "no-cache"},
    )
