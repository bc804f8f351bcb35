"""Ownership (owner, steward, delegate) and business domains: records, roles, user identifiers
and the domain hierarchy's rules (no cycles)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dckit.errors import InvalidArgument

ROLES = ("owner", "steward", "delegate")
# Roles that give edit rights on the object (a delegate only stands in for notifications).
EDITING_ROLES = frozenset({"owner", "steward"})
DOMAIN_FIELDS = ("name", "description", "parent")
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
MAX_NAME = 200


@dataclass(frozen=True)
class Ownership:
    """One user's role on an object."""

    object_urn: str
    object_ref: str
    source_name: str
    user: str
    role: str
    assigned_by: str
    assigned_at: datetime | None = None

    def snapshot(self) -> dict[str, Any]:
        return {"user": self.user, "role": self.role}


@dataclass(frozen=True)
class Domain:
    """A business domain; `parent` (its name), `children` (theirs), `object_count` and
    `depth` are read with it."""

    id: int
    name: str
    description: str
    created_by: str
    parent_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    parent: str = ""
    children: tuple[str, ...] = ()
    object_count: int = 0
    depth: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parent": self.parent or None}


@dataclass(frozen=True)
class DomainObject:
    """An object's place in a domain (an object is in at most one)."""

    object_urn: str
    object_ref: str
    source_name: str
    domain_id: int
    assigned_by: str
    assigned_at: datetime | None = None
    domain: str = ""  # the domain's name


def check_role(role: str, *, default: str = "") -> str:
    value = role.strip().lower() or default
    if value not in ROLES:
        raise InvalidArgument(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    return value


def check_user(user: str) -> str:
    """A governance username or an email address; emails are compared case-insensitively."""
    value = user.strip()
    if "@" in value:
        if len(value) > 254 or not _EMAIL.match(value):
            raise InvalidArgument(f"{user!r} is not a valid email address")
        return value.lower()
    if not _USERNAME.match(value):
        raise InvalidArgument(
            f"{user!r} is neither an email address nor a username (letters, digits, . _ -)"
        )
    return value


def check_domain_name(name: str) -> str:
    value = " ".join(name.split())
    if not value:
        raise InvalidArgument("a domain needs a name")
    if len(value) > MAX_NAME:
        raise InvalidArgument(f"a domain name has at most {MAX_NAME} characters")
    if value.isdigit():  # names and ids share one lookup: a numeric name would be ambiguous
        raise InvalidArgument(f"a domain name cannot be only digits: {value!r}")
    return value


def cycle(parents: Mapping[int, int | None], node: int, new_parent: int | None) -> list[int]:
    """The ids of the cycle that making `new_parent` the parent of `node` would close (node
    first, node again last), or [] when there is none. `parents` maps every id to its parent."""
    path = [node]
    current = new_parent
    seen: set[int] = set()
    while current is not None:
        path.append(current)
        if current == node:
            return path
        if current in seen:  # an existing cycle elsewhere: never loop forever
            break
        seen.add(current)
        current = parents.get(current)
    return []


def depth_first(parents: Mapping[int, int | None], order: list[int]) -> list[tuple[int, int]]:
    """(id, depth) with every parent before its children; siblings keep `order`."""
    children: dict[int | None, list[int]] = {}
    for node in order:
        children.setdefault(parents.get(node), []).append(node)
    out: list[tuple[int, int]] = []
    stack = [(n, 0) for n in reversed(children.get(None, []))]
    while stack:
        node, depth = stack.pop()
        out.append((node, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(node, [])))
    return out
