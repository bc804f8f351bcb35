"""Completeness messages → REST models."""

from __future__ import annotations

from datacompass.catalog.v1 import completeness_pb2 as pb
from gateway_service.completeness import schemas as s
from gateway_service.core.convert import FromProto

completeness = FromProto(s.Completeness, pb.Completeness)
