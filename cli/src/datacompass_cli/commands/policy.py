"""`datacompass policy ...`: data policies on objects and columns (capsule spec 5.2.1)."""

from typing import Annotated, Any

import typer

from datacompass_cli.client import segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time

app = typer.Typer(help="Data policies: list [--overdue], show, create.", no_args_is_help=True)
Many = typer.Option(help="Repeat for several values.")


def _target(p: dict[str, Any]) -> str:
    return p["object_ref"] + (f".{p['column']}" if p.get("column") else "")


def _joined(key: str) -> Any:
    return lambda p: ", ".join(p.get(key) or []) or "-"


POLICY_COLUMNS = [
    Col("ID", lambda p: fmt(p.get("id")), "right"),
    Col("TARGET", _target),
    Col("SENSITIVITY", lambda p: fmt(p.get("sensitivity"))),
    Col("RETENTION", lambda p: f"{p['retention_days']}d" if p.get("retention_days") else "-"),
    Col("COMPLIANCE", _joined("compliance")),
    Col("NEXT REVIEW", lambda p: fmt(p.get("next_review_date"))),
    Col("OVERDUE", lambda p: "yes" if p.get("overdue") else ""),
]
POLICY_FIELDS: list[Field] = [
    ("id", lambda p: fmt(p.get("id"))),
    ("target", _target),
    ("sensitivity", lambda p: fmt(p.get("sensitivity"))),
    (
        "retention",
        lambda p: (
            f"{p['retention_days']} days from {p['retention_start']}, then {p['deletion_action']}"
            if p.get("retention_days")
            else "-"
        ),
    ),
    ("legal hold", lambda p: "yes" if p.get("legal_hold") else "no"),
    ("allowed regions", _joined("allowed_regions")),
    ("restricted regions", _joined("restricted_regions")),
    ("residency", lambda p: fmt(p.get("residency"))),
    ("minimum role", lambda p: fmt(p.get("min_role"))),
    ("allowed roles", _joined("allowed_roles")),
    ("denied roles", _joined("denied_roles")),
    ("purposes", _joined("purposes")),
    ("masking required", lambda p: "yes" if p.get("masking_required") else "no"),
    ("encryption required", lambda p: "yes" if p.get("encryption_required") else "no"),
    ("compliance", _joined("compliance")),
    (
        "review cycle",
        lambda p: f"{p['review_cycle_days']} days" if p.get("review_cycle_days") else "-",
    ),
    ("last reviewed", lambda p: fmt(p.get("last_reviewed_on"))),
    ("next review", lambda p: fmt(p.get("next_review_date"))),
    ("overdue", lambda p: "yes" if p.get("overdue") else "no"),
    ("updated by", lambda p: fmt(p.get("updated_by"))),
    ("updated at", lambda p: fmt_time(p.get("updated_at"))),
]


@app.command("list")
@handle_errors
def list_policies(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Argument(help="Only this object (ref or URN).")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those due for review.")] = False,
) -> None:
    """Data policies (of one object and its columns), or those overdue for review."""
    path = f"/capsules/{segment(ref)}/policies" if ref else "/policies"
    with state(ctx).client() as client:
        items = list(client.paginate(path, {"overdue": "true" if overdue else None}))
    state(ctx).out.items(POLICY_COLUMNS, items, "no policies")


@app.command("show")
@handle_errors
def show(
    ctx: typer.Context,
    policy_id: Annotated[int, typer.Argument(help="Policy id.")],
) -> None:
    """One data policy."""
    with state(ctx).client() as client:
        got = client.get(f"/policies/{policy_id}")
    state(ctx).out.detail(POLICY_FIELDS, got)


@app.command("create")
@handle_errors
def create(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Object: source.schema.name or URN.")],
    sensitivity: Annotated[str, typer.Option("--sensitivity", "-s", help="public … secret.")],
    column: Annotated[str | None, typer.Option("--column", help="A column of it.")] = None,
    retention_days: Annotated[int, typer.Option("--retention-days")] = 0,
    retention_start: Annotated[str | None, typer.Option("--retention-start")] = None,
    deletion_action: Annotated[str | None, typer.Option("--deletion-action")] = None,
    legal_hold: Annotated[bool, typer.Option("--legal-hold")] = False,
    allowed_region: Annotated[list[str] | None, Many] = None,
    restricted_region: Annotated[list[str] | None, Many] = None,
    residency: Annotated[str | None, typer.Option("--residency")] = None,
    min_role: Annotated[str | None, typer.Option("--min-role")] = None,
    allowed_role: Annotated[list[str] | None, Many] = None,
    denied_role: Annotated[list[str] | None, Many] = None,
    purpose: Annotated[list[str] | None, Many] = None,
    masking: Annotated[bool, typer.Option("--masking", help="Masking required.")] = False,
    encryption: Annotated[bool, typer.Option("--encryption", help="Encryption required.")] = False,
    compliance: Annotated[list[str] | None, Many] = None,
    review_days: Annotated[int, typer.Option("--review-days", help="Review cycle.")] = 0,
) -> None:
    """Create a data policy on an object or one of its columns."""
    body = {
        "sensitivity": sensitivity,
        "column": column,
        "retention_days": retention_days,
        "retention_start": retention_start,
        "deletion_action": deletion_action,
        "legal_hold": legal_hold,
        "allowed_regions": allowed_region or [],
        "restricted_regions": restricted_region or [],
        "residency": residency,
        "min_role": min_role,
        "allowed_roles": allowed_role or [],
        "denied_roles": denied_role or [],
        "purposes": purpose or [],
        "masking_required": masking,
        "encryption_required": encryption,
        "compliance": compliance or [],
        "review_cycle_days": review_days,
    }
    with state(ctx).client() as client:
        got = client.post(f"/capsules/{segment(ref)}/policies", body)
    state(ctx).out.detail(POLICY_FIELDS, got)
