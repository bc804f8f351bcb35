"""Passwords (argon2id), API keys (random, stored as SHA-256, found by prefix) and access/refresh
tokens (JWT, HS256). No storage or transport here."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dckit.errors import InvalidArgument, Unauthenticated

MIN_PASSWORD = 10
MAX_PASSWORD = 256
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
KEY_PREFIX = "dck_"
ISSUER = "datacompass"

_hasher = PasswordHasher()


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise InvalidArgument(
            "username must be 2-100 characters: letters, digits, '.', '_', '@', '-'"
        )
    return name


def hash_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidArgument(f"password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the user does not exist: login takes as long either way.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class NewApiKey:
    secret: str  # the whole key, shown once
    prefix: str  # stored in clear, unique: how a presented key is found
    digest: str  # stored


def new_api_key() -> NewApiKey:
    prefix = KEY_PREFIX + secrets.token_hex(4)
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(secret, prefix, key_digest(secret))


def api_key_prefix(token: str) -> str | None:
    """The lookup prefix of something that looks like one of our API keys."""
    if not token.startswith(KEY_PREFIX):
        return None
    prefix, sep, _ = token.partition("_")[2].partition("_")
    return KEY_PREFIX + prefix if sep and prefix else None


def key_digest(secret: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough (no brute force to slow down).
    return hashlib.sha256(secret.encode()).hexdigest()


def key_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(key_digest(secret), digest)


@dataclass(frozen=True)
class TokenSigner:
    secret: str
    access_seconds: int
    refresh_seconds: int

    def issue(self, username: str, kind: str) -> str:
        now = datetime.now(UTC)
        ttl = self.access_seconds if kind == "access" else self.refresh_seconds
        claims = {
            "iss": ISSUER,
            "sub": username,
            "typ": kind,
            "iat": now,
            "exp": now + timedelta(seconds=ttl),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def verify(self, token: str, kind: str) -> str:
        """The username a valid token of this kind was issued to; Unauthenticated otherwise."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["exp", "sub", "typ"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated(f"{kind} token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid token") from exc
        if claims.get("typ") != kind:
            raise Unauthenticated(f"not a valid {kind} token")
        return str(claims["sub"])
