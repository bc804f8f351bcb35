"""The done-when, end to end with the real CLI: an object's description changed through REST
shows up in `datacompass audit log --entity-type object` with old and new value, caller and
request id; `datacompass auth ...` and `audit export` against the real gateway."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from api_testkit import USER_PASSWORD as PASSWORD
from api_testkit import Secured
from typer.testing import CliRunner, Result

from datacompass_cli.main import app
from devstack.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _cli(secured: Secured, *args: str, token: str | None = None) -> Result:
    """Run the CLI in a thread (it is synchronous; the gateway serves on this loop)."""
    env = {"DATACOMPASS_TOKEN": token or ""}
    argv = ["--url", secured.stack.gateway_url, *args]
    return await asyncio.to_thread(CliRunner().invoke, app, argv, env=env)


async def test_description_change_shows_in_audit_log(secured: Secured) -> None:
    conn = secured.stack.connection()
    async with secured.client() as admin:
        body = {"name": "cli", "source_type": "postgres", "connection": conn}
        assert (await admin.post("/sources", json=body)).status_code == 201
        assert (await admin.post("/sources/cli/scans", params={"wait": "true"})).status_code == 201
    async with secured.client(secured.keys["editor"], **{"X-Request-ID": "req-done-when"}) as ed:
        resp = await ed.patch("/objects/cli.sales.customers", json={"description": "Buyers"})
        assert resp.status_code == 200, resp.text
        urn = resp.json()["urn"]

    steward = secured.keys["steward"]

    async def logged() -> list[dict[str, Any]] | None:
        result = await _cli(
            secured, "--format", "json", "audit", "log", "--entity-type", "object", token=steward
        )
        assert result.exit_code == 0, result.output
        events = [e for e in json.loads(result.stdout) if e["entity_urn"] == urn]
        return events or None

    (event,) = await eventually(logged)
    assert event["changes"] == {"description": {"old": None, "new": "Buyers"}}
    assert event["user"] == "editor-user" and event["request_id"] == "req-done-when"

    table = await _cli(
        secured,
        *("--format", "table", "audit", "log", "--entity-type", "object"),
        *("--user", "editor-user"),
        token=steward,
    )
    assert table.exit_code == 0, table.output
    assert not table.stdout.lstrip().startswith("[")
    for text in ("editor-user", "object.update", '"Buyers"', "req-done-when"):
        assert text in table.stdout
    # Piped without a chosen format (the roadmap's `audit log ... | jq '.[] | .action'`): JSON.
    piped = await _cli(secured, "audit", "log", "--entity-type", "object", token=steward)
    assert piped.exit_code == 0, piped.output
    assert "object.update" in [e["action"] for e in json.loads(piped.stdout)]

    denied = await _cli(secured, "audit", "log", token=secured.keys["editor"])
    assert denied.exit_code == 1 and "steward" in denied.stderr
    anonymous = await _cli(secured, "audit", "log")
    assert anonymous.exit_code == 1 and "DATACOMPASS_TOKEN" in anonymous.stderr


async def test_audit_export_to_file(secured: Secured, tmp_path: Path) -> None:
    steward = secured.keys["steward"]
    out = tmp_path / "audit.json"
    result = await _cli(
        secured, "audit", "export", "--format", "json", "--output", str(out),
        "--action", "user.create", token=steward,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    events = json.loads(out.read_text())
    assert {"viewer-user", "admin-user"} <= {e["entity_id"] for e in events}
    csv_out = tmp_path / "audit.csv"
    result = await _cli(
        secured, "audit", "export", "--format", "csv", "-O", str(csv_out),
        "--action", "user.create", token=steward,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = csv_out.read_text().splitlines()
    assert lines[0].startswith("id,event_id,timestamp") and len(lines) == len(events) + 1
    bad = await _cli(secured, "audit", "export", "--since", "not-a-date", token=steward)
    assert bad.exit_code == 1 and "since" in bad.stderr


async def test_auth_commands(secured: Secured) -> None:
    login = await _cli(
        secured, "auth", "login", "--username", "viewer-user", "--password", PASSWORD
    )
    assert login.exit_code == 0, login.output
    token = login.stdout.strip().removeprefix("export DATACOMPASS_TOKEN=")
    who = await _cli(secured, "--format", "json", "auth", "whoami", token=token)
    assert json.loads(who.stdout) == {"username": "viewer-user", "role": "viewer", "method": "jwt"}
    wrong = await _cli(secured, "auth", "login", "--username", "viewer-user", "--password", "no")
    assert wrong.exit_code == 1 and "invalid username or password" in wrong.stderr

    created = await _cli(
        secured, "--format", "json", "auth", "api-key", "create", "cli-key",
        "--expires-in-days", "7", token=token,
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)
    assert key["user"] == "viewer-user" and key["key"].startswith(key["prefix"])
    listed = await _cli(secured, "auth", "api-key", "list", token=key["key"])
    assert listed.exit_code == 0 and key["prefix"] in listed.stdout
    assert key["key"] not in listed.stdout
    revoked = await _cli(secured, "auth", "api-key", "revoke", str(key["id"]), token=token)
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    again = await _cli(secured, "auth", "api-key", "revoke", str(key["id"]), token=token)
    assert again.exit_code == 1 and "already revoked" in again.stderr

    async def refused() -> bool:
        result = await _cli(secured, "auth", "whoami", token=key["key"])
        return result.exit_code == 1 and "revoked" in result.stderr

    await eventually(refused, within=5)
