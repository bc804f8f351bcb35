"""Metadata completeness ↔ protobuf: the events that move a capsule's facts, read into
`Change`s (the consumer's dispatch table), and scores into `Completeness` messages."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from catalog_service.application.completeness import Change, ScoredRecord
from datacompass.catalog.v1 import catalog_pb2, semantics_pb2
from datacompass.catalog.v1 import completeness_pb2 as pb
from datacompass.common.v1 import audit_pb2, events_pb2
from datacompass.governance.v1 import governance_pb2
from datacompass.quality.v1 import quality_rules_pb2
from dckit import event_catalogue as ec
from dckit.events import unpack
from dckit.protoconv import to_message

Reader = Callable[[events_pb2.EventEnvelope], list[Change]]


def _payload(envelope: events_pb2.EventEnvelope, message: type[Any]) -> Any:
    return unpack(envelope, message)


def _scan(envelope: events_pb2.EventEnvelope) -> list[Change]:
    finished = _payload(envelope, catalog_pb2.ScanFinished)
    return [Change("refresh", source=finished.scan.source_name)]


def _term_link(envelope: events_pb2.EventEnvelope) -> list[Change]:
    link = _payload(envelope, semantics_pb2.TermLinkChanged).link
    return [Change("refresh", urn=link.object_urn)]


def _column_meaning(envelope: events_pb2.EventEnvelope) -> list[Change]:
    meaning = _payload(envelope, semantics_pb2.ColumnSemanticsChanged).semantics
    return [Change("refresh", urn=meaning.object_urn)]


def _classification(envelope: events_pb2.EventEnvelope) -> list[Change]:
    label = _payload(envelope, governance_pb2.Classification)
    kind = "add" if label.level else "remove"
    return [Change(kind, urn=label.object_urn, fact="classified", key=label.column)]


def _policy(envelope: events_pb2.EventEnvelope) -> list[Change]:
    changed = _payload(envelope, governance_pb2.PolicyChanged)
    kind = "remove" if changed.change == "deleted" else "add"
    policy = changed.policy
    return [Change(kind, urn=policy.object_urn, fact="policies", key=str(policy.id))]


def _domain(envelope: events_pb2.EventEnvelope) -> list[Change]:
    if envelope.data.Is(governance_pb2.DomainObject.DESCRIPTOR):
        assigned = _payload(envelope, governance_pb2.DomainObject)
        return [Change("domain", urn=assigned.object_urn, key=assigned.domain)]
    return []  # a domain itself changed: no capsule's facts move


def _quality_rule(envelope: events_pb2.EventEnvelope) -> list[Change]:
    changed = _payload(envelope, quality_rules_pb2.QualityRuleChanged)
    rule = changed.rule
    counts = changed.change != "deleted" and rule.enabled
    kind = "add" if counts else "remove"
    return [Change(kind, urn=rule.object_urn, fact="rules", key=str(rule.id))]


def _audit(envelope: events_pb2.EventEnvelope) -> list[Change]:
    """Changes no typed event tells apart: a capsule's description (`object.update`) and its
    owners (`ownership.changed` is sent alike for an assignment and a removal; the audit
    record's action says which)."""
    record = _payload(envelope, audit_pb2.AuditRecord)
    if record.action == "object.update" and record.service == "catalog":
        return [Change("refresh", urn=record.entity_urn)]
    if record.action in ("ownership.assign", "ownership.remove"):
        assign = record.action == "ownership.assign"
        side = {c.field: json.loads((c.new_json if assign else c.old_json) or "null")
                for c in record.changes}  # fmt: skip
        if side.get("user") and side.get("role"):
            key = f"{side['role']}:{side['user']}"
            kind = "add" if assign else "remove"
            return [Change(kind, urn=record.entity_urn, fact="owners", key=key)]
    return []


READERS: dict[str, Reader] = {
    ec.SCAN_COMPLETED.name: _scan,
    ec.TERM_LINK_CHANGED.name: _term_link,
    ec.COLUMN_SEMANTICS_CHANGED.name: _column_meaning,
    ec.CLASSIFICATION_CHANGED.name: _classification,
    ec.POLICY_CHANGED.name: _policy,
    ec.DOMAIN_CHANGED.name: _domain,
    ec.QUALITY_RULE_CHANGED.name: _quality_rule,
    ec.AUDIT_RECORDED.name: _audit,
}


def changes(envelope: events_pb2.EventEnvelope) -> list[Change]:
    """What an event changes in the capsules' facts (nothing for the events not listed)."""
    reader = READERS.get(envelope.type)
    return reader(envelope) if reader else []


def completeness(scored: ScoredRecord) -> pb.Completeness:
    row, result = scored.row, scored.score
    return to_message(
        pb.Completeness,
        row,
        complete=True,
        score=result.score,
        missing=list(result.missing),
        items=[
            pb.CompletenessItem(
                name=i.name, weight=i.weight, achieved=i.achieved, available=i.available
            )
            for i in result.items
        ],
        layer=row["layer"] or "",
        domain=row["domain"] or "",
        owners=list(row["owners"]),
    )
