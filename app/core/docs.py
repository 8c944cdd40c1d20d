"""The interactive API documentation at `/docs`, served entirely by the service.

Swagger UI's script and styles are vendored in `app/static/swagger-ui` (the npm package
`swagger-ui-dist`, pinned; see `SOURCE.md` there) and served from `/docs/assets/`, as
FastAPI's documentation describes for self-hosting, so the page works offline. The
validator badge (which would send the document's address to validator.swagger.io) is
off.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

SWAGGER_UI_VERSION = "5.35.0"
ASSETS = Path(__file__).resolve().parent.parent / "static" / "swagger-ui"
ASSET_PATH = "/docs/assets"
SERVED = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "LICENSE": "text/plain; charset=utf-8",
    "NOTICE": "text/plain; charset=utf-8",
}


def install_docs(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    """Serve `/docs` and its assets (the app is created with `docs_url=None`)."""

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSET_PATH}/swagger-ui-bundle.js?v={SWAGGER_UI_VERSION}",
            swagger_css_url=f"{ASSET_PATH}/swagger-ui.css?v={SWAGGER_UI_VERSION}",
            swagger_favicon_url=f"{ASSET_PATH}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(ASSET_PATH + "/{name}", include_in_schema=False)
    async def swagger_asset(name: str) -> Response:
        media_type = SERVED.get(name)
        if media_type is None:
            return Response(status_code=404)
        return FileResponse(
            ASSETS / name,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )
