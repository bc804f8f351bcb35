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
    # Owners, stewards and domains are governance decisions too.
    Rule("/api/v1/ownership", WRITES, "steward"),
    # Data policies (retention, residency, access, review cycles) likewise.
    Rule("/api/v1/capsules/{urn}/policies", WRITES, "steward"),
    Rule("/api/v1/policies", WRITES, "steward"),
    # Masking rules decide who sees clear values.
    Rule("/api/v1/columns/{urn}/masking-rules", WRITES, "steward"),
    Rule("/api/v1/masking-rules", WRITES, "steward"),
    # The glossary's approval workflow: editors create and propose terms, stewards approve,
    # send back, deprecate and delete them, and import glossaries (a file may approve terms).
    Rule("/api/v1/business-terms/import", WRITES, "steward"),
    Rule("/api/v1/business-terms/{term}/approve", WRITES, "steward"),
    Rule("/api/v1/business-terms/{term}/reject", WRITES, "steward"),
    Rule("/api/v1/business-terms/{term}/deprecate", WRITES, "steward"),
    Rule("/api/v1/business-terms/{term}", frozenset({"DELETE"}), "steward"),
    # Notification channels hold secrets (webhook URLs, SMTP passwords, signing keys).
    Rule("/api/v1/notifications/channels", WRITES, "admin"),
    # Sources hold connection credentials.
    Rule("/api/v1/sources/{name}/scans", WRITES, "editor"),
    Rule("/api/v1/sources", WRITES, "admin"),
)


# Routes on one cataloged object that its owners and stewards may use whatever their role
# (method, path template, path parameter naming the object). Only these: object rights widen
# the role rules for the object itself, never for sources, users or rules.
OBJECT_ROUTES: tuple[tuple[str, str, str], ...] = (
    ("PATCH", "/api/v1/objects/{ref}", "ref"),
    ("POST", "/api/v1/capsules/{urn}/constraints", "urn"),
    ("POST", "/api/v1/capsules/{urn}/transformation-code", "urn"),
    ("POST", "/api/v1/capsules/{urn}/quality-rules", "urn"),
    ("POST", "/api/v1/capsules/{urn}/quality-rules/suggestions/accept", "urn"),
    ("POST", "/api/v1/capsules/{urn}/profile", "urn"),
    ("POST", "/api/v1/capsules/{urn}/business-terms/{term_id}", "urn"),
    ("DELETE", "/api/v1/capsules/{urn}/business-terms/{term_id}", "urn"),
    ("PATCH", "/api/v1/capsules/{urn}/columns/{column}", "urn"),
    ("POST", "/api/v1/capsules/{urn}/yaml", "urn"),
    ("PUT", "/api/v1/classification/objects/{ref}", "ref"),
    ("PUT", "/api/v1/classification/objects/{ref}/columns/{column}", "ref"),
)
# Routes whose path parameter is a column URN (`<object>.<column>`): rights on its object count.
COLUMN_ROUTES: tuple[tuple[str, str, str], ...] = (
    ("POST", "/api/v1/columns/{urn}/profile", "urn"),
)
# The most an owner or steward gains on their object (never admin).
OBJECT_RIGHTS_UP_TO = "steward"


def object_param(method: str, template: str, required: str) -> tuple[str, bool] | None:
    """The path parameter naming the object (or one of its columns: the flag) when owning or
    stewarding the object is enough."""
    if not allows(OBJECT_RIGHTS_UP_TO, required):
        return None
    for routes, is_column in ((OBJECT_ROUTES, False), (COLUMN_ROUTES, True)):
        found = next((p for m, t, p in routes if m == method and t == template), None)
        if found:
            return found, is_column
    return None


def required_role(method: str, template: str) -> str:
    for rule in RULES:
        matches = template == rule.prefix or template.startswith(rule.prefix + "/")
        if matches and (not rule.methods or method in rule.methods):
            return rule.role
    return "viewer" if method in READ_METHODS else "editor"


def allows(role: str, required: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(required)
