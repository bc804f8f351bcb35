"""`/auth`: login and refresh (anonymous), who am I, users (admin) and API keys (own keys;
admins any user's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from google.protobuf.field_mask_pb2 import FieldMask

from datacompass.governance.v1 import governance_pb2 as pb
from dckit import context
from gateway_service.core.auth import Caller, Principal
from gateway_service.core.convert import page_of
from gateway_service.core.deps import Governance, Id, PageParams
from gateway_service.core.errors import ApiError
from gateway_service.core.throttle import LoginThrottle
from gateway_service.identity import mappers as m
from gateway_service.identity import schemas as s

# Login and refresh are anonymous (they issue the credentials): mounted apart in app.py.
public_router = APIRouter(prefix="/auth", tags=["auth"])
router = APIRouter(prefix="/auth", tags=["auth"])


@public_router.post(
    "/login",
    response_model=s.Tokens,
    summary="Log in with a password",
    description="Throttled per client IP and, after repeated failures, per username: 429 with "
    "`Retry-After`.",
)
async def login(body: s.Login, governance: Governance, request: Request) -> s.Tokens:
    throttle: LoginThrottle = request.app.state.login_throttle
    tokens = await throttle.guard(
        context.current().client_ip,
        body.username,
        lambda: governance.Login(m.login_request(body)),
    )
    return m.tokens(tokens)


@public_router.post("/refresh", response_model=s.Tokens, summary="Exchange a refresh token")
async def refresh(body: s.RefreshRequest, governance: Governance) -> s.Tokens:
    return m.tokens(await governance.Refresh(m.refresh_request(body)))


@router.get("/me", response_model=s.Me, summary="Who the caller is")
async def me(caller: Caller) -> s.Me:
    return s.Me.model_validate(
        {"username": caller.username, "role": caller.role, "method": caller.method}
    )


@router.get("/users", response_model=s.UserPage, summary="List users")
async def list_users(governance: Governance, page: PageParams) -> s.UserPage:
    resp = await governance.ListUsers(pb.ListUsersRequest(page=page.request()))
    return page_of(s.UserPage, resp, m.user)


@router.post("/users", response_model=s.User, status_code=201, summary="Create a user")
async def create_user(body: s.UserCreate, governance: Governance) -> s.User:
    return m.user(await governance.CreateUser(m.create_user_request(body)))


@router.patch("/users/{username}", response_model=s.User, summary="Change a user")
async def update_user(username: str, body: s.UserUpdate, governance: Governance) -> s.User:
    fields = sorted(f for f in body.model_fields_set if getattr(body, f) is not None)
    if not fields:
        raise ApiError(400, "INVALID_ARGUMENT", "nothing to change")
    req = m.update_user_request(body, username=username, update_mask=FieldMask(paths=fields))
    return m.user(await governance.UpdateUser(req))


def _owner(caller: Principal, user: str | None) -> str:
    """Whose keys the caller acts on: their own; admins may name anyone ("" = everyone)."""
    if user and user != caller.username and caller.role != "admin":
        raise ApiError(403, "PERMISSION_DENIED", "only admins manage other users' API keys")
    if user:
        return user
    return "" if caller.is_bootstrap else caller.username


@router.get("/api-keys", response_model=s.ApiKeyPage, summary="List API keys")
async def list_api_keys(
    governance: Governance,
    caller: Caller,
    page: PageParams,
    user: Annotated[str | None, Query(description="owner (admins only)")] = None,
) -> s.ApiKeyPage:
    resp = await governance.ListApiKeys(
        pb.ListApiKeysRequest(username=_owner(caller, user), page=page.request())
    )
    return page_of(s.ApiKeyPage, resp, m.api_key)


@router.post(
    "/api-keys",
    response_model=s.CreatedApiKey,
    status_code=201,
    summary="Create an API key (the key is shown once)",
)
async def create_api_key(
    body: s.ApiKeyCreate, governance: Governance, caller: Caller
) -> s.CreatedApiKey:
    owner = _owner(caller, body.user)
    if not owner:
        raise ApiError(400, "INVALID_ARGUMENT", "the bootstrap admin must name the key's 'user'")
    resp = await governance.CreateApiKey(m.create_api_key_request(body, username=owner))
    return m.created_api_key(resp)


@router.delete("/api-keys/{key_id}", response_model=s.ApiKey, summary="Revoke an API key")
async def revoke_api_key(key_id: Id, governance: Governance, caller: Caller) -> s.ApiKey:
    owner = "" if caller.role == "admin" else caller.username
    resp = await governance.RevokeApiKey(pb.RevokeApiKeyRequest(id=key_id, username=owner))
    return m.api_key(resp)
