"""`datacompass quality ...`: quality rules per object or column, check runs (a CI gate: exit 1
when a run fails), column profiles with a progress bar, rule suggestions, the quality score."""

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.text import Text

from datacompass_cli.client import ApiError, Client, CliError, segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import (
    Col,
    Field,
    Output,
    detail_table,
    fmt,
    fmt_duration,
    fmt_number,
    fmt_time,
    list_table,
    print_json,
    status_text,
    stdout,
    watch_steps,
)

app = typer.Typer(
    help="Quality rules, checks, column profiles and quality scores.", no_args_is_help=True
)
rules_app = typer.Typer(
    help="Quality rules of an object or column: list, add, update, remove, suggest.",
    no_args_is_help=True,
)
app.add_typer(rules_app, name="rules")

ObjectArg = Annotated[
    str, typer.Argument(help="Object: source.schema.name or its URN.", show_default=False)
]
TargetArg = Annotated[
    str,
    typer.Argument(
        help="Object (source.schema.name) or column (source.schema.name.column); "
        "URNs work too (<object urn>.<column>).",
        show_default=False,
    ),
]
RuleIdArg = Annotated[int, typer.Argument(min=1, help="Rule id.", show_default=False)]
PollOpt = Annotated[
    float, typer.Option("--poll-interval", min=0.05, help="Seconds between progress checks.")
]
RUNNING = {"pending", "running"}
FAILING = {"failed", "error"}  # run statuses that make `quality check` exit 1
STYLES = {
    "passed": "green", "succeeded": "green", "warning": "yellow", "failed": "bold red",
    "error": "red", "skipped": "dim", "running": "yellow",
    "critical": "bold red", "info": "dim",
}  # fmt: skip


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else "-"


def _json_option(value: str | None, hint: str) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint=hint) from exc
    if not isinstance(parsed, dict):
        raise typer.BadParameter("expected a JSON object", param_hint=hint)
    return parsed


def _exists(client: Client, ref: str) -> bool:
    try:
        client.get(f"/objects/{segment(ref)}")
    except ApiError as exc:
        if exc.status in (400, 404):
            return False
        raise
    return True


def resolve(client: Client, target: str) -> tuple[str, str | None]:
    """`(object, column)` of a target. Object refs have three parts (source.schema.name), so a
    four-part name is object + column; anything else (URNs, names with dots) is looked up: the
    whole target as an object first, else all but its last part."""
    target = target.strip()
    parts = target.split(".")
    if not target.startswith("urn:") and all(parts):
        if len(parts) == 3:
            return target, None
        if len(parts) == 4:
            return ".".join(parts[:3]), parts[3]
    if _exists(client, target):
        return target, None
    ref, dot, column = target.rpartition(".")
    if dot and ref and column and _exists(client, ref):
        return ref, column
    raise CliError(f"{target}: no such object, nor a column of one (object.column)")


# ---------------------------------------------------------------- rules
RULE_COLUMNS = [
    Col("ID", lambda r: fmt(r.get("id")), "right"),
    Col("NAME", lambda r: fmt(r.get("name"))),
    Col("COLUMN", lambda r: fmt(r.get("column"))),
    Col("TYPE", lambda r: fmt(r.get("rule_type"))),
    Col("CATEGORY", lambda r: fmt(r.get("category"))),
    Col("SEVERITY", lambda r: status_text(r.get("severity"), STYLES)),
    Col("BLOCKING", lambda r: fmt(r.get("blocking"))),
    Col("ENABLED", lambda r: fmt(r.get("enabled"))),
    Col("EXPECTED", lambda r: fmt(r.get("expected")), max_width=50),
]
SEVERITY_HELP = "info, warning, error or critical."


@rules_app.command("list")
@handle_errors
def rules_list(ctx: typer.Context, target: TargetArg) -> None:
    """List an object's quality rules (or one column's)."""
    with state(ctx).client() as client:
        ref, column = resolve(client, target)
        items = client.get(f"/capsules/{segment(ref)}/quality-rules", {"column": column})["items"]
    state(ctx).out.items(RULE_COLUMNS, items, "no quality rules")


