"""`datacompass column show|describe|rules`: what a capsule's columns mean — business definition
(kept apart from the source comment that scans refresh), semantic type, unit, value domain,
claims on the values (range, allowed values, RE2 pattern) and examples — and the quality rules
that enforce the claims (`rules` creates the missing ones)."""

from typing import Annotated, Any

import typer

from datacompass_cli.client import segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time

app = typer.Typer(
    help="Column meaning: definitions, units, value domains and claims.", no_args_is_help=True
)

CapsuleArg = Annotated[
    str, typer.Argument(help="The capsule: source.schema.name, URN or numeric id.")
]
ColumnArg = Annotated[str, typer.Argument(help="The column's name.")]
CLEARABLE = (
    "definition",
    "semantic-type",
    "unit",
    "domain",
    "min",
    "max",
    "allowed",
    "pattern",
    "example",
)
# CLI option → REST field
FIELD_OF = {
    "definition": "business_definition",
    "semantic-type": "semantic_type",
    "unit": "unit_of_measure",
    "domain": "value_domain",
    "min": "min_value",
    "max": "max_value",
    "allowed": "allowed_values",
    "pattern": "format_pattern",
    "example": "examples",
}


def _range(claims: dict[str, Any]) -> str:
    low, high = claims.get("min_value"), claims.get("max_value")
    if low is None and high is None:
        return "-"
    return f"{fmt(low) if low is not None else '…'} .. {fmt(high) if high is not None else '…'}"


def _effective(col: dict[str, Any]) -> str:
    eff = col.get("effective") or {}
    parts = []
    if eff.get("min_value") is not None or eff.get("max_value") is not None:
        parts.append(f"range {_range(eff)}")
    if eff.get("allowed_values"):
        parts.append(f"values {', '.join(eff['allowed_values'])}")
    if eff.get("format_pattern"):
        parts.append(f"pattern {eff['format_pattern']}")
    inherited = eff.get("inherited") or []
    text = "; ".join(parts) or "-"
    return f"{text} (from the domain: {', '.join(inherited)})" if inherited else text


def _enforced(rules: dict[str, Any] | None) -> str:
    if rules is None:
        return "(quality service not answering)"
    return "; ".join(f"{claim}: rule {r['id']} {r['name']}" for claim, r in rules.items()) or "-"


RULE_COLUMNS = [
    Col("CLAIM", lambda o: fmt(o.get("claim"))),
    Col("STATUS", lambda o: fmt(o.get("status"))),
    Col("RULE", lambda o: fmt(o["rule"].get("id"))),
    Col("NAME", lambda o: fmt(o["rule"].get("name"))),
    Col("TYPE", lambda o: fmt(o["rule"].get("rule_type"))),
    Col("EXPECTED", lambda o: fmt(o["rule"].get("expected")), max_width=50),
]

COLUMNS = [
    Col("COLUMN", lambda c: fmt(c.get("column"))),
    Col("TYPE", lambda c: fmt(c.get("data_type"))),
    Col("DEFINITION", lambda c: fmt(c.get("business_definition")), max_width=50),
    Col("SEMANTIC", lambda c: fmt(c.get("semantic_type"))),
    Col("UNIT", lambda c: fmt(c.get("unit_of_measure"))),
    Col("DOMAIN", lambda c: fmt(c.get("value_domain"))),
    Col("CLAIMS", _effective, max_width=50),
]

FIELDS: list[Field] = [
    ("column", lambda c: fmt(c.get("column"))),
    ("urn", lambda c: fmt(c.get("column_urn"))),
    ("data type", lambda c: fmt(c.get("data_type"))),
    ("definition", lambda c: fmt(c.get("business_definition"))),
    ("source comment", lambda c: fmt(c.get("source_comment"))),
    ("semantic type", lambda c: fmt(c.get("semantic_type"))),
    ("unit", lambda c: fmt(c.get("unit_of_measure"))),
    ("value domain", lambda c: fmt(c.get("value_domain"))),
    ("range", lambda c: _range(c.get("claims") or {})),
    ("allowed values", lambda c: fmt((c.get("claims") or {}).get("allowed_values"))),
    ("pattern", lambda c: fmt((c.get("claims") or {}).get("format_pattern"))),
    ("examples", lambda c: fmt(c.get("examples"))),
    ("effective claims", _effective),
    ("enforced by", lambda c: _enforced(c.get("enforced_by"))),
    ("updated", lambda c: f"{fmt_time(c.get('updated_at'))} by {fmt(c.get('updated_by'))}"),
]


