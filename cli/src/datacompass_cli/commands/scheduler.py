"""`datacompass scheduler ...`: cron schedules for metadata scans, DQ runs and quality checks,
manual runs, run history; `start` says where the scheduler daemon runs."""

from typing import Annotated, Any

import typer
from rich.text import Text

from datacompass_cli.client import CliError, GatewayUnreachableError, segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time, print_json

app = typer.Typer(help="Schedules: cron-driven scans and DQ runs.", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(min=1, help="Schedule id.")]
STYLES = {"succeeded": "green", "failed": "bold red", "running": "cyan", "pending": "cyan"}


def _params(s: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in (s.get("params") or {}).items()) or "-"


COLUMNS = [
    Col("ID", lambda s: fmt(s.get("id")), "right"),
    Col("NAME", lambda s: fmt(s.get("name"))),
    Col("CRON", lambda s: f"{s.get('cron')} ({s.get('timezone')})"),
    Col("TASK", lambda s: fmt(s.get("task_type"))),
    Col("PARAMS", _params),
    Col("ENABLED", lambda s: fmt(s.get("enabled"))),
    Col("NEXT RUN", lambda s: fmt_time(s.get("next_run_at"))),
    Col("LAST RUN", lambda s: fmt_time(s.get("last_run_at"))),
]
FIELDS: list[Field] = [
    ("id", lambda s: fmt(s.get("id"))),
    ("name", lambda s: fmt(s.get("name"))),
    ("cron", lambda s: f"{s.get('cron')} ({s.get('timezone')})"),
    ("task", lambda s: fmt(s.get("task_type"))),
    ("params", _params),
    ("enabled", lambda s: fmt(s.get("enabled"))),
    ("next run", lambda s: fmt_time(s.get("next_run_at"))),
    ("misfire grace", lambda s: f"{s.get('misfire_grace_seconds')} s"),
    ("max attempts", lambda s: fmt(s.get("max_attempts"))),
    ("created by", lambda s: fmt(s.get("created_by"))),
]
RUN_COLUMNS = [
    Col("ID", lambda r: fmt(r.get("id")), "right"),
    Col("SCHEDULE", lambda r: fmt(r.get("schedule_name"))),
    Col("TRIGGER", lambda r: f"{r.get('trigger')} ({r.get('triggered_by')})"),
    Col("DUE", lambda r: fmt_time(r.get("scheduled_for"))),
    Col("STATUS", lambda r: Text(fmt(r.get("status")), style=STYLES.get(str(r.get("status")), ""))),
    Col("ATTEMPT", lambda r: fmt(r.get("attempt")), "right"),
    Col("STARTED", lambda r: fmt_time(r.get("started_at"))),
    Col("TARGET", lambda r: fmt(r.get("target_id"))),
    Col("ERROR", lambda r: fmt(r.get("error")), max_width=60),
]


@app.command("list")
@handle_errors
def list_(ctx: typer.Context) -> None:
    """List schedules."""
    with state(ctx).client() as client:
        items = list(client.paginate("/schedules"))
    state(ctx).out.items(COLUMNS, items, "no schedules")


@app.command("create")
@handle_errors
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for people.")],
    cron: Annotated[str, typer.Option("--cron", help='5-field cron, e.g. "0 2 * * *".')],
    scan: Annotated[
        str | None, typer.Option("--scan", help="Metadata scan of this source.")
    ] = None,
    dq: Annotated[str | None, typer.Option("--dq", help="DQ run of this object ref.")] = None,
    days: Annotated[int | None, typer.Option("--days", min=1, help="DQ: last N days.")] = None,
    check: Annotated[
        str | None, typer.Option("--check", help="Quality check (its rules) of this object ref.")
    ] = None,
    timezone: Annotated[str, typer.Option("--timezone", help="IANA zone of the cron.")] = "UTC",
) -> None:
    """Create a schedule for a metadata scan (--scan SOURCE), a DQ run (--dq OBJECT) or a
    quality check (--check OBJECT)."""
    if sum(1 for task in (scan, dq, check) if task) != 1:
        raise typer.BadParameter("give exactly one of --scan, --dq and --check")
    body: dict[str, Any] = {"name": name, "cron": cron, "timezone": timezone}
    if scan:
        body |= {"task_type": "metadata_scan", "params": {"source_name": scan}}
    elif check:
        body |= {"task_type": "quality_check", "params": {"object_ref": check}}
    else:
        params: dict[str, Any] = {"object_ref": dq, **({"days": days} if days else {})}
        body |= {"task_type": "dq_run", "params": params}
    with state(ctx).client() as client:
        schedule = client.post("/schedules", body)
    state(ctx).out.detail(FIELDS, schedule)


