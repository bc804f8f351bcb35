"""Users and their credentials: passwords (argon2id), API keys (random, stored as SHA-256, found
by prefix) and access/refresh tokens (JWT, HS256). No storage or transport here."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dckit.clock import Clock, utc_now
from dckit.errors import InvalidArgument, Unauthenticated

MIN_PASSWORD = 10
MAX_PASSWORD = 256
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
KEY_PREFIX = "dck_"
ISSUER = "datacompass"

_hasher = PasswordHasher()
USER_FIELDS = ("role", "disabled", "password", "display_name")  # what an update may change
MAX_KEY_DAYS = 3650


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None = None
    password_hash: str = field(default="", repr=False)
    password_changed_at: datetime | None = field(default=None, repr=False)

    def refuse_stale(self, issued_at: int) -> None:
        """Unauthenticated for a token issued before the password was last changed (whole
        seconds, as tokens carry them: one issued in the same second stays valid)."""
        changed = self.password_changed_at
        if changed is not None and issued_at < int(changed.timestamp()):
            raise Unauthenticated("the password was changed since this token was issued")

    def snapshot(self) -> dict[str, Any]:
        """What the audit trail shows of a user (never the hash)."""
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "disabled": self.disabled,
        }


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    username: str  # the owner
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class PrefixTaken(Exception):
    """A new API key's random lookup prefix is already used by another key (draw again)."""


@dataclass(frozen=True)
class KeyHolder:
    """A stored key with what authenticating by it needs: its digest and its owner's state."""

    key: ApiKey
    key_hash: str
    role: str
    disabled: bool


@dataclass(frozen=True)
class Principal:
    """Who a bearer token belongs to."""

    username: str
    role: str
    method: str  # "jwt" | "api_key"
    api_key_id: int = 0


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds until access_token expires
    user: User


def key_expiry(now: datetime, expires_in_days: int) -> datetime | None:
    if not 0 <= expires_in_days <= MAX_KEY_DAYS:
        raise InvalidArgument(f"expires_in_days must be 0 (never) to {MAX_KEY_DAYS}")
    return now + timedelta(days=expires_in_days) if expires_in_days else None


def check_key_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidArgument("API key name must be 1-100 characters")
    return name


def refuse_key(holder: KeyHolder | None, token: str, now: datetime) -> None:
    """Unauthenticated unless `token` is the live key of an enabled user."""
    if holder is None or not key_matches(token, holder.key_hash):
        raise Unauthenticated("invalid API key")
    if holder.key.revoked_at is not None:
        raise Unauthenticated("API key revoked")
    if holder.key.expires_at is not None and holder.key.expires_at <= now:
        raise Unauthenticated("API key expired")
    if holder.disabled:
        raise Unauthenticated(f"user {holder.key.username!r} is disabled")


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
    clock: Clock = utc_now  # tokens are issued and checked for expiry by this clock

    def issue(self, username: str, kind: str) -> str:
        now = self.clock()
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
        return self.claims(token, kind)[0]

    def claims(self, token: str, kind: str) -> tuple[str, int]:
        """(username, issued-at in epoch seconds) of a valid token of this kind."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                # Times are checked below, against this signer's clock.
                options={
                    "require": ["exp", "sub", "typ"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid token") from exc
        # As PyJWT checks them (whole seconds, no leeway), on this signer's clock.
        now = self.clock().timestamp()
        exp, iat = claims["exp"], claims.get("iat", 0)
        if not isinstance(exp, int) or not isinstance(iat, int) or iat > now:
            raise Unauthenticated("invalid token")  # malformed, or issued in the future
        if exp <= now:
            raise Unauthenticated(f"{kind} token expired")
        if claims.get("typ") != kind:
            raise Unauthenticated(f"not a valid {kind} token")
        return str(claims["sub"]), iat
