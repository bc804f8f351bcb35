"""Governance identity messages (users, tokens, API keys) ↔ REST models."""

from __future__ import annotations

from datacompass.governance.v1 import governance_pb2 as pb
from gateway_service.core.convert import FromProto, ToProto
from gateway_service.identity import schemas as s

user = FromProto(s.User, pb.User)
tokens = FromProto(s.Tokens, pb.Tokens, custom={"token_type"})
api_key = FromProto(s.ApiKey, pb.ApiKey, rename={"user": "username"})
created_api_key = FromProto(
    s.CreatedApiKey,
    pb.CreatedApiKey,
    flatten={"key"},
    rename={"user": "key.username", "key": "secret"},
)

login_request = ToProto(pb.LoginRequest, s.Login)
refresh_request = ToProto(pb.RefreshRequest, s.RefreshRequest)
create_user_request = ToProto(pb.CreateUserRequest, s.UserCreate)
update_user_request = ToProto(pb.UpdateUserRequest, s.UserUpdate)
create_api_key_request = ToProto(pb.CreateApiKeyRequest, s.ApiKeyCreate, custom={"user"})
