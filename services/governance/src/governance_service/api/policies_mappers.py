"""Data policies ↔ protobuf messages."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from dckit.clock import utc_now
from dckit.protoconv import from_message, to_message
from governance_service.domain import policies as dom
from governance_service.domain.policies import Policy, PolicySpec


def spec_from(msg: pb.PolicySpec) -> PolicySpec:
    reviewed = dom.parse_date("last_reviewed_on", msg.last_reviewed_on)
    return from_message(PolicySpec, msg, last_reviewed_on=reviewed)


def policy(value: Policy) -> pb.Policy:
    overdue = dom.is_overdue(value.next_review_date, utc_now().date())
    return to_message(pb.Policy, value, overdue=overdue)


def policy_changed(value: Policy, change: str) -> pb.PolicyChanged:
    return pb.PolicyChanged(change=change, policy=policy(value))
