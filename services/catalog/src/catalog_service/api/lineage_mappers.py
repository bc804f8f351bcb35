"""Lineage ↔ protobuf: edges, view parses, a walk; a declared edge's spec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog_service.application.lineage import Lineage
from catalog_service.domain.lineage import EdgeSpec
from datacompass.catalog.v1 import catalog_pb2 as pb
from datacompass.common.v1 import paging_pb2
from dckit.protoconv import message_values, ref_text, to_message


def lineage_edge(row: Mapping[str, Any]) -> pb.LineageEdge:
    return to_message(pb.LineageEdge, row)


def lineage(found: Lineage) -> pb.GetLineageResponse:
    return pb.GetLineageResponse(
        urn=found.urn,
        edges=[lineage_edge(e) for e in found.edges],
        view_parse=None if found.view_parse is None else to_message(pb.ViewParse, found.view_parse),
        page=paging_pb2.PageResponse(next_cursor=found.cursor),
    )


def edge_spec(request: pb.AddLineageEdgeRequest) -> EdgeSpec:
    return EdgeSpec(
        upstream=ref_text(request.upstream),
        downstream=ref_text(request.downstream),
        **message_values(request, exclude={"upstream", "downstream"}),
    )
