"""Users, login, API keys and the internal credential, through the real gRPC API."""

from __future__ import annotations

import asyncio
import contextlib
import time

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from governance_testkit import PASSWORD, Governance

from datacompass.governance.v1 import governance_pb2 as pb
from datacompass.governance.v1 import governance_pb2_grpc
from dckit.grpc_client import channel
from governance_service.domain import identity as cred

Code = grpc.StatusCode


async def _code(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call  # type: ignore[misc]
    return info.value.code(), info.value.details() or ""


async def test_login_refresh_and_authenticate(governance: Governance) -> None:
    stub = governance.stub
    created = await governance.create_user("Alice", "editor")
    assert created.username == "alice" and created.role == "editor"
    rows = await governance.sql("SELECT password_hash FROM governance.users")
    assert rows[0]["password_hash"].startswith("$argon2id$")

    tokens = await stub.Login(pb.LoginRequest(username="ALICE", password=PASSWORD))
    assert tokens.expires_in == 900 and tokens.user.username == "alice"
    assert tokens.user.HasField("last_login_at")
    who = await stub.Authenticate(pb.AuthenticateRequest(token=tokens.access_token))
    assert (who.username, who.role, who.method) == ("alice", "editor", "jwt")

    refreshed = await stub.Refresh(pb.RefreshRequest(refresh_token=tokens.refresh_token))
    assert (await stub.Authenticate(pb.AuthenticateRequest(token=refreshed.access_token))).username
    # A refresh token does not authenticate requests, an access token does not refresh.
    code, _ = await _code(stub.Authenticate(pb.AuthenticateRequest(token=tokens.refresh_token)))
    assert code == Code.UNAUTHENTICATED
    code, _ = await _code(stub.Refresh(pb.RefreshRequest(refresh_token=tokens.access_token)))
    assert code == Code.UNAUTHENTICATED


async def test_wrong_password_unknown_user_and_disabled_user(governance: Governance) -> None:
    stub = governance.stub
    await governance.create_user("bob")
    for username, password in (("bob", "wrong password!"), ("nobody", PASSWORD)):
        code, details = await _code(
            stub.Login(pb.LoginRequest(username=username, password=password))
        )
        assert code == Code.UNAUTHENTICATED and details == "invalid username or password"

    tokens = await stub.Login(pb.LoginRequest(username="bob", password=PASSWORD))
    await stub.UpdateUser(
        pb.UpdateUserRequest(
            username="bob", update_mask=FieldMask(paths=["disabled"]), disabled=True
        )
    )
    code, details = await _code(stub.Login(pb.LoginRequest(username="bob", password=PASSWORD)))
    assert code == Code.UNAUTHENTICATED and "disabled" in details
    # Tokens issued before the user was disabled stop working too.
    code, _ = await _code(stub.Authenticate(pb.AuthenticateRequest(token=tokens.access_token)))
    assert code == Code.UNAUTHENTICATED
    code, _ = await _code(stub.Refresh(pb.RefreshRequest(refresh_token=tokens.refresh_token)))
    assert code == Code.UNAUTHENTICATED


async def test_a_password_change_ends_the_tokens_issued_before_it(
    governance: Governance,
) -> None:
    """A stolen token must not outlive the password change meant to lock the thief out."""
    stub = governance.stub
    await governance.create_user("erin")
    tokens = await stub.Login(pb.LoginRequest(username="erin", password=PASSWORD))
    await asyncio.sleep(1.05 - time.time() % 1)  # tokens carry whole seconds: the next one
    await stub.UpdateUser(
        pb.UpdateUserRequest(
            username="erin", update_mask=FieldMask(paths=["password"]), password=PASSWORD + "2"
        )
    )
    code, details = await _code(
        stub.Authenticate(pb.AuthenticateRequest(token=tokens.access_token))
    )
    assert code == Code.UNAUTHENTICATED and "password was changed" in details
    code, _ = await _code(stub.Refresh(pb.RefreshRequest(refresh_token=tokens.refresh_token)))
    assert code == Code.UNAUTHENTICATED
    # A login with the new password works at once (same second included).
    fresh = await stub.Login(pb.LoginRequest(username="erin", password=PASSWORD + "2"))
    who = await stub.Authenticate(pb.AuthenticateRequest(token=fresh.access_token))
    assert who.username == "erin"
    assert (await stub.Refresh(pb.RefreshRequest(refresh_token=fresh.refresh_token))).access_token
    # Other changes (role, display name) leave tokens alone.
    await stub.UpdateUser(
        pb.UpdateUserRequest(username="erin", update_mask=FieldMask(paths=["role"]), role="editor")
    )
    assert (await stub.Authenticate(pb.AuthenticateRequest(token=fresh.access_token))).username


async def test_user_errors_write_nothing(governance: Governance) -> None:
    stub = governance.stub
    await governance.create_user("carol")
    bad = [
        pb.CreateUserRequest(username="carol", password=PASSWORD),  # exists
        pb.CreateUserRequest(username="dave", password="short"),
        pb.CreateUserRequest(username="dave", password=PASSWORD, role="root"),
        pb.CreateUserRequest(username="no spaces", password=PASSWORD),
    ]
    codes = [(await _code(stub.CreateUser(r)))[0] for r in bad]
    assert codes == [Code.ALREADY_EXISTS] + [Code.INVALID_ARGUMENT] * 3
    code, _ = await _code(
        stub.UpdateUser(
            pb.UpdateUserRequest(
                username="carol", update_mask=FieldMask(paths=["role"]), role="god"
            )
        )
    )
    assert code == Code.INVALID_ARGUMENT
    code, _ = await _code(
        stub.UpdateUser(
            pb.UpdateUserRequest(
                username="zed", update_mask=FieldMask(paths=["role"]), role="admin"
            )
        )
    )
    assert code == Code.NOT_FOUND
    users = await governance.sql("SELECT username, role FROM governance.users")
    assert [(u["username"], u["role"]) for u in users] == [("carol", "viewer")]


async def test_api_key_shown_once_hashed_expired_revoked(governance: Governance) -> None:
    stub = governance.stub
    await governance.create_user("erin", "steward")
    created = await stub.CreateApiKey(
        pb.CreateApiKeyRequest(username="erin", name="ci", expires_in_days=30)
    )
    secret = created.secret
    assert secret.startswith(created.key.prefix + "_") and created.key.HasField("expires_at")
    stored = await governance.sql("SELECT * FROM governance.api_keys")
    assert secret not in str(dict(stored[0])) and stored[0]["last_used_at"] is None
    listed = await stub.ListApiKeys(pb.ListApiKeysRequest(username="erin"))
    assert [k.prefix for k in listed.items] == [created.key.prefix]
    assert secret not in str(listed)

    who = await stub.Authenticate(pb.AuthenticateRequest(token=secret))
    assert (who.username, who.role, who.method, who.api_key_id) == (
        "erin",
        "steward",
        "api_key",
        created.key.id,
    )
    stored = await governance.sql("SELECT last_used_at FROM governance.api_keys")
    assert stored[0]["last_used_at"] is not None

    # Wrong: right prefix, wrong rest; unknown prefix.
    for wrong in (secret[:-3] + "abc", "dck_00000000_" + "x" * 43):
        code, details = await _code(stub.Authenticate(pb.AuthenticateRequest(token=wrong)))
        assert code == Code.UNAUTHENTICATED and details == "invalid API key"

    # Expired.
    await governance.sql("UPDATE governance.api_keys SET expires_at = now() - interval '1 second'")
    code, details = await _code(stub.Authenticate(pb.AuthenticateRequest(token=secret)))
    assert code == Code.UNAUTHENTICATED and details == "API key expired"

    # Revoked (a non-expiring key).
    other = await stub.CreateApiKey(pb.CreateApiKeyRequest(username="erin", name="laptop"))
    assert not other.key.HasField("expires_at")
    code, _ = await _code(
        stub.RevokeApiKey(pb.RevokeApiKeyRequest(id=other.key.id, username="someone-else"))
    )
    assert code == Code.NOT_FOUND  # not your key
    revoked = await stub.RevokeApiKey(pb.RevokeApiKeyRequest(id=other.key.id, username="erin"))
    assert revoked.HasField("revoked_at")
    code, details = await _code(stub.Authenticate(pb.AuthenticateRequest(token=other.secret)))
    assert code == Code.UNAUTHENTICATED and details == "API key revoked"
    code, _ = await _code(stub.RevokeApiKey(pb.RevokeApiKeyRequest(id=other.key.id)))
    assert code == Code.FAILED_PRECONDITION

    for request in (
        pb.CreateApiKeyRequest(username="erin", name=""),
        pb.CreateApiKeyRequest(username="erin", name="x", expires_in_days=-1),
        pb.CreateApiKeyRequest(username="erin", name="x", expires_in_days=99999),
    ):
        assert (await _code(stub.CreateApiKey(request)))[0] == Code.INVALID_ARGUMENT
    code, _ = await _code(stub.CreateApiKey(pb.CreateApiKeyRequest(username="ghost", name="x")))
    assert code == Code.NOT_FOUND
    assert len(await governance.sql("SELECT id FROM governance.api_keys")) == 2


async def test_calls_without_the_internal_token_are_rejected(governance: Governance) -> None:
    for token in ("wrong-token", ""):
        chan = grpc.aio.insecure_channel(governance.address)
        stub = governance_pb2_grpc.GovernanceServiceStub(chan)
        metadata = [("x-dc-internal-token", token)] if token else []
        try:
            code, details = await _code(
                stub.ListUsers(pb.ListUsersRequest(), metadata=metadata, timeout=5)
            )
        finally:
            await chan.close()
        assert code == Code.UNAUTHENTICATED and "internal token" in details
    async with channel(governance.address, token="another-deployments-token") as chan:
        stub = governance_pb2_grpc.GovernanceServiceStub(chan)
        code, _ = await _code(stub.ListUsers(pb.ListUsersRequest()))
        assert code == Code.UNAUTHENTICATED


async def test_api_key_prefix_collision_draws_a_fresh_key(
    governance: Governance, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = governance.stub
    await governance.create_user("frank", "editor")
    first = await stub.CreateApiKey(pb.CreateApiKeyRequest(username="frank", name="one"))
    taken = first.key.prefix

    real = cred.new_api_key
    drawn: list[str] = []

    def colliding_then_fresh() -> cred.NewApiKey:
        key = real()
        if not drawn:  # the first draw repeats the existing key's prefix
            secret = f"{taken}_{key.secret.split('_', 2)[2]}"
            key = cred.NewApiKey(secret, taken, cred.key_digest(secret))
        drawn.append(key.prefix)
        return key

    monkeypatch.setattr(cred, "new_api_key", colliding_then_fresh)
    second = await stub.CreateApiKey(pb.CreateApiKeyRequest(username="frank", name="two"))
    assert drawn[0] == taken and second.key.prefix == drawn[1] != taken
    who = await stub.Authenticate(pb.AuthenticateRequest(token=second.secret))
    assert who.username == "frank" and who.api_key_id == second.key.id
    rows = await governance.sql("SELECT name, prefix FROM governance.api_keys ORDER BY id")
    assert [(r["name"], r["prefix"]) for r in rows] == [("one", taken), ("two", second.key.prefix)]
    outbox = await governance.sql("SELECT payload FROM governance.outbox")
    assert sum(second.key.prefix.encode() in bytes(r["payload"]) for r in outbox) == 1

    # A prefix space that only collides: a clear, retryable error, nothing stored.
    def always_taken() -> cred.NewApiKey:
        secret = f"{taken}_{'x' * 43}"
        return cred.NewApiKey(secret, taken, cred.key_digest(secret))

    monkeypatch.setattr(cred, "new_api_key", always_taken)
    code, details = await _code(
        stub.CreateApiKey(pb.CreateApiKeyRequest(username="frank", name="three"), timeout=10)
    )
    assert code == grpc.StatusCode.UNAVAILABLE and "prefix" in details
    assert len(await governance.sql("SELECT id FROM governance.api_keys")) == 2


async def test_bad_logins_do_not_stall_authenticate(governance: Governance) -> None:
    """Regression (issue 20): argon2 ran on the event loop (~0.1-0.2 s a hash), so a burst of
    bad logins starved every Authenticate; hashing now runs in worker threads."""
    stub = governance.stub
    await governance.create_user("carol")
    tokens = await stub.Login(pb.LoginRequest(username="carol", password=PASSWORD))
    loop = asyncio.get_running_loop()

    async def bad_login() -> None:
        with contextlib.suppress(grpc.aio.AioRpcError):
            await stub.Login(pb.LoginRequest(username="carol", password="not the password!"))

    began = loop.time()
    logins = [asyncio.create_task(bad_login()) for _ in range(16)]
    await asyncio.sleep(0.05)  # the logins are in flight
    start = loop.time()
    principal = await stub.Authenticate(pb.AuthenticateRequest(token=tokens.access_token))
    took = loop.time() - start
    await asyncio.gather(*logins)
    burst = loop.time() - began
    assert principal.username == "carol"
    print(f"Authenticate took {took:.3f}s during a {burst:.2f}s burst of 16 bad logins")
    assert took < max(0.5, burst / 4), (took, burst)
