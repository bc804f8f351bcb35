"""REST bodies of `/sources` and their scans."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gateway_service.core.models import Page, Request

ScanStatus = Literal["running", "succeeded", "failed", "cancelled"]

CONNECTION_DOC = (
    "Type-specific, write-only connection settings. postgres: host, port (default 5432), "
    "database, username, password, sslmode?, schemas? (include list), exclude_schemas?, "
    "connect_timeout_seconds? (default 10)."
)


class ScanRun(BaseModel):
    id: int
    source_name: str
    status: ScanStatus
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    objects_found: int
    objects_created: int
    objects_updated: int
    objects_deleted: int
    columns_found: int
    error: str | None
    triggered_by: str
    objects_total: int = Field(0, description="progress: objects found by the running scan")
    objects_done: int = Field(0, description="progress: objects written so far")


class Source(BaseModel):
    id: int
    name: str
    source_type: str
    description: str
    connection_keys: list[str] = Field(description="Names of the connection settings that are set.")
    created_at: datetime | None
    updated_at: datetime | None
    last_scan: ScanRun | None


class SourceCreate(Request):
    name: str = Field(
        description="1-63 lower-case letters, digits, '_' or '-', starting with a letter",
        examples=["warehouse"],
    )
    source_type: str = Field(examples=["postgres"])
    description: str = ""
    connection: dict[str, Any] = Field(
        description=CONNECTION_DOC,
        examples=[
            {
                "host": "db.internal",
                "port": 5432,
                "database": "shop",
                "username": "reader",
                "password": "secret",
            }
        ],
    )


class SourceUpdate(Request):
    description: str | None = None
    connection: dict[str, Any] | None = Field(
        None, description="Keys given replace the stored ones; keys not given are kept."
    )


class SourceDeleted(BaseModel):
    objects_deleted: int


class SourcePage(Page[Source]):
    pass


class ScanRunPage(Page[ScanRun]):
    pass
