"""End to end: the real processes `make run` starts (supervisor, every service, gateway), the
demo database scanned, `orders` found through REST and through the CLI, 30 days of data
quality backfilled with the demo's outage found, then a clean stop."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import psutil
import pytest
from otlp_sink import OtlpSink, Span

from devstack import demo
from devstack.backends import BACKENDS
from devstack.databases import create_database, drop_database, unique_name
from devstack.embedded import free_port
from devstack.http_sink import Sink, running_sink, verify_signature
from devstack.testing import (
    delete_stream,
    new_subject_prefix,
    repo_root,
    run_sync,
    stack_env,
    starts_stack,
)

READY_TIMEOUT = 180.0


@dataclass
class Stack:
    proc: subprocess.Popen[str]
    home: Path
    base_url: str
    admin_key: str
    traces: OtlpSink
    env: dict[str, str]  # the stack's DATACOMPASS_* settings

    def info(self) -> dict[str, Any]:
        path = self.home / "stack.json"
        return json.loads(path.read_text()) if path.exists() else {}


@pytest.fixture(scope="module")
@starts_stack
def stack(
    tmp_path_factory: pytest.TempPathFactory, database_server_url: str, nats_url: str
) -> Iterator[Stack]:
    """`make run`'s supervisor, once for this module, beside any stack already running: every
    port and its state directory are its own. Its database starts empty (as on a clean clone),
    so the services' migrate commands run for real."""
    root = tmp_path_factory.mktemp("e2e")
    home = root / "home"
    database = unique_name("dc_e2e")
    database_url = run_sync(lambda: create_database(database_server_url, database))
    prefix = new_subject_prefix()
    gateway_port = free_port()
    traces = OtlpSink()
    traces.start()
    env = {
        **os.environ,
        **stack_env(database_url, nats_url, prefix.upper(), prefix),
        "DATACOMPASS_HOME": str(home),
        "DATACOMPASS_GATEWAY_PORT": str(gateway_port),
        "DATACOMPASS_OTLP_ENDPOINT": traces.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # export spans every 0.2 s instead of 5 s
    }
    for backend in BACKENDS:  # every service on ports of its own, beside any running stack
        env[backend.grpc_port_env] = str(free_port())
        env[backend.metrics_port_env] = str(free_port())
    log_path = root / "supervisor.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = Stack(proc, home, f"http://127.0.0.1:{gateway_port}", "", traces, env)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while stack.info().get("phase") != "ready":
            if proc.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text()
                pytest.fail(f"stack did not become ready (exit {proc.poll()}):\n{output}")
            time.sleep(0.2)
        secrets = json.loads((home / "secrets.json").read_text())
        stack.admin_key = secrets["admin_key"]
        yield stack
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
        traces.stop()
        run_sync(lambda: delete_stream(nats_url, prefix.upper()))
        run_sync(lambda: drop_database(database_server_url, database))


