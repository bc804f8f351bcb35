"""The business glossary (terms, workflow, links, files) ↔ protobuf, and the payloads of the
business_term.changed and term_link.changed events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog_service.domain.glossary import TermSpec
from datacompass.catalog.v1 import semantics_pb2 as pb
from dckit.protoconv import enum_text, message_values, to_message


def term_ref(ref: pb.TermRef) -> str:
    """The term as the use cases take it: its id as text, or its name ("" when unset)."""
    kind = ref.WhichOneof("ref")
    return "" if kind is None else str(getattr(ref, kind))


def business_term(row: Mapping[str, Any]) -> pb.BusinessTerm:
    """A term; its display name defaults to its name."""
    return to_message(pb.BusinessTerm, row, display_name=row["display_name"] or row["name"])


def term_spec(msg: pb.CreateBusinessTermRequest | pb.BusinessTerm) -> TermSpec:
    given = message_values(msg)
    names = {f for f in TermSpec.__dataclass_fields__ if f != "related"}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in given.items() if k in names
    }
    return TermSpec(
        **values,
        related=tuple((enum_text(pb.TermRelation, r.relation), r.term) for r in msg.related),
    )


def term_changed(change: str, term: Mapping[str, Any]) -> pb.BusinessTermChanged:
    return pb.BusinessTermChanged(change=change, term=business_term(term))


def term_link(row: Mapping[str, Any]) -> pb.TermLink:
    return to_message(pb.TermLink, row)


def link_changed(change: str, link: Mapping[str, Any]) -> pb.TermLinkChanged:
    return pb.TermLinkChanged(change=change, link=term_link(link))
