"""`datacompass deprecation create|list|show|withdraw`: deprecation campaigns — objects
deprecated with a deadline and an optional replacement."""

from datetime import date
from typing import Annotated, Any

import typer
from rich.text import Text

from datacompass_cli.client import segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time

app = typer.Typer(
    help="Deprecation campaigns: deprecate objects with a deadline and a replacement.",
    no_args_is_help=True,
)

RefArg = Annotated[
    str, typer.Argument(help="Object reference: source.schema.name, URN or numeric id.")
]
STATUSES = ("active", "deadline_passed", "withdrawn")
STATUS_STYLES = {"active": "yellow", "deadline_passed": "bold red", "withdrawn": "dim"}


def _status(value: Any) -> Text:
    return Text(fmt(value), style=STATUS_STYLES.get(str(value), ""))


def _notice(dep: dict[str, Any]) -> str:
    days = dep.get("last_notice_days")
    return f"{days} days before the deadline" if days else "-"


def _days_left(dep: dict[str, Any]) -> str:
    return "-" if dep.get("status") == "withdrawn" else fmt(dep.get("days_left"))


COLUMNS = [
    Col("OBJECT", lambda d: fmt(d.get("object_ref"))),
    Col("DEADLINE", lambda d: fmt(d.get("deadline"))),
    Col("DAYS LEFT", _days_left, "right"),
    Col("STATUS", lambda d: _status(d.get("status"))),
    Col("REPLACEMENT", lambda d: fmt(d.get("replacement_ref"))),
    Col("MESSAGE", lambda d: fmt(d.get("message")), max_width=50),
]

FIELDS: list[Field] = [
    ("object", lambda d: fmt(d.get("object_ref"))),
    ("urn", lambda d: fmt(d.get("object_urn"))),
    ("status", lambda d: _status(d.get("status"))),
    ("deadline", lambda d: fmt(d.get("deadline"))),
    ("days left", _days_left),
    ("replacement", lambda d: fmt(d.get("replacement_ref"))),
    ("replacement urn", lambda d: fmt(d.get("replacement_urn"))),
    ("message", lambda d: fmt(d.get("message"))),
    ("last notice", _notice),
    ("created by", lambda d: fmt(d.get("created_by"))),
    ("created", lambda d: fmt_time(d.get("created_at"))),
    ("updated", lambda d: fmt_time(d.get("updated_at"))),
    ("withdrawn by", lambda d: fmt(d.get("withdrawn_by"))),
    ("withdrawn", lambda d: fmt_time(d.get("withdrawn_at"))),
]


@app.command("create")
@handle_errors
def create(
    ctx: typer.Context,
    ref: RefArg,
    deadline: Annotated[
        str, typer.Option("--deadline", help="Deadline date YYYY-MM-DD (today or later).")
    ],
    replacement: Annotated[
        str | None,
        typer.Option("--replacement", help="Ref or URN of the object that replaces it."),
    ] = None,
    message: Annotated[
        str, typer.Option("--message", "-m", help="Why, and what consumers should do.")
    ] = "",
) -> None:
    """Deprecate an object (or change the deadline/replacement of its deprecation)."""
    try:
        date.fromisoformat(deadline)
    except ValueError as exc:
        raise typer.BadParameter("expected YYYY-MM-DD", param_hint="--deadline") from exc
    body: dict[str, Any] = {"ref": ref, "deadline": deadline, "message": message}
    if replacement:
        body["replacement"] = replacement
    with state(ctx).client() as client:
        dep = client.post("/deprecations", body)
    out = state(ctx).out
    out.message(
        f"deprecated {dep['object_ref']}: deadline {dep['deadline']} "
        f"({dep['days_left']} days left)"
        + (f", replaced by {dep['replacement_ref']}" if dep.get("replacement_ref") else ""),
        dep,
    )


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option("--status", help=f"Only campaigns in this status: {', '.join(STATUSES)}."),
    ] = None,
) -> None:
    """List deprecation campaigns, soonest deadline first."""
    if status and status not in STATUSES:
        raise typer.BadParameter(f"one of {', '.join(STATUSES)}", param_hint="--status")
    with state(ctx).client() as client:
        items = list(client.paginate("/deprecations", {"status": status}))
    state(ctx).out.items(COLUMNS, items, "no deprecations")


@app.command("show")
@handle_errors
def show(ctx: typer.Context, ref: RefArg) -> None:
    """Show an object's deprecation: status, deadline, days left, replacement."""
    with state(ctx).client() as client:
        dep = client.get(f"/deprecations/{segment(ref)}")
    state(ctx).out.detail(FIELDS, dep)


@app.command("withdraw")
@handle_errors
def withdraw(ctx: typer.Context, ref: RefArg) -> None:
    """Withdraw an object's deprecation."""
    with state(ctx).client() as client:
        dep = client.delete(f"/deprecations/{segment(ref)}")
    state(ctx).out.message(f"withdrew the deprecation of {dep['object_ref']}", dep)
