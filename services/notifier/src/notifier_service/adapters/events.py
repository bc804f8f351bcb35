"""Domain events (protobuf envelopes) → notices. The only place that knows event payloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import TypeVar
from urllib.parse import quote

from google.protobuf.message import Message

from datacompass.catalog.v1 import catalog_pb2 as cpb
from datacompass.common.v1.events_pb2 import EventEnvelope as Envelope
from datacompass.quality.v1 import dq_pb2 as qpb
from notifier_service.domain import rules as r
from notifier_service.domain.notices import Notice, highest_priority

M = TypeVar("M", bound=Message)


def _unpack(env: Envelope, message_type: type[M]) -> M:
    # dckit.events.unpack, typed: its result is the requested message class.
    out = message_type()
    if not env.data.Unpack(out):
        raise ValueError(f"event {env.id} carries {env.dataschema}, not {message_type}")
    return out


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
    return (
        f"Breach #{b.id}: {metric} = {b.value:g} for {b.bucket}, {b.direction} the expected "
        f"range {_bound(low, high)} by {b.deviation:.0%}"
    )


def breach_detected(env: Envelope, public_url: str) -> Notice:
    b = _unpack(env, qpb.BreachDetected).breach
    return Notice(
        event_type=env.type,
        title=f"DQ breach on {b.object_ref}: {b.metric_type}",
        body=_breach_line(b),
        link=_object_link(public_url, b.object_ref),
        object_key=b.object_ref,
        object_ref=b.object_ref,
        source=_source(b.object_ref),
        priority=b.priority,
        dedupe_key=f"breach:{b.id}",
        metadata={"breach_id": b.id, "bucket": b.bucket, "metric_type": b.metric_type,
                  "column": b.column, "value": b.value, "run_id": b.run_id},
    )  # fmt: skip


def breach_bulk(env: Envelope, public_url: str) -> Notice:
    msg = _unpack(env, qpb.BreachBulk)
    breaches = list(msg.breaches)
    ref = msg.object_ref
    lines = [_breach_line(b) for b in breaches[:10]]
    if len(breaches) > 10:
        lines.append(f"… and {len(breaches) - 10} more")
    return Notice(
        event_type=env.type,
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


def scan_finished(env: Envelope, public_url: str) -> Notice:
    scan = _unpack(env, cpb.ScanFinished).scan
    failed = env.type == r.SCAN_FAILED
    if failed:
        title, body = f"Metadata scan of {scan.source_name} failed", scan.error or "unknown error"
    else:
        title = f"Metadata scan of {scan.source_name} completed"
        body = (
            f"{scan.objects_found} objects ({scan.objects_created} new, {scan.objects_updated} "
            f"updated, {scan.objects_deleted} deleted) in {scan.duration_ms / 1000:.1f} s"
        )
    return Notice(
        event_type=env.type,
        title=title,
        body=body,
        link=f"{public_url.rstrip('/')}/sources/{quote(scan.source_name)}",
        object_key=f"source:{scan.source_name}",
        source=scan.source_name,
        priority="high" if failed else "low",
        dedupe_key=f"scan:{scan.id}",
        metadata={"scan_id": scan.id, "error": scan.error},
    )


def schema_changed(env: Envelope, public_url: str) -> Notice:
    msg = _unpack(env, cpb.SchemaChanged)
    changes = [f"{c.kind} {c.target}: {c.detail}".rstrip(": ") for c in msg.changes]
    kind = "Breaking schema change" if msg.breaking else "Schema change"
    return Notice(
        event_type=env.type,
        title=f"{kind} on {msg.ref}: {msg.previous_version} → {msg.version}",
        body="\n".join(changes[:20]) or "(no details)",
        link=_object_link(public_url, msg.ref),
        object_key=msg.ref,
        object_ref=msg.ref,
        source=_source(msg.ref),
        priority="high" if msg.breaking else "low",
        dedupe_key=f"schema:{msg.ref}:{msg.version}",
        breaking=msg.breaking,
        metadata={"version": msg.version, "scan_id": msg.scan_id},
    )


def deadline_approaching(env: Envelope, public_url: str) -> Notice:
    msg = _unpack(env, cpb.DeprecationDeadlineApproaching)
    d = msg.deprecation
    body = f"Deadline {d.deadline} ({d.days_left} days left)."
    if d.replacement_ref:
        body += f" Use {d.replacement_ref} instead."
    if d.message:
        body += f"\n{d.message}"
    return Notice(
        event_type=env.type,
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


DECODERS: dict[str, Callable[[Envelope, str], Notice]] = {
    r.BREACH_DETECTED: breach_detected,
    r.BREACH_BULK: breach_bulk,
    r.SCAN_FAILED: scan_finished,
    r.SCAN_COMPLETED: scan_finished,
    r.SCHEMA_CHANGED: schema_changed,
    r.DEPRECATION_DEADLINE: deadline_approaching,
}


def notice(env: Envelope, public_url: str) -> Notice:
    n = DECODERS[env.type](env, public_url)
    return Notice(**{**n.__dict__, "time": env.time.ToDatetime(tzinfo=UTC).isoformat()})
