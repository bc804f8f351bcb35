"""`datacompass dq ...`: data quality — configs and expectations per object, runs and
backfills with a progress bar, status with trends, breaches."""

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.text import Text

from datacompass_cli.client import Client, CliError, segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import (
    Col,
    Field,
    Output,
    fmt,
    fmt_number,
    fmt_time,
    print_json,
    status_text,
    stdout,
    watch_steps,
)

app = typer.Typer(
    help="Data quality: expectations, runs, backfills, breaches.", no_args_is_help=True
)
config_app = typer.Typer(help="DQ configs (one per object).", no_args_is_help=True)
expectation_app = typer.Typer(help="Expectations of an object's DQ config.", no_args_is_help=True)
breach_app = typer.Typer(
    help="Breaches: list, acknowledge, resolve, dismiss.", no_args_is_help=True
)
app.add_typer(config_app, name="config")
app.add_typer(expectation_app, name="expectation")
app.add_typer(breach_app, name="breach")

ObjectArg = Annotated[str, typer.Argument(help="Object reference: source.schema.name.")]
RUNNING = {"pending", "running"}
STYLES = {
    "succeeded": "green", "ok": "green", "partial": "yellow", "learning": "cyan",
    "failed": "bold red", "breach": "bold red", "error": "red", "cancelled": "dim",
    "open": "bold red", "acknowledged": "yellow", "resolved": "green", "dismissed": "dim",
}  # fmt: skip


def _threshold(exp: dict[str, Any]) -> str:
    spec = exp.get("threshold") or {}
    strategy = spec.get("strategy", "?")
    if strategy == "absolute":
        return f"absolute [{fmt_number(spec.get('min'))}, {fmt_number(spec.get('max'))}]"
    if strategy == "relative":
        return f"relative to {spec.get('window')}-bucket mean"
    return f"anomaly {spec.get('method', 'mad')} k={spec.get('sensitivity', 3)}"


def _config(client: Client, ref: str) -> dict[str, Any]:
    items = client.get("/dq/configs", {"object_ref": ref})["items"]
    if not items:
        raise CliError(
            f"{ref} has no DQ config: create one with `datacompass dq config create {ref} "
            "--date-column <column>`"
        )
    config: dict[str, Any] = items[0]
    return config


# ---------------------------------------------------------------- configs
CONFIG_FIELDS: list[Field] = [
    ("id", lambda c: fmt(c.get("id"))),
    ("object", lambda c: fmt(c.get("object_ref"))),
    ("date column", lambda c: fmt(c.get("date_column"))),
    ("date format", lambda c: fmt(c.get("date_format"))),
    ("grain", lambda c: fmt(c.get("grain"))),
    ("timezone", lambda c: fmt(c.get("timezone"))),
    ("enabled", lambda c: fmt(c.get("enabled"))),
    ("expectations", lambda c: str(len(c.get("expectations") or []))),
]
EXPECTATION_COLUMNS = [
    Col("ID", lambda e: fmt(e.get("id")), "right"),
    Col("METRIC", lambda e: fmt(e.get("metric_type"))),
    Col("COLUMN", lambda e: fmt(e.get("column"))),
    Col("THRESHOLD", _threshold),
    Col("PRIORITY", lambda e: fmt(e.get("priority"))),
    Col("ENABLED", lambda e: fmt(e.get("enabled"))),
]


@config_app.command("create")
@handle_errors
def config_create(
    ctx: typer.Context,
    ref: ObjectArg,
    date_column: Annotated[str, typer.Option("--date-column", help="Column dating each row.")],
    grain: Annotated[str, typer.Option("--grain", help="daily, weekly or monthly.")] = "daily",
    timezone: Annotated[str, typer.Option("--timezone", help="IANA zone of the buckets.")] = "UTC",
    date_format: Annotated[
        str | None, typer.Option("--date-format", help="Format of a text date column.")
    ] = None,
) -> None:
    """Create the DQ config of an object."""
    body = {"object_ref": ref, "date_column": date_column, "grain": grain, "timezone": timezone}
    if date_format:
        body["date_format"] = date_format
    with state(ctx).client() as client:
        config = client.post("/dq/configs", body)
    state(ctx).out.detail(CONFIG_FIELDS, config)


@config_app.command("show")
@handle_errors
def config_show(ctx: typer.Context, ref: ObjectArg) -> None:
    """Show an object's DQ config and its expectations."""
    with state(ctx).client() as client:
        config = _config(client, ref)
    out = state(ctx).out
    if out.is_json:
        print_json(config)
        return
    out.detail(CONFIG_FIELDS, config)
    out.items(EXPECTATION_COLUMNS, config.get("expectations") or [], "no expectations")


@expectation_app.command("add")
@handle_errors
def expectation_add(
    ctx: typer.Context,
    ref: ObjectArg,
    metric: Annotated[
        str,
        typer.Argument(
            help="row_count, null_count, distinct_count, max_length, min, max, mean, sum, median."
        ),
    ],
    column: Annotated[str | None, typer.Option("--column", "-c", help="Measured column.")] = None,
    minimum: Annotated[float | None, typer.Option("--min", help="Absolute lower bound.")] = None,
    maximum: Annotated[float | None, typer.Option("--max", help="Absolute upper bound.")] = None,
    threshold: Annotated[
        str | None,
        typer.Option("--threshold", help='Any threshold as JSON, e.g. \'{"strategy":"anomaly"}\'.'),
    ] = None,
    priority: Annotated[
        str, typer.Option("--priority", help="critical/high/medium/low.")
    ] = "medium",
) -> None:
    """Add an expectation: absolute bounds with --min/--max, else anomaly detection."""
    if threshold:
        try:
            spec = json.loads(threshold)
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"not JSON: {exc}", param_hint="--threshold") from exc
    elif minimum is not None or maximum is not None:
        spec = {"strategy": "absolute", "min": minimum, "max": maximum}
    else:
        spec = {"strategy": "anomaly"}
    with state(ctx).client() as client:
        config = _config(client, ref)
        body = {"config_id": config["id"], "metric_type": metric, "threshold": spec}
        body["priority"] = priority
        if column:
            body["column"] = column
        exp = client.post("/dq/expectations", body)
    state(ctx).out.items(EXPECTATION_COLUMNS, [exp], "")


# ---------------------------------------------------------------- runs
BUCKET_COLUMNS = [
    Col("DATE", lambda b: fmt(b.get("bucket"))),
    Col("STATUS", lambda b: status_text(b.get("status"), STYLES)),
    Col("METRICS", lambda b: fmt(b.get("metrics")), "right"),
    Col("BREACHES", lambda b: fmt(b.get("breaches")), "right"),
    Col("ERROR", lambda b: fmt(b.get("error")), max_width=60),
]


def _watch(client: Client, run: dict[str, Any], interval: float) -> dict[str, Any]:
    return watch_steps(
        run,
        lambda: client.get(f"/dq/runs/{segment(run['id'])}"),
        label=f"{run['object_ref']} {run['start_date']}..{run['end_date']} (run {run['id']})",
        total_key="buckets_total",
        done_key="buckets_done",
        running=RUNNING,
        interval=interval,
        detached=f"stopped watching; run {run['id']} continues "
        f"(`datacompass dq runs {run['object_ref']}`, or cancel it with "
        f"`datacompass dq cancel {run['id']}`)",
    )


def _report(out: Output, run: dict[str, Any]) -> None:
    """The per-date summary: a table for people; {success, failed, dates, run} for machines."""
    buckets = run.get("buckets") or []
    success = sum(1 for b in buckets if b.get("status") == "succeeded")
    if out.is_json:
        print_json(
            {
                "run": run,
                "success": success,
                "failed": len(buckets) - success,
                "dates": buckets,
            }
        )
    else:
        if buckets:
            out.items(BUCKET_COLUMNS, buckets, "")
        stdout().print(
            Text.assemble(
                (f"run {run['id']} ", ""),
                status_text(run.get("status"), STYLES),
                f": {success}/{len(buckets)} periods measured, "
                f"{run.get('results_stored')} results, {run.get('metric_errors')} metric errors, "
                f"{run.get('breaches_opened')} new breaches"
                + (f" — {run['error']}" if run.get("error") else ""),
            )
        )
    if run.get("status") == "failed":
        raise typer.Exit(1)


def _start(ctx: typer.Context, body: dict[str, Any], interval: float) -> None:
    out = state(ctx).out
    with state(ctx).client() as client:
        run = client.post("/dq/runs", body)
        if run.get("status") in RUNNING:
            run = _watch(client, run, interval)
    _report(out, run)


