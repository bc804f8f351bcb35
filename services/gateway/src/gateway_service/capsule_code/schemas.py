"""REST bodies of `/capsules/{urn}/yaml`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class CapsuleFile(BaseModel):
    content: str = Field(description="the capsule YAML (`data_capsule: {...}`)")


class PlannedChange(BaseModel):
    section: str = Field(description="capsule | business_terms | columns")
    path: str = Field(description="the path in the file, e.g. columns.order_total.unit_of_measure")
    old: Any = None
    new: Any = None


class CapsuleApplied(BaseModel):
    object_urn: str
    dry_run: bool
    changes: list[PlannedChange]
    change_set_id: str | None = Field(
        None, description="names every audit record of the apply (`/audit/events?change_set=`)"
    )
    version: str | None = Field(None, description="the schema version recording the apply")
