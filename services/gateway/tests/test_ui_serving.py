"""The gateway serves the built web UI at `/`: assets with long cache headers (and their gzip
copies), `index.html` uncached for every UI route, a CSP on each, API misses stay JSON 404s,
and without a build `/` says how to make one. No backend is needed (no lifespan)."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from gateway_service.app import create_app
from gateway_service.config import GatewaySettings

INDEX = "<!doctype html><div id=root></div>"
ASSET = "console.log('data compass');" * 20


def client(dist: Path) -> httpx.AsyncClient:
    app = create_app(GatewaySettings(ui_dir=str(dist)))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-Ab12.js").write_text(ASSET)
    (root / "assets" / "index-Ab12.js.gz").write_bytes(gzip.compress(ASSET.encode()))
    (root / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    return root


@pytest.mark.parametrize("path", ["/", "/search?q=orders&type=table", "/capsules/a.b.c/columns"])
async def test_ui_routes_get_index_uncached_with_csp(dist: Path, path: str) -> None:
    async with client(dist) as c:
        resp = await c.get(path)
    assert resp.status_code == 200
    assert resp.text == INDEX
    assert resp.headers["cache-control"] == "no-cache"
    csp = resp.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["x-content-type-options"] == "nosniff"


async def test_hashed_assets_are_cached_for_a_year_and_gzipped_on_request(dist: Path) -> None:
    async with client(dist) as c:
        plain = await c.get("/assets/index-Ab12.js", headers={"accept-encoding": "identity"})
        zipped = await c.get("/assets/index-Ab12.js", headers={"accept-encoding": "gzip, br"})
        other = await c.get("/favicon.svg")
    assert plain.status_code == 200 and plain.text == ASSET
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["content-type"].startswith("text/javascript")
    assert zipped.text == ASSET  # httpx decodes it
    # Not under assets/: the name has no hash, so it is revalidated.
    assert other.headers["cache-control"] == "no-cache"


async def test_a_missing_asset_gets_a_404_not_the_index(dist: Path) -> None:
    async with client(dist) as c:
        resp = await c.get("/assets/gone-Zz99.js")
    assert resp.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v2/objects", "/metricsx"])
async def test_api_misses_stay_json_404s(dist: Path, path: str) -> None:
    async with client(dist) as c:
        resp = await c.get(path)
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json()["error"]["code"] == "NOT_FOUND"


async def test_files_outside_the_build_are_never_served(dist: Path) -> None:
    async with client(dist) as c:
        for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
            resp = await c.get(path)
            assert "outside the build" not in resp.text, path


async def test_without_a_build_root_says_how_to_build_it(tmp_path: Path) -> None:
    async with client(tmp_path / "nothing") as c:
        resp = await c.get("/")
        api = await c.get("/api/v1/auth/me")
    assert resp.status_code == 503
    assert "make ui" in resp.text
    assert resp.headers["content-security-policy"]
    # The API is unaffected (authentication still answers first).
    assert api.status_code == 401


async def test_the_api_keeps_its_own_404_and_405_answers(dist: Path) -> None:
    async with client(dist) as c:
        wrong_method = await c.delete("/api/v1/auth/login")
        unknown_post = await c.post("/api/v1/no-such-thing", json={})
    assert wrong_method.status_code == 405
    assert unknown_post.status_code == 404


async def test_routes_added_after_the_app_is_built_still_win(dist: Path) -> None:
    app = create_app(GatewaySettings(ui_dir=str(dist)))

    @app.get("/late")
    async def late() -> dict[str, str]:
        return {"route": "late"}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        resp = await c.get("/late")
        ui = await c.get("/later")
    assert resp.json() == {"route": "late"}
    assert ui.text == INDEX
