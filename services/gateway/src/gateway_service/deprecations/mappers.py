"""Catalog deprecation messages ↔ REST models."""

from __future__ import annotations

from datacompass.catalog.v1 import catalog_pb2 as pb
from dckit.protoconv import enum_number
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.core.models import Deprecation, DeprecationStatus
from gateway_service.deprecations import schemas as s

deprecation = FromProto(Deprecation, pb.Deprecation)
deprecate_request = ToProto(pb.DeprecateObjectRequest, s.DeprecationCreate)


def status(value: DeprecationStatus | None) -> int:
    """A status filter (None: any)."""
    return enum_number(pb.DeprecationStatus, value or "")
