"""How a request names a catalog object (`datacompass.common.v1.ObjectRef`) as the use cases
take it; they resolve it to the URN."""

from __future__ import annotations

from google.protobuf.message import Message

from datacompass.common.v1 import refs_pb2
from quality_service.domain.objects import ObjectName


def object_name(ref: refs_pb2.ObjectRef) -> ObjectName:
    form = ref.WhichOneof("ref")
    if form == "urn":
        return ObjectName(urn=ref.urn.strip())
    if form == "qualified_name":
        return ObjectName(ref=ref.qualified_name.strip())
    if form == "id":
        return ObjectName(id=ref.id)
    return ObjectName()


def named_object(request: Message) -> ObjectName | None:
    """The object a request's `object` field names, None when it names none (no filter)."""
    if not request.HasField("object"):
        return None
    return object_name(request.object) or None  # type: ignore[attr-defined]
