"""Wiring: `create_app(settings)` builds the FastAPI application (used by __main__ and tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from datacompass.catalog.v1 import catalog_pb2_grpc, completeness_pb2_grpc, semantics_pb2_grpc
from datacompass.governance.v1 import governance_pb2_grpc
from datacompass.notifier.v1 import notifier_pb2_grpc
from datacompass.quality.v1 import dq_pb2_grpc, quality_rules_pb2_grpc
from datacompass.scheduler.v1 import scheduler_pb2_grpc
from dckit.grpc_client import channel
from gateway_service.audit import routes as audit
from gateway_service.capsule_code import routes as capsule_code
from gateway_service.capsules import routes as capsules
from gateway_service.classification import routes as classification
from gateway_service.completeness import routes as completeness
from gateway_service.config import GatewaySettings
from gateway_service.core import errors, routing
from gateway_service.core.auth import AuthCache, require_auth
from gateway_service.core.middleware import (
    BodyLimitMiddleware,
    MetricsMiddleware,
    NulGuardMiddleware,
    RequestContextMiddleware,
)
from gateway_service.core.models import ErrorBody
from gateway_service.core.throttle import LoginThrottle
from gateway_service.deprecations import routes as deprecations
from gateway_service.dq import routes as dq
from gateway_service.glossary import routes as glossary
from gateway_service.health import routes as health
from gateway_service.health.routes import HealthCache
from gateway_service.identity import routes as identity
from gateway_service.lineage import routes as lineage
from gateway_service.masking import routes as masking
from gateway_service.notifications import routes as notifications
from gateway_service.objects import routes as objects
from gateway_service.ownership import routes as ownership
from gateway_service.policies import routes as policies
from gateway_service.profiles import routes as profiles
from gateway_service.quality_rules import routes as quality_rules
from gateway_service.schedules import routes as schedules
from gateway_service.semantics import routes as semantics
from gateway_service.sources import routes as sources
from gateway_service.structure import routes as structure
from gateway_service.ui import routes as ui

API_PREFIX = "/api/v1"
SERVICE = "gateway"

# Backend → (app.state attribute → stub class) of each proto service it serves.
BACKEND_STUBS: dict[str, dict[str, Any]] = {
    "catalog": {
        "catalog": catalog_pb2_grpc.CatalogServiceStub,
        "semantics": semantics_pb2_grpc.SemanticsServiceStub,
        "completeness": completeness_pb2_grpc.CompletenessServiceStub,
    },
    "governance": {"governance": governance_pb2_grpc.GovernanceServiceStub},
    "quality": {
        "dq": dq_pb2_grpc.DqServiceStub,
        "quality_rules": quality_rules_pb2_grpc.QualityRulesServiceStub,
    },
    "scheduler": {"scheduler": scheduler_pb2_grpc.SchedulerServiceStub},
    "notifier": {"notifier": notifier_pb2_grpc.NotifierServiceStub},
}

# The areas behind authentication, in OpenAPI order (routing puts catch-alls last anyway).
AREAS = (
    sources,
    lineage,
    objects,
    policies,
    masking,
    quality_rules,
    profiles,
    structure,
    capsules,
    completeness,
    glossary,
    semantics,
    capsule_code,
    identity,
    audit,
    deprecations,
    dq,
    schedules,
    notifications,
    classification,
    ownership,
)

_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Invalid request"),
        (401, "Missing or invalid bearer token"),
        (403, "The caller's role does not allow this"),
        (404, "Not found"),
        (409, "Conflict"),
        (429, "Too many requests (login throttling); see Retry-After"),
        (503, "A backend service is unavailable"),
    )
}


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # app.state.<attribute> is a stub (core/deps), app.state.<backend>_channel its backend's
        # channel (/health checks each one).
        channels = []
        for name, stubs in BACKEND_STUBS.items():
            addr = getattr(settings, f"{name}_addr")
            chan = channel(addr, default_timeout=settings.rpc_timeout_seconds)
            setattr(app.state, f"{name}_channel", chan)
            for attribute, stub in stubs.items():
                setattr(app.state, attribute, stub(chan))
            channels.append(chan)
        try:
            yield
        finally:
            for chan in channels:
                await chan.close()

    app = FastAPI(
        title="Data Compass",
        version="0.1.0",
        description="REST API of the Data Compass data catalog.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.auth_cache = AuthCache(settings.auth_cache_seconds)
    app.state.login_throttle = LoginThrottle(settings)
    app.state.health_cache = HealthCache(settings.health_cache_seconds)

    api = APIRouter(
        prefix=API_PREFIX, dependencies=[Depends(require_auth)], responses=_ERROR_RESPONSES
    )
    api.include_router(routing.combine(area.router for area in AREAS))
    app.include_router(api)
    # Login and refresh are the only anonymous API routes (they issue the credentials).
    app.include_router(identity.public_router, prefix=API_PREFIX)
    app.include_router(health.router)
    # Also under the API prefix, for clients configured with the `/api/v1` base URL.
    app.include_router(health.router, prefix=API_PREFIX, include_in_schema=False)
    # The web UI answers the GET paths no route claims (outside the API and operations).
    ui.install(app)

    errors.install(app)
    # Added last = outermost: every response (errors included) carries X-Request-ID.
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware, settings=settings)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,metrics")
    _document_validation_as_400(app)
    return app


def _document_validation_as_400(app: FastAPI) -> None:
    """Validation errors are 400 in our error shape, not FastAPI's default 422."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
