"""Catalog lineage messages ↔ REST models."""

from __future__ import annotations

from datacompass.catalog.v1 import catalog_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.lineage import schemas as s

_edge = FromProto(s.LineageEdge, pb.LineageEdge, custom={"confidence"})


def lineage_edge(msg: pb.LineageEdge) -> s.LineageEdge:
    return _edge(msg, confidence=round(msg.confidence, 4))


lineage = FromProto(
    s.Lineage,
    pb.GetLineageResponse,
    rename={"next_cursor": "page.next_cursor"},
    nested={"edges": lineage_edge},
)
add_edge_request = ToProto(pb.AddLineageEdgeRequest, s.LineageEdgeCreate)
