"""Catalog objects and columns → protobuf; how a request names an object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datacompass.catalog.v1 import catalog_pb2 as pb
from dckit.protoconv import to_message


def column(row: Mapping[str, Any]) -> pb.Column:
    return to_message(pb.Column, row)


def catalog_object(
    row: Mapping[str, Any], columns: Sequence[Mapping[str, Any]] = ()
) -> pb.CatalogObject:
    meta = dict(row["source_metadata"] or {})
    tags = list(row["tags"] or [])
    user: dict[str, Any] = {"tags": tags}
    if row["description"]:
        user["description"] = row["description"]
    return to_message(
        pb.CatalogObject,
        row,
        # As shown: the user's description when set, else the source comment.
        description=row["description"] or meta.get("comment", ""),
        source_metadata=meta,
        user_metadata=user,
        tags=tags,
        columns=[column(c) for c in columns],
        partitioning=(
            {
                "strategy": row["partition_strategy"],
                "key": row["partition_key"] or [],
                "expression": row["partition_expression"],
            }
            if row["partition_strategy"]
            else None
        ),
    )


def facets(values: Mapping[str, list[tuple[str, int]]]) -> list[pb.Facet]:
    return [
        pb.Facet(name=name, counts=[pb.FacetCount(value=v, count=n) for v, n in counts])
        for name, counts in values.items()
    ]
