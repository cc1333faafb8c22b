"""The API documentation pages, /docs (Swagger UI) and /redoc (ReDoc), with no internet needed.

FastAPI's own pages load Swagger UI and ReDoc from a CDN (and ReDoc's fonts from Google), so they
are blank on a network without internet. Here the service serves the assets itself, from the
PyPI package ``fastapi-offline`` (MIT; it ships Swagger UI's ``swagger-ui-bundle.js`` and
``swagger-ui.css``, Apache-2.0, and ReDoc's ``redoc.standalone.js``, MIT, each with its licence
header). It was chosen over vendoring the npm packages because it is maintained, versioned and
installed by pip like every other dependency (pyproject.toml), so a fresh clone's
``scripts/setup-venv.sh`` brings it and nothing is copied into this repository. Only its static
folder is used, not its ``FastAPIOffline`` class: the pages are our own Jinja2 templates, whose
scripts carry the response's CSP nonce (api/headers.py gives these two paths a policy that also
lets ReDoc add its ``<style>`` elements and search worker). Swagger UI's online validator badge is
switched off (``validatorUrl: null``): it would call validator.swagger.io. ReDoc's sidebar shows
Redocly's logo from its CDN whatever the options say, so its bundle is served with that one URL
replaced by an empty inline image (:func:`redoc_bundle`); the rest of the file is unchanged.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.pages import render

router = APIRouter(include_in_schema=False)
STATIC_PATH = "/static/docs"


def _assets_dir() -> Path:
    """Return the folder of the bundled Swagger UI and ReDoc files (found without importing them)."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the package fastapi-offline is missing: run scripts/setup-venv.sh")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


STATIC_DIR = _assets_dir()
REDOC_BUNDLE_PATH = "/docs/redoc.standalone.js"
REDOC_LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"


@cache
def redoc_bundle() -> bytes:
    """Return ReDoc's bundle with its one outside URL (the logo) replaced by an empty inline image."""
    source = (STATIC_DIR / "redoc.standalone.js").read_text(encoding="utf-8")
    return source.replace(REDOC_LOGO_URL, EMPTY_IMAGE).encode()


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Show the interactive API documentation (Swagger UI) for this service's OpenAPI schema."""
    return render(request, "home/swagger.html", openapi_url=request.app.openapi_url, assets=STATIC_PATH,
                  title=request.app.title)


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """Show the API reference (ReDoc) for this service's OpenAPI schema."""
    return render(request, "home/redoc.html", openapi_url=request.app.openapi_url, assets=STATIC_PATH,
                  bundle=REDOC_BUNDLE_PATH, title=request.app.title)


@router.get(REDOC_BUNDLE_PATH)
def redoc_script() -> Response:
    """Serve ReDoc's script without its CDN logo."""
    return Response(redoc_bundle(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=86400"})