@app.command("show")
@handle_errors
def show(
    ctx: typer.Context,
    capsule: CapsuleArg,
    column: Annotated[str | None, typer.Argument(help="One column (default: all).")] = None,
) -> None:
    """Show what a capsule's columns (or one of them) mean."""
    base = f"/capsules/{segment(capsule)}/columns"
    with state(ctx).client() as client:
        if column:
            state(ctx).out.detail(FIELDS, client.get(f"{base}/{segment(column)}"))
            return
        items = client.get(base)["items"]
    state(ctx).out.items(COLUMNS, items, "no columns")


@app.command("describe")
@handle_errors
def describe(
    ctx: typer.Context,
    capsule: CapsuleArg,
    column: ColumnArg,
    definition: Annotated[
        str | None, typer.Option("--definition", "-d", help="Business definition.")
    ] = None,
    semantic_type: Annotated[
        str | None, typer.Option("--semantic-type", help="e.g. identifier, metric, pii.")
    ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="e.g. USD, meters.")] = None,
    domain: Annotated[str | None, typer.Option("--domain", help="A value domain's name.")] = None,
    min_value: Annotated[float | None, typer.Option("--min", help="Smallest valid value.")] = None,
    max_value: Annotated[float | None, typer.Option("--max", help="Largest valid value.")] = None,
    allowed: Annotated[
        list[str] | None, typer.Option("--allowed", help="An allowed value (repeat).")
    ] = None,
    pattern: Annotated[
        str | None, typer.Option("--pattern", help="RE2 pattern every value matches.")
    ] = None,
    example: Annotated[list[str] | None, typer.Option("--example", help="Repeat.")] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", help=f"Clear a field (repeat): {', '.join(CLEARABLE)}."),
    ] = None,
) -> None:
    """Describe a column: only the options given change (scans never overwrite them)."""
    given = {
        "definition": definition,
        "semantic-type": semantic_type,
        "unit": unit,
        "domain": domain,
        "min": min_value,
        "max": max_value,
        "allowed": allowed,
        "pattern": pattern,
        "example": example,
    }
    body: dict[str, Any] = {FIELD_OF[k]: v for k, v in given.items() if v is not None}
    for name in clear or []:
        if name not in CLEARABLE:
            raise typer.BadParameter(f"one of {', '.join(CLEARABLE)}", param_hint="--clear")
        body[FIELD_OF[name]] = None
    if not body:
        raise typer.BadParameter("give at least one option to change (see --help)")
    with state(ctx).client() as client:
        col = client.patch(f"/capsules/{segment(capsule)}/columns/{segment(column)}", body)
    state(ctx).out.message(f"described {col['object_ref']}.{col['column']}", col)


@app.command("rules")
@handle_errors
def rules(
    ctx: typer.Context,
    capsule: CapsuleArg,
    column: ColumnArg,
    severity: Annotated[
        str, typer.Option("--severity", help="info | warning | error | critical.")
    ] = "warning",
    blocking: Annotated[bool, typer.Option("--blocking", help="Rules block on failure.")] = False,
) -> None:
    """Turn the column's claims into quality rules: allowed values → value_in_set, min/max →
    range_check, pattern → pattern_match. Claims already enforced are shown as existing."""
    path = f"/capsules/{segment(capsule)}/columns/{segment(column)}/claims/rules"
    with state(ctx).client() as client:
        got = client.post(path, {"severity": severity, "blocking": blocking})
    out = state(ctx).out
    if out.is_json:
        out.message("", got)
    else:
        out.items(RULE_COLUMNS, got["items"], "no claims")
