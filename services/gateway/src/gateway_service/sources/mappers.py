"""Catalog source and scan messages ↔ REST models."""

from __future__ import annotations

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.sources import schemas as s

_scan_run = FromProto(s.ScanRun, pb.ScanRun, custom={"duration_ms"})


def scan_run(msg: pb.ScanRun) -> s.ScanRun:
    """`duration_ms` is null while the scan runs."""
    running = msg.status == pb.SCAN_STATUS_RUNNING
    return _scan_run(msg, duration_ms=None if running else msg.duration_ms)


source = FromProto(s.Source, pb.Source, nested={"last_scan": scan_run})
create_request = ToProto(pb.CreateSourceRequest, s.SourceCreate)
update_request = ToProto(pb.UpdateSourceRequest, s.SourceUpdate)
