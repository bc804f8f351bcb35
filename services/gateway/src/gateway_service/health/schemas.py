"""REST bodies of `/health`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Check(BaseModel):
    status: Literal["ok", "error"]
    error: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, Check] | None = None
    """Per dependency; only for an admin token (anonymous callers get the status only)."""
