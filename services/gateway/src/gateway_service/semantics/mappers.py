"""Column meaning and value domain messages ↔ REST models."""

from __future__ import annotations

from typing import Any

from google.protobuf import field_mask_pb2

from datacompass.catalog.v1 import semantics_pb2 as pb
from datacompass.common.v1 import refs_pb2
from datacompass.quality.v1 import quality_rules_pb2 as qpb
from gateway_service.core.convert import FromProto, ToProto, ToUpdate
from gateway_service.semantics import schemas as s

_claims = FromProto(s.ValueClaims, pb.ValueClaims, ignore={"inherited"})
column_semantics = FromProto(
    s.ColumnSemantics, pb.ColumnSemantics, nested={"claims": _claims}, custom={"enforced_by"}
)
claim_rule = FromProto(
    s.ClaimRule,
    qpb.QualityRule,
    ignore={
        "object_urn", "object_ref", "column", "category", "config", "blocking",
        "description", "created_by", "created_at", "updated_at",
    },
)  # fmt: skip
value_domain = FromProto(s.ValueDomain, pb.ValueDomain)
create_domain_request = ToProto(pb.CreateValueDomainRequest, s.ValueDomainCreate)
update_domain_request = ToUpdate(pb.UpdateValueDomainRequest, "value_domain", s.ValueDomainUpdate)

CLAIMS = ("min_value", "max_value", "allowed_values", "format_pattern")


def update_request(
    ref: refs_pb2.ObjectRef, column: str, sent: dict[str, Any]
) -> pb.UpdateColumnSemanticsRequest:
    """The fields sent, the claims among them under `claims` (mask paths `claims.<name>`); a
    null clears its field."""
    semantics = pb.ColumnSemantics()
    paths = []
    for name, value in sent.items():
        target, path = (semantics.claims, f"claims.{name}") if name in CLAIMS else (semantics, name)
        paths.append(path)
        if value is None:
            continue
        if isinstance(value, list):
            getattr(target, name).extend(value)
        else:
            setattr(target, name, value)
    return pb.UpdateColumnSemanticsRequest(
        ref=ref,
        column=column,
        semantics=semantics,
        update_mask=field_mask_pb2.FieldMask(paths=paths),
    )
