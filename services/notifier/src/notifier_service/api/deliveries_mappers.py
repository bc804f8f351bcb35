"""The delivery log: domain records → protobuf."""

from __future__ import annotations

from datacompass.notifier.v1 import notifier_pb2 as pb
from dckit.protoconv import to_message
from notifier_service.domain.deliveries import LogEntry


def log_entry(value: LogEntry) -> pb.LogEntry:
    return to_message(pb.LogEntry, value, complete=True)
