"""PATCH bodies: the fields a caller actually sent."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel

from gateway_service.core.errors import ApiError


def changes(body: BaseModel, *, nullable: Collection[str] = ()) -> dict[str, Any]:
    """The fields set in `body`; 400 when none is, or when one that cannot be cleared is null
    (`nullable` names those that may be: null clears them)."""
    sent = body.model_dump(exclude_unset=True)
    if not sent or any(v is None for k, v in sent.items() if k not in nullable):
        raise ApiError(400, "INVALID_ARGUMENT", "give at least one field to change, not null")
    return sent