@rules_app.command(
    "add",
    help="Add a rule to an object, or to a column with object.column.\n\n"
    "Example: datacompass quality rules add shop.sales.orders.amount --type range_check "
    "--config '{\"min\": 0}' --severity error --blocking",
)
@handle_errors
def rules_add(
    ctx: typer.Context,
    target: TargetArg,
    rule_type: Annotated[
        str,
        typer.Option(
            "--type",
            "-t",
            help="not_null, unique, value_in_set, range_check, pattern_match, freshness, "
            "custom_sql (admins), ... (docs/data-quality.md).",
            show_default=False,
        ),
    ],
    config: Annotated[
        str | None,
        typer.Option(
            "--config", "-c", help='rule_config as JSON, e.g. \'{"min": 0, "max": 100}\'.'
        ),
    ] = None,
    severity: Annotated[str, typer.Option("--severity", "-s", help=SEVERITY_HELP)] = "warning",
    blocking: Annotated[
        bool,
        typer.Option("--blocking", help="A failure fails the run (`quality check` exits 1)."),
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="Default: type and column.")] = None,
    description: Annotated[str, typer.Option("--description", "-d")] = "",
    disabled: Annotated[bool, typer.Option("--disabled", help="Add it switched off.")] = False,
) -> None:
    body: dict[str, Any] = {
        "rule_type": rule_type,
        "rule_config": _json_option(config, "--config") or {},
        "severity": severity,
        "blocking": blocking,
        "enabled": not disabled,
        "description": description,
    }
    if name:
        body["name"] = name
    with state(ctx).client() as client:
        ref, column = resolve(client, target)
        if column:
            body["column"] = column
        rule = client.post(f"/capsules/{segment(ref)}/quality-rules", body)
    state(ctx).out.items(RULE_COLUMNS, [rule], "")


@rules_app.command("update")
@handle_errors
def rules_update(
    ctx: typer.Context,
    rule_id: RuleIdArg,
    config: Annotated[
        str | None, typer.Option("--config", "-c", help="New rule_config (replaces it) as JSON.")
    ] = None,
    severity: Annotated[str | None, typer.Option("--severity", "-s", help=SEVERITY_HELP)] = None,
    blocking: Annotated[bool | None, typer.Option("--blocking/--no-blocking")] = None,
    enabled: Annotated[bool | None, typer.Option("--enable/--disable")] = None,
    name: Annotated[str | None, typer.Option("--name")] = None,
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
) -> None:
    """Change a rule: only the options given."""
    body: dict[str, Any] = {
        k: v
        for k, v in {
            "rule_config": _json_option(config, "--config"),
            "severity": severity,
            "blocking": blocking,
            "enabled": enabled,
            "name": name,
            "description": description,
        }.items()
        if v is not None
    }
    if not body:
        raise typer.BadParameter("give at least one option to change")
    with state(ctx).client() as client:
        rule = client.patch(f"/quality-rules/{segment(rule_id)}", body)
    state(ctx).out.items(RULE_COLUMNS, [rule], "")


@rules_app.command("remove")
@handle_errors
def rules_remove(ctx: typer.Context, rule_id: RuleIdArg) -> None:
    """Delete a rule (its past check results stay in the runs)."""
    with state(ctx).client() as client:
        client.delete(f"/quality-rules/{segment(rule_id)}")
    state(ctx).out.message(f"rule {rule_id} removed", {"id": rule_id, "removed": True})


SUGGESTION_COLUMNS = [
    Col("KEY", lambda x: fmt(x.get("key"))),
    Col("COLUMN", lambda x: fmt(x.get("column"))),
    Col("TYPE", lambda x: fmt(x.get("rule_type"))),
    Col("CONFIG", lambda x: _compact(x.get("rule_config")), max_width=50),
    Col("SEVERITY", lambda x: status_text(x.get("severity"), STYLES)),
    Col("EXISTS", lambda x: fmt(x.get("exists"))),
    Col("REASON", lambda x: fmt(x.get("reason")), max_width=60),
]


