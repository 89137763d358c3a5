"""``/docs``: Swagger UI served from the platform itself, so it renders without internet.

The assets come from the ``swagger-ui-bundle-v2`` distribution (Swagger UI 5, which reads
the OpenAPI 3.1 document FastAPI generates) and are mounted at :data:`ASSETS_PATH`.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/docs"
ASSETS_PATH = "/static/swagger-ui"


def install(app: FastAPI) -> None:
    """Mount the Swagger UI assets and the ``/docs`` page. Call it before ``/static`` is
    mounted: the more specific mount must come first."""
    app.mount(ASSETS_PATH, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — docs",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )
