"""`python -m bench.dq_backfill [--rows N] [--days N] [--repeat N] [--soda]`: backfill of 9 data
quality metrics over `days` daily buckets of a generated `rows`-row table, one JSON line.

In one run, on the same table and server:
- the physical floor: a bare `SELECT count(*)` (median of 3 after a warm-up);
- ours: the quality engine itself (metric_query() + measure() + PostgresExecutor), one grouped
  query for all metrics and buckets, and the same split into 2 chunks run concurrently;
- naive: one query per metric per day (9 x days queries), sequential on one connection;
- optionally (`--soda`) Soda Core (`soda-core-postgres`), installed into a throwaway venv under
  /tmp (never into the project venv), computing the same metrics with one filtered partition
  per day in a single `soda scan` subprocess. When it cannot install or run: `skipped`.

Ours and naive must agree on every (metric, day) value (abs/rel tolerance 1e-6)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.servers import Servers, count_floor, drop_databases, servers, timed
from dcconnectors.postgres.executor import PostgresExecutor
from devstack.urls import postgres_connection, with_database
from quality_service.application.dq_measure import Measured, RateLimiter, measure
from quality_service.domain import dq_grain as grain
from quality_service.domain.dq_sql import MetricRequest, ScanSpec

BASE = date(2024, 1, 1)  # first day of the generated data (UTC)
METRICS = (
    MetricRequest("row_count", ""),
    MetricRequest("null_count", "amount"),
    MetricRequest("distinct_count", "category"),
    MetricRequest("max_length", "name"),
    MetricRequest("min", "amount"),
    MetricRequest("max", "amount"),
    MetricRequest("mean", "amount"),
    MetricRequest("sum", "amount"),
    MetricRequest("median", "amount"),
)
# The naive side writes its own SQL (an independent check of the engine's aggregates).
NAIVE_SQL = {
    "row_count": "count(*)",
    "null_count": "count(*) - count(amount)",
    "distinct_count": "count(DISTINCT category)",
    "max_length": "max(char_length(name))",
    "min": "min(amount)",
    "max": "max(amount)",
    "mean": "avg(amount)",
    "sum": "sum(amount)",
    "median": "percentile_cont(0.5) WITHIN GROUP (ORDER BY amount)",
}
TOLERANCE = 1e-6
STATEMENT_TIMEOUT_MS = 30 * 60 * 1000
SODA_VENV = Path(tempfile.gettempdir()) / "dc-bench-soda-venv"
SODA_PACKAGE = "soda-core-postgres"

Values = dict[tuple[date, str], float | None]


def _generate_sql(rows: int, days: int) -> str:
    # Rows evenly spread over the range (plus jitter), ~5% NULL amounts, 20 categories,
    # names of 1..32 characters. random() is seeded per session, so data is reproducible.
    step = days * 86400.0 / rows
    return f"""
    SELECT setseed(0.42);
    CREATE TABLE events (
        id          bigint NOT NULL,
        created_at  timestamptz NOT NULL,
        amount      numeric(12,2),
        category    text NOT NULL,
        name        text
    );
    INSERT INTO events
    SELECT i,
           timestamptz '{BASE.isoformat()} 00:00:00+00'
             + make_interval(secs => (i - 1) * {step!r} + random() * {step!r}),
           CASE WHEN random() < 0.05 THEN NULL
                ELSE round((random() * 10000)::numeric, 2) END,
           'cat_' || (i % 20),
           left(md5(i::text), 1 + (i % 32)::int)
    FROM generate_series(1, {rows}) AS i;
    CREATE INDEX events_created_at ON events (created_at);
    """


async def _make_source(server_url: str, name: str, rows: int, days: int) -> str:
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(server_url, name)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(_generate_sql(rows, days))
        # VACUUM too: sets hint bits and the visibility map now, so autovacuum does not kick in
        # on the fresh insert-only table in the middle of a measurement.
        await conn.execute("VACUUM ANALYZE events")
    finally:
        await conn.close()
    return url


async def _floor(url: str, rows: int, runs: int = 3) -> tuple[float, str]:
    conn = await asyncpg.connect(url)
    try:
        plan = await conn.fetchval("EXPLAIN (FORMAT JSON) SELECT count(*) FROM events")
    finally:
        await conn.close()
    node = _leaf_node(json.loads(plan)[0]["Plan"])
    return await count_floor(url, "SELECT count(*) FROM events", rows, runs), node


def _leaf_node(plan: dict[str, Any]) -> str:
    while plan.get("Plans"):
        plan = plan["Plans"][0]
    return str(plan["Node Type"])


def _spec(start: date, end_exclusive: date, indexed: bool) -> ScanSpec:
    return ScanSpec(
        table=("public", "events"),
        date_column="created_at",
        date_family="timestamptz",
        date_format="",
        grain="daily",
        timezone="UTC",
        start=start,
        end_exclusive=end_exclusive,
        metrics=METRICS,
        date_indexed=indexed,
    )


async def _ours(
    connection: dict[str, Any], days: list[date], parallelism: int, *, indexed: bool = True
) -> Measured:
    """As a backfill run measures: the buckets split into `parallelism` consecutive chunks,
    one query per chunk, chunks concurrently on the executor's session pool. `indexed`: the
    catalog knows the index on created_at, so the engine reads bucket by bucket (the service's
    plan here); False forces the single GROUP BY plan."""
    executor = PostgresExecutor(connection, statement_timeout_ms=STATEMENT_TIMEOUT_MS)
    limiter = RateLimiter(0)
    try:
        parts = await asyncio.gather(
            *(
                measure(executor, _spec(chunk[0], chunk[-1] + timedelta(days=1), indexed), limiter)
                for chunk in grain.split(days, parallelism)
            )
        )
    finally:
        await executor.close()
    out: Measured = {}
    for part in parts:
        out.update(part)
    return out


def _flatten(measured: Measured) -> Values:
    values: Values = {}
    for bucket, metrics in measured.items():
        for (metric, _column), m in metrics.items():
            if m.error:
                raise RuntimeError(f"{metric} on {bucket} failed: {m.error}")
            values[(bucket, metric)] = m.value
    return values


async def _naive(url: str, days: list[date]) -> tuple[Values, int]:
    conn = await asyncpg.connect(url)
    values: Values = {}
    queries = 0
    try:
        statements = {
            m.metric_type: await conn.prepare(
                f"SELECT ({NAIVE_SQL[m.metric_type]})::float8 FROM events "
                "WHERE created_at >= $1 AND created_at < $2"
            )
            for m in METRICS
        }
        for day in days:
            lo = datetime(day.year, day.month, day.day, tzinfo=UTC)
            hi = lo + timedelta(days=1)
            for metric, statement in statements.items():
                values[(day, metric)] = await statement.fetchval(lo, hi)
                queries += 1
    finally:
        await conn.close()
    return values, queries


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def _compare(ours: Values, other: Values, keys: list[tuple[date, str]], what: str) -> int:
    wrong = [(k, ours.get(k), other.get(k)) for k in keys if not _close(ours.get(k), other.get(k))]
    if wrong:
        raise RuntimeError(f"ours and {what} disagree on {len(wrong)} values, e.g. {wrong[:5]}")
    return len(keys)


# --- Soda Core (optional, in its own throwaway venv, run as a subprocess) -------------------

SODA_METRIC = {  # our metric → (SodaCL check line, Soda metric name in the scan results)
    "row_count": ("row_count >= 0", "row_count"),
    "null_count": ("missing_count(amount) >= 0", "missing_count"),
    "distinct_count": ("distinct_category >= 0", "distinct_category"),
    "max_length": ("max_length(name) >= 0", "max_length"),
    "min": ("min(amount) >= -1000000000000", "min"),
    "max": ("max(amount) >= -1000000000000", "max"),
    "mean": ("avg(amount) >= -1000000000000", "avg"),
    "sum": ("sum(amount) >= -1000000000000", "sum"),
    # Soda's Postgres percentile is PERCENTILE_DISC (a row value), not the interpolated median.
    "median": ("percentile(amount, 0.5) >= -1000000000000", "percentile"),
}
SODA_CONFIG = {
    "distinct_count": ("distinct_category expression: COUNT(DISTINCT category)",),
    # No failed-rows sample query per day (we do not sample rows either).
    "null_count": ("samples limit: 0",),
}


async def _run(
    *cmd: str, limit_s: float = 1800, env: dict[str, str] | None = None
) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), limit_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return -1, f"timed out after {limit_s:g}s"
    return proc.returncode or 0, out.decode(errors="replace")


async def _soda_binary() -> tuple[Path | None, str]:
    """The `soda` CLI of the throwaway venv, installing it on first use; (None, reason) when
    it cannot be installed."""
    soda = SODA_VENV / "bin" / "soda"
    if soda.exists():
        return soda, ""
    base_python = getattr(sys, "_base_executable", sys.executable)
    rc, out = await _run(base_python, "-m", "venv", str(SODA_VENV), limit_s=300)
    if rc:
        return None, f"cannot create a venv: {out.strip()[-300:]}"
    pip = str(SODA_VENV / "bin" / "pip")
    rc, out = await _run(pip, "install", "-q", "--disable-pip-version-check", SODA_PACKAGE)
    if rc or not soda.exists():
        return None, f"pip install {SODA_PACKAGE} failed: {out.strip()[-300:]}"
    return soda, ""


def _soda_files(workdir: Path, connection: dict[str, Any], days: list[date]) -> None:
    (workdir / "configuration.yml").write_text(
        json.dumps(  # JSON is YAML
            {
                "data_source bench": {
                    "type": "postgres",
                    "host": connection["host"],
                    "port": str(connection["port"]),
                    "username": connection["username"],
                    "password": connection["password"],
                    "database": connection["database"],
                    "schema": "public",
                }
            },
            indent=2,
        )
    )
    lines = []
    for day in days:
        lo = datetime(day.year, day.month, day.day, tzinfo=UTC)
        hi = lo + timedelta(days=1)
        lines += [
            f"filter events [d{day:%Y%m%d}]:",
            f"  where: created_at >= '{lo.isoformat()}' AND created_at < '{hi.isoformat()}'",
            "",
            f"checks for events [d{day:%Y%m%d}]:",
        ]
        for metric, (check, _) in SODA_METRIC.items():
            lines.append(f"  - {check}" + (":" if metric in SODA_CONFIG else ""))
            lines += [f"      {line}" for line in SODA_CONFIG.get(metric, ())]
        lines.append("")
    (workdir / "checks.yml").write_text("\n".join(lines))
    # Soda's global config lives in $HOME/.soda (the subprocess gets workdir as HOME): no
    # anonymous usage stats, which would otherwise retry an unreachable endpoint for seconds.
    (workdir / ".soda").mkdir()
    (workdir / ".soda" / "config.yml").write_text("send_anonymous_usage_stats: false\n")


def _soda_values(results: dict[str, Any]) -> Values:
    by_name = {soda: ours for ours, (_, soda) in SODA_METRIC.items()}
    values: Values = {}
    for metric in results.get("metrics", []):
        # identity like: metric-bench-events-d20240101-amount-missing_count  (shape varies)
        ident = str(metric.get("identity", ""))
        name = str(metric.get("metricName", ""))
        if name not in by_name:
            continue
        day = next(
            (p[1:] for p in ident.split("-") if len(p) == 9 and p[0] == "d" and p[1:].isdigit()),
            None,
        )
        if day is None:
            continue
        value = metric.get("value")
        bucket = datetime.strptime(day, "%Y%m%d").date()
        values[(bucket, by_name[name])] = None if value is None else float(value)
    return values


async def _soda(connection: dict[str, Any], days: list[date], ours: Values) -> dict[str, Any]:
    soda, reason = await _soda_binary()
    if soda is None:
        return {"skipped": reason}
    with tempfile.TemporaryDirectory(prefix="dc-bench-soda-") as tmp:
        workdir = Path(tmp)
        _soda_files(workdir, connection, days)
        results_file = workdir / "results.json"
        env = {**os.environ, "HOME": str(workdir)}
        start = time.perf_counter()
        rc, out = await _run(
            str(soda), "scan", "-d", "bench", "-c", str(workdir / "configuration.yml"),
            "-srf", str(results_file), str(workdir / "checks.yml"), env=env,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        if not results_file.exists():
            return {"skipped": f"soda scan failed (exit {rc}): {out.strip()[-400:]}"}
        results = json.loads(results_file.read_text())
        # The process start alone (imports, CLI), to separate it from the scan work.
        startup, _ = await timed(lambda: _run(str(soda), "--help", env=env))
    checks = results.get("checks", [])
    outcomes: dict[str, int] = {}
    for check in checks:
        outcome = str(check.get("outcome"))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    values = _soda_values(results)
    exact = [k for k in values if k[1] != "median"]
    mismatched = sum(1 for k in exact if not _close(ours.get(k), values[k]))
    return {
        "version": _soda_version(),
        "mode": f"one `soda scan` process, {len(days)} filtered partitions (one per day)",
        "soda_s": round(elapsed, 3),
        "soda_process_startup_s": round(startup, 3),
        "exit_code": rc,
        "queries": len(results.get("queries", [])),
        "checks": len(checks),
        "check_outcomes": outcomes,
        "values_compared": len(exact),
        "values_mismatched": mismatched,
        "median_note": "Soda's Postgres percentile is PERCENTILE_DISC; not compared",
    }


def _soda_version() -> str:
    site = list((SODA_VENV / "lib").glob("python*/site-packages"))
    for dist in site[0].glob("soda_core_postgres-*.dist-info") if site else []:
        return dist.name.removesuffix(".dist-info").split("-")[1]
    return "unknown"


# --- the benchmark ---------------------------------------------------------------------------


async def run(
    srv: Servers, *, rows: int = 5_000_000, days: int = 90, repeat: int = 1, soda: bool = False
) -> dict[str, Any]:
    name = f"bench_dq_{uuid.uuid4().hex[:8]}"
    day_list = [BASE + timedelta(days=i) for i in range(days)]
    try:
        generate_s, url = await timed(lambda: _make_source(srv.database_url, name, rows, days))
        connection = postgres_connection(url)
        floor_s, floor_plan = await _floor(url, rows)

        ours_times, par_times, naive_times, groupby_times = [], [], [], []
        ours: Values = {}
        par: Values = {}
        naive: Values = {}
        naive_queries = 0
        for _ in range(max(1, repeat)):
            t, got = await timed(lambda: _ours(connection, day_list, 1))
            ours_times.append(t)
            ours = _flatten(got)
            t, got = await timed(lambda: _ours(connection, day_list, 2))
            par_times.append(t)
            par = _flatten(got)
            t, got = await timed(lambda: _ours(connection, day_list, 1, indexed=False))
            groupby_times.append(t)
            grouped = _flatten(got)
            t, (naive, naive_queries) = await timed(lambda: _naive(url, day_list))
            naive_times.append(t)

        keys = [(d, m.metric_type) for d in day_list for m in METRICS]
        if len(ours) != len(keys):
            raise RuntimeError(f"ours measured {len(ours)} values, expected {len(keys)}")
        verified = _compare(ours, naive, keys, "naive")
        _compare(ours, par, keys, "ours with parallelism 2")
        _compare(ours, grouped, keys, "ours as one GROUP BY")
        groupby_s = statistics.median(groupby_times)
        ours_s, par_s, naive_s = (
            statistics.median(t) for t in (ours_times, par_times, naive_times)
        )
        soda_result = await _soda(connection, day_list, ours) if soda else {"skipped": "not asked"}
        return {
            "benchmark": "dq_backfill",
            "rows": rows,
            "days": days,
            "metrics": len(METRICS),
            "generate_s": round(generate_s, 3),
            "floor_count_s": round(floor_s, 4),
            "floor_plan": floor_plan,
            "ours_s": round(ours_s, 4),
            "ours_queries": 1,
            "ours_parallel2_s": round(par_s, 4),
            "ours_one_group_by_s": round(groupby_s, 4),
            "naive_s": round(naive_s, 4),
            "naive_queries": naive_queries,
            "ratio_ours_to_floor": round(ours_s / floor_s, 2),
            "ratio_ours_parallel2_to_floor": round(par_s / floor_s, 2),
            "ratio_naive_to_ours": round(naive_s / ours_s, 2),
            "values_verified": verified,
            "repeat": max(1, repeat),
            "soda": soda_result,
        }
    finally:
        await drop_databases(srv.database_url, name)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.dq_backfill")
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows in the generated table")
    parser.add_argument("--days", type=int, default=90, help="daily buckets to backfill")
    parser.add_argument("--repeat", type=int, default=1, help="timed rounds (median)")
    parser.add_argument(
        "--soda",
        action="store_true",
        help=f"also time Soda Core ({SODA_PACKAGE}, from the network)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with servers() as srv:
        result = asyncio.run(
            run(srv, rows=args.rows, days=args.days, repeat=args.repeat, soda=args.soda)
        )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