@rules_app.command(
    "suggest",
    help="Rules the latest profile suggests (profile first: `datacompass quality profile`); "
    "--accept KEY or --accept-all turns them into rules.",
)
@handle_errors
def rules_suggest(
    ctx: typer.Context,
    ref: ObjectArg,
    accept: Annotated[
        list[str] | None,
        typer.Option("--accept", help="Create the rule of this suggestion key (repeatable)."),
    ] = None,
    accept_all: Annotated[
        bool, typer.Option("--accept-all", help="Create every suggestion not yet a rule.")
    ] = False,
) -> None:
    if accept and accept_all:
        raise typer.BadParameter("give --accept or --accept-all, not both")
    out = state(ctx).out
    with state(ctx).client() as client:
        path = f"/capsules/{segment(ref)}/quality-rules/suggestions"
        if not (accept or accept_all):
            got = client.get(path)
            if out.is_json:
                print_json(got)
            else:
                out.items(SUGGESTION_COLUMNS, got["items"], "no suggestions")
            return
        got = client.post(f"{path}/accept", {"keys": accept or []})
    if out.is_json:
        print_json(got)
        return
    out.items(RULE_COLUMNS, got["created"], "no rules created")
    if got.get("skipped"):
        out.note(f"skipped (already a rule): {', '.join(got['skipped'])}")


# ---------------------------------------------------------------- checks
def _failures(c: dict[str, Any]) -> str:
    count = c.get("failure_count")
    if count is None:
        return "-"
    text = f"{count:,}"
    if c.get("total_count") is not None:
        text += f"/{c['total_count']:,}"
    if c.get("failure_percentage") is not None:
        text += f" ({fmt_number(c['failure_percentage'])}%)"
    return text


CHECK_COLUMNS = [
    Col("RULE", lambda c: f"{c.get('rule_id')} {c.get('rule_name')}"),
    Col("COLUMN", lambda c: fmt(c.get("column"))),
    Col("TYPE", lambda c: fmt(c.get("rule_type"))),
    Col("STATUS", lambda c: status_text(c.get("status"), STYLES)),
    Col("MEASURED", lambda c: fmt_number(c.get("measured_value")), "right"),
    Col("EXPECTED", lambda c: fmt(c.get("expected_value")), max_width=40),
    Col("FAILURES", _failures, "right"),
    Col("SEVERITY", lambda c: status_text(c.get("severity"), STYLES)),
    Col("ERROR", lambda c: fmt(c.get("error")), max_width=50),
]


def _value(value: Any) -> str:
    """A data value: NULL spelled out (a dash would read as an empty cell)."""
    return "NULL" if value is None else fmt(value)