PollOpt = Annotated[
    float, typer.Option("--poll-interval", min=0.05, help="Seconds between progress checks.")
]


@app.command("run")
@handle_errors
def run(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="Object reference (or --all).")] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="Date to measure (default: yesterday's bucket).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every enabled DQ config.")] = False,
    poll_interval: PollOpt = 0.5,
) -> None:
    """Run an object's expectations for one date (default: the last complete period)."""
    if bool(ref) == all_:
        raise typer.BadParameter("give an object reference or --all, not both")
    if day:
        _iso(day, "--date")
    if not all_:
        body: dict[str, Any] = {"object_ref": ref}
        if day:
            body["date"] = day
        _start(ctx, body, poll_interval)
        return
    with state(ctx).client() as client:
        configs = [c for c in client.paginate("/dq/configs") if c.get("enabled")]
    if not configs:
        raise CliError("no enabled DQ configs")
    failed = 0
    for config in configs:
        body = {"object_ref": config["object_ref"], **({"date": day} if day else {})}
        try:
            _start(ctx, body, poll_interval)
        except typer.Exit:
            failed += 1
    if failed:
        raise typer.Exit(1)


def _iso(value: str, hint: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise typer.BadParameter("expected YYYY-MM-DD", param_hint=hint) from exc


@app.command("backfill")
@handle_errors
def backfill(
    ctx: typer.Context,
    ref: ObjectArg,
    days: Annotated[int, typer.Option("--days", "-d", min=1, help="Days to backfill.")] = 30,
    start: Annotated[str | None, typer.Option("--start", help="Start date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="End date (YYYY-MM-DD).")] = None,
    parallel: Annotated[
        int, typer.Option("--parallel", "-p", min=1, max=64, help="Date chunks measured at once.")
    ] = 1,
    rate: Annotated[
        float | None, typer.Option("--rate", min=0.01, help="Max source queries per second.")
    ] = None,
    poll_interval: PollOpt = 0.5,
) -> None:
    """Backfill metrics over past periods (one scan of the source per chunk)."""
    body: dict[str, Any] = {"object_ref": ref, "parallelism": parallel}
    if start or end:
        if not (start and end):
            raise typer.BadParameter("give both --start and --end", param_hint="--start/--end")
        body["start_date"], body["end_date"] = _iso(start, "--start"), _iso(end, "--end")
    else:
        body["days"] = days
    if rate:
        body["max_queries_per_second"] = rate
    _start(ctx, body, poll_interval)


@app.command("cancel")
@handle_errors
def cancel(ctx: typer.Context, run_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Cancel a running DQ run."""
    with state(ctx).client() as client:
        got = client.post(f"/dq/runs/{segment(run_id)}/cancel")
    state(ctx).out.message(f"run {got['id']} will stop shortly", got)


RUN_COLUMNS = [
    Col("ID", lambda r: fmt(r.get("id")), "right"),
    Col("STATUS", lambda r: status_text(r.get("status"), STYLES)),
    Col("FROM", lambda r: fmt(r.get("start_date"))),
    Col("TO", lambda r: fmt(r.get("end_date"))),
    Col("DONE", lambda r: f"{r.get('buckets_done')}/{r.get('buckets_total')}", "right"),
    Col("BREACHES", lambda r: fmt(r.get("breaches_opened")), "right"),
    Col("ERRORS", lambda r: fmt(r.get("metric_errors")), "right"),
    Col("STARTED", lambda r: fmt_time(r.get("started_at"))),
    Col("BY", lambda r: fmt(r.get("triggered_by"))),
]


@app.command("runs")
@handle_errors
def runs(ctx: typer.Context, ref: ObjectArg) -> None:
    """An object's DQ runs, newest first."""
    with state(ctx).client() as client:
        items = client.get("/dq/runs", {"object_ref": ref})["items"]
    state(ctx).out.items(RUN_COLUMNS, items, "no runs")


# ---------------------------------------------------------------- status
STATUS_COLUMNS = [
    Col("METRIC", lambda s: fmt(s["expectation"].get("metric_type"))),
    Col("COLUMN", lambda s: fmt(s["expectation"].get("column"))),
    Col("LATEST", lambda s: fmt((s.get("latest") or {}).get("bucket"))),
    Col("VALUE", lambda s: fmt_number((s.get("latest") or {}).get("value")), "right"),
    Col(
        "RANGE",
        lambda s: (
            f"[{fmt_number((s.get('latest') or {}).get('threshold_low'))}, "
            f"{fmt_number((s.get('latest') or {}).get('threshold_high'))}]"
        ),
    ),
    Col("RESULT", lambda s: status_text((s.get("latest") or {}).get("status"), STYLES)),
    Col("BREACHES 30D", lambda s: fmt(s.get("breaches_30d")), "right"),
    Col("TREND 7D", lambda s: fmt(s.get("trend_7d"))),
    Col("PRIORITY", lambda s: fmt(s["expectation"].get("priority"))),
]


@app.command("status")
@handle_errors
def status(ctx: typer.Context, ref: ObjectArg) -> None:
    """Latest result, 30-day breaches and 7-day trend of each expectation of an object."""
    with state(ctx).client() as client:
        config = _config(client, ref)
        summary = client.get(f"/dq/configs/{segment(config['id'])}/summary")
    out = state(ctx).out
    if out.is_json:
        print_json(summary)
        return
    out.items(STATUS_COLUMNS, summary["expectations"], "no expectations")
    last = summary.get("last_run") or {}
    stdout().print(
        f"{ref}: {summary['open_breaches']} open breaches; last run "
        + (
            f"{last.get('id')} {last.get('status')} at {fmt_time(last.get('finished_at'))}"
            if last
            else "never"
        )
    )


# ---------------------------------------------------------------- breaches
BREACH_COLUMNS = [
    Col("ID", lambda b: fmt(b.get("id")), "right"),
    Col("DATE", lambda b: fmt(b.get("bucket"))),
    Col("OBJECT", lambda b: fmt(b.get("object_ref"))),
    Col("METRIC", lambda b: f"{b.get('metric_type')}({b.get('column') or ''})"),
    Col("VALUE", lambda b: fmt_number(b.get("value")), "right"),
    Col(
        "RANGE",
        lambda b: f"[{fmt_number(b.get('threshold_low'))}, {fmt_number(b.get('threshold_high'))}]",
    ),
    Col("PRIORITY", lambda b: fmt(b.get("priority"))),
    Col("STATUS", lambda b: status_text(b.get("status"), STYLES)),
    Col("BY", lambda b: fmt(b.get("status_changed_by"))),
]


@breach_app.command("list")
@handle_errors
def breach_list(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Option("--object", help="Only this object's.")] = None,
    status_: Annotated[
        list[str] | None, typer.Option("--status", help="open/acknowledged/resolved/dismissed.")
    ] = None,
    priority: Annotated[list[str] | None, typer.Option("--priority")] = None,
) -> None:
    """List breaches, newest first."""
    params: dict[str, Any] = {"object_ref": ref, "status": status_, "priority": priority}
    with state(ctx).client() as client:
        items = list(client.paginate("/dq/breaches", params))
    state(ctx).out.items(BREACH_COLUMNS, items, "no breaches")


def _transition(ctx: typer.Context, breach_id: int, target: str, reason: str) -> None:
    with state(ctx).client() as client:
        got = client.patch(
            f"/dq/breaches/{segment(breach_id)}", {"status": target, "reason": reason}
        )
    state(ctx).out.message(f"breach {got['id']} is now {got['status']}", got)


BreachArg = Annotated[int, typer.Argument(min=1, help="Breach id.")]
ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="Why (required to dismiss).")]


@breach_app.command("ack")
@handle_errors
def breach_ack(
    ctx: typer.Context,
    breach_id: BreachArg,
    reason: ReasonOpt = "",
) -> None:
    """Acknowledge a breach (someone is on it)."""
    _transition(ctx, breach_id, "acknowledged", reason)


@breach_app.command("resolve")
@handle_errors
def breach_resolve(
    ctx: typer.Context,
    breach_id: BreachArg,
    reason: ReasonOpt = "",
) -> None:
    """Resolve a breach."""
    _transition(ctx, breach_id, "resolved", reason)


@breach_app.command("dismiss")
@handle_errors
def breach_dismiss(
    ctx: typer.Context,
    breach_id: BreachArg,
    reason: ReasonOpt = "",
) -> None:
    """Dismiss a breach as not a problem (a reason is required)."""
    _transition(ctx, breach_id, "dismissed", reason)
