"""Data policy rows and specs ↔ protobuf messages."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from dckit.protoconv import ts
from governance_service.application.policies import today
from governance_service.db.policy_repo import Row
from governance_service.domain import policies as dom


def spec_from(msg: pb.PolicySpec) -> dom.PolicySpec:
    return dom.PolicySpec(
        sensitivity=msg.sensitivity,
        retention_days=msg.retention_days,
        retention_start=msg.retention_start,
        deletion_action=msg.deletion_action,
        legal_hold=msg.legal_hold,
        allowed_regions=tuple(msg.allowed_regions),
        restricted_regions=tuple(msg.restricted_regions),
        residency=msg.residency,
        min_role=msg.min_role,
        allowed_roles=tuple(msg.allowed_roles),
        denied_roles=tuple(msg.denied_roles),
        purposes=tuple(msg.purposes),
        masking_required=msg.masking_required,
        encryption_required=msg.encryption_required,
        compliance=tuple(msg.compliance),
        review_cycle_days=msg.review_cycle_days,
        last_reviewed_on=dom.parse_date("last_reviewed_on", msg.last_reviewed_on),
    )


def spec(value: dom.PolicySpec) -> pb.PolicySpec:
    fields = value.snapshot()
    fields["last_reviewed_on"] = fields["last_reviewed_on"] or ""
    return pb.PolicySpec(**fields)


def policy(row: Row) -> pb.Policy:
    due = row["next_review_date"]
    return pb.Policy(
        id=row["id"],
        object_ref=row["object_ref"],
        object_urn=row["object_urn"],
        column=row["column_name"],
        source_name=row["source_name"],
        spec=spec(dom.from_values(row)),
        next_review_date=due.isoformat() if due else "",
        overdue=dom.is_overdue(due, today()),
        created_by=row["created_by"],
        created_at=ts(row["created_at"]),
        updated_by=row["updated_by"],
        updated_at=ts(row["updated_at"]),
    )


def changed(row: Row, change: str) -> pb.PolicyChanged:
    return pb.PolicyChanged(change=change, policy=policy(row))
