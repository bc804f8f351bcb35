"""The delivery log: domain records → protobuf."""

from __future__ import annotations

from datacompass.notifier.v1 import notifier_pb2 as pb
from dckit.protoconv import ProtoFrom
from notifier_service.domain.deliveries import LogEntry

log_entry = ProtoFrom(pb.LogEntry, LogEntry)
