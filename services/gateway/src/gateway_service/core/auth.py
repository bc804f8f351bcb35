"""Authentication and authorization of every `/api/v1` route (`require_auth`).

A bearer token is the bootstrap admin key (checked here, so first start needs no user), a
governance API key or an access JWT (both checked by the governance service). Successful
answers are cached for `auth_cache_seconds`, so a revoked key stops working within that time.
The authenticated username becomes the actor of the request context, which travels to every
service in gRPC metadata and ends up in audit records."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated

import grpc
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from datacompass.governance.v1 import governance_pb2 as gpb
from dckit import context
from gateway_service.config import GatewaySettings
from gateway_service.core import authz, routing
from gateway_service.core.convert import object_ref, split_column_ref
from gateway_service.core.errors import ApiError

BOOTSTRAP_ADMIN = "bootstrap-admin"
ANONYMOUS = "anonymous"
CACHE_SIZE = 10_000
API_KEY_PREFIX = "dck_"
_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")

# Documents the scheme in OpenAPI; we raise our own 401 (auto_error would answer 403).
bearer = HTTPBearer(auto_error=False, description="an access token (JWT) or an API key")


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    method: str  # "bootstrap" | "api_key" | "jwt"

    @property
    def is_bootstrap(self) -> bool:
        return self.method == "bootstrap"


BOOTSTRAP = Principal(BOOTSTRAP_ADMIN, "admin", "bootstrap")


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def is_bootstrap_key(settings: GatewaySettings, token: str) -> bool:
    key = settings.bootstrap_admin_key
    if key is None or not key.get_secret_value():
        return False
    return hmac.compare_digest(token.encode(), key.get_secret_value().encode())


def actor_for(settings: GatewaySettings, authorization: str | None) -> str | None:
    """The actor known before authentication runs (the request-context middleware's first
    guess): the bootstrap admin, else None. `require_auth` then binds the real one."""
    token = bearer_token(authorization)
    if token is not None and is_bootstrap_key(settings, token):
        return BOOTSTRAP_ADMIN
    return None


class AuthCache:
    """Token digest → (principal, expiry), bounded; only successes are cached."""

    def __init__(self, ttl: float, size: int = CACHE_SIZE) -> None:
        self.ttl, self.size = ttl, size
        self._items: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    @staticmethod
    def key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def get(self, token: str) -> Principal | None:
        key = self.key(token)
        hit = self._items.get(key)
        if hit is None:
            return None
        if hit[1] <= time.monotonic():
            self._items.pop(key, None)
            return None
        return hit[0]

    def put(self, token: str, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        self._items[self.key(token)] = (principal, time.monotonic() + self.ttl)
        self._items.move_to_end(self.key(token))
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, "UNAUTHENTICATED", message, {"WWW-Authenticate": "Bearer"})


async def authenticate(request: Request, token: str) -> Principal:
    settings: GatewaySettings = request.app.state.settings
    if is_bootstrap_key(settings, token):
        return BOOTSTRAP
    if not (token.startswith(API_KEY_PREFIX) or _JWT_SHAPE.match(token)):
        raise unauthenticated("invalid bearer token")  # no need to ask governance
    cache: AuthCache = request.app.state.auth_cache
    cached = cache.get(token)
    if cached is not None:
        return cached
    try:
        found = await request.app.state.governance.Authenticate(
            gpb.AuthenticateRequest(token=token)
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
            raise unauthenticated(exc.details() or "invalid bearer token") from exc
        raise  # governance unavailable etc.: the error table answers 503
    principal = Principal(found.username, found.role, found.method)
    cache.put(token, principal)
    return principal


async def require_auth(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Principal:
    """Dependency of every `/api/v1` route: authenticates (401) and authorizes (403) the caller
    for the route's required role, and makes them the actor of the request."""
    header = request.headers.get("authorization")
    token = bearer_token(header)
    if token is None:
        if header:
            raise unauthenticated("malformed Authorization header (expected: Bearer <token>)")
        raise unauthenticated("missing bearer token (Authorization: Bearer <token>)")
    principal = await authenticate(request, token)
    context.bind_actor(principal.username, principal.role)
    request.state.principal = principal
    required = authz.required_role(request.method, route_template(request))
    if not authz.allows(principal.role, required) and not await _object_rights(
        request, principal, required
    ):
        raise ApiError(
            403,
            "PERMISSION_DENIED",
            f"{request.method} {route_template(request)} needs role {required!r}; "
            f"{principal.username!r} has {principal.role!r}",
        )
    return principal


async def _object_rights(request: Request, principal: Principal, required: str) -> bool:
    """Whether the caller owns or stewards the object the route names (authz.OBJECT_ROUTES)."""
    named = authz.object_param(request.method, route_template(request), required)
    ref = request.path_params.get(named[0]) if named else None
    if not ref:
        return False
    try:
        if named and named[1]:  # a column URN: rights on its object
            ref, _ = split_column_ref(ref)
        target = object_ref(ref)
    except ApiError:
        return False
    try:
        rights = await request.app.state.governance.GetObjectRights(
            gpb.GetObjectRightsRequest(username=principal.username, ref=target)
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            return False  # no such object: no rights on it (the role check answers 403)
        raise
    return bool(rights.can_edit)


def route_template(request: Request) -> str:
    return routing.route_template(request.scope)


def current_principal(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


# The authenticated caller, as a route parameter.
Caller = Annotated[Principal, Depends(current_principal)]
