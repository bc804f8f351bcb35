"""Rows ↔ protobuf messages of the notifier API."""

from __future__ import annotations

from datacompass.notifier.v1 import notifier_pb2 as pb
from dckit.protoconv import struct, ts
from notifier_service.db.repository import Row


def channel(row: Row) -> pb.Channel:
    return pb.Channel(
        id=row["id"],
        name=row["name"],
        channel_type=row["channel_type"],
        config=struct(row["config"]),
        secrets_set=row["secret_keys"],
        enabled=row["enabled"],
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
    )


def rule(row: Row) -> pb.Rule:
    return pb.Rule(
        id=row["id"],
        name=row["name"],
        event_types=row["event_types"],
        object_refs=row["object_refs"],
        source_names=row["source_names"],
        priorities=row["priorities"],
        channel_ids=row["channel_ids"],
        enabled=row["enabled"],
        rate_limit_seconds=row["rate_limit_seconds"],
        include_non_breaking=row["include_non_breaking"],
        created_at=ts(row["created_at"]),
        updated_at=ts(row["updated_at"]),
    )


def log_entry(row: Row) -> pb.LogEntry:
    return pb.LogEntry(
        id=row["id"],
        delivery_id=row["delivery_id"] or 0,
        channel_id=row["channel_id"],
        channel_type=row["channel_type"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        attempt=row["attempt"],
        status=row["status"],
        response=row["response"],
        error=row["error"],
        latency_ms=row["latency_ms"],
        created_at=ts(row["created_at"]),
    )
