"""Event envelopes (CloudEvents attribute names) and subject naming."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from google.protobuf import any_pb2, timestamp_pb2
from google.protobuf.message import Message
from opentelemetry import propagate

from datacompass.common.v1 import events_pb2
from dckit import context, event_catalogue

CANONICAL_PREFIX = event_catalogue.PREFIX
AUDIT_RECORDED = event_catalogue.AUDIT_RECORDED.name


def make_envelope(
    event_type: str, source: str, subject: str, data: Message, actor: str | None = None
) -> events_pb2.EventEnvelope:
    """Build an envelope for the current request: actor, request id and trace context."""
    if not event_type.startswith(CANONICAL_PREFIX + "."):
        raise ValueError(f"event type must start with '{CANONICAL_PREFIX}.': {event_type}")
    ctx = context.current()
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    packed = any_pb2.Any()
    packed.Pack(data)
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime.now(UTC))
    return events_pb2.EventEnvelope(
        specversion="1.0",
        id=str(uuid.uuid4()),
        source=source,
        type=event_type,
        time=ts,
        subject=subject,
        datacontenttype="application/protobuf",
        dataschema=data.DESCRIPTOR.full_name,
        actor=actor or ctx.actor,
        data=packed,
        traceparent=carrier.get("traceparent", ""),
        tracestate=carrier.get("tracestate", ""),
        request_id=ctx.request_id,
    )


def nats_subject(event_type: str, prefix: str = CANONICAL_PREFIX) -> str:
    """NATS subject for an event type; `prefix` lets isolated deployments share a server."""
    return prefix + event_type[len(CANONICAL_PREFIX) :]


def unpack(envelope: events_pb2.EventEnvelope, message_type: type[Message]) -> Message:
    msg = message_type()
    if not envelope.data.Unpack(msg):
        raise ValueError(f"event {envelope.id} carries {envelope.dataschema}, not {message_type}")
    return msg
