"""Authorization: the role each route requires. Rules match the route's path template (first
match wins); a route no rule names falls back to the method rule (reads → viewer, writes →
editor), so routers added later are covered without touching this table. docs/security.md
shows the resulting matrix."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("viewer", "editor", "steward", "admin")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Rule:
    prefix: str  # path template prefix, e.g. "/api/v1/auth/users"
    methods: frozenset[str]  # empty = every method
    role: str


ALL: frozenset[str] = frozenset()
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

RULES: tuple[Rule, ...] = (
    # Own identity and own API keys: any signed-in user (admins may act on others' keys).
    Rule("/api/v1/auth/me", ALL, "viewer"),
    Rule("/api/v1/auth/api-keys", ALL, "viewer"),
    # Users and roles.
    Rule("/api/v1/auth/users", ALL, "admin"),
    # The audit trail tells who did what: stewards and admins read it.
    Rule("/api/v1/audit", ALL, "steward"),
    # Classifications decide how data is protected: data stewards set them and their rules.
    Rule("/api/v1/classification", WRITES, "steward"),
    # Notification channels hold secrets (webhook URLs, SMTP passwords, signing keys).
    Rule("/api/v1/notifications/channels", WRITES, "admin"),
    # Sources hold connection credentials.
    Rule("/api/v1/sources/{name}/scans", WRITES, "editor"),
    Rule("/api/v1/sources", WRITES, "admin"),
)


def required_role(method: str, template: str) -> str:
    for rule in RULES:
        matches = template == rule.prefix or template.startswith(rule.prefix + "/")
        if matches and (not rule.methods or method in rule.methods):
            return rule.role
    return "viewer" if method in READ_METHODS else "editor"


def allows(role: str, required: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(required)
