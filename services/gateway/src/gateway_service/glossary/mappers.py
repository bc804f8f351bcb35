"""Glossary messages (terms, workflow, files, links) ↔ REST models."""

from __future__ import annotations

from typing import Any

from datacompass.catalog.v1 import semantics_pb2 as pb
from dckit.protoconv import enum_text
from gateway_service.core.convert import FromProto, ToProto, ToUpdate, enum_value
from gateway_service.glossary import schemas as s

_history = FromProto(s.TermStatusChange, pb.TermStatusChange, custom={"from_status"})


def history(msg: pb.TermStatusChange) -> s.TermStatusChange:
    """A workflow step; the creation has no status it came from."""
    came_from = enum_text(pb.BusinessTermStatus, msg.from_status)
    return _history(msg, from_status=came_from if msg.from_status else None)


business_term = FromProto(s.BusinessTerm, pb.BusinessTerm, nested={"history": history})
term_link = FromProto(s.TermLink, pb.TermLink)
imported = FromProto(s.GlossaryImported, pb.ImportGlossaryResponse)
exported = FromProto(s.GlossaryExport, pb.ExportGlossaryResponse)
import_request = ToProto(pb.ImportGlossaryRequest, s.GlossaryImport)
_create_request = ToProto(pb.CreateBusinessTermRequest, s.BusinessTermCreate, custom={"related"})
_update_request = ToUpdate(pb.UpdateBusinessTermRequest, "business_term", s.BusinessTermUpdate)


def related(items: list[Any] | None) -> list[pb.RelatedTerm]:
    """Relations as sent (RelatedTermIn models or their dicts)."""
    out = []
    for item in items or []:
        values = item if isinstance(item, dict) else item.model_dump()
        relation = enum_value(pb.TermRelation.DESCRIPTOR, values["relation"], "relation")
        out.append(pb.RelatedTerm(relation=relation, term=values["term"]))
    return out


def create_request(body: s.BusinessTermCreate) -> pb.CreateBusinessTermRequest:
    return _create_request(body, related=related(body.related))


def update_request(changes: dict[str, Any], term: pb.TermRef) -> pb.UpdateBusinessTermRequest:
    """`related` (a list of messages) is set here; the other fields by name."""
    sent = "related" in changes
    relations = changes.pop("related", None)
    request = _update_request(changes, term=term)
    if sent:
        request.business_term.related.extend(related(relations))
        request.update_mask.paths.append("related")
    return request


def term_ref(term: str) -> pb.TermRef:
    """A term named by its id (digits) or its name."""
    text = term.strip()
    if text.isdigit() and len(text) < 19:
        return pb.TermRef(id=int(text))
    return pb.TermRef(name=text)


def status(word: str) -> int:
    return enum_value(pb.BusinessTermStatus.DESCRIPTOR, word, "status")


def file_format(word: str) -> int:
    return enum_value(pb.GlossaryFormat.DESCRIPTOR, word, "format")


def link_type(word: str) -> int:
    return enum_value(pb.TermLinkType.DESCRIPTOR, word, "link_type")
