"""No route shadows another: every route's own URLs (refs with dots, URNs with colons) reach that
route, whatever order the areas are listed in (core/routing.py puts catch-alls last)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.types import Receive, Scope, Send

from devstack.embedded import free_port
from gateway_service import app as app_module
from gateway_service.app import create_app
from gateway_service.config import GatewaySettings
from gateway_service.core.routing import catch_all_last, combine, route_template
from gateway_service.health.routes import BACKENDS
from gateway_service.lineage import routes as lineage
from gateway_service.objects import routes as objects

# What a `{x:path}` parameter holds: a dotted ref and a URN (colons, dots).
CATCH_ALL_VALUES = ("demo.public.orders", "urn:dcs:postgres:table:demo.public:orders")
PARAM = re.compile(r"\{(\w+)(:path)?\}")


def urls(path: str) -> list[str]:
    """Example URLs of a route path (`/objects/{ref:path}/columns`): every plain parameter
    `1`, every catch-all each of CATCH_ALL_VALUES."""
    values = CATCH_ALL_VALUES if ":path}" in path else CATCH_ALL_VALUES[:1]
    return [PARAM.sub(lambda m, v=v: v if m.group(2) else "1", path) for v in values]


def settings() -> GatewaySettings:
    """Every backend on a closed port (never a default one): /health, among the routes,
    fails fast; no other route gets past authentication or validation."""
    closed = f"127.0.0.1:{free_port()}"
    backends = {f"{name}_addr": closed for name in BACKENDS}
    return GatewaySettings(
        **backends,
        database_url=f"postgresql://x@{closed}/x",
        nats_url=f"nats://{closed}",
        health_timeout_seconds=0.1,
    )


@pytest.mark.parametrize("order", ["declared", "reversed"])
async def test_every_route_is_reached_by_its_own_urls(
    order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if order == "reversed":
        monkeypatch.setattr(app_module, "AREAS", tuple(reversed(app_module.AREAS)))
    app = create_app(settings())
    routes = [
        (ctx, method) for ctx in iter_route_contexts(app.routes) for method in sorted(ctx.methods)
    ]
    templates = [(ctx.path_format, method) for ctx, method in routes]
    assert len(templates) == len(set(templates)), "two routes share a method and path"
    assert any(":path}" in ctx.path for ctx, _ in routes)

    reached: list[tuple[str, object]] = []

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)
        reached.append((route_template(scope), scope.get("endpoint")))

    transport = httpx.ASGITransport(app=recording)
    client = httpx.AsyncClient(transport=transport, base_url="http://gateway")
    async with app.router.lifespan_context(app), client:
        for ctx, method in routes:
            for url in urls(ctx.path):
                await client.request(method, url)  # unauthenticated: routed, then 401
                template, endpoint = reached[-1]
                # FastAPI's own /docs routes record no template: their endpoint tells.
                ours = template == ctx.path_format
                assert ours or (template == "unmatched" and endpoint is ctx.endpoint), (
                    f"{method} {url} reached {template}, not {ctx.path_format}"
                )


def test_catch_alls_go_last_most_specific_first() -> None:
    combined = combine([objects.router, lineage.router])
    paths = [r.path for r in combined.routes if isinstance(r, APIRoute)]
    assert paths.index("/lineage/edges") < paths.index("/objects/{ref:path}/lineage")
    assert paths.index("/objects/{ref:path}/lineage") < paths.index("/objects/{ref:path}")
    assert paths.index("/objects/{ref:path}/columns") < paths.index("/objects/{ref:path}")
    assert paths[0] == "/objects"  # plain routes keep their declared order, first
    keys = [catch_all_last(r) for r in combined.routes]
    assert keys == sorted(keys)


def test_the_sort_key_puts_literal_segments_before_parameters() -> None:
    literal = APIRoute("/x/{a:path}/columns/{c}", endpoint=lambda: None)
    param = APIRoute("/x/{a:path}/{b}/{c}", endpoint=lambda: None)
    shorter = APIRoute("/x/{a:path}", endpoint=lambda: None)
    plain = APIRoute("/x/{a}", endpoint=lambda: None)
    ordered = sorted([shorter, param, literal, plain], key=catch_all_last)
    assert ordered == [plain, literal, param, shorter]
