"""Password, API key and token handling (pure domain, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from dckit.clock import ManualClock
from dckit.errors import InvalidArgument, Unauthenticated
from governance_service.config import GovernanceSettings
from governance_service.domain import identity as cred
from governance_service.domain.roles import allows, check_role

KEY_ONE = "secret-one-0123456789abcdef0123456789"
KEY_TWO = "secret-two-0123456789abcdef0123456789"


def test_password_hash_verifies_only_the_right_password() -> None:
    hashed = cred.hash_password("a long enough password")
    assert hashed.startswith("$argon2id$") and "a long enough" not in hashed
    assert cred.verify_password(hashed, "a long enough password")
    assert not cred.verify_password(hashed, "a long enough passworD")
    assert not cred.verify_password("not-a-hash", "a long enough password")
    with pytest.raises(InvalidArgument, match="10-256"):
        cred.hash_password("short")


def test_api_keys_are_random_prefixed_and_stored_as_digest() -> None:
    one, two = cred.new_api_key(), cred.new_api_key()
    assert one.secret != two.secret and one.prefix != two.prefix
    assert one.secret.startswith(one.prefix + "_")
    assert cred.api_key_prefix(one.secret) == one.prefix
    assert one.secret not in one.digest
    assert cred.key_matches(one.secret, one.digest)
    assert not cred.key_matches(two.secret, one.digest)
    for not_a_key in ("", "dck_", "dck_abc", "eyJhbGciOi.x.y", "bearer"):
        assert cred.api_key_prefix(not_a_key) is None


def test_tokens_expire_and_are_typed() -> None:
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))  # JWT times are whole seconds
    signer = cred.TokenSigner(
        "secret-one-0123456789abcdef0123456789", access_seconds=1, refresh_seconds=60, clock=clock
    )
    access, refresh = signer.issue("alice", "access"), signer.issue("alice", "refresh")
    assert signer.verify(access, "access") == "alice"
    assert signer.verify(refresh, "refresh") == "alice"
    with pytest.raises(Unauthenticated, match="not a valid access token"):
        signer.verify(refresh, "access")  # a refresh token is no access token
    with pytest.raises(Unauthenticated, match="invalid token"):
        cred.TokenSigner("secret-two-0123456789abcdef0123456789", 60, 60).verify(
            access, "access"
        )  # other key
    with pytest.raises(Unauthenticated, match="invalid token"):
        signer.verify(access[:-2] + "xx", "access")  # tampered signature
    clock.advance(0.9)
    assert signer.verify(access, "access") == "alice"
    clock.advance(1.1)
    with pytest.raises(Unauthenticated, match="access token expired"):
        signer.verify(access, "access")
    assert signer.verify(refresh, "refresh") == "alice"
    later = signer.issue("alice", "access")
    clock.advance(-60)
    with pytest.raises(Unauthenticated, match="invalid token"):
        signer.verify(later, "access")  # issued in the future


def test_roles_are_ordered() -> None:
    assert allows("admin", "viewer") and allows("steward", "editor")
    assert not allows("viewer", "editor") and not allows("editor", "steward")
    assert not allows("root", "viewer")
    with pytest.raises(InvalidArgument, match="unknown role"):
        check_role("root")


def test_usernames_are_normalised_and_checked() -> None:
    assert cred.check_username(" Alice@Example.com ") == "alice@example.com"
    for bad in ("", "a", "has space", "x" * 101, "-lead"):
        with pytest.raises(InvalidArgument):
            cred.check_username(bad)


@pytest.mark.parametrize("secret", ["secret", "short-but-random-A1b2C3", "z" * 64])
def test_a_weak_jwt_secret_is_refused_at_start(secret: str) -> None:
    with pytest.raises(ValidationError, match="DATACOMPASS_GOVERNANCE_JWT_SECRET is too weak"):
        GovernanceSettings(jwt_secret=secret)
    assert GovernanceSettings().jwt_secret.get_secret_value()  # the random default passes
