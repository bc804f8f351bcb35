"""Governance data policy messages ↔ REST models."""

from __future__ import annotations

from datetime import date
from typing import Any

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service import schemas_policies as s
from gateway_service.mappers import optional, timestamp


def _day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def spec(values: dict[str, Any]) -> pb.PolicySpec:
    """A PolicySpec from REST field values (missing or null ones left at their zero value)."""
    present = {k: v for k, v in values.items() if v is not None}
    if "last_reviewed_on" in present:
        present["last_reviewed_on"] = present["last_reviewed_on"].isoformat()
    return pb.PolicySpec(**present)


def policy(msg: pb.Policy) -> s.Policy:
    sp = msg.spec
    return s.Policy(
        id=msg.id,
        object_ref=msg.object_ref,
        object_urn=msg.object_urn,
        column=optional(msg.column),
        source_name=msg.source_name,
        sensitivity=sp.sensitivity,
        retention_days=sp.retention_days,
        retention_start=optional(sp.retention_start),
        deletion_action=optional(sp.deletion_action),
        legal_hold=sp.legal_hold,
        allowed_regions=list(sp.allowed_regions),
        restricted_regions=list(sp.restricted_regions),
        residency=optional(sp.residency),
        min_role=optional(sp.min_role),
        allowed_roles=list(sp.allowed_roles),
        denied_roles=list(sp.denied_roles),
        purposes=list(sp.purposes),
        masking_required=sp.masking_required,
        encryption_required=sp.encryption_required,
        compliance=list(sp.compliance),
        review_cycle_days=sp.review_cycle_days,
        last_reviewed_on=_day(sp.last_reviewed_on),
        next_review_date=_day(msg.next_review_date),
        overdue=msg.overdue,
        created_by=msg.created_by,
        created_at=timestamp(msg, "created_at"),
        updated_by=msg.updated_by,
        updated_at=timestamp(msg, "updated_at"),
    )
