"""`datacompass domain-values list|show|add|update|delete`: value domains — enumerated values with
labels, ranges, RE2 patterns and reference tables — that columns reuse (a column using one
inherits its claims)."""

from typing import Annotated, Any

import typer

from datacompass_cli.client import segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time

app = typer.Typer(
    help="Value domains: controlled vocabularies, ranges, patterns, reference tables.",
    no_args_is_help=True,
)

TYPES = ("enum", "range", "pattern", "reference")
NameArg = Annotated[str, typer.Argument(help="The value domain's name.")]


def _what(domain: dict[str, Any]) -> str:
    kind = domain.get("domain_type")
    if kind == "enum":
        return ", ".join(v["code"] for v in domain.get("values") or [])
    if kind == "range":
        low, high = domain.get("min_value"), domain.get("max_value")
        return f"{fmt(low) if low is not None else '…'} .. {fmt(high) if high is not None else '…'}"
    if kind == "pattern":
        return fmt(domain.get("pattern"))
    return f"{fmt(domain.get('reference_object_urn'))}.{fmt(domain.get('reference_column'))}"


def _values(domain: dict[str, Any]) -> str:
    values = domain.get("values") or []
    return "\n".join(f"{v['code']}: {v['label']}" if v.get("label") else v["code"] for v in values)


COLUMNS = [
    Col("NAME", lambda d: fmt(d.get("name"))),
    Col("TYPE", lambda d: fmt(d.get("domain_type"))),
    Col("VALUES", _what, max_width=60),
    Col("COLUMNS", lambda d: fmt(d.get("column_count")), "right"),
]

FIELDS: list[Field] = [
    ("name", lambda d: fmt(d.get("name"))),
    ("type", lambda d: fmt(d.get("domain_type"))),
    ("description", lambda d: fmt(d.get("description"))),
    ("values", lambda d: _values(d) or "-"),
    ("definition", _what),
    ("pattern description", lambda d: fmt(d.get("pattern_description"))),
    ("extensible", lambda d: fmt(d.get("extensible"))),
    ("owner", lambda d: fmt(d.get("owner"))),
    ("columns using it", lambda d: fmt(d.get("column_count"))),
    ("created", lambda d: f"{fmt_time(d.get('created_at'))} by {fmt(d.get('created_by'))}"),
]


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    domain_type: Annotated[
        str | None, typer.Option("--type", help=f"Only this type: {', '.join(TYPES)}.")
    ] = None,
) -> None:
    """List value domains."""
    if domain_type and domain_type not in TYPES:
        raise typer.BadParameter(f"one of {', '.join(TYPES)}", param_hint="--type")
    with state(ctx).client() as client:
        items = list(client.paginate("/value-domains", {"domain_type": domain_type}))
    state(ctx).out.items(COLUMNS, items, "no value domains")


@app.command("show")
@handle_errors
def show(ctx: typer.Context, name: NameArg) -> None:
    """Show a value domain."""
    with state(ctx).client() as client:
        state(ctx).out.detail(FIELDS, client.get(f"/value-domains/{segment(name)}"))


@app.command("add")
@handle_errors
def add(
    ctx: typer.Context,
    name: NameArg,
    domain_type: Annotated[str, typer.Option("--type", help=f"One of {', '.join(TYPES)}.")],
    value: Annotated[
        list[str] | None,
        typer.Option("--value", help="enum: a value as CODE or CODE=Label (repeat)."),
    ] = None,
    min_value: Annotated[float | None, typer.Option("--min", help="range: smallest.")] = None,
    max_value: Annotated[float | None, typer.Option("--max", help="range: largest.")] = None,
    pattern: Annotated[str | None, typer.Option("--pattern", help="pattern: RE2.")] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="reference: the values' capsule.")
    ] = None,
    reference_column: Annotated[
        str | None, typer.Option("--reference-column", help="reference: its column.")
    ] = None,
    description: Annotated[str, typer.Option("--description")] = "",
    extensible: Annotated[bool, typer.Option("--extensible", help="New values may come.")] = False,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
) -> None:
    """Add a value domain."""
    if domain_type not in TYPES:
        raise typer.BadParameter(f"one of {', '.join(TYPES)}", param_hint="--type")
    body: dict[str, Any] = {
        "name": name,
        "domain_type": domain_type,
        "description": description,
        "values": _parse_values(value),
        "min_value": min_value,
        "max_value": max_value,
        "pattern": pattern,
        "reference_object": reference,
        "reference_column": reference_column,
        "extensible": extensible,
        "owner": owner,
    }
    with state(ctx).client() as client:
        made = client.post("/value-domains", {k: v for k, v in body.items() if v is not None})
    state(ctx).out.message(f"added {made['domain_type']} value domain {made['name']!r}", made)


