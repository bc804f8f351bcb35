"""Use cases for users and credentials: login/refresh, authenticating a bearer token, managing
users and API keys. Every mutation writes its audit record in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dckit.db import Database
from dckit.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from dckit.outbox import Outbox, diff
from dckit.paging import clamp_limit, decode_cursor, next_cursor
from governance_service.db.repository import GovernanceRepository, PrefixTaken, Row
from governance_service.domain import credentials as cred
from governance_service.domain.roles import check_role

MAX_KEY_DAYS = 3650
# A new key's 8-hex-digit lookup prefix may collide with an existing key's (likelier as keys
# accumulate): the key is drawn again, at most this many times in all.
KEY_ATTEMPTS = 5
USER_FIELDS = ("role", "disabled", "password", "display_name")


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    method: str  # "jwt" | "api_key"
    api_key_id: int = 0


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str
    expires_in: int
    user: Row


def _user_snapshot(row: Row) -> dict[str, Any]:
    return {k: row[k] for k in ("username", "display_name", "role", "disabled")}


class IdentityUseCases:
    def __init__(self, db: Database, outbox: Outbox, signer: cred.TokenSigner) -> None:
        self.db, self.outbox, self.signer = db, outbox, signer

    # ------------------------------------------------------------ authentication
    async def login(self, username: str, password: str) -> Tokens:
        async with self.db.session() as session:
            repo = GovernanceRepository(session)
            user = await repo.get_user(username.strip().lower())
            ok = cred.verify_password(user["password_hash"] if user else cred.DUMMY_HASH, password)
            if user is None or not ok:
                raise Unauthenticated("invalid username or password")
            if user["disabled"]:
                raise Unauthenticated(f"user {user['username']!r} is disabled")
            return self._tokens(await repo.touch_login(user["id"]))

    async def refresh(self, refresh_token: str) -> Tokens:
        username = self.signer.verify(refresh_token, "refresh")
        async with self.db.session() as session:
            user = await GovernanceRepository(session).get_user(username)
        if user is None or user["disabled"]:
            raise Unauthenticated("user no longer exists or is disabled")
        return self._tokens(user)

    def _tokens(self, user: Row) -> Tokens:
        return Tokens(
            access=self.signer.issue(user["username"], "access"),
            refresh=self.signer.issue(user["username"], "refresh"),
            expires_in=self.signer.access_seconds,
            user=user,
        )

    async def authenticate(self, token: str) -> Principal:
        """Who a bearer token belongs to, checked against the current user and key state."""
        token = token.strip()
        if not token:
            raise Unauthenticated("missing token")
        prefix = cred.api_key_prefix(token)
        async with self.db.session() as session:
            repo = GovernanceRepository(session)
            if prefix is not None:
                key = await repo.api_key_by_prefix(prefix)
                if key is None or not cred.key_matches(token, key["key_hash"]):
                    raise Unauthenticated("invalid API key")
                if key["revoked_at"] is not None:
                    raise Unauthenticated("API key revoked")
                if key["expires_at"] is not None and key["expires_at"] <= datetime.now(UTC):
                    raise Unauthenticated("API key expired")
                if key["disabled"]:
                    raise Unauthenticated(f"user {key['username']!r} is disabled")
                await repo.touch_api_key(key["id"])
                return Principal(key["username"], key["role"], "api_key", key["id"])
            user = await repo.get_user(self.signer.verify(token, "access"))
            if user is None or user["disabled"]:
                raise Unauthenticated("user no longer exists or is disabled")
            return Principal(user["username"], user["role"], "jwt")

    # ------------------------------------------------------------ users
    async def create_user(self, username: str, password: str, role: str, display_name: str) -> Row:
        values = {
            "username": cred.check_username(username),
            "password_hash": cred.hash_password(password),
            "role": check_role(role or "viewer"),
            "display_name": display_name.strip(),
        }
        async with self.db.session() as session:
            row = await GovernanceRepository(session).insert_user(values)
            await self.outbox.audit(
                session,
                action="user.create",
                entity_type="user",
                entity_id=row["username"],
                changes={k: (None, v) for k, v in _user_snapshot(row).items()},
            )
            return row

    async def page_users(self, limit: int, cursor: str) -> tuple[list[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await GovernanceRepository(session).list_users(offset, limit + 1)
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def update_user(
        self,
        username: str,
        fields: Sequence[str],
        *,
        role: str,
        disabled: bool,
        password: str,
        display_name: str,
    ) -> Row:
        unknown = set(fields) - set(USER_FIELDS)
        if unknown or not fields:
            raise InvalidArgument(f"updatable fields are {', '.join(USER_FIELDS)}")
        values: dict[str, Any] = {}
        if "role" in fields:
            values["role"] = check_role(role)
        if "disabled" in fields:
            values["disabled"] = disabled
        if "display_name" in fields:
            values["display_name"] = display_name.strip()
        if "password" in fields:
            values["password_hash"] = cred.hash_password(password)
        async with self.db.session() as session:
            repo = GovernanceRepository(session)
            before = await repo.get_user(username, for_update=True)
            if before is None:
                raise NotFound(f"user {username!r} not found")
            after = await repo.update_user(before["id"], values)
            changes = diff(_user_snapshot(before), _user_snapshot(after))
            if "password" in fields:
                changes["password"] = ("<redacted>", "<changed>")  # never the hash
            if changes:
                await self.outbox.audit(
                    session,
                    action="user.update",
                    entity_type="user",
                    entity_id=after["username"],
                    changes=changes,
                )
            return after

    # ------------------------------------------------------------ API keys
    async def create_api_key(
        self, username: str, name: str, expires_in_days: int
    ) -> tuple[Row, str]:
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise InvalidArgument("API key name must be 1-100 characters")
        if not 0 <= expires_in_days <= MAX_KEY_DAYS:
            raise InvalidArgument(f"expires_in_days must be 0 (never) to {MAX_KEY_DAYS}")
        expires = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
        async with self.db.session() as session:
            repo = GovernanceRepository(session)
            owner = await repo.get_user(username)
            if owner is None:
                raise NotFound(f"user {username!r} not found")
            if owner["disabled"]:
                raise FailedPrecondition(f"user {username!r} is disabled")
            for _ in range(KEY_ATTEMPTS):
                key = cred.new_api_key()
                try:
                    row = await repo.insert_api_key(
                        {
                            "user_id": owner["id"],
                            "name": name,
                            "prefix": key.prefix,
                            "key_hash": key.digest,
                            "expires_at": expires,
                        }
                    )
                    break
                except PrefixTaken:
                    continue
            else:
                raise Unavailable("could not draw an unused API key prefix; try again")
            await self.outbox.audit(
                session,
                action="api_key.create",
                entity_type="api_key",
                entity_id=row["id"],
                changes={
                    "name": (None, name),
                    "owner": (None, owner["username"]),
                    "prefix": (None, key.prefix),
                    "expires_at": (None, expires.isoformat() if expires else None),
                },
            )
            return row, key.secret

    async def page_api_keys(self, username: str, limit: int, cursor: str) -> tuple[list[Row], str]:
        limit, offset = clamp_limit(limit), decode_cursor(cursor)
        async with self.db.session() as session:
            rows = await GovernanceRepository(session).list_api_keys(username, offset, limit + 1)
        page = list(rows[:limit])
        return page, next_cursor(offset, limit, len(page), len(rows) > limit)

    async def revoke_api_key(self, key_id: int, owner: str) -> Row:
        """Revoke a key; with `owner`, only one of that user's keys."""
        async with self.db.session() as session:
            repo = GovernanceRepository(session)
            key = await repo.get_api_key(key_id)
            if key is None or (owner and key["username"] != owner):
                raise NotFound(f"API key {key_id} not found")
            if key["revoked_at"] is not None:
                raise FailedPrecondition(f"API key {key_id} is already revoked")
            await repo.revoke_api_key(key_id)
            after = await repo.get_api_key(key_id)
            assert after is not None
            await self.outbox.audit(
                session,
                action="api_key.revoke",
                entity_type="api_key",
                entity_id=key_id,
                changes={"revoked_at": (None, after["revoked_at"].isoformat())},
            )
            return after
