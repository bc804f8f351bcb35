"""Request and response bodies of the notification endpoints (`/api/v1/notifications/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import BodyId, Page, Request

ChannelType = Literal["slack", "email", "webhook"]
CONFIG_DOC = (
    "slack: {webhook_url}; email: {host, port?: 587, starttls?: true, username?, password?, "
    "from, to: [..]}; webhook: {url, headers?: {..}, secret? (generated when absent)}. "
    "Secret keys (webhook_url, password, secret) are write-only."
)
EVENTS_DOC = (
    "breach_detected, breach_bulk, sync_failed, sync_completed (opt-in), schema_changed, "
    "deprecation_deadline, or a full datacompass.* event type; empty = all but sync_completed"
)


class Channel(BaseModel):
    id: int
    name: str
    channel_type: ChannelType
    config: dict[str, Any] = Field(description="non-secret settings")
    secrets_set: list[str] = Field(description="which secret settings are stored")
    enabled: bool
    created_at: datetime | None
    updated_at: datetime | None


class CreatedChannel(Channel):
    generated_secret: str | None = Field(
        None, description="the webhook signing secret, when generated: shown this once only"
    )


class ChannelCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    channel_type: ChannelType
    config: dict[str, Any] = Field(description=CONFIG_DOC)
    enabled: bool = True


class ChannelUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=200)
    config: dict[str, Any] | None = Field(None, description="keys given replace stored ones")
    enabled: bool | None = None


class ChannelTest(BaseModel):
    ok: bool
    response: str | None
    error: str | None
    latency_ms: int


class Rule(BaseModel):
    id: int
    name: str
    event_types: list[str]
    object_refs: list[str]
    source_names: list[str]
    priorities: list[str]
    channel_ids: list[int]
    enabled: bool
    rate_limit_seconds: int
    include_non_breaking: bool
    created_at: datetime | None
    updated_at: datetime | None


class RuleCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    event_types: list[str] = Field(default_factory=list, description=EVENTS_DOC)
    object_refs: list[str] = Field(default_factory=list, description="'*' wildcards allowed")
    source_names: list[str] = Field(default_factory=list)
    priorities: list[str] = Field(default_factory=list)
    channel_ids: list[BodyId] = Field(min_length=1)
    enabled: bool = True
    rate_limit_seconds: int = Field(
        300,
        ge=0,
        le=2**31 - 1,
        description="one message per rule and object per window; the rest in a digest",
    )
    include_non_breaking: bool = False


class RuleUpdate(Request):
    name: str | None = Field(None, min_length=1, max_length=200)
    event_types: list[str] | None = None
    object_refs: list[str] | None = None
    source_names: list[str] | None = None
    priorities: list[str] | None = None
    channel_ids: list[BodyId] | None = None
    enabled: bool | None = None
    rate_limit_seconds: int | None = Field(None, ge=0, le=2**31 - 1)
    include_non_breaking: bool | None = None


class LogEntry(BaseModel):
    id: int
    delivery_id: int | None
    channel_id: int
    channel_type: str
    event_id: str | None
    event_type: str | None
    attempt: int
    status: Literal["sent", "retrying", "dead"]
    response: str | None
    error: str | None
    latency_ms: int
    created_at: datetime | None


ChannelPage = Page[Channel]
RulePage = Page[Rule]
LogPage = Page[LogEntry]
