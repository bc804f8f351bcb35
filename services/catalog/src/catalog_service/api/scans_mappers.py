"""Scan runs → protobuf, and the payload of the scan.completed/failed/cancelled events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datacompass.catalog.v1 import catalog_pb2 as pb
from dckit.protoconv import to_message


def scan_run(run: Mapping[str, Any]) -> pb.ScanRun:
    return to_message(pb.ScanRun, run)


def scan_finished(run: Mapping[str, Any], source_type: str) -> pb.ScanFinished:
    return pb.ScanFinished(scan=scan_run(run), source_type=source_type)
