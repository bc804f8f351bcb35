"""By-name builders between records and protobuf messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from google.protobuf import field_mask_pb2

from datacompass.common.v1 import audit_pb2, refs_pb2
from datacompass.governance.v1 import governance_pb2, masking_pb2
from dckit.errors import InvalidArgument
from dckit.protoconv import from_message, object_ref, ref_text, to_message, update_fields

WHEN = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Spec:
    sensitivity: str
    purposes: tuple[str, ...] = ()
    last_reviewed_on: date | None = None


@dataclass(frozen=True)
class PolicyRecord:
    id: int
    object_urn: str
    spec: Spec
    created_at: datetime
    updated_at: datetime | None = None
    secret: str = "never shown"  # not a field of the message


def test_to_message_fills_fields_by_name_and_converts_values() -> None:
    record = PolicyRecord(
        7, "urn:dcs:x", Spec("secret", ("billing",), date(2026, 2, 1)), created_at=WHEN
    )
    msg = to_message(governance_pb2.Policy, record, object_ref="shop.public.t")
    assert msg.id == 7 and msg.object_urn == "urn:dcs:x" and msg.object_ref == "shop.public.t"
    assert msg.spec.sensitivity == "secret" and list(msg.spec.purposes) == ["billing"]
    assert msg.spec.last_reviewed_on == "2026-02-01"  # a date becomes ISO text
    assert msg.created_at.ToDatetime(tzinfo=UTC) == WHEN
    assert not msg.HasField("updated_at")  # None leaves a field unset


def test_to_message_structs_mappings_and_nested_repeated_messages() -> None:
    rule = to_message(
        masking_pb2.MaskingRule, {"method": "hashing", "config": {"algorithm": "sha256", "n": 2}}
    )
    assert dict(rule.config) == {"algorithm": "sha256", "n": 2.0}
    record = to_message(
        audit_pb2.AuditRecord,
        {"id": "e1", "changes": [{"field": "level", "old_json": '"a"', "new_json": '"b"'}]},
    )
    assert [(c.field, c.new_json) for c in record.changes] == [("level", '"b"')]
    given = audit_pb2.FieldChange(field="x")
    assert to_message(audit_pb2.AuditRecord, changes=[given]).changes[0].field == "x"


@dataclass(frozen=True)
class RuleSpec:
    method: str
    config: dict[str, Any] = field(default_factory=dict)
    exempt_roles: tuple[str, ...] = ()
    preserve_null: bool = True  # an `optional` field left unset keeps this default
    enabled: bool = True
    not_in_message: str = "default"


def test_from_message_reads_fields_by_name() -> None:
    msg = masking_pb2.CreateMaskingRuleRequest(method="partial_redaction", enabled=False)
    msg.config.update({"prefix": 2, "mask_char": "#"})
    msg.exempt_roles.extend(["admin"])
    spec = from_message(RuleSpec, msg, not_in_message="given")
    assert spec == RuleSpec(
        method="partial_redaction",
        config={"prefix": 2, "mask_char": "#"},  # whole numbers are ints again
        exempt_roles=("admin",),
        preserve_null=True,
        enabled=False,
        not_in_message="given",
    )


def test_update_fields_refuses_an_empty_or_unknown_mask() -> None:
    allowed = ("name", "description", "parent")
    mask = field_mask_pb2.FieldMask(paths=["parent", "name", "parent"])
    assert update_fields(mask, allowed) == ("parent", "name")
    with pytest.raises(InvalidArgument, match="name the fields to change"):
        update_fields(field_mask_pb2.FieldMask(), allowed)
    with pytest.raises(InvalidArgument, match=r"unknown field.*owner"):
        update_fields(field_mask_pb2.FieldMask(paths=["owner"]), allowed)


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        (
            "urn:dcs:postgres:table:shop.public:t",
            refs_pb2.ObjectRef(urn="urn:dcs:postgres:table:shop.public:t"),
        ),
        ("shop.public.t", refs_pb2.ObjectRef(qualified_name="shop.public.t")),
        ("42", refs_pb2.ObjectRef(id=42)),
        ("", refs_pb2.ObjectRef(qualified_name="")),
    ],
)
def test_object_ref_round_trip(text: str, ref: refs_pb2.ObjectRef) -> None:
    assert object_ref(text) == ref
    assert ref_text(object_ref(text)) == text
    assert ref_text(refs_pb2.ObjectRef()) == ""  # none set