def test_demo_orders_found_through_rest_and_cli(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base_url, timeout=30) as anon:
        # Every API route needs a token; only health (and metrics, login) are anonymous.
        assert anon.get("/api/v1/objects", params={"q": "orders"}).status_code == 401
        assert anon.post("/api/v1/sources/demo/scans").status_code == 401
    auth = {"Authorization": f"Bearer {stack.admin_key}"}
    with httpx.Client(base_url=stack.base_url, timeout=30, headers=auth) as http:
        health = http.get("/health")
        assert health.status_code == 200, health.text
        checks = set(health.json()["checks"])
        assert {"catalog", "quality", "governance", "notifier", "scheduler"} <= checks
        assert {"database", "nats"} <= checks

        found = http.get("/api/v1/objects", params={"q": "orders"}).json()["items"]
        refs = {item["ref"] for item in found}
        assert "demo.public.orders" in refs

        orders = http.get("/api/v1/objects/demo.public.orders")
        assert orders.status_code == 200
        body = orders.json()
        assert body["object_type"] == "table"
        columns = {c["name"]: c for c in body["columns"]}
        assert {"order_date", "status", "order_total", "customer_id"} <= set(columns)
        assert columns["order_date"]["data_type"].startswith("timestamp")

        by_urn = http.get(f"/api/v1/objects/{body['urn']}")
        assert by_urn.json()["id"] == body["id"]

        scans = http.get("/api/v1/sources/demo/scans").json()["items"]
        assert scans and scans[0]["status"] == "succeeded"
        assert scans[0]["objects_found"] >= 5

        _check_demo_depth(http)

    cli = [sys.executable, "-m", "datacompass_cli.main", "--url", stack.base_url]
    cli_env = {**os.environ, "DATACOMPASS_TOKEN": stack.admin_key}
    search = subprocess.run(
        [*cli, "--format", "json", "catalog", "search", "orders"],
        capture_output=True, text=True, env=cli_env, timeout=60, check=False,
    )  # fmt: skip
    assert search.returncode == 0, search.stderr
    assert "demo.public.orders" in {o["ref"] for o in json.loads(search.stdout)}

    show = subprocess.run(
        [*cli, "--format", "table", "catalog", "show", "demo.public.orders"],
        capture_output=True, text=True, env=cli_env, timeout=60, check=False,
    )  # fmt: skip
    assert show.returncode == 0, show.stderr
    assert "order_total" in show.stdout

    metrics = subprocess.run(
        [*cli, "--format", "json", "metrics", "requests"],
        capture_output=True, text=True, env=cli_env, timeout=60, check=False,
    )  # fmt: skip
    assert metrics.returncode == 0, metrics.stderr
    routes = {s["labels"].get("route") for s in json.loads(metrics.stdout)}
    assert "/api/v1/objects" in routes

    missing = subprocess.run(
        [*cli, "catalog", "show", "demo.public.nope"],
        capture_output=True, text=True, env=cli_env, timeout=60, check=False,
    )  # fmt: skip
    assert missing.returncode == 1
    assert "not found" in missing.stderr.lower()

    # The scheduler done-when: a cron schedule runs the demo scan on time (checked last, once
    # its minute has come; created only now so no cron scan runs during the checks above).
    with httpx.Client(base_url=stack.base_url, timeout=30, headers=auth) as http:
        schedule = http.post(
            "/api/v1/schedules",
            json={
                "name": "demo every minute",
                "cron": "* * * * *",
                "task_type": "metadata_scan",
                "params": {"source_name": "demo"},
            },
        )
        assert schedule.status_code == 201, schedule.text
    with running_sink() as sink:
        secret = _subscribe_webhook(stack, sink)
        breaches = _check_demo_quality(cli, cli_env, stack.env)
        # The notifier done-when: exactly one signed POST per breach the DQ run opened.
        posts = asyncio.run(sink.wait_for("/breaches", breaches, within=30))
        time.sleep(1.5)  # a duplicate would arrive about now
        posts = sink.received("/breaches")
        assert len(posts) == breaches
        for post in posts:
            verify_signature(post, secret)
            assert post.headers["X-DataCompass-Event"] == "datacompass.quality.breach.detected"
    _check_demo_governance(cli, cli_env)
    _check_demo_quality_and_masking(stack, cli, cli_env)
    _check_cron_scan_on_time(stack, cli, cli_env, schedule.json()["id"])


def _check_demo_governance(cli: list[str], env: dict[str, str]) -> None:
    """The governance done-when: the roadmap's rules file classifies the demo's PII columns,
    and an owner assignment is in the audit log."""
    rules = repo_root() / "docs/examples/classification-rules.yaml"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cli, *args], capture_output=True, text=True, env=env, timeout=120, check=False
        )

    applied = run("classify", "rules", "apply", "--config", str(rules))
    assert applied.returncode == 0, applied.stderr
    shown = run("--format", "json", "classify", "show", "demo.public.customers")
    assert shown.returncode == 0, shown.stderr
    columns = {c["column"]: c for c in json.loads(shown.stdout)["columns"]}
    assert columns["email"]["level"] == "confidential" and "gdpr" in columns["email"]["compliance"]
    assert columns["national_id"]["level"] == "restricted"
    assert columns["phone"]["level"] == "confidential"
    assigned = run("owner", "assign", "demo.public.customers", "--email", "data-team@company.com")
    assert assigned.returncode == 0, assigned.stderr
    deadline = time.monotonic() + 20
    while True:  # the audit trail is fed asynchronously (outbox → NATS → governance)
        log = run("--format", "json", "audit", "log", "--action", "ownership.assign")
        assert log.returncode == 0, log.stderr
        if any("customers" in e["entity_urn"] for e in json.loads(log.stdout)):
            break
        assert time.monotonic() < deadline, log.stdout
        time.sleep(0.5)


