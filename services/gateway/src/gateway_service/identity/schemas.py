"""REST bodies of `/auth/...`: login, tokens, users, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import Page, Request

Role = Literal["viewer", "editor", "steward", "admin"]


class Login(Request):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(Request):
    refresh_token: str = Field(min_length=1)


class User(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    disabled: bool
    created_at: datetime | None
    last_login_at: datetime | None


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until access_token expires")
    user: User


class Me(BaseModel):
    username: str
    role: Role
    method: Literal["bootstrap", "api_key", "jwt"]


class UserCreate(Request):
    username: str = Field(min_length=2, max_length=100)
    password: str = Field(min_length=1, max_length=256)
    role: Role = "viewer"
    display_name: str = Field(default="", max_length=200)


class UserUpdate(Request):
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, max_length=256)
    display_name: str | None = Field(default=None, max_length=200)


class UserPage(Page[User]):
    pass


class ApiKey(BaseModel):
    id: int
    name: str
    prefix: str
    user: str
    created_at: datetime | None
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreate(Request):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: int = Field(default=90, ge=0, le=3650, description="0 = never expires")
    user: str | None = Field(default=None, description="owner (admins only); default: caller")


class CreatedApiKey(ApiKey):
    key: str = Field(description="the API key itself: shown this once, never again")


class ApiKeyPage(Page[ApiKey]):
    pass
