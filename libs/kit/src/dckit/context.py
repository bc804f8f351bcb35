"""Request context carried from the gateway to every service in gRPC metadata."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

# gRPC metadata keys (lower-case, as gRPC requires).
REQUEST_ID = "x-request-id"
ACTOR = "x-dc-actor"
CLIENT_IP = "x-dc-client-ip"
USER_AGENT = "x-dc-user-agent"
# The caller's role, set by the gateway once authenticated (callers are authenticated by the
# internal token, so services trust it): it decides what a caller may see (masked sample
# values) and the few checks the gateway cannot make from the route alone (custom SQL rules
# are for admins).
ROLE = "x-dc-role"
# The change set a request belongs to (a capsule apply: every audit record it writes, in any
# service, names it). Empty for ordinary requests.
CHANGE_SET = "x-dc-change-set"


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    actor: str = "system"
    client_ip: str = ""
    user_agent: str = ""
    role: str = ""
    change_set: str = ""

    def to_metadata(self) -> list[tuple[str, str]]:
        pairs = [
            (REQUEST_ID, self.request_id),
            (ACTOR, self.actor),
            (CLIENT_IP, self.client_ip),
            (USER_AGENT, self.user_agent),
            (ROLE, self.role),
            (CHANGE_SET, self.change_set),
        ]
        return [(k, v) for k, v in pairs if v]

    @classmethod
    def from_metadata(cls, metadata: Iterable[tuple[str, str | bytes]] | None) -> RequestContext:
        values: dict[str, str] = {}
        for key, value in metadata or ():
            values[key] = value.decode() if isinstance(value, bytes) else value
        return cls(
            request_id=values.get(REQUEST_ID) or new_request_id(),
            actor=values.get(ACTOR) or "anonymous",
            client_ip=values.get(CLIENT_IP, ""),
            user_agent=values.get(USER_AGENT, ""),
            role=values.get(ROLE, ""),
            change_set=values.get(CHANGE_SET, ""),
        )

    def with_actor(self, actor: str, role: str = "") -> RequestContext:
        return replace(self, actor=actor, role=role)

    def with_change_set(self, change_set: str) -> RequestContext:
        return replace(self, change_set=change_set)


_DEFAULT = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "dc_request_context", default=None
)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current() -> RequestContext:
    return _current.get() or _DEFAULT


@contextmanager
def bound(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def bind_actor(actor: str, role: str = "") -> None:
    """Set the actor of the current context (the gateway, once it has authenticated the caller);
    the enclosing `bound()` restores the previous context when the request ends."""
    _current.set(current().with_actor(actor, role))
