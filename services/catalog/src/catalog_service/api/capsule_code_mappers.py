"""Capsule as code: use-case results → protobuf."""

from __future__ import annotations

import json
from typing import Any

from catalog_service.application.capsule_code import ApplyResult
from datacompass.catalog.v1 import semantics_pb2 as pb


def apply_response(result: ApplyResult) -> pb.ApplyCapsuleCodeResponse:
    return pb.ApplyCapsuleCodeResponse(
        object_urn=result.object_urn,
        changes=[
            pb.CapsuleCodeChange(
                section=c.section, path=c.path, old_json=_json(c.old), new_json=_json(c.new)
            )
            for c in result.changes
        ],
        dry_run=result.dry_run,
        change_set_id=result.change_set_id,
        version=result.version,
    )


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
