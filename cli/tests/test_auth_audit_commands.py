"""`datacompass auth ...` and `datacompass audit ...`: what they send and how they report errors
(the end-to-end runs against the real gateway are in tests/api/test_audit_cli.py)."""

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_testkit import Cli, FakeGateway, Recorded, api_error

from datacompass_cli import config

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


USER = {"id": 1, "username": "alice", "display_name": "", "role": "editor", "disabled": False,
        "created_at": None, "last_login_at": None}  # fmt: skip


def _tokens(access: str, refresh: str) -> dict[str, Any]:
    return {"access_token": access, "refresh_token": refresh, "token_type": "bearer",
            "expires_in": 900, "user": USER}  # fmt: skip


@pytest.fixture(autouse=True)
def credentials_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Never read or write the real per-user credentials file."""
    path = tmp_path / "config" / "datacompass" / "credentials.json"
    monkeypatch.setenv(config.CREDENTIALS_FILE_ENV, str(path))
    yield path


def test_login_prompts_for_a_hidden_password(cli: Cli, gateway: FakeGateway) -> None:
    gateway.route("POST", "/auth/login", (200, _tokens("a.b.c", "r.s.t")))
    result = cli("auth", "login", "--username", "alice", input="s3cret-password\n")
    assert result.exit_code == 0, result.output
    assert "export DATACOMPASS_TOKEN=a.b.c" in result.stdout
    assert "s3cret-password" not in result.output  # hidden input
    (call,) = gateway.calls("POST", "/api/v1/auth/login")
    assert call.body == {"username": "alice", "password": "s3cret-password"}
    assert "authorization" not in {k.lower() for k in call.headers}


def _bearer(request: Recorded) -> str | None:
    return request.headers.get("authorization")


def test_login_saves_the_tokens_privately_and_logout_forgets_them(
    cli: Cli, gateway: FakeGateway, credentials_file: Path
) -> None:
    gateway.route("POST", "/auth/login", (200, _tokens("a.b.c", "r.s.t")))
    result = cli("auth", "login", "-u", "alice", "--password", "pw")
    assert result.exit_code == 0, result.output
    assert str(credentials_file) in result.stderr
    assert stat.S_IMODE(os.stat(credentials_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(credentials_file.parent).st_mode) == 0o700
    stored = config.load(f"{gateway.url}/api/v1")
    assert stored is not None and stored.username == "alice"
    assert (stored.access_token, stored.refresh_token) == ("a.b.c", "r.s.t")
    assert config.load("http://elsewhere:8000/api/v1") is None  # per gateway

    # Without DATACOMPASS_TOKEN the stored access token is sent; an explicit token wins.
    gateway.route("GET", "/auth/me", (200, {"username": "alice", "role": "editor",
                                           "method": "jwt"}))  # fmt: skip
    assert cli("auth", "whoami").exit_code == 0
    assert cli("auth", "whoami", env={"DATACOMPASS_TOKEN": "explicit"}).exit_code == 0
    first, second = gateway.calls("GET", "/api/v1/auth/me")
    assert _bearer(first) == "Bearer a.b.c" and _bearer(second) == "Bearer explicit"

    result = cli("auth", "logout")
    assert result.exit_code == 0 and "logged out" in result.stdout
    assert not credentials_file.exists()
    assert cli("auth", "whoami").exit_code == 0
    assert _bearer(gateway.calls("GET", "/api/v1/auth/me")[-1]) is None
    again = cli("auth", "logout")
    assert again.exit_code == 0 and "not logged in" in again.stdout

    assert cli("auth", "login", "-u", "alice", "--password", "pw", "--no-save").exit_code == 0
    assert not credentials_file.exists()


def test_expired_access_token_is_refreshed_once_and_the_request_retried(
    cli: Cli, gateway: FakeGateway, credentials_file: Path
) -> None:
    gateway.route("POST", "/auth/login", (200, _tokens("old.access.t", "r1.s.t")))
    assert cli("auth", "login", "-u", "alice", "--password", "pw").exit_code == 0
    gateway.route("POST", "/auth/refresh", (200, _tokens("new.access.t", "r2.s.t")))

    def me(request: Recorded) -> tuple[int, Any]:
        if _bearer(request) == "Bearer new.access.t":
            return 200, {"username": "alice", "role": "editor", "method": "jwt"}
        return 401, api_error("UNAUTHENTICATED", "token expired")

    gateway.route("GET", "/auth/me", me)
    result = cli("--format", "json", "auth", "whoami")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["username"] == "alice"
    (refresh,) = gateway.calls("POST", "/api/v1/auth/refresh")
    assert refresh.body == {"refresh_token": "r1.s.t"} and _bearer(refresh) is None
    assert [_bearer(r) for r in gateway.calls("GET", "/api/v1/auth/me")] == [
        "Bearer old.access.t",
        "Bearer new.access.t",
    ]
    stored = config.load(f"{gateway.url}/api/v1")
    assert stored is not None and (stored.access_token, stored.refresh_token) == (
        "new.access.t",
        "r2.s.t",
    )
    assert stat.S_IMODE(os.stat(credentials_file).st_mode) == 0o600

    # The token `auth login` printed (`eval`-ed into DATACOMPASS_TOKEN) still selects the
    # saved login after the refresh replaced it.
    result = cli("auth", "whoami", env={"DATACOMPASS_TOKEN": "old.access.t"})
    assert result.exit_code == 0, result.output
    assert _bearer(gateway.calls("GET", "/api/v1/auth/me")[-1]) == "Bearer new.access.t"


def test_refresh_is_tried_once_and_never_for_explicit_tokens(
    cli: Cli, gateway: FakeGateway
) -> None:
    gateway.route("POST", "/auth/login", (200, _tokens("a.b.c", "r.s.t")))
    assert cli("auth", "login", "-u", "alice", "--password", "pw").exit_code == 0
    gateway.route("GET", "/auth/me", (401, api_error("UNAUTHENTICATED", "token expired")))
    gateway.route("POST", "/auth/refresh", (200, _tokens("still.bad.t", "r2.s.t")))
    result = cli("auth", "whoami")
    assert result.exit_code == 1 and "token expired" in result.stderr
    assert len(gateway.calls("POST", "/api/v1/auth/refresh")) == 1
    assert len(gateway.calls("GET", "/api/v1/auth/me")) == 2

    result = cli("auth", "whoami", env={"DATACOMPASS_TOKEN": "someone.else.t"})
    assert result.exit_code == 1
    assert len(gateway.calls("POST", "/api/v1/auth/refresh")) == 1  # not for explicit tokens

    error = api_error("UNAUTHENTICATED", "invalid refresh token")
    gateway.route("POST", "/auth/refresh", (401, error))
    result = cli("auth", "whoami")
    assert result.exit_code == 1 and "auth login" in result.stderr


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


def test_audit_export_streams_into_the_output_file(
    cli: Cli, gateway: FakeGateway, tmp_path: Path
) -> None:
    events = [{**EVENT, "id": i, "event_id": f"e-{i}"} for i in range(3)]

    def export(request: Recorded) -> tuple[int, Any]:
        return 200, "\n".join(json.dumps(e) for e in events) + "\n"

    gateway.route("GET", "/audit/events/export", export)
    out = tmp_path / "audit.json"
    result = cli("audit", "export", "--format", "json", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "wrote 3 audit events" in result.stderr
    assert out.read_text() == json.dumps(events, indent=2) + "\n"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.json"]  # no partial file left
    out = tmp_path / "audit.jsonl"
    assert cli("audit", "export", "--format", "jsonl", "-O", str(out)).exit_code == 0
    assert [json.loads(line) for line in out.read_text().splitlines()] == events

    gateway.route("GET", "/audit/events/export", (200, ""))
    result = cli("audit", "export")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    gateway.route("GET", "/audit/events/export", (403, api_error("PERMISSION_DENIED", "no")))
    out = tmp_path / "denied.json"
    result = cli("audit", "export", "-O", str(out))
    assert result.exit_code == 1 and not out.exists()
