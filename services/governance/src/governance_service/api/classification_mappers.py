"""Classifications and classification rules ↔ protobuf messages."""

from __future__ import annotations

from datacompass.catalog.v1 import catalog_pb2
from datacompass.common.v1 import events_pb2
from datacompass.governance.v1 import governance_pb2 as pb
from dckit.events import unpack
from dckit.protoconv import from_message, to_message
from governance_service.application.classification import ApplyReport, ObjectView
from governance_service.domain.classification import Classification
from governance_service.domain.classification_rules import ClassificationRule, RuleSpec

MAX_ERRORS = 50  # error messages an ApplyResult carries


def classification(value: Classification) -> pb.Classification:
    return to_message(pb.Classification, value)


def object_view(view: ObjectView) -> pb.ObjectClassification:
    obj = view.obj
    out = pb.ObjectClassification(
        object_ref=obj.ref,
        object_urn=obj.urn,
        columns=[classification(c) for c in view.columns],
    )
    if view.own is not None:
        out.own.CopyFrom(classification(view.own))
        out.effective.CopyFrom(out.own)
    elif view.effective is not None:
        out.effective.CopyFrom(
            to_message(
                pb.Classification,
                view.effective,
                object_ref=obj.ref,
                object_urn=obj.urn,
                source_name=obj.source_name,
            )
        )
    return out


def rule(value: ClassificationRule) -> pb.ClassificationRule:
    return to_message(pb.ClassificationRule, value)


def rule_spec(msg: pb.ClassificationRule) -> RuleSpec:
    return from_message(RuleSpec, msg)


def apply_result(report: ApplyReport) -> pb.ApplyResult:
    return to_message(pb.ApplyResult, report, error_messages=report.error_messages[:MAX_ERRORS])


def scanned_source(envelope: events_pb2.EventEnvelope) -> str:
    """The source a `datacompass.catalog.scan.completed` event is about."""
    finished = unpack(envelope, catalog_pb2.ScanFinished)
    assert isinstance(finished, catalog_pb2.ScanFinished)
    return finished.scan.source_name
