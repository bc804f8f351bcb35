"""Route order: the areas' routes mounted as one list with the catch-all `{x:path}` routes after
every other (the more literal segments after the catch-all, the earlier), so no route shadows
another whatever order the areas are listed in."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute
from starlette.types import Scope

CATCH_ALL = ":path}"


def catch_all_last(route: BaseRoute) -> tuple[int, int, int]:
    """Sort key: plain routes first (in their declared order), then catch-alls with more
    segments after the `{x:path}` parameter first, literal segments before parameters
    (`/objects/{ref:path}/lineage` before `/objects/{ref:path}`)."""
    _, found, rest = getattr(route, "path", "").partition(CATCH_ALL)
    if not found:
        return (0, 0, 0)
    segments = [s for s in rest.split("/") if s]
    return (1, -len(segments), sum(s.startswith("{") for s in segments))


def combine(routers: Iterable[APIRouter]) -> APIRouter:
    """One router holding the routes of `routers`, ordered by `catch_all_last` (stable)."""
    routes: list[BaseRoute] = []
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                raise TypeError(f"an area router holds only its own routes, not {route!r}")
            routes.append(route)
    combined = APIRouter()
    combined.routes.extend(sorted(routes, key=catch_all_last))
    return combined


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/v1/objects/{ref}`), or "unmatched".

    FastAPI >= 0.16x resolves included routers lazily and records the full template in
    `scope["fastapi"]["effective_route_context"]`; older versions leave a flattened route
    in `route`."""
    fastapi_scope = scope.get("fastapi")
    effective = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    for candidate in (effective, scope.get("route")):
        template = getattr(candidate, "path_format", None)
        if isinstance(template, str) and template:
            return template
    return "unmatched"
