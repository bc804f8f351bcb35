"""`datacompass mask ...`: masking rules on columns (capsule spec 5.2.2) and the SQL that would
mask an object at its source."""

import json
from typing import Annotated, Any

import typer
from rich.text import Text

from datacompass_cli.client import segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time, stdout

app = typer.Typer(
    help="Masking rules: add, list, show, update, remove, preview.", no_args_is_help=True
)
RuleId = Annotated[int, typer.Argument(help="Masking rule id.")]
ExemptRoles = Annotated[
    list[str] | None,
    typer.Option("--exempt-role", help="A role that sees clear values; repeat for several."),
]


def _target(r: dict[str, Any]) -> str:
    return f"{r['object_ref']}.{r['column']}"


def _config_text(r: dict[str, Any]) -> str:
    return json.dumps(r.get("config") or {}, sort_keys=True)


def _joined(key: str) -> Any:
    return lambda r: ", ".join(r.get(key) or []) or "-"


RULE_COLUMNS = [
    Col("ID", lambda r: fmt(r.get("id")), "right"),
    Col("COLUMN", _target),
    Col("METHOD", lambda r: fmt(r.get("method"))),
    Col("EXEMPT", _joined("exempt_roles")),
    Col("ENABLED", lambda r: "yes" if r.get("enabled") else "no"),
    Col("NAME", lambda r: fmt(r.get("name"))),
]
RULE_FIELDS: list[Field] = [
    ("id", lambda r: fmt(r.get("id"))),
    ("column", _target),
    ("name", lambda r: fmt(r.get("name"))),
    ("method", lambda r: fmt(r.get("method"))),
    ("config", _config_text),
    ("exempt roles", _joined("exempt_roles")),
    ("nulls", lambda r: "kept" if r.get("preserve_null") else "masked"),
    ("enabled", lambda r: "yes" if r.get("enabled") else "no"),
    ("description", lambda r: fmt(r.get("description"))),
    ("updated by", lambda r: fmt(r.get("updated_by"))),
    ("updated at", lambda r: fmt_time(r.get("updated_at"))),
]


def _json_config(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        config = json.loads(value)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--config") from exc
    if not isinstance(config, dict):
        raise typer.BadParameter("must be a JSON object", param_hint="--config")
    return config


@app.command("add")
@handle_errors
def add(
    ctx: typer.Context,
    column: Annotated[
        str, typer.Argument(help="<object>.<column>: source.schema.table.column or URN.column.")
    ],
    method: Annotated[
        str, typer.Option("--method", "-m", help="redaction, partial_redaction, hashing, …")
    ],
    config: Annotated[
        str | None, typer.Option("--config", help="Method settings as JSON, e.g. '{\"a\": 1}'.")
    ] = None,
    exempt_role: ExemptRoles = None,
    name: Annotated[str | None, typer.Option("--name", help="Default: column + method.")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    mask_nulls: Annotated[
        bool, typer.Option("--mask-nulls", help="Mask NULLs too (default: kept NULL).")
    ] = False,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it disabled.")] = False,
) -> None:
    """Add a masking rule to a column (a column has at most one enabled rule)."""
    body = {
        "method": method,
        "config": _json_config(config) or {},
        "exempt_roles": exempt_role or [],
        "name": name,
        "description": description,
        "preserve_null": not mask_nulls,
        "enabled": not disabled,
    }
    with state(ctx).client() as client:
        got = client.post(f"/columns/{segment(column)}/masking-rules", body)
    state(ctx).out.detail(RULE_FIELDS, got)


@app.command("list")
@handle_errors
def list_rules(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="Only this object (ref or URN).")] = None,
) -> None:
    """Masking rules (of one object), enabled or not."""
    with state(ctx).client() as client:
        items = client.get("/masking-rules", {"object": ref})["items"]
    state(ctx).out.items(RULE_COLUMNS, items, "no masking rules")


@app.command("show")
@handle_errors
def show(ctx: typer.Context, rule_id: RuleId) -> None:
    """One masking rule."""
    with state(ctx).client() as client:
        got = client.get(f"/masking-rules/{rule_id}")
    state(ctx).out.detail(RULE_FIELDS, got)


@app.command("update")
@handle_errors
def update(
    ctx: typer.Context,
    rule_id: RuleId,
    method: Annotated[
        str | None, typer.Option("--method", "-m", help="New method (config: its defaults).")
    ] = None,
    config: Annotated[
        str | None, typer.Option("--config", help="New method settings as JSON (replaced).")
    ] = None,
    exempt_role: ExemptRoles = None,
    no_exempt: Annotated[
        bool, typer.Option("--no-exempt-roles", help="Nobody is exempt any more.")
    ] = False,
    name: Annotated[str | None, typer.Option("--name")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    enabled: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Turn the rule on or off.")
    ] = None,
    mask_nulls: Annotated[
        bool | None, typer.Option("--mask-nulls/--keep-nulls", help="Mask NULLs or keep them.")
    ] = None,
) -> None:
    """Change a masking rule (only the options given)."""
    body: dict[str, Any] = {}
    if method is not None:
        body["method"] = method
    if config is not None:
        body["config"] = _json_config(config)
    if exempt_role or no_exempt:
        body["exempt_roles"] = [] if no_exempt else exempt_role
    if name is not None:
        body["name"] = name
    if description is not None:
        body["description"] = description
    if enabled is not None:
        body["enabled"] = enabled
    if mask_nulls is not None:
        body["preserve_null"] = not mask_nulls
    if not body:
        raise typer.BadParameter("give at least one option to change")
    with state(ctx).client() as client:
        got = client.patch(f"/masking-rules/{rule_id}", body)
    state(ctx).out.detail(RULE_FIELDS, got)


@app.command("remove")
@handle_errors
def remove(ctx: typer.Context, rule_id: RuleId) -> None:
    """Delete a masking rule."""
    with state(ctx).client() as client:
        client.delete(f"/masking-rules/{rule_id}")
    state(ctx).out.message(f"removed masking rule {rule_id}", {"id": rule_id})


@app.command("preview")
@handle_errors
def preview(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Object: source.schema.name or URN.")],
    dialect: Annotated[
        str | None,
        typer.Option("--dialect", help="postgres or databricks (default: the source's type)."),
    ] = None,
) -> None:
    """The SQL that would mask the object at its source with its enabled rules (not run)."""
    with state(ctx).client() as client:
        got = client.get(f"/capsules/{segment(ref)}/masking-sql", {"dialect": dialect})
    out = state(ctx).out
    if out.is_json:
        out.message("", got)
        return
    stdout().print(Text(got["sql"].rstrip("\n")))
    for note in got.get("notes") or []:
        out.note(f"-- note: {note}")