@app.command("show")
@handle_errors
def show(ctx: typer.Context, schedule_id: IdArg) -> None:
    """Show one schedule."""
    with state(ctx).client() as client:
        schedule = client.get(f"/schedules/{segment(schedule_id)}")
    state(ctx).out.detail(FIELDS, schedule)


@app.command("run-once")
@handle_errors
def run_once(
    ctx: typer.Context,
    schedule_id: IdArg,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until the task is dispatched.")
    ] = True,
) -> None:
    """Run a schedule's task now (kept in its history as a manual run)."""
    with state(ctx).client() as client:
        run = client.post(f"/schedules/{segment(schedule_id)}/run", params={"wait": wait})
    state(ctx).out.items(RUN_COLUMNS, [run], "")
    if run.get("status") == "failed":
        raise typer.Exit(1)


@app.command("runs")
@handle_errors
def runs(
    ctx: typer.Context,
    schedule_id: Annotated[int | None, typer.Argument(min=1, help="Only this schedule.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only runs in this status.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most N runs.")] = 50,
) -> None:
    """Run history, newest first."""
    params = {"schedule_id": schedule_id, "status": status}
    with state(ctx).client() as client:
        items = list(client.paginate("/schedules/runs", params, max_items=limit))
    state(ctx).out.items(RUN_COLUMNS, items, "no runs")


def _set_enabled(ctx: typer.Context, schedule_id: int, enabled: bool) -> None:
    with state(ctx).client() as client:
        schedule = client.patch(f"/schedules/{segment(schedule_id)}", {"enabled": enabled})
    word = "enabled" if enabled else "disabled"
    state(ctx).out.message(f"schedule {schedule['id']} {word}", schedule)


@app.command("enable")
@handle_errors
def enable(ctx: typer.Context, schedule_id: IdArg) -> None:
    """Enable a schedule."""
    _set_enabled(ctx, schedule_id, True)


@app.command("disable")
@handle_errors
def disable(ctx: typer.Context, schedule_id: IdArg) -> None:
    """Disable a schedule (it keeps its history)."""
    _set_enabled(ctx, schedule_id, False)


@app.command("delete")
@handle_errors
def delete(ctx: typer.Context, schedule_id: IdArg) -> None:
    """Delete a schedule."""
    with state(ctx).client() as client:
        client.delete(f"/schedules/{segment(schedule_id)}")
    state(ctx).out.message(f"schedule {schedule_id} deleted", {"id": schedule_id, "deleted": True})


# The roadmap's `datacompass scheduler start` (foreground daemon) belongs to a monolith. Here the
# scheduler is a service with its own database schema and gRPC clients, which this thin REST
# client neither has nor should have: the command says where the daemon really runs.
HOW_TO_START = (
    "the CLI is a REST client and runs no daemon: `make run` starts the scheduler with the "
    "rest of the stack; run it alone with `python -m scheduler_service serve`, or deploy it "
    "(deploy/k8s, docs/deployment.md)"
)


@app.command("start")
@handle_errors
def start(ctx: typer.Context) -> None:
    """Where the scheduler daemon runs (it is a service, not a CLI task): reports whether the
    gateway at --url sees it running (exit 0) or not (exit 1), and how to start it."""
    st = state(ctx)
    try:
        with st.client() as client:
            checks = client.health().get("checks")
            check = None if checks is None else checks.get("scheduler")
            if checks is None:
                reason = "the gateway shows its checks to admins only (use an admin token)"
            elif check is None:
                reason = "the gateway does not check a scheduler"
            else:
                reason = None
    except GatewayUnreachableError as exc:
        check, reason = None, exc.message
    running = isinstance(check, dict) and check.get("status") == "ok"
    if reason is None and not running:
        reason = f"its health check fails: {(check or {}).get('error') or '?'}"
    if st.out.is_json:
        print_json(
            {"running": running, "url": st.url, "check": check, "how_to_start": HOW_TO_START}
        )
    elif running:
        st.out.message(
            f"the scheduler is already running in the stack at {st.url}; nothing to start\n"
            f"({HOW_TO_START})",
            None,
        )
    else:
        raise CliError(f"the scheduler is not running at {st.url} ({reason});\n{HOW_TO_START}")
    if not running:
        raise typer.Exit(1)
