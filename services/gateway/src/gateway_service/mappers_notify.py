"""Notifier protobuf messages → REST models."""

from __future__ import annotations

from datacompass.notifier.v1 import notifier_pb2 as pb
from dckit.protoconv import whole_numbers
from gateway_service import schemas_notify as s
from gateway_service.mappers import from_struct, optional, timestamp


def channel(msg: pb.Channel) -> s.Channel:
    return s.Channel(
        id=msg.id,
        name=msg.name,
        channel_type=msg.channel_type,
        config=whole_numbers(from_struct(msg.config)),
        secrets_set=list(msg.secrets_set),
        enabled=msg.enabled,
        created_at=timestamp(msg, "created_at"),
        updated_at=timestamp(msg, "updated_at"),
    )


def created_channel(msg: pb.CreateChannelResponse) -> s.CreatedChannel:
    return s.CreatedChannel(
        **channel(msg.channel).model_dump(), generated_secret=optional(msg.generated_secret)
    )


def rule(msg: pb.Rule) -> s.Rule:
    return s.Rule(
        id=msg.id,
        name=msg.name,
        event_types=list(msg.event_types),
        object_refs=list(msg.object_refs),
        source_names=list(msg.source_names),
        priorities=list(msg.priorities),
        channel_ids=list(msg.channel_ids),
        enabled=msg.enabled,
        rate_limit_seconds=msg.rate_limit_seconds,
        include_non_breaking=msg.include_non_breaking,
        created_at=timestamp(msg, "created_at"),
        updated_at=timestamp(msg, "updated_at"),
    )


def log_entry(msg: pb.LogEntry) -> s.LogEntry:
    return s.LogEntry(
        id=msg.id,
        delivery_id=msg.delivery_id or None,
        channel_id=msg.channel_id,
        channel_type=msg.channel_type,
        event_id=optional(msg.event_id),
        event_type=optional(msg.event_type),
        attempt=msg.attempt,
        status=msg.status,
        response=optional(msg.response),
        error=optional(msg.error),
        latency_ms=msg.latency_ms,
        created_at=timestamp(msg, "created_at"),
    )
