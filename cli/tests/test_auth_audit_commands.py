"""`datacompass auth ...` and `datacompass audit ...`: what they send and how they report errors
(the end-to-end runs against the real gateway are in services/gateway/tests/test_audit_cli.py)."""

import json

from cli_testkit import Cli, FakeGateway, api_error

EVENT = {
    "id": 7,
    "event_id": "e-7",
    "timestamp": "2026-01-02T03:04:05Z",
    "service": "catalog",
    "user": "alice",
    "action": "object.update",
    "entity_type": "object",
    "entity_id": "12",
    "entity_urn": "urn:dcs:postgres:table:shop.sales:orders",
    "changes": {"description": {"old": None, "new": "Orders"}},
    "request_id": "req-1",
    "client_ip": "127.0.0.1",
    "user_agent": "curl",
}


def test_login_prompts_for_a_hidden_password(cli: Cli, gateway: FakeGateway) -> None:
    user = {"id": 1, "username": "alice", "display_name": "", "role": "editor", "disabled": False,
            "created_at": None, "last_login_at": None}  # fmt: skip
    tokens = {"access_token": "a.b.c", "refresh_token": "r.s.t", "token_type": "bearer",
              "expires_in": 900, "user": user}  # fmt: skip
    gateway.route("POST", "/auth/login", (200, tokens))
    result = cli("auth", "login", "--username", "alice", input="s3cret-password\n")
    assert result.exit_code == 0, result.output
    assert "export DATACOMPASS_TOKEN=a.b.c" in result.stdout
    assert "s3cret-password" not in result.output  # hidden input
    (call,) = gateway.calls("POST", "/api/v1/auth/login")
    assert call.body == {"username": "alice", "password": "s3cret-password"}
    assert "authorization" not in {k.lower() for k in call.headers}


def test_login_failure_is_a_clear_error(cli: Cli, gateway: FakeGateway) -> None:
    error = api_error("UNAUTHENTICATED", "invalid username or password")
    gateway.route("POST", "/auth/login", (401, error))
    result = cli("auth", "login", "-u", "alice", "--password", "nope")
    assert result.exit_code == 1
    assert "invalid username or password" in result.stderr


def test_api_key_create_for_another_user_and_revoke(cli: Cli, gateway: FakeGateway) -> None:
    key = {"id": 3, "name": "ci", "prefix": "dck_1234abcd", "user": "bob", "created_at": None,
           "expires_at": None, "last_used_at": None, "revoked_at": None}  # fmt: skip
    gateway.route("POST", "/auth/api-keys", (201, {**key, "key": "dck_1234abcd_secret"}))
    result = cli("auth", "api-key", "create", "ci", "--user", "bob", "--expires-in-days", "0",
                 env={"DATACOMPASS_TOKEN": "t"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "dck_1234abcd_secret" and "not shown again" in result.stderr
    (call,) = gateway.calls("POST", "/api/v1/auth/api-keys")
    assert call.body == {"name": "ci", "expires_in_days": 0, "user": "bob"}
    assert call.headers.get("authorization") == "Bearer t"

    gateway.route(
        "DELETE", "/auth/api-keys/3", (200, {**key, "revoked_at": "2026-01-01T00:00:00Z"})
    )
    result = cli("auth", "api-key", "revoke", "3", env={"DATACOMPASS_TOKEN": "t"})
    assert result.exit_code == 0 and "revoked" in result.stdout
    assert cli("auth", "api-key", "revoke", "three").exit_code == 2  # not an id


def test_audit_log_sends_the_filters(cli: Cli, gateway: FakeGateway) -> None:
    gateway.paged("GET", "/audit/events", [EVENT], page_size=50)
    result = cli(
        "--format", "json", "audit", "log", "--entity-type", "object", "--user", "alice",
        "--since", "2024-01-01", "--limit", "5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [EVENT]
    (call,) = gateway.calls("GET", "/api/v1/audit/events")
    assert call.param("entity_type") == "object" and call.param("user") == "alice"
    assert call.param("since") == "2024-01-01" and call.param("limit") == "5"
    assert call.param("action") is None


def test_audit_export_formats(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("GET", "/audit/events/export", (200, EVENT))  # one JSON line
    result = cli("audit", "export", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [EVENT]
    (call,) = gateway.calls("GET", "/api/v1/audit/events/export")
    assert call.param("format") == "jsonl"
    assert cli("audit", "export", "--format", "xml").exit_code == 2
