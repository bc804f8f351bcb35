"""REST bodies of `/deprecations` (the `Deprecation` itself is shared: core.models)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from gateway_service.core.models import Deprecation, Page, Request


class DeprecationCreate(Request):
    ref: str = Field(description="the object: `source.schema.name`, URN or numeric id")
    deadline: date = Field(description="YYYY-MM-DD, today or later")
    replacement: str | None = Field(None, description="ref or URN of an existing object")
    message: str = Field("", max_length=2000)


class DeprecationPage(Page[Deprecation]):
    pass
