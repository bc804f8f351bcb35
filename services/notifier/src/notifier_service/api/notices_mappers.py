"""Received domain events (protobuf envelopes) → notices: one builder per catalogued event
type the notifier tells people about. The builders are also the list of events a rule may
subscribe to (`NOTICES.subscriptions`), so a new one is one function here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any
from urllib.parse import quote

from google.protobuf.message import Message

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.common.v1.events_pb2 import EventEnvelope
from datacompass.quality.v1 import dq_pb2 as qpb
from dckit import event_catalogue as events
from dckit.event_catalogue import EventType
from notifier_service.domain.notices import Notice, Received, Subscription, highest_priority

# (payload, its event type, the public URL) → notice
Builder = Callable[[Any, EventType, str], Notice]


class NoticeBuilders:
    def __init__(self) -> None:
        self._builders: dict[str, tuple[Subscription, Builder]] = {}

    def on(
        self, event: EventType, alias: str, *, by_default: bool = True
    ) -> Callable[[Builder], Builder]:
        """Register the decorated builder for `event` (subscribable as `alias` too)."""

        def register(builder: Builder) -> Builder:
            self._builders[event.name] = (Subscription(event, alias, by_default), builder)
            return builder

        return register

    @property
    def subscriptions(self) -> list[Subscription]:
        return [s for s, _ in self._builders.values()]

    def received(self, envelope: EventEnvelope, public_url: str) -> Received:
        subscription, build = self._builders[envelope.type]
        notice = build(_unpack(envelope, subscription.event), subscription.event, public_url)
        time = envelope.time.ToDatetime(tzinfo=UTC) if envelope.HasField("time") else None
        notice = Notice(**{**notice.__dict__, "event_type": envelope.type,
                           "time": time.isoformat() if time else ""})  # fmt: skip
        return Received(envelope.id, envelope.type, time, notice)


NOTICES = NoticeBuilders()


def _unpack(envelope: EventEnvelope, event: EventType) -> Message:
    for payload_type in event.payloads:
        payload = payload_type()
        if envelope.data.Unpack(payload):
            return payload
    raise ValueError(f"event {envelope.id} carries {envelope.dataschema}, not {event.payloads}")


def _object_link(public_url: str, ref: str) -> str:
    return f"{public_url.rstrip('/')}/objects/{quote(ref, safe='.')}"


def _source(ref: str) -> str:
    return ref.split(".", 1)[0]


def _bound(low: float | None, high: float | None) -> str:
    lo = "-∞" if low is None else f"{low:g}"
    hi = "+∞" if high is None else f"{high:g}"
    return f"[{lo}, {hi}]"


def _breach_line(b: qpb.Breach) -> str:
    low = b.threshold_low if b.HasField("threshold_low") else None
    high = b.threshold_high if b.HasField("threshold_high") else None
    metric = f"{b.metric_type}({b.column})" if b.column else b.metric_type
    if not b.HasField("value"):  # a value metric: its numbers are not sent (quality withholds)
        return (
            f"Breach #{b.id}: {metric} for {b.bucket}, {b.direction} the expected range "
            f"by {b.deviation:.0%}"
        )
    return (
        f"Breach #{b.id}: {metric} = {b.value:g} for {b.bucket}, {b.direction} the expected "
        f"range {_bound(low, high)} by {b.deviation:.0%}"
    )


@NOTICES.on(events.BREACH_DETECTED, "breach_detected")
def breach_detected(msg: qpb.BreachDetected, event: EventType, public_url: str) -> Notice:
    b = msg.breach
    return Notice(
        event_type=event.name,
        title=f"DQ breach on {b.object_ref}: {b.metric_type}",
        body=_breach_line(b),
        link=_object_link(public_url, b.object_ref),
        object_key=b.object_ref,
        object_ref=b.object_ref,
        source=_source(b.object_ref),
        priority=b.priority,
        dedupe_key=f"breach:{b.id}",
        metadata={"breach_id": b.id, "bucket": b.bucket, "metric_type": b.metric_type,
                  "column": b.column, "value": b.value if b.HasField("value") else None,
                  "run_id": b.run_id},
    )  # fmt: skip


@NOTICES.on(events.BREACH_BULK, "breach_bulk")
def breach_bulk(msg: qpb.BreachBulk, event: EventType, public_url: str) -> Notice:
    breaches = list(msg.breaches)
    ref = msg.object_ref
    lines = [_breach_line(b) for b in breaches[:10]]
    if len(breaches) > 10:
        lines.append(f"… and {len(breaches) - 10} more")
    return Notice(
        event_type=event.name,
        title=f"{len(breaches)} DQ breaches on {ref}",
        body="\n".join(lines),
        link=_object_link(public_url, ref),
        object_key=ref,
        object_ref=ref,
        source=_source(ref),
        priority=highest_priority([b.priority for b in breaches]),
        dedupe_key=f"bulk:{msg.run_id}",
        metadata={"run_id": msg.run_id, "breach_ids": [b.id for b in breaches]},
    )


@NOTICES.on(events.SCAN_FAILED, "sync_failed")
@NOTICES.on(events.SCAN_COMPLETED, "sync_completed", by_default=False)  # chatty: opt-in
def scan_finished(msg: cpb.ScanFinished, event: EventType, public_url: str) -> Notice:
    scan = msg.scan
    failed = event is events.SCAN_FAILED
    if failed:
        title, body = f"Metadata scan of {scan.source_name} failed", scan.error or "unknown error"
    else:
        title = f"Metadata scan of {scan.source_name} completed"
        body = (
            f"{scan.objects_found} objects ({scan.objects_created} new, {scan.objects_updated} "
            f"updated, {scan.objects_deleted} deleted) in {scan.duration_ms / 1000:.1f} s"
        )
    return Notice(
        event_type=event.name,
        title=title,
        body=body,
        link=f"{public_url.rstrip('/')}/sources/{quote(scan.source_name)}",
        object_key=f"source:{scan.source_name}",
        source=scan.source_name,
        priority="high" if failed else "low",
        dedupe_key=f"scan:{scan.id}",
        metadata={"scan_id": scan.id, "error": scan.error},
    )


@NOTICES.on(events.SCHEMA_CHANGED, "schema_changed")
def schema_changed(msg: cpb.SchemaChanged, event: EventType, public_url: str) -> Notice:
    changes = [f"{c.kind} {c.target}: {c.detail}".rstrip(": ") for c in msg.changes]
    kind = "Breaking schema change" if msg.breaking else "Schema change"
    return Notice(
        event_type=event.name,
        title=f"{kind} on {msg.object_ref}: {msg.previous_version} → {msg.version}",
        body="\n".join(changes[:20]) or "(no details)",
        link=_object_link(public_url, msg.object_ref),
        object_key=msg.object_ref,
        object_ref=msg.object_ref,
        source=_source(msg.object_ref),
        priority="high" if msg.breaking else "low",
        dedupe_key=f"schema:{msg.object_ref}:{msg.version}",
        breaking=msg.breaking,
        metadata={"version": msg.version, "scan_id": msg.scan_id},
    )


@NOTICES.on(events.DEPRECATION_DEADLINE_APPROACHING, "deprecation_deadline")
def deadline_approaching(
    msg: cpb.DeprecationDeadlineApproaching, event: EventType, public_url: str
) -> Notice:
    d = msg.deprecation
    body = f"Deadline {d.deadline} ({d.days_left} days left)."
    if d.replacement_ref:
        body += f" Use {d.replacement_ref} instead."
    if d.message:
        body += f"\n{d.message}"
    return Notice(
        event_type=event.name,
        title=f"{d.object_ref} is deprecated: {d.days_left} days left",
        body=body,
        link=_object_link(public_url, d.object_ref),
        object_key=d.object_ref,
        object_ref=d.object_ref,
        source=_source(d.object_ref),
        priority="medium",
        dedupe_key=f"deprecation:{d.id}:{msg.threshold_days}",
        metadata={"deprecation_id": d.id, "deadline": d.deadline},
    )
