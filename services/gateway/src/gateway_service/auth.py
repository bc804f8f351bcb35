"""Authentication: `Authorization: Bearer <DATACOMPASS_BOOTSTRAP_ADMIN_KEY>` (until the identity
service lands); with `anonymous_read`, GET requests pass without a token."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway_service.config import GatewaySettings
from gateway_service.errors import ApiError

BOOTSTRAP_ADMIN = "bootstrap-admin"
ANONYMOUS = "anonymous"
READ_METHODS = frozenset({"GET", "HEAD"})

# Documents the scheme in OpenAPI; we raise our own 401 (auto_error would answer 403).
bearer = HTTPBearer(auto_error=False, description="the bootstrap admin key")


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def actor_for(settings: GatewaySettings, authorization: str | None) -> str | None:
    """The actor a token authenticates, or None when it authenticates nobody."""
    token = bearer_token(authorization)
    key = settings.bootstrap_admin_key
    if token is None or key is None or not key.get_secret_value():
        return None
    if hmac.compare_digest(token.encode(), key.get_secret_value().encode()):
        return BOOTSTRAP_ADMIN
    return None


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, "UNAUTHENTICATED", message, {"WWW-Authenticate": "Bearer"})


async def require_auth(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> str:
    """Dependency of every `/api/v1` route: returns the actor or raises 401."""
    settings: GatewaySettings = request.app.state.settings
    header = request.headers.get("authorization")
    actor = actor_for(settings, header)
    if actor is not None:
        return actor
    if header:
        raise _unauthenticated("invalid bearer token")
    if settings.anonymous_read and request.method in READ_METHODS:
        return ANONYMOUS
    raise _unauthenticated("missing bearer token (Authorization: Bearer <token>)")
