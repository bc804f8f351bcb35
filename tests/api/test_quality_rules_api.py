"""Quality rules and check runs over REST and the `datacompass quality` CLI: rule CRUD by ref
and URN, 400s naming the bad field, 404 for an unknown capsule, custom_sql for admins only,
a check run with passed, warning and failed checks and their failing rows, the score, and the
CLI as a CI gate (exit 1 on a failed run)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_testkit import Secured, Stack, add_source, cli, table_source, unique

pytestmark = pytest.mark.asyncio(loop_scope="session")

SOURCE = "qrsrc"
USER_PASSWORD = "a password long enough"
ALLOWED = ["active", "inactive"]
# Score weights per dimension (docs/data-quality.md).
WEIGHTS = {"completeness": 3.0, "validity": 2.0, "uniqueness": 2.0, "consistency": 2.0}

# The rows of public.people: emails missing on every fifth, two unknown statuses, two ages < 0.
ROWS: list[dict[str, Any]] = [
    {
        "id": i,
        "email": None if i % 5 == 0 else f"user{i}@example.com",
        "status": "bogus" if i % 7 == 0 else ALLOWED[i % 2],
        "age": -1 if i in (3, 13) else 20 + i,
    }
    for i in range(1, 21)
]


def _sql_value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


SETUP_SQL = (
    "CREATE TABLE public.people (id bigint PRIMARY KEY, email text, status text, age integer);"
    "INSERT INTO public.people (id, email, status, age) VALUES "
    + ", ".join(
        "(" + ", ".join(_sql_value(r[k]) for k in ("id", "email", "status", "age")) + ")"
        for r in ROWS
    )
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def people_database(stack: Stack, client: httpx.AsyncClient) -> AsyncIterator[str]:
    async with table_source(stack, client, SOURCE, SETUP_SQL) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def people(client: httpx.AsyncClient, people_database: str) -> str:
    """`public.people` of a source of the test's own (rules and checks are per object)."""
    source = unique(SOURCE)
    await add_source(client, source, people_database)
    return f"{source}.public.people"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def editor(secured: Secured) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in with the session's editor's API key."""
    async with secured.as_role("editor") as http:
        yield http


def _error(resp: httpx.Response) -> str:
    message: str = resp.json()["error"]["message"]
    return message


async def _add(client: httpx.AsyncClient, ref: str, **body: Any) -> dict[str, Any]:
    resp = await client.post(f"/capsules/{ref}/quality-rules", json=body)
    assert resp.status_code == 201, resp.text
    rule: dict[str, Any] = resp.json()
    return rule


async def _clear_rules(client: httpx.AsyncClient, ref: str) -> None:
    for rule in (await client.get(f"/capsules/{ref}/quality-rules")).json()["items"]:
        assert (await client.delete(f"/quality-rules/{rule['id']}")).status_code == 204


async def test_rule_create_list_get_patch_delete(client: httpx.AsyncClient, people: str) -> None:
    urn = (await client.get(f"/objects/{people}")).json()["urn"]
    rule = await _add(
        client, people, column="email", rule_type="not_null", severity="error", blocking=True
    )
    assert rule["object_ref"] == people and rule["object_urn"] == urn
    assert (rule["column"], rule["rule_type"], rule["category"]) == (
        "email",
        "not_null",
        "completeness",
    )
    assert rule["severity"] == "error" and rule["blocking"] and rule["enabled"]
    assert rule["name"] and rule["expected"]
    assert rule["rule_config"].get("max_failure_percent", 0) == 0  # defaults filled in
    capsule_rule = await _add(
        client, urn, rule_type="unique_combination", rule_config={"columns": ["email", "status"]}
    )
    assert capsule_rule["column"] is None and capsule_rule["severity"] == "warning"
    assert capsule_rule["rule_config"]["columns"] == ["email", "status"]

    # Listed by ref and by URN alike; ?column= narrows to one column.
    by_ref = (await client.get(f"/capsules/{people}/quality-rules")).json()["items"]
    by_urn = (await client.get(f"/capsules/{urn}/quality-rules")).json()["items"]
    assert (
        {r["id"] for r in by_ref}
        == {r["id"] for r in by_urn}
        == {
            rule["id"],
            capsule_rule["id"],
        }
    )
    only = await client.get(f"/capsules/{people}/quality-rules", params={"column": "email"})
    assert [r["id"] for r in only.json()["items"]] == [rule["id"]]
    assert (await client.get(f"/quality-rules/{rule['id']}")).json() == rule

    resp = await client.patch(
        f"/quality-rules/{rule['id']}",
        json={"severity": "critical", "enabled": False, "rule_config": {"max_failure_percent": 5}},
    )
    assert resp.status_code == 200, resp.text
    changed = resp.json()
    assert changed["severity"] == "critical" and not changed["enabled"]
    assert changed["rule_config"] == {"max_failure_percent": 5}
    assert changed["name"] == rule["name"] and changed["blocking"]
    resp = await client.patch(f"/quality-rules/{rule['id']}", json={})
    assert resp.status_code == 400

    for r in (rule, capsule_rule):
        assert (await client.delete(f"/quality-rules/{r['id']}")).status_code == 204
        assert (await client.get(f"/quality-rules/{r['id']}")).status_code == 404
    assert (await client.get(f"/capsules/{people}/quality-rules")).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"column": "status", "rule_type": "value_in_set", "rule_config": {"allowed_values": 3}},
         "rule_config.allowed_values"),
        ({"column": "age", "rule_type": "range_check", "rule_config": {"min": "zero"}},
         "rule_config.min"),
        ({"column": "status", "rule_type": "pattern_match", "rule_config": {"pattern": "(["}},
         "rule_config.pattern"),
        ({"column": "status", "rule_type": "no_such_rule"}, "rule_type"),
        ({"column": "status", "rule_type": "custom_function"}, "rule_type"),
        ({"column": "missing", "rule_type": "not_null"}, "column"),
        ({"rule_type": "not_null"}, "column"),
        ({"column": "status", "rule_type": "not_null", "severity": "fatal"}, "severity"),
        ({"column": "status", "rule_type": "not_null", "rule_config": [1]}, "rule_config"),
        ({"column": "status", "rule_type": "not_null", "surprise": 1}, "surprise"),
    ],
)  # fmt: skip
async def test_bad_rule_is_400_naming_the_field(
    client: httpx.AsyncClient, people: str, body: dict[str, Any], field: str
) -> None:
    resp = await client.post(f"/capsules/{people}/quality-rules", json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["code"] == "INVALID_ARGUMENT"
    assert _error(resp).startswith(field), _error(resp)
    # Nothing half-written.
    assert (await client.get(f"/capsules/{people}/quality-rules")).json()["items"] == []


async def test_unknown_capsule_or_rule_is_404(client: httpx.AsyncClient, people: str) -> None:
    missing = f"{SOURCE}.public.nobody"
    resp = await client.post(
        f"/capsules/{missing}/quality-rules", json={"column": "id", "rule_type": "not_null"}
    )
    assert resp.status_code == 404, resp.text
    assert (await client.get(f"/capsules/{missing}/quality-rules")).status_code == 404
    assert (await client.get(f"/capsules/{missing}/quality-score")).status_code == 404
    assert (await client.post("/quality-checks", json={"capsule": missing})).status_code == 404
    assert (await client.get("/quality-rules/987654321")).status_code == 404
    assert (
        await client.patch("/quality-rules/987654321", json={"enabled": False})
    ).status_code == 404
    assert (await client.get("/quality-checks/987654321")).status_code == 404


async def test_custom_sql_is_for_admins_only(
    client: httpx.AsyncClient, editor: httpx.AsyncClient, people: str
) -> None:
    body = {
        "rule_type": "custom_sql",
        "rule_config": {"sql": "SELECT id FROM public.people WHERE age < 0", "max_failures": 0},
    }
    resp = await editor.post(f"/capsules/{people}/quality-rules", json=body)
    assert resp.status_code == 403, resp.text
    assert resp.json()["error"]["code"] == "PERMISSION_DENIED"
    # The editor may add other rules; the admin may add custom SQL.
    plain = await _add(editor, people, column="id", rule_type="not_null")
    assert plain["created_by"] == "editor-user"
    custom = await _add(client, people, **body)
    assert custom["category"] == "custom" and custom["column"] is None
    # Nor may the editor change or delete the admin's SQL rule.
    resp = await editor.patch(f"/quality-rules/{custom['id']}", json={"severity": "error"})
    assert resp.status_code == 403, resp.text
    assert (await editor.delete(f"/quality-rules/{custom['id']}")).status_code == 403
    await _clear_rules(client, people)


def _expected_score(checks: list[dict[str, Any]]) -> tuple[float, dict[str, float]]:
    """The score from the checks themselves: per dimension the mean share of good rows (100 for
    a pass), then the weighted mean of the dimensions."""
    per: dict[str, list[float]] = {}
    for c in checks:
        good = 100.0 if c["status"] == "passed" else 100.0 - c["failure_percentage"]
        per.setdefault(c["category"], []).append(good)
    dims = {d: sum(v) / len(v) for d, v in per.items()}
    total = sum(WEIGHTS[d] for d in dims)
    return sum(s * WEIGHTS[d] for d, s in dims.items()) / total, dims


async def test_check_run_reports_failures_with_samples_and_scores(
    client: httpx.AsyncClient, people: str
) -> None:
    await _clear_rules(client, people)
    # Blocking: its failure fails the run (the others only make it a warning).
    nulls = await _add(
        client, people, column="email", rule_type="not_null", severity="error", blocking=True
    )
    in_set = await _add(
        client,
        people,
        column="status",
        rule_type="value_in_set",
        rule_config={"allowed_values": ALLOWED},
        severity="warning",
    )
    positive = await _add(
        client,
        people,
        column="age",
        rule_type="range_check",
        rule_config={"min": 0},
        severity="error",
    )
    unique = await _add(client, people, column="id", rule_type="unique", severity="critical")

    resp = await client.post(
        "/quality-checks",
        json={"capsule": people, "execution_context": {"pipeline": "nightly", "attempt": 2}},
    )
    assert resp.status_code == 201, resp.text
    run = resp.json()
    assert run["status"] == "failed" and run["object_ref"] == people
    assert run["execution_context"] == {"pipeline": "nightly", "attempt": 2}
    assert run["triggered_by"] and run["finished_at"]
    checks = {c["rule_id"]: c for c in run["checks"]}
    assert set(checks) == {nulls["id"], in_set["id"], positive["id"], unique["id"]}

    # Independent counts from the rows themselves.
    null_emails = sum(1 for r in ROWS if r["email"] is None)
    bad_status = [r["status"] for r in ROWS if r["status"] not in ALLOWED]
    bad_ages = [r["age"] for r in ROWS if r["age"] < 0]
    expected = {
        nulls["id"]: ("failed", null_emails),
        in_set["id"]: ("warning", len(bad_status)),  # severity warning: not a failure
        positive["id"]: ("failed", len(bad_ages)),
        unique["id"]: ("passed", 0),
    }
    for rule_id, (status, failures) in expected.items():
        c = checks[rule_id]
        assert (c["status"], c["failure_count"], c["total_count"]) == (
            status,
            failures,
            len(ROWS),
        ), c
        assert c["failure_percentage"] == pytest.approx(failures / len(ROWS) * 100)
    assert (run["passed"], run["failed"], run["warnings"], run["errors"]) == (1, 2, 1, 0)

    def sampled(rule_id: int, column: str) -> tuple[set[Any], int]:
        samples = checks[rule_id]["sample_failures"]
        # One sample per failing row; duplicate rules group them with "occurrences".
        count = sum(s.get("occurrences", 1) for s in samples)
        return {s["values"][column] for s in samples}, count

    assert sampled(in_set["id"], "status") == (set(bad_status), len(bad_status))
    assert sampled(positive["id"], "age") == (set(bad_ages), len(bad_ages))
    assert sampled(nulls["id"], "email") == ({None}, null_emails)
    assert checks[unique["id"]]["sample_failures"] == []

    # Listed and fetched again; the score reflects this run.
    listed = (await client.get("/quality-checks", params={"capsule": people})).json()
    assert listed["items"][0]["id"] == run["id"]
    assert (await client.get(f"/quality-checks/{run['id']}")).json() == run
    score = (await client.get(f"/capsules/{people}/quality-score")).json()
    overall, dims = _expected_score(run["checks"])
    assert score["run_id"] == run["id"] and score["checks_counted"] == 4
    assert score["score"] == pytest.approx(overall, abs=0.01)
    assert score["dimensions"] == pytest.approx(dims, abs=0.01)
    assert run["quality_score"] == pytest.approx(overall, abs=0.01)
    # The score is served with the object too.
    obj = (await client.get(f"/objects/{people}")).json()
    assert obj["quality_score"] == pytest.approx(score["score"])

    # Only the rule that holds: the run passes.
    resp = await client.post(
        "/quality-checks", json={"capsule": people, "rule_ids": [unique["id"]], "sample_limit": 1}
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "passed" and len(resp.json()["checks"]) == 1
    page = (await client.get("/quality-checks", params={"capsule": people, "limit": 1})).json()
    assert page["items"][0]["id"] == resp.json()["id"] and page["next_cursor"]
    await _clear_rules(client, people)


async def test_cli_rules_and_check_gate(
    stack: Stack, client: httpx.AsyncClient, people: str
) -> None:
    await _clear_rules(client, people)
    # object.column: a four-part name is the object plus a column.
    result = await cli(
        stack,
        "quality",
        "rules",
        "add",
        f"{people}.email",
        "--type",
        "not_null",
        "--severity",
        "error",
        "--blocking",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    nulls = json.loads(result.stdout)[0]
    assert (nulls["column"], nulls["severity"], nulls["blocking"]) == ("email", "error", True)
    result = await cli(
        stack,
        "quality",
        "rules",
        "add",
        people,
        "--type",
        "unique_combination",
        "--config",
        '{"columns": ["id", "email"]}',
        "--name",
        "id+email",
    )
    assert result.exit_code == 0, result.output
    assert "id+email" in result.stdout
    result = await cli(
        stack,
        "quality",
        "rules",
        "add",
        f"{people}.age",
        "--type",
        "range_check",
        "--config",
        '{"min": "x"}',
    )
    assert result.exit_code == 1 and "rule_config.min" in result.stderr

    result = await cli(stack, "quality", "rules", "list", people, "--format", "json")
    assert result.exit_code == 0, result.output
    rules = {r["name"]: r for r in json.loads(result.stdout)}
    assert set(rules) == {nulls["name"], "id+email"}
    combo = rules["id+email"]
    assert combo["column"] is None and combo["rule_config"]["columns"] == ["id", "email"]

    # A failing error-severity check fails the gate and shows its failing rows.
    result = await cli(stack, "quality", "check", people)
    assert result.exit_code == 1, result.output
    assert nulls["name"] in result.stdout and "failed" in result.stdout
    assert "failing rows" in result.stdout
    result = await cli(stack, "quality", "check", people, "--rule", str(combo["id"]), "-o", "json")
    assert result.exit_code == 0, result.output
    passed = json.loads(result.stdout)
    assert passed["status"] == "passed" and [c["rule_id"] for c in passed["checks"]] == [
        combo["id"]
    ]

    result = await cli(
        stack,
        "quality",
        "rules",
        "update",
        str(nulls["id"]),
        "--severity",
        "warning",
        "--no-blocking",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    updated = json.loads(result.stdout)[0]
    assert (updated["severity"], updated["blocking"]) == ("warning", False)
    # Now the null emails only warn: the gate passes.
    result = await cli(stack, "quality", "check", people, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "warning"

    result = await cli(stack, "quality", "runs", people, "--format", "json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)
    assert [r["status"] for r in runs[:3]] == ["warning", "passed", "failed"]
    result = await cli(stack, "quality", "score", people, "--format", "json")
    assert result.exit_code == 0, result.output
    score = json.loads(result.stdout)
    assert score["run_id"] == runs[0]["id"]
    result = await cli(stack, "quality", "score", people)
    assert result.exit_code == 0 and "completeness" in result.stdout

    result = await cli(stack, "quality", "rules", "remove", str(combo["id"]))
    assert result.exit_code == 0, result.output
    assert (await client.get(f"/quality-rules/{combo['id']}")).status_code == 404
    result = await cli(stack, "quality", "rules", "list", people)
    assert result.exit_code == 0 and "id+email" not in result.stdout
    await _clear_rules(client, people)


async def test_owner_with_viewer_role_manages_rules_of_their_object(
    client: httpx.AsyncClient, people: str
) -> None:
    resp = await client.post(
        "/auth/users",
        json={"username": "people-owner", "password": USER_PASSWORD, "role": "viewer"},
    )
    assert resp.status_code == 201, resp.text
    key = (await client.post("/auth/api-keys", json={"name": "t", "user": "people-owner"})).json()
    async with httpx.AsyncClient(
        base_url=str(client.base_url), headers={"Authorization": f"Bearer {key['key']}"}
    ) as owner:
        body = {"column": "id", "rule_type": "not_null"}
        resp = await owner.post(f"/capsules/{people}/quality-rules", json=body)
        assert resp.status_code == 403, resp.text  # a viewer, not yet an owner
        resp = await client.post(f"/ownership/objects/{people}", json={"user": "people-owner"})
        assert resp.status_code in (200, 201), resp.text
        rule = await _add(owner, people, **body)
        assert rule["created_by"] == "people-owner"
        # Routes that do not name the object in their path keep the role rule.
        resp = await owner.post("/quality-checks", json={"capsule": people})
        assert resp.status_code == 403, resp.text
        # A column route counts its object's rights too.
        resp = await owner.post(f"/columns/{people}.email/profile", json={"wait": True})
        assert resp.status_code == 201, resp.text
        assert (await owner.get(f"/quality-rules/{rule['id']}")).status_code == 200
    await _clear_rules(client, people)


async def test_a_schedule_runs_the_quality_check(
    stack: Stack, client: httpx.AsyncClient, people: str
) -> None:
    await _clear_rules(client, people)
    await _add(client, people, column="id", rule_type="not_null")
    made = await cli(
        stack, "--format", "json", "scheduler", "create", "people checks",
        "--cron", "0 4 * * *", "--check", people,
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    schedule = json.loads(made.stdout)
    assert schedule["task_type"] == "quality_check"
    run = await client.post(f"/schedules/{schedule['id']}/run", params={"wait": "true"})
    assert run.status_code == 201, run.text
    body = run.json()
    assert body["status"] == "succeeded", body
    checked = (await client.get(f"/quality-checks/{body['target_id']}")).json()
    assert checked["object_ref"] == people and checked["status"] == "passed"
    assert checked["execution_context"] == {"trigger": "schedule"}
    assert body["result"]["check_run_id"] == checked["id"]
    bad = await client.post(
        "/schedules",
        json={"name": "x", "cron": "0 4 * * *", "task_type": "quality_check",
              "params": {"object_ref": people, "days": 3}},
    )  # fmt: skip
    assert bad.status_code == 400 and "params.days" in bad.text


async def test_out_of_range_numbers_are_400_not_500(client: httpx.AsyncClient, people: str) -> None:
    for body in (
        {"capsule": people, "rule_ids": [2**63]},
        {"capsule": people, "sample_limit": 101},
    ):
        resp = await client.post("/quality-checks", json=body)
        assert resp.status_code == 400, resp.text
    resp = await client.post(f"/capsules/{people}/profile", json={"sample_rows": 2**63})
    assert resp.status_code == 400, resp.text
    resp = await client.get(f"/columns/{people}.email/profile/history", params={"limit": 201})
    assert resp.status_code == 400, resp.text
    resp = await client.post(
        f"/capsules/{people}/quality-rules/suggestions/accept", json={"keys": ["nope:not_null"]}
    )
    assert resp.status_code in (400, 404), resp.text
