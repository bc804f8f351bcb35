"""`datacompass classify ...`: sensitivity classification of objects and columns, and the
auto-classification rules (roadmap 10.4). `classify <target> --level ...` is the default command,
so `classify list` and `classify rules ...` sit beside it."""

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from datacompass_cli.client import Client, CliError, segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time, print_json

URN_PREFIX = "urn:"


class DefaultToSet(TyperGroup):
    """`classify X ...` where X is no subcommand means `classify set X ...`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["set", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=DefaultToSet,
    help="Classification: `classify <object>[.<column>] --level L [--compliance C ...]`, "
    "list, show, rules.",
    no_args_is_help=True,
)
rules_app = typer.Typer(help="Auto-classification rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

LevelOpt = Annotated[
    str, typer.Option("--level", "-l", help="public, internal, confidential, restricted, secret.")
]
ComplianceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--compliance", "-c", help="gdpr, hipaa, pci_dss, sox, ccpa (repeat, or comma-separate)."
    ),
]

CLASS_COLUMNS = [
    Col("OBJECT", lambda c: fmt(c.get("object_ref"))),
    Col("COLUMN", lambda c: fmt(c.get("column"))),
    Col("LEVEL", lambda c: fmt(c.get("level"))),
    Col("COMPLIANCE", lambda c: ", ".join(c.get("compliance") or []) or "-"),
    Col("SOURCE", lambda c: fmt(c.get("source"))),
    Col("RULE", lambda c: fmt(c.get("rule_name"))),
    Col("BY", lambda c: fmt(c.get("classified_by"))),
    Col("AT", lambda c: fmt_time(c.get("classified_at"))),
]
CLASS_FIELDS: list[Field] = [
    ("object", lambda c: fmt(c.get("object_ref"))),
    ("column", lambda c: fmt(c.get("column"))),
    ("level", lambda c: fmt(c.get("level"))),
    ("compliance", lambda c: ", ".join(c.get("compliance") or []) or "-"),
    ("source", lambda c: fmt(c.get("source"))),
    ("classified by", lambda c: fmt(c.get("classified_by"))),
    ("classified at", lambda c: fmt_time(c.get("classified_at"))),
]
RULE_COLUMNS = [
    Col("ID", lambda r: fmt(r.get("id")), "right"),
    Col("NAME", lambda r: fmt(r.get("name"))),
    Col("PRIO", lambda r: fmt(r.get("priority")), "right"),
    Col("ON", lambda r: fmt(r.get("enabled"))),
    Col("MATCH", lambda r: _match(r), max_width=50),
    Col("LEVEL", lambda r: fmt(r.get("level"))),
    Col("COMPLIANCE", lambda r: ", ".join(r.get("compliance") or []) or "-"),
]
APPLY_FIELDS: list[Field] = [
    ("objects", lambda r: fmt(r.get("objects"))),
    ("classified", lambda r: fmt(r.get("classified"))),
    ("unchanged", lambda r: fmt(r.get("unchanged"))),
    ("skipped (manual)", lambda r: fmt(r.get("skipped"))),
    ("errors", lambda r: fmt(r.get("errors"))),
]


def _match(rule: dict[str, Any]) -> str:
    parts = [
        f"{label}~{rule[key]}"
        for key, label in (
            ("schema_pattern", "schema"),
            ("object_name_pattern", "object"),
            ("column_name_pattern", "column"),
        )
        if rule.get(key)
    ]
    if rule.get("tags"):
        parts.append("tags:" + ",".join(rule["tags"]))
    return " ".join(parts)


def _labels(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def split_target(target: str) -> tuple[str, str]:
    """`source.schema.name` → the object; `source.schema.name.column` → object and column.
    A URN always names the object."""
    if target.startswith(URN_PREFIX):
        return target, ""
    parts = target.split(".")
    if len(parts) <= 3:
        return target, ""
    return ".".join(parts[:3]), ".".join(parts[3:])


@app.command("set", hidden=True)
@handle_errors
def set_classification(
    ctx: typer.Context,
    target: Annotated[
        list[str],
        typer.Argument(
            help="source.schema.name[.column] (or a URN), then, after --compliance, more labels."
        ),
    ],
    level: LevelOpt,
    compliance: ComplianceOpt = None,
) -> None:
    """Classify an object or a column by hand (rules never override it)."""
    ref, column = split_target(target[0])
    extra = target[1:]
    if extra and not compliance:
        raise CliError(f"unexpected argument(s): {' '.join(extra)}")
    # `--compliance gdpr hipaa` (roadmap syntax): the labels after the first arrive as arguments.
    body = {"level": level, "compliance": _labels([*(compliance or []), *extra])}
    path = f"/classification/objects/{segment(ref)}"
    if column:
        path += f"/columns/{segment(column)}"
    with state(ctx).client() as client:
        got = client.request("PUT", path, json=body)
    state(ctx).out.detail(CLASS_FIELDS, got)


@app.command("show")
@handle_errors
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="source.schema.name or URN.")],
) -> None:
    """An object's effective classification and its columns'."""
    with state(ctx).client() as client:
        got = client.get(f"/classification/objects/{segment(ref)}")
    out = state(ctx).out
    if out.is_json:
        print_json(got)
        return
    effective = got.get("effective")
    if effective:
        out.detail(CLASS_FIELDS, {**effective, "column": None})
    else:
        out.note(f"{got['object_ref']} is not classified")
    out.items(CLASS_COLUMNS, got.get("columns") or [], "no classified columns")


@app.command("list")
@handle_errors
def list_classifications(
    ctx: typer.Context,
    level: Annotated[str | None, typer.Option("--level", "-l", help="Only this level.")] = None,
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this source.")] = None,
) -> None:
    """Every classification (objects and columns)."""
    with state(ctx).client() as client:
        items = list(client.paginate("/classification", {"level": level, "source": source}))
    state(ctx).out.items(CLASS_COLUMNS, items, "no classifications")


# ---------------------------------------------------------------- rules
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", exists=True, dir_okay=False, help="A classification-rules.yaml to load."
    ),
]


def _import(client: Client, config: Path) -> list[dict[str, Any]]:
    response = client.send(
        "POST",
        "/classification/rules/import",
        content=config.read_bytes(),
        headers={"Content-Type": "application/yaml"},
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@rules_app.command("list")
@handle_errors
def rules_list(ctx: typer.Context) -> None:
    """The rules, highest priority first."""
    with state(ctx).client() as client:
        items = client.get("/classification/rules")["items"]
    state(ctx).out.items(RULE_COLUMNS, items, "no classification rules")


@rules_app.command("create")
@handle_errors
def rules_create(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="Rule name.")] = None,
    config: ConfigOpt = None,
    level: Annotated[str | None, typer.Option("--level", "-l", help="Level to apply.")] = None,
    compliance: ComplianceOpt = None,
    column_pattern: Annotated[
        str, typer.Option("--column-pattern", help="RE2 pattern searched in column names.")
    ] = "",
    schema_pattern: Annotated[str, typer.Option("--schema-pattern")] = "",
    object_pattern: Annotated[str, typer.Option("--object-pattern")] = "",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Object tag (repeat).")] = None,
    priority: Annotated[int, typer.Option("--priority", help="Higher wins.")] = 0,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it disabled.")] = False,
) -> None:
    """Create a rule from options, or load the rules of a YAML file (`--config`)."""
    out = state(ctx).out
    with state(ctx).client() as client:
        if config is not None:
            items = _import(client, config)
            if name:
                items = [r for r in items if r["name"] == name]
            out.items(RULE_COLUMNS, items, "no rules in the file")
            return
        if not name or not level:
            raise CliError("give --name and --level (or --config FILE)")
        body = {
            "name": name,
            "level": level,
            "compliance": _labels(compliance),
            "column_name_pattern": column_pattern,
            "schema_pattern": schema_pattern,
            "object_name_pattern": object_pattern,
            "tags": tag or [],
            "priority": priority,
            "enabled": not disabled,
        }
        rule = client.post("/classification/rules", body)
    out.items(RULE_COLUMNS, [rule], "")


@rules_app.command("delete")
@handle_errors
def rules_delete(
    ctx: typer.Context,
    rule_id: Annotated[int, typer.Argument(help="Rule id (see `classify rules list`).")],
) -> None:
    """Delete a rule (what it classified stays until the next apply)."""
    with state(ctx).client() as client:
        client.delete(f"/classification/rules/{rule_id}")
    state(ctx).out.message(f"deleted rule {rule_id}", {"id": rule_id})


@rules_app.command("apply")
@handle_errors
def rules_apply(
    ctx: typer.Context,
    config: ConfigOpt = None,
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this source.")] = None,
) -> None:
    """Run the enabled rules (after loading `--config`, when given); manual
    classifications are never overridden."""
    with state(ctx).client() as client:
        if config is not None:
            _import(client, config)
        result = client.post("/classification/rules/apply", {"source": source or ""})
    out = state(ctx).out
    out.detail(APPLY_FIELDS, result)
    for message in result.get("error_messages") or []:
        out.note(message)
