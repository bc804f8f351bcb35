"""Sources → protobuf (never their connection settings, only which keys are set)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog_service.api.scans_mappers import scan_run
from datacompass.catalog.v1 import catalog_pb2 as pb
from dckit.protoconv import to_message


def source(row: Mapping[str, Any], last_scan: Mapping[str, Any] | None) -> pb.Source:
    return to_message(pb.Source, row, last_scan=None if last_scan is None else scan_run(last_scan))
