"""Column meaning and value domains ↔ protobuf, and the payloads of the
column_semantics.changed and value_domain.changed events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog_service.domain.semantics import ColumnMeaning, DomainValue, ValueDomainSpec
from datacompass.catalog.v1 import semantics_pb2 as pb
from dckit.protoconv import enum_text, ref_text, to_message


def column_semantics(row: Mapping[str, Any]) -> pb.ColumnSemantics:
    return to_message(pb.ColumnSemantics, row)


def column_meaning(msg: pb.ColumnSemantics) -> ColumnMeaning:
    claims = msg.claims
    return ColumnMeaning(
        business_definition=msg.business_definition,
        semantic_type=msg.semantic_type,
        unit_of_measure=msg.unit_of_measure,
        value_domain=msg.value_domain,
        min_value=claims.min_value if claims.HasField("min_value") else None,
        max_value=claims.max_value if claims.HasField("max_value") else None,
        allowed_values=tuple(claims.allowed_values),
        format_pattern=claims.format_pattern,
        examples=tuple(msg.examples),
    )


def column_changed(change: str, row: Mapping[str, Any]) -> pb.ColumnSemanticsChanged:
    return pb.ColumnSemanticsChanged(semantics=column_semantics(row))


def value_domain(row: Mapping[str, Any]) -> pb.ValueDomain:
    return to_message(pb.ValueDomain, row, values=row["allowed_values"] or [])


def domain_spec(msg: pb.CreateValueDomainRequest) -> ValueDomainSpec:
    kind = msg.domain_type
    return ValueDomainSpec(
        name=msg.name,
        domain_type=enum_text(pb.ValueDomainType, kind),
        description=msg.description,
        values=tuple(DomainValue(v.code, v.label, v.description) for v in msg.values),
        min_value=msg.min_value if msg.HasField("min_value") else None,
        max_value=msg.max_value if msg.HasField("max_value") else None,
        pattern=msg.pattern,
        pattern_description=msg.pattern_description,
        reference_object=ref_text(msg.reference_object),
        reference_column=msg.reference_column,
        extensible=msg.extensible,
        owner=msg.owner,
    )


def domain_changed(change: str, row: Mapping[str, Any]) -> pb.ValueDomainChanged:
    return pb.ValueDomainChanged(change=change, domain=value_domain(row))