CLEARABLE = (
    "description",
    "values",
    "min_value",
    "max_value",
    "pattern",
    "pattern_description",
    "reference_object",
    "reference_column",
    "owner",
)


@app.command("update")
@handle_errors
def update(
    ctx: typer.Context,
    name: NameArg,
    rename: Annotated[str | None, typer.Option("--rename", help="A new name.")] = None,
    domain_type: Annotated[
        str | None, typer.Option("--type", help=f"One of {', '.join(TYPES)}.")
    ] = None,
    value: Annotated[
        list[str] | None,
        typer.Option("--value", help="enum: the values as CODE or CODE=Label (repeat; replaces)."),
    ] = None,
    min_value: Annotated[float | None, typer.Option("--min", help="range: smallest.")] = None,
    max_value: Annotated[float | None, typer.Option("--max", help="range: largest.")] = None,
    pattern: Annotated[str | None, typer.Option("--pattern", help="pattern: RE2.")] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="reference: the values' capsule.")
    ] = None,
    reference_column: Annotated[
        str | None, typer.Option("--reference-column", help="reference: its column.")
    ] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    extensible: Annotated[
        bool | None, typer.Option("--extensible/--not-extensible", help="New values may come.")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", help=f"Clear a field (repeat): {', '.join(CLEARABLE)}."),
    ] = None,
) -> None:
    """Change a value domain: only the options given change (columns using it inherit)."""
    if domain_type is not None and domain_type not in TYPES:
        raise typer.BadParameter(f"one of {', '.join(TYPES)}", param_hint="--type")
    unknown = [c for c in clear or [] if c not in CLEARABLE]
    if unknown:
        raise typer.BadParameter(f"one of {', '.join(CLEARABLE)}", param_hint="--clear")
    given: dict[str, Any] = {
        "name": rename,
        "domain_type": domain_type,
        "description": description,
        "values": _parse_values(value) if value else None,
        "min_value": min_value,
        "max_value": max_value,
        "pattern": pattern,
        "reference_object": reference,
        "reference_column": reference_column,
        "extensible": extensible,
        "owner": owner,
    }
    body = {k: v for k, v in given.items() if v is not None}
    both = sorted(set(body) & set(clear or []))
    if both:
        raise typer.BadParameter(f"{', '.join(both)} both set and cleared", param_hint="--clear")
    body.update({field: None for field in clear or []})
    if not body:
        raise typer.BadParameter("give at least one field to change")
    with state(ctx).client() as client:
        changed = client.patch(f"/value-domains/{segment(name)}", body)
    state(ctx).out.message(f"updated value domain {changed['name']!r}", changed)


def _parse_values(items: list[str] | None) -> list[dict[str, str]]:
    values = []
    for item in items or []:
        code, _, label = item.partition("=")
        values.append({"code": code.strip(), "label": label.strip()})
    return values


@app.command("delete")
@handle_errors
def delete(ctx: typer.Context, name: NameArg) -> None:
    """Delete a value domain no column uses."""
    with state(ctx).client() as client:
        client.delete(f"/value-domains/{segment(name)}")
    state(ctx).out.message(f"deleted value domain {name!r}", {"deleted": name})
