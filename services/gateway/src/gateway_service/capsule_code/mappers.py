"""Capsule-as-code messages ↔ REST models."""

from __future__ import annotations

import json

from datacompass.catalog.v1 import semantics_pb2 as pb
from gateway_service.capsule_code import schemas as s


def applied(msg: pb.ApplyCapsuleCodeResponse) -> s.CapsuleApplied:
    return s.CapsuleApplied(
        object_urn=msg.object_urn,
        dry_run=msg.dry_run,
        changes=[
            s.PlannedChange(
                section=c.section,
                path=c.path,
                old=json.loads(c.old_json),
                new=json.loads(c.new_json),
            )
            for c in msg.changes
        ],
        change_set_id=msg.change_set_id or None,
        version=msg.version or None,
    )
