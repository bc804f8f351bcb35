"""Use cases for users and credentials: login/refresh, authenticating a bearer token, managing
users and API keys. Every mutation writes its audit record in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dckit.clock import Clock, utc_now
from dckit.errors import FailedPrecondition, NotFound, Unauthenticated, Unavailable
from dckit.offload import Offload
from dckit.paging import paginate
from dckit.uow import Entity
from governance_service.application.ports import Transactions
from governance_service.domain import identity as dom
from governance_service.domain.identity import ApiKey, Principal, Tokens, User
from governance_service.domain.roles import check_role

# Password hashes computed at once (each one a CPU core for ~0.1-0.2 s) and waiting for a
# thread; a login beyond both is refused with RESOURCE_EXHAUSTED (429) at once.
HASH_THREADS = 2
HASH_QUEUE = 32
# A new key's 8-hex-digit lookup prefix may collide with an existing key's (likelier as keys
# accumulate): the key is drawn again, at most this many times in all.
KEY_ATTEMPTS = 5


class IdentityUseCases:
    """`hashing` runs argon2 (~0.1-0.2 s a call) in worker threads: on the event loop a burst
    of logins stalled every other call, Authenticate included."""

    def __init__(
        self,
        tx: Transactions,
        signer: dom.TokenSigner,
        clock: Clock = utc_now,
        hashing: Offload | None = None,
    ) -> None:
        self.tx, self.signer, self.clock = tx, signer, clock
        self.hashing = hashing or Offload(HASH_THREADS, HASH_QUEUE, "password checks")

    # ------------------------------------------------------------ authentication
    async def login(self, *, username: str, password: str) -> Tokens:
        async with self.tx() as uow:
            user = await uow.identity.user(username.strip().lower())
        # Outside the transaction: no connection is held while the hash is computed.
        stored = user.password_hash if user else dom.DUMMY_HASH
        ok = await self.hashing.run(dom.verify_password, stored, password)
        if user is None or not ok:
            raise Unauthenticated("invalid username or password")
        if user.disabled:
            raise Unauthenticated(f"user {user.username!r} is disabled")
        async with self.tx() as uow:
            return self._tokens(await uow.identity.touch_login(user.id))

    async def refresh(self, refresh_token: str) -> Tokens:
        username, issued_at = self.signer.claims(refresh_token, "refresh")
        async with self.tx() as uow:
            user = await uow.identity.user(username)
        if user is None or user.disabled:
            raise Unauthenticated("user no longer exists or is disabled")
        user.refuse_stale(issued_at)
        return self._tokens(user)

    def _tokens(self, user: User) -> Tokens:
        return Tokens(
            access_token=self.signer.issue(user.username, "access"),
            refresh_token=self.signer.issue(user.username, "refresh"),
            expires_in=self.signer.access_seconds,
            user=user,
        )

    async def authenticate(self, token: str) -> Principal:
        """Who a bearer token belongs to, checked against the current user and key state."""
        token = token.strip()
        if not token:
            raise Unauthenticated("missing token")
        prefix = dom.api_key_prefix(token)
        async with self.tx() as uow:
            if prefix is not None:
                holder = await uow.identity.key_holder(prefix)
                dom.refuse_key(holder, token, self.clock())
                assert holder is not None
                await uow.identity.touch_api_key(holder.key.id)
                return Principal(holder.key.username, holder.role, "api_key", holder.key.id)
            username, issued_at = self.signer.claims(token, "access")
            user = await uow.identity.user(username)
            if user is None or user.disabled:
                raise Unauthenticated("user no longer exists or is disabled")
            user.refuse_stale(issued_at)
            return Principal(user.username, user.role, "jwt")

    # ------------------------------------------------------------ users
    async def create_user(
        self, *, username: str, password: str, role: str, display_name: str
    ) -> User:
        values = {
            "username": dom.check_username(username),
            "password_hash": await self.hashing.run(dom.hash_password, password),
            "role": check_role(role or "viewer"),
            "display_name": display_name.strip(),
        }
        async with self.tx() as uow:
            user = await uow.identity.insert_user(values)
            await uow.record_change(
                "user.create", Entity("user", user.username), None, user.snapshot()
            )
            return user

    async def page_users(self, limit: int, cursor: str) -> tuple[list[User], str]:
        async with self.tx() as uow:
            return await paginate(limit, cursor, uow.identity.users)

    async def update_user(
        self,
        *,
        username: str,
        fields: Sequence[str],
        role: str,
        disabled: bool,
        password: str,
        display_name: str,
    ) -> User:
        """Changes the named `fields` (some of dom.USER_FIELDS)."""
        values: dict[str, Any] = {}
        if "role" in fields:
            values["role"] = check_role(role)
        if "disabled" in fields:
            values["disabled"] = disabled
        if "display_name" in fields:
            values["display_name"] = display_name.strip()
        if "password" in fields:
            values["password_hash"] = await self.hashing.run(dom.hash_password, password)
            values["password_changed_at"] = self.clock()  # its tokens stop working
        async with self.tx() as uow:
            before = await uow.identity.user(username, for_update=True)
            if before is None:
                raise NotFound(f"user {username!r} not found")
            after = await uow.identity.update_user(before.id, values)
            old, new = before.snapshot(), after.snapshot()
            if "password" in fields:  # never the hash: only that it changed
                old["password"], new["password"] = "<redacted>", "<changed>"
            if old != new:
                await uow.record_change("user.update", Entity("user", after.username), old, new)
            return after

    # ------------------------------------------------------------ API keys
    async def create_api_key(
        self, *, username: str, name: str, expires_in_days: int
    ) -> tuple[ApiKey, str]:
        name = dom.check_key_name(name)
        expires = dom.key_expiry(self.clock(), expires_in_days)
        async with self.tx() as uow:
            owner = await uow.identity.user(username)
            if owner is None:
                raise NotFound(f"user {username!r} not found")
            if owner.disabled:
                raise FailedPrecondition(f"user {username!r} is disabled")
            for _ in range(KEY_ATTEMPTS):
                secret = dom.new_api_key()
                try:
                    key = await uow.identity.insert_api_key(owner, name, secret, expires)
                    break
                except dom.PrefixTaken:
                    continue
            else:
                raise Unavailable("could not draw an unused API key prefix; try again")
            shown = {
                "name": name,
                "owner": owner.username,
                "prefix": key.prefix,
                "expires_at": expires.isoformat() if expires else None,
            }
            await uow.record_change("api_key.create", Entity("api_key", key.id), None, shown)
            return key, secret.secret

    async def page_api_keys(
        self, *, username: str, limit: int, cursor: str
    ) -> tuple[list[ApiKey], str]:
        async with self.tx() as uow:
            return await paginate(
                limit, cursor, lambda offset, count: uow.identity.api_keys(username, offset, count)
            )

    async def revoke_api_key(self, key_id: int, *, owner: str) -> ApiKey:
        """Revoke a key; with `owner`, only one of that user's keys."""
        async with self.tx() as uow:
            key = await uow.identity.api_key(key_id)
            if key is None or (owner and key.username != owner):
                raise NotFound(f"API key {key_id} not found")
            if key.revoked_at is not None:
                raise FailedPrecondition(f"API key {key_id} is already revoked")
            after = await uow.identity.revoke_api_key(key_id)
            assert after.revoked_at is not None
            revoked = {"revoked_at": after.revoked_at.isoformat()}
            await uow.record_change("api_key.revoke", Entity("api_key", key_id), {}, revoked)
            return after
