"""Roles, ordered: each one may do everything the roles before it may."""

from __future__ import annotations

from dckit.errors import InvalidArgument

ROLES = ("viewer", "editor", "steward", "admin")


def rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else -1


def allows(role: str, required: str) -> bool:
    """True when `role` is at least `required`."""
    return rank(role) >= rank(required) >= 0


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidArgument(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    return role
