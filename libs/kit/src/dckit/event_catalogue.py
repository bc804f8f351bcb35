"""The event catalogue: every subject a service publishes on JetStream, with its payload
message, what the envelope's `subject` holds and when it is sent.

Publishers name events from here (never a string literal), the outbox refuses an event type
that is not listed or a payload of the wrong message, and `docs/events.md` is generated from
this module (`make docs`), so external consumers can subscribe from the documentation."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message

from datacompass.catalog.v1 import catalog_pb2, semantics_pb2
from datacompass.common.v1 import audit_pb2
from datacompass.governance.v1 import governance_pb2, masking_pb2
from datacompass.quality.v1 import dq_pb2, quality_rules_pb2
from datacompass.scheduler.v1 import scheduler_pb2

PREFIX = "datacompass"


@dataclass(frozen=True)
class EventType:
    """One event: `name` is `datacompass.<service>.<entity>.<verb>`."""

    name: str
    payloads: tuple[type[Message], ...]
    subject: str  # what the envelope's `subject` attribute holds
    summary: str  # when it is published

    def __post_init__(self) -> None:
        parts = self.name.split(".")
        if len(parts) < 3 or parts[0] != PREFIX or not all(parts):
            raise ValueError(
                f"event type must be '{PREFIX}.<service>.<entity>.<verb>': {self.name!r}"
            )
        if not self.payloads:
            raise ValueError(f"{self.name}: no payload message")

    @property
    def service(self) -> str:
        return self.name.split(".")[1]

    def accepts(self, payload: Message) -> bool:
        return isinstance(payload, self.payloads)

    def __str__(self) -> str:
        return self.name


def _event(
    name: str, payload: type[Message] | tuple[type[Message], ...], subject: str, summary: str
) -> EventType:
    payloads = payload if isinstance(payload, tuple) else (payload,)
    return EventType(name, payloads, subject, summary)


SOURCE_URN = "the source's URN (`urn:dcs:source:<name>`)"
OBJECT_URN = "the object's URN"

# -- every service -----------------------------------------------------------------------
AUDIT_RECORDED = _event(
    "datacompass.audit.recorded",
    audit_pb2.AuditRecord,
    "the changed entity's URN, else its id",
    "every mutation in every service: actor, action, entity, field-level before/after and the "
    "request context; governance stores them as the audit trail",
)

# -- catalog -----------------------------------------------------------------------------
SCAN_COMPLETED = _event(
    "datacompass.catalog.scan.completed",
    catalog_pb2.ScanFinished,
    SOURCE_URN,
    "a metadata scan finished and its changes are stored",
)
SCAN_FAILED = _event(
    "datacompass.catalog.scan.failed",
    catalog_pb2.ScanFinished,
    SOURCE_URN,
    "a metadata scan failed (source error, timeout, or its process died)",
)
SCAN_CANCELLED = _event(
    "datacompass.catalog.scan.cancelled",
    catalog_pb2.ScanFinished,
    SOURCE_URN,
    "a metadata scan was cancelled on request",
)
SCHEMA_CHANGED = _event(
    "datacompass.catalog.schema.changed",
    catalog_pb2.SchemaChanged,
    OBJECT_URN,
    "a scan stored a new schema version of an object (with the diff and breaking flag)",
)
DEPRECATION_DEADLINE_APPROACHING = _event(
    "datacompass.catalog.deprecation.deadline_approaching",
    catalog_pb2.DeprecationDeadlineApproaching,
    OBJECT_URN,
    "a deprecation campaign's sunset date is a configured number of days away",
)

# The semantic dimension (catalog's SemanticsService).
BUSINESS_TERM_CHANGED = _event(
    "datacompass.catalog.business_term.changed",
    semantics_pb2.BusinessTermChanged,
    "`business_term:<id>`",
    "a glossary term was created, edited, moved a workflow step (proposed, approved, sent "
    "back, deprecated), imported or deleted",
)
TERM_LINK_CHANGED = _event(
    "datacompass.catalog.term_link.changed",
    semantics_pb2.TermLinkChanged,
    OBJECT_URN,
    "a capsule or one of its columns was linked to a glossary term, or the link changed or went",
)
COLUMN_SEMANTICS_CHANGED = _event(
    "datacompass.catalog.column_semantics.changed",
    semantics_pb2.ColumnSemanticsChanged,
    "the column's URN",
    "a column's meaning changed: definition, semantic type, unit, value domain or claims",
)
VALUE_DOMAIN_CHANGED = _event(
    "datacompass.catalog.value_domain.changed",
    semantics_pb2.ValueDomainChanged,
    "`value_domain:<id>`",
    "a value domain was created or deleted",
)

# -- quality -----------------------------------------------------------------------------
BREACH_DETECTED = _event(
    "datacompass.quality.breach.detected",
    dq_pb2.BreachDetected,
    OBJECT_URN,
    "a DQ run found a metric outside its threshold (one event per new breach)",
)
BREACH_BULK = _event(
    "datacompass.quality.breach.bulk",
    dq_pb2.BreachBulk,
    OBJECT_URN,
    "a DQ run found many breaches at once (a backfill): one summary instead of one each",
)
DQ_RUN_COMPLETED = _event(
    "datacompass.quality.run.completed",
    dq_pb2.RunFinished,
    OBJECT_URN,
    "a DQ run (metrics over a date range) finished",
)
DQ_RUN_FAILED = _event(
    "datacompass.quality.run.failed",
    dq_pb2.RunFinished,
    OBJECT_URN,
    "a DQ run failed",
)
CHECK_COMPLETED = _event(
    "datacompass.quality.check.completed",
    quality_rules_pb2.CheckRunFinished,
    OBJECT_URN,
    "a quality-rule check run finished (whatever its outcome)",
)
CHECK_FAILED = _event(
    "datacompass.quality.check.failed",
    quality_rules_pb2.CheckRunFinished,
    OBJECT_URN,
    "a quality-rule check run finished with a failed rule (sent besides check.completed)",
)

QUALITY_RULE_CHANGED = _event(
    "datacompass.quality.quality_rule.changed",
    quality_rules_pb2.QualityRuleChanged,
    OBJECT_URN,
    "a quality rule was created, changed (enabled, severity, config, ...) or deleted; the "
    "payload's rule carries no config (its values are data)",
)
# -- governance --------------------------------------------------------------------------
CLASSIFICATION_CHANGED = _event(
    "datacompass.governance.classification.changed",
    governance_pb2.Classification,
    OBJECT_URN,
    "an object's or column's classification was set, changed or removed",
)
OWNERSHIP_CHANGED = _event(
    "datacompass.governance.ownership.changed",
    governance_pb2.Ownership,
    OBJECT_URN,
    "an owner or steward was assigned to or removed from an object",
)
DOMAIN_CHANGED = _event(
    "datacompass.governance.domain.changed",
    (governance_pb2.Domain, governance_pb2.DomainObject),
    "the domain's id (Domain payload), or the object's URN (DomainObject payload)",
    "a domain was created, changed or deleted (Domain), or an object was assigned to a "
    "domain (DomainObject)",
)
POLICY_CHANGED = _event(
    "datacompass.governance.policy.changed",
    governance_pb2.PolicyChanged,
    OBJECT_URN,
    "a data policy was created, changed or deleted",
)
MASKING_RULE_CHANGED = _event(
    "datacompass.governance.masking_rule.changed",
    masking_pb2.MaskingRuleChanged,
    OBJECT_URN,
    "a column's masking rule was created, changed or deleted",
)

# -- scheduler ---------------------------------------------------------------------------
SCHEDULE_RUN_COMPLETED = _event(
    "datacompass.scheduler.run.completed",
    scheduler_pb2.ScheduleRun,
    "`schedule:<id>`, or `schedule_run:<id>` for a run whose schedule is gone",
    "a scheduled task was dispatched and its service accepted it",
)
SCHEDULE_RUN_FAILED = _event(
    "datacompass.scheduler.run.failed",
    scheduler_pb2.ScheduleRun,
    "`schedule:<id>`, or `schedule_run:<id>` for a run whose schedule is gone",
    "a scheduled task could not be dispatched after its retries (or its dispatcher died)",
)

CATALOGUE: tuple[EventType, ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, EventType)
)
_BY_NAME = {e.name: e for e in CATALOGUE}


def get(name: str) -> EventType:
    """The catalogued event called `name`; ValueError for a subject nobody documented."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"event type {name!r} is not in dckit.event_catalogue") from None


def published_by(service: str) -> list[EventType]:
    return [e for e in CATALOGUE if e.service == service]
