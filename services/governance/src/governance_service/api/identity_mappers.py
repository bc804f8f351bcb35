"""Users, tokens, principals and API keys → protobuf messages."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from dckit.protoconv import to_message
from governance_service.domain.identity import ApiKey, Principal, Tokens, User


def user(value: User) -> pb.User:
    return to_message(pb.User, value)


def tokens(value: Tokens) -> pb.Tokens:
    return to_message(pb.Tokens, value)


def principal(value: Principal) -> pb.Principal:
    return to_message(pb.Principal, value)


def api_key(value: ApiKey) -> pb.ApiKey:
    return to_message(pb.ApiKey, value)
