"""Deprecation campaigns → protobuf, and the payload of the deadline_approaching event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datacompass.catalog.v1 import catalog_pb2 as pb
from dckit.protoconv import to_message


def deprecation(row: Mapping[str, Any]) -> pb.Deprecation:
    return to_message(pb.Deprecation, row, last_notice_days=row["notified_days"])


def deadline_approaching(
    row: Mapping[str, Any], threshold: int
) -> pb.DeprecationDeadlineApproaching:
    return pb.DeprecationDeadlineApproaching(deprecation=deprecation(row), threshold_days=threshold)