def _sample_value(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda sample: _value((sample.get("values") or {}).get(key))


def _samples(check: dict[str, Any]) -> None:
    """The failing rows of one check: one column per value, plus how often each occurs."""
    samples = check.get("sample_failures") or []
    if not samples:
        return
    keys: list[str] = []
    for sample in samples:
        keys += [k for k in (sample.get("values") or {}) if k not in keys]
    columns = [Col(k.upper(), _sample_value(k), max_width=50) for k in keys]
    if any("occurrences" in s for s in samples):  # duplicate rules group identical rows
        columns.append(Col("OCCURRENCES", lambda s: fmt(s.get("occurrences")), "right"))
    console = stdout()
    console.print()
    console.print(
        Text(f"failing rows of rule {check.get('rule_id')} {check.get('rule_name')}:", "bold")
    )
    console.print(list_table(columns, samples))


def _summary(run: dict[str, Any]) -> Text:
    score = run.get("quality_score")
    return Text.assemble(
        f"check run {run.get('id')} on {run.get('object_ref')}: ",
        status_text(run.get("status"), STYLES),
        f" — {run.get('passed')} passed, {run.get('failed')} failed, "
        f"{run.get('warnings')} warnings, {run.get('errors')} errors, "
        f"{run.get('skipped')} skipped; score {fmt_number(score)}"
        + (f" — {run['error']}" if run.get("error") else ""),
    )


@app.command(
    "check",
    help="Run an object's enabled quality rules now and print each check (rule, column, "
    "status, measured vs expected, failures) with its failing rows.\n\n"
    "Exit status 1 when the run failed (a blocking rule did not pass) or a check could not "
    "run (status error); 0 when it passed or only non-blocking rules failed (warning): "
    "usable as a CI or pipeline gate. Make a rule blocking with `rules add --blocking`.",
)
@handle_errors
def check(
    ctx: typer.Context,
    ref: ObjectArg,
    rule: Annotated[
        list[int] | None,
        typer.Option("--rule", "-r", min=1, help="Only this rule id (repeatable)."),
    ] = None,
    sample_limit: Annotated[
        int | None,
        typer.Option("--sample-limit", min=1, max=100, help="Failing rows kept per check."),
    ] = None,
) -> None:
    body: dict[str, Any] = {"capsule": ref, "rule_ids": rule or []}
    if sample_limit:
        body["sample_limit"] = sample_limit
    with state(ctx).client() as client:
        run = client.post("/quality-checks", body)
    out = state(ctx).out
    if out.is_json:
        print_json(run)
    else:
        out.items(CHECK_COLUMNS, run.get("checks") or [], "no enabled rules to check")
        for c in run.get("checks") or []:
            _samples(c)
        stdout().print(_summary(run))
    if run.get("status") in FAILING:
        raise typer.Exit(1)


RUN_COLUMNS = [
    Col("ID", lambda r: fmt(r.get("id")), "right"),
    Col("STATUS", lambda r: status_text(r.get("status"), STYLES)),
    Col("PASSED", lambda r: fmt(r.get("passed")), "right"),
    Col("FAILED", lambda r: fmt(r.get("failed")), "right"),
    Col("WARNINGS", lambda r: fmt(r.get("warnings")), "right"),
    Col("ERRORS", lambda r: fmt(r.get("errors")), "right"),
    Col("SCORE", lambda r: fmt_number(r.get("quality_score")), "right"),
    Col("STARTED", lambda r: fmt_time(r.get("started_at"))),
    Col("DURATION", lambda r: fmt_duration(r.get("duration_ms")), "right"),
    Col("BY", lambda r: fmt(r.get("triggered_by"))),
]


@app.command("runs")
@handle_errors
def runs(
    ctx: typer.Context,
    ref: ObjectArg,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 20,
) -> None:
    """An object's check runs, newest first."""
    with state(ctx).client() as client:
        items = list(client.paginate("/quality-checks", {"capsule": ref}, max_items=limit))
    state(ctx).out.items(RUN_COLUMNS, items, "no check runs")


# ---------------------------------------------------------------- profiles
STAT_FIELDS: list[tuple[str, str]] = [
    ("rows", "total_count"),
    ("nulls", "null_count"),
    ("null %", "null_percentage"),
    ("distinct", "distinct_count"),
    ("unique %", "unique_percentage"),
    ("min", "min_value"),
    ("max", "max_value"),
    ("mean", "mean_value"),
    ("median", "median_value"),
    ("std dev", "std_dev"),
    ("p25", "percentile_25"),
    ("p75", "percentile_75"),
    ("min length", "min_length"),
    ("max length", "max_length"),
    ("avg length", "avg_length"),
    ("earliest", "earliest"),
    ("latest", "latest"),
    ("completeness", "completeness_score"),
    ("validity", "validity_score"),
    ("uniqueness", "uniqueness_score"),
]
VALUE_COLUMNS = [
    Col("MOST COMMON", lambda v: _value(v.get("value")), max_width=60),
    Col("COUNT", lambda v: fmt_number(v.get("count")), "right"),
    Col("%", lambda v: fmt_number(v.get("percentage")), "right"),
]
PATTERN_COLUMNS = [
    Col("PATTERN", lambda p: fmt(p.get("pattern")), max_width=60),
    Col("MATCHES", lambda p: fmt_number(p.get("match_count")), "right"),
    Col("%", lambda p: fmt_number(p.get("percentage")), "right"),
]


def _watch_profile(client: Client, run: dict[str, Any], interval: float) -> dict[str, Any]:
    return watch_steps(
        run,
        lambda: client.get(f"/profile-runs/{segment(run['id'])}"),
        label=f"profiling {run.get('object_ref')} (run {run['id']})",
        total_key="steps_total",
        done_key="steps_done",
        running=RUNNING,
        interval=interval,
        detached=f"stopped watching; profile run {run['id']} continues "
        f"(`datacompass quality profile` shows it once finished)",
    )


def _stat(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda stats: fmt_number(stats.get(key))


def _column_report(profile: dict[str, Any]) -> None:
    stats = profile.get("stats") or {}
    console = stdout()
    console.print()
    console.print(Text(f"{profile.get('column')} ({profile.get('data_type')})", style="bold"))
    fields: list[Field] = [
        (label, _stat(key)) for label, key in STAT_FIELDS if stats.get(key) is not None
    ]
    console.print(detail_table(fields, stats))
    if stats.get("most_common_values"):
        console.print(list_table(VALUE_COLUMNS, stats["most_common_values"]))
    if stats.get("detected_patterns"):
        console.print(list_table(PATTERN_COLUMNS, stats["detected_patterns"]))
    if profile.get("masked"):
        Output.note(f"masked for your role: {', '.join(profile['masked'])}")


def _profile_report(out: Output, run: dict[str, Any]) -> None:
    if out.is_json:
        print_json(run)
        return
    sampled = (
        f"sampled {run.get('sample_size'):,} rows ({fmt_number(run.get('sample_percentage'))}%)"
        if run.get("sampled")
        else "full scan"
    )
    stdout().print(
        Text.assemble(
            f"profile run {run.get('id')} of {run.get('object_ref')}: ",
            status_text(run.get("status"), STYLES),
            f" — {run.get('row_count', 0):,} rows, {sampled}, "
            f"{fmt_duration(run.get('duration_ms'))}"
            + (f" — {run['error']}" if run.get("error") else ""),
        )
    )
    for profile in run.get("columns") or []:
        _column_report(profile)


@app.command(
    "profile",
    help="Profile an object's columns (or one column) now with a progress bar, then print "
    "per column its key statistics, most common values and detected patterns.",
)
@handle_errors
def profile(
    ctx: typer.Context,
    target: TargetArg,
    sample_rows: Annotated[
        int | None,
        typer.Option("--sample-rows", min=1, help="Profile about N sampled rows (default: all)."),
    ] = None,
    poll_interval: PollOpt = 0.5,
) -> None:
    body: dict[str, Any] = {"wait": False}
    if sample_rows:
        body["sample_rows"] = sample_rows
    out = state(ctx).out
    with state(ctx).client() as client:
        ref, column = resolve(client, target)
        path = (
            f"/columns/{segment(f'{ref}.{column}')}/profile"
            if column
            else f"/capsules/{segment(ref)}/profile"
        )
        run = client.post(path, body)
        if run.get("status") in RUNNING:
            run = _watch_profile(client, run, poll_interval)
        if run.get("status") == "succeeded" and not run.get("columns"):
            # A run shows its progress; the profiles themselves are read once it is done.
            if column:
                run["columns"] = [client.get(path)]
            else:
                run["columns"] = client.get(path).get("columns") or []
    _profile_report(out, run)
    if run.get("status") == "failed":
        raise typer.Exit(1)


# ---------------------------------------------------------------- score
SCORE_FIELDS: list[Field] = [
    ("object", lambda s: fmt(s.get("object_ref"))),
    ("score", lambda s: fmt_number(s.get("score"))),
    ("checks counted", lambda s: fmt(s.get("checks_counted"))),
    ("check run", lambda s: fmt(s.get("run_id"))),
    ("as of", lambda s: fmt_time(s.get("as_of"))),
]
DIMENSION_COLUMNS = [
    Col("DIMENSION", lambda d: fmt(d.get("dimension"))),
    Col("SCORE", lambda d: fmt_number(d.get("score")), "right"),
]


@app.command("score")
@handle_errors
def score(ctx: typer.Context, ref: ObjectArg) -> None:
    """An object's quality score (0-100), overall and per dimension, from its latest run."""
    with state(ctx).client() as client:
        got = client.get(f"/capsules/{segment(ref)}/quality-score")
    out = state(ctx).out
    if out.is_json:
        print_json(got)
        return
    out.detail(SCORE_FIELDS, got)
    dims = [{"dimension": k, "score": v} for k, v in sorted((got.get("dimensions") or {}).items())]
    if dims:
        stdout().print(list_table(DIMENSION_COLUMNS, dims))
    elif got.get("score") is None:
        out.note(f"no checks have run yet: `datacompass quality check {ref}`")