def _check_demo_quality_and_masking(stack: Stack, cli: list[str], env: dict[str, str]) -> None:
    """The quality-rules done-when (profile, accepted suggestions, a check run with passed and
    failed checks and failing rows) and the masking one: a viewer sees the demo's e-mails
    masked in a profile, a steward (exempt) sees them clear."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*cli, *args], capture_output=True, text=True, env=env, timeout=120, check=False
        )

    customers = "demo.public.customers"
    profiled = run("quality", "profile", customers)
    assert profiled.returncode == 0, profiled.stderr
    assert "succeeded" in profiled.stdout and "national_id" in profiled.stdout
    suggested = run("--format", "json", "quality", "rules", "suggest", customers)
    assert suggested.returncode == 0, suggested.stderr
    keys = {s["key"] for s in json.loads(suggested.stdout)["items"]}
    assert "email:not_null" in keys
    accepted = run("--format", "json", "quality", "rules", "suggest", customers,
                   "--accept", "email:not_null")  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    assert [r["rule_type"] for r in json.loads(accepted.stdout)["created"]] == ["not_null"]
    checked = run("--format", "json", "quality", "check", customers)
    assert checked.returncode == 0, checked.stderr  # the demo's failing rule is not blocking
    checks = {c["rule_name"]: c for c in json.loads(checked.stdout)["checks"]}
    assert checks["email_not_null"]["status"] == "passed"
    phone = checks["phone_not_null"]
    assert phone["status"] == "failed" and phone["failure_count"] > 0
    assert phone["sample_failures"] and all("id" in s["values"] for s in phone["sample_failures"])

    auth = {"Authorization": f"Bearer {stack.admin_key}"}
    with httpx.Client(base_url=f"{stack.base_url}/api/v1", timeout=30, headers=auth) as http:
        keys_by_role = {}
        for role in ("viewer", "steward"):
            made = http.post(
                "/auth/users",
                json={"username": f"e2e-{role}", "password": "long enough password", "role": role},
            )
            assert made.status_code == 201, made.text
            key = http.post("/auth/api-keys", json={"name": "e2e", "user": f"e2e-{role}"})
            assert key.status_code == 201, key.text
            keys_by_role[role] = key.json()["key"]
        seen = {}
        for role, key in keys_by_role.items():
            got = http.get(
                f"/columns/{customers}.email/profile", headers={"Authorization": f"Bearer {key}"}
            )
            assert got.status_code == 200, got.text
            seen[role] = [v["value"] for v in got.json()["stats"]["most_common_values"]]
    assert seen["viewer"] and all("*" in v and "@" in v for v in seen["viewer"])
    assert seen["steward"] and not any("*" in v for v in seen["steward"])
    # The same rows, in the same order: masking hides, it does not reorder or drop.
    for masked, clear in zip(seen["viewer"], seen["steward"], strict=True):
        assert masked.split("@")[1] == clear.split("@")[1] and masked[:2] == clear[:2]


def _subscribe_webhook(stack: Stack, sink: Sink) -> str:
    """A webhook channel for every breach of demo.public.orders; returns its signing secret."""
    auth = {"Authorization": f"Bearer {stack.admin_key}"}
    with httpx.Client(base_url=f"{stack.base_url}/api/v1", timeout=30, headers=auth) as http:
        made = http.post(
            "/notifications/channels",
            json={
                "name": "e2e",
                "channel_type": "webhook",
                "config": {"url": sink.url("/breaches")},
            },
        )
        assert made.status_code == 201, made.text
        rule = http.post(
            "/notifications/rules",
            json={
                "name": "orders breaches",
                "event_types": ["breach_detected"],
                "object_refs": ["demo.public.orders"],
                "channel_ids": [made.json()["id"]],
                "rate_limit_seconds": 0,
            },
        )
        assert rule.status_code == 201, rule.text
        secret: str = made.json()["generated_secret"]
        return secret


def _check_cron_scan_on_time(
    stack: Stack, cli: list[str], env: dict[str, str], schedule_id: int
) -> None:
    """Within its minute the schedule fired once, on time, and the scan it started succeeded;
    `datacompass scheduler runs` shows it."""
    auth = {"Authorization": f"Bearer {stack.admin_key}"}
    deadline = time.monotonic() + 90
    with httpx.Client(base_url=f"{stack.base_url}/api/v1", timeout=30, headers=auth) as http:
        while True:
            runs = http.get(f"/schedules/{schedule_id}/runs").json()["items"]
            done = [r for r in runs if r["trigger"] == "cron" and r["status"] == "succeeded"]
            if done or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert done, runs
        run = done[-1]
        due = datetime.fromisoformat(run["scheduled_for"])
        started = datetime.fromisoformat(run["started_at"])
        assert due.second == 0 and timedelta(0) <= started - due < timedelta(seconds=10)
        scan = http.get(f"/scans/{run['target_id']}").json()
        assert scan["source_name"] == "demo"
    history = subprocess.run(
        [*cli, "--format", "json", "scheduler", "runs", str(schedule_id)],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert history.returncode == 0, history.stderr
    assert run["id"] in {r["id"] for r in json.loads(history.stdout)}


def _check_demo_quality(cli: list[str], env: dict[str, str], service_env: dict[str, str]) -> int:
    """The DQ done-when: `dq backfill demo.public.orders --days 30` fills 30 days of real
    metrics, and the demo's outage day opens a row_count breach whose event is published."""
    backfill = subprocess.run(
        [*cli, "dq", "backfill", "demo.public.orders", "--days", "30", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert backfill.returncode == 0, backfill.stderr
    report = json.loads(backfill.stdout)
    assert report["success"] == 30 and report["failed"] == 0
    assert report["run"]["results_stored"] == 30 * len(demo.DQ_EXPECTATIONS)
    outage = (datetime.now(UTC).date() - timedelta(days=demo.DIP_DAY)).isoformat()
    listed = subprocess.run(
        [*cli, "--format", "json", "dq", "breach", "list", "--object", "demo.public.orders"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    breaches = json.loads(listed.stdout)
    assert any(
        b["bucket"] == outage and b["metric_type"] == "row_count" and b["direction"] == "below"
        for b in breaches
    ), breaches
    subjects = asyncio.run(_stream_subjects(service_env))
    prefix = service_env["DATACOMPASS_EVENT_SUBJECT_PREFIX"]
    assert subjects.count(f"{prefix}.quality.breach.detected") == len(breaches)
    return len(breaches)


async def _stream_subjects(service_env: dict[str, str], wait: float = 15.0) -> list[str]:
    """Subjects on the stack's stream once the quality relay has published the run's events."""
    nc = await nats.connect(service_env["DATACOMPASS_NATS_URL"], max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        stream = service_env["DATACOMPASS_NATS_STREAM"]
        deadline = time.monotonic() + wait
        while True:
            info = await js.stream_info(stream)
            subjects = [
                (await js.get_msg(stream, seq)).subject or ""
                for seq in range(info.state.first_seq, info.state.last_seq + 1)
            ]
            if any(s.endswith("quality.run.completed") for s in subjects):
                return subjects
            if time.monotonic() > deadline:
                return subjects
            await asyncio.sleep(0.2)
    finally:
        await nc.close()


ORDERS_URN = "urn:dcs:postgres:table:demo.public:orders"
CUSTOMERS_URN = "urn:dcs:postgres:table:demo.public:customers"


def _check_demo_depth(http: httpx.Client) -> None:
    """The scanned demo has keys, indexes, the view's lineage, and search ranks right."""
    resp = http.get("/api/v1/capsules/demo.public.orders/constraints")
    assert resp.status_code == 200, resp.text
    cons = resp.json()["items"]
    (pkey,) = [c for c in cons if c["constraint_type"] == "primary_key"]
    assert pkey["columns"] == ["id"] and pkey["origin"] == "scanned"
    (fkey,) = [c for c in cons if c["constraint_type"] == "foreign_key"]
    assert fkey["name"] == "orders_customer_id_fkey" and fkey["columns"] == ["customer_id"]
    assert fkey["referenced_object_urn"] == CUSTOMERS_URN
    assert fkey["referenced_column_urns"] == [f"{CUSTOMERS_URN}.id"]
    checks = {c["name"] for c in cons if c["constraint_type"] == "check"}
    assert {"orders_status_valid", "orders_total_non_negative"} <= checks

    resp = http.get(f"/api/v1/capsules/{ORDERS_URN}/indexes")
    assert resp.status_code == 200, resp.text
    indexes = {i["name"]: i for i in resp.json()["items"]}
    assert {"orders_pkey", "orders_order_date_idx", "orders_customer_id_idx"} <= set(indexes)
    assert indexes["orders_pkey"]["primary"] and indexes["orders_pkey"]["unique"]
    assert indexes["orders_order_date_idx"]["columns"] == ["order_date"]
    assert indexes["orders_customer_id_idx"]["index_type"] == "btree"

    resp = http.get(
        "/api/v1/objects/demo.public.customer_order_summary/lineage",
        params={"direction": "upstream", "depth": 1},
    )
    assert resp.status_code == 200, resp.text
    lineage = resp.json()
    assert lineage["view_parse"]["confidence"] == 1.0 and lineage["view_parse"]["error"] is None
    tables = {
        e["upstream_ref"]
        for e in lineage["edges"]
        if e["edge_type"] == "flows_to" and e["upstream_column"] is None
    }
    assert {"demo.public.orders", "demo.public.customers"} <= tables
    columns = {
        (e["upstream_ref"], e["upstream_column"], e["downstream_column"])
        for e in lineage["edges"]
        if e["edge_type"] == "derived_from"
    }
    assert ("demo.public.orders", "order_total", "total_spent") in columns

    ranked = [o["ref"] for o in http.get("/api/v1/objects", params={"q": "orders"}).json()["items"]]
    assert ranked[0] == "demo.public.orders", ranked
    if "demo.public.order_items" in ranked:  # matched (typo tolerance), but ranked below
        assert ranked.index("demo.public.orders") < ranked.index("demo.public.order_items")


def test_one_trace_spans_gateway_catalog_and_sql(stack: Stack) -> None:
    """A REST call is one trace: gateway HTTP span → gRPC client → catalog server → SQL (and
    the quality service, which serves the object's quality score)."""
    auth = {"Authorization": f"Bearer {stack.admin_key}"}
    with httpx.Client(base_url=stack.base_url, timeout=30, headers=auth) as http:
        assert http.get("/api/v1/objects/demo.public.orders").status_code == 200

    def catalog_parents(spans: list[Span], trace_id: str) -> set[str]:
        """Services whose calls the catalog served GetObject for, in this trace."""
        by_id = {s.span_id: s for s in spans if s.trace_id == trace_id}
        return {
            by_id[s.parent_id].service
            for s in by_id.values()
            if s.service == "catalog" and "GetObject" in s.name and s.parent_id in by_id
        }

    def complete(spans: list[Span]) -> bool:
        # Each process exports its spans on its own schedule: wait until both calls are in:
        # the gateway's own, and the quality service's (it reads the object to score it).
        return any(
            catalog_parents(spans, t) == {"gateway", "quality"} for t in _gateway_traces(spans)
        )

    spans = stack.traces.wait_for(complete)
    trace_id = next(
        t for t in _gateway_traces(spans) if catalog_parents(spans, t) == {"gateway", "quality"}
    )
    in_trace = [s for s in spans if s.trace_id == trace_id]
    assert {s.service for s in in_trace} == {"gateway", "catalog", "quality"}
    servers = [s for s in in_trace if s.service == "catalog" and "GetObject" in s.name]
    assert any(s.service == "catalog" and s.parent_id for s in in_trace if s not in servers)


def _gateway_traces(spans: list[Span]) -> set[str]:
    return {
        s.trace_id
        for s in spans
        if s.service == "gateway" and s.name.startswith("GET /api/v1/objects")
    }


def test_ctrl_c_stops_every_process(stack: Stack) -> None:
    """Last in this module: it stops the module's stack."""
    pids = [pid for pid in stack.info()["pids"].values() if pid]
    assert len(pids) >= 3  # supervisor, catalog, gateway (+ embedded servers when used)
    stack.proc.send_signal(signal.SIGINT)
    assert stack.proc.wait(60) == 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    assert [p for p in pids if _alive(p)] == []


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
