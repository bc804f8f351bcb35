"""The web UI's static files (`ui/dist`, built by `make ui`) at `/`: hashed assets cached for a
year, `index.html` never cached, any other non-API path answered with `index.html` (the UI's
router owns it), and a content security policy on every UI response. Without a build, `/`
says how to make one."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from gateway_service.core.errors import ApiError

# The repository's ui/dist (services/gateway/src/gateway_service/ui/routes.py → repo root).
DEFAULT_DIST = Path(__file__).resolve().parents[5] / "ui" / "dist"
# Paths that belong to the API or operations: never the UI's, a miss there is a real 404.
NOT_UI = ("api/", "health", "livez", "metrics", "docs", "redoc", "openapi.json")

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # React Flow and ECharts set style attributes.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Data Compass: UI not built</title></head><body>
<h1>The web UI is not built</h1>
<p>Build it with <code>make ui</code> (<code>make run</code> does it when the UI's sources
changed), or point <code>DATACOMPASS_GATEWAY_UI_DIR</code> at a built <code>ui/dist</code>.</p>
<p>The REST API is at <a href="/docs">/docs</a>.</p></body></html>"""


def dist_dir(request: Request) -> Path:
    configured: str = request.app.state.settings.ui_dir
    return Path(configured) if configured else DEFAULT_DIST


def install(app: FastAPI) -> None:
    """The UI answers the GET requests that no route claims: it is the router's fallback, so
    every route (one added after this call too) wins, API and operations paths keep their own
    404 and 405 answers, and the UI never shows in the OpenAPI document."""
    not_found = app.router.default

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        is_ui = scope["type"] == "http" and scope.get("method") in ("GET", "HEAD")
        if not is_ui or path.lstrip("/").startswith(NOT_UI):
            await not_found(scope, receive, send)
            return
        response = await serve(path.lstrip("/"), Request(scope, receive))
        await response(scope, receive, send)

    app.router.default = fallback


async def serve(path: str, request: Request) -> Response:
    dist = dist_dir(request).resolve()
    index = dist / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503, headers=SECURITY_HEADERS)
    file = (dist / path).resolve() if path else index
    if path and file.is_file() and file.is_relative_to(dist) and file != index:
        return _asset(file, dist, request)
    if path.startswith("assets/"):
        # A chunk of another build (a stale tab): HTML in its place would fail obscurely.
        raise ApiError(404, "NOT_FOUND", f"no UI asset {path}")
    return FileResponse(index, headers={**SECURITY_HEADERS, "Cache-Control": NO_CACHE})


def _asset(file: Path, dist: Path, request: Request) -> Response:
    """A built file; under assets/ its name holds its content hash, so it never changes. The
    gzip copy `make ui` writes beside it is sent to clients that accept gzip."""
    hashed = file.relative_to(dist).parts[0] == "assets"
    headers = {**SECURITY_HEADERS, "Cache-Control": IMMUTABLE if hashed else NO_CACHE}
    gz = file.with_name(file.name + ".gz")
    if "gzip" in request.headers.get("accept-encoding", "") and gz.is_file():
        headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return FileResponse(gz, headers=headers, media_type=mimetypes.guess_type(file.name)[0])
    return FileResponse(file, headers=headers)
