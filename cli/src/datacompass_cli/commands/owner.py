"""`datacompass owner ...` and `datacompass steward ...`: who owns, stewards or stands in for
(delegate) a cataloged object (roadmap 10.4)."""

from typing import Annotated

import typer

from datacompass_cli.client import CliError, segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time, print_json

app = typer.Typer(help="Object owners: assign, remove, list, my-objects.", no_args_is_help=True)
steward_app = typer.Typer(help="Object stewards: assign, remove.", no_args_is_help=True)

ObjectArg = Annotated[str, typer.Argument(help="source.schema.name or URN.")]
EmailOpt = Annotated[str | None, typer.Option("--email", "-e", help="The user's email address.")]
UserOpt = Annotated[str | None, typer.Option("--user", "-u", help="A governance username.")]
RoleOpt = Annotated[str, typer.Option("--role", "-r", help="owner, steward or delegate.")]

OWNER_COLUMNS = [
    Col("OBJECT", lambda o: fmt(o.get("object_ref"))),
    Col("USER", lambda o: fmt(o.get("user"))),
    Col("ROLE", lambda o: fmt(o.get("role"))),
    Col("BY", lambda o: fmt(o.get("assigned_by"))),
    Col("AT", lambda o: fmt_time(o.get("assigned_at"))),
]
OWNER_FIELDS: list[Field] = [
    ("object", lambda o: fmt(o.get("object_ref"))),
    ("user", lambda o: fmt(o.get("user"))),
    ("role", lambda o: fmt(o.get("role"))),
    ("assigned by", lambda o: fmt(o.get("assigned_by"))),
    ("assigned at", lambda o: fmt_time(o.get("assigned_at"))),
]


def _who(email: str | None, user: str | None) -> dict[str, str]:
    if bool(email) == bool(user):
        raise CliError("give exactly one of --email or --user")
    return {"email": email} if email else {"user": user or ""}


def _assign(ctx: typer.Context, ref: str, who: dict[str, str], role: str) -> None:
    with state(ctx).client() as client:
        got = client.post(f"/ownership/objects/{segment(ref)}", {**who, "role": role})
    state(ctx).out.detail(OWNER_FIELDS, got)


def _remove(ctx: typer.Context, ref: str, who_: dict[str, str], role: str) -> None:
    who = next(iter(who_.values()))
    with state(ctx).client() as client:
        client.request(
            "DELETE",
            f"/ownership/objects/{segment(ref)}/{segment(who)}",
            params={"role": role or None},
        )
    text = f"removed {who} ({role or 'every role'}) from {ref}"
    state(ctx).out.message(text, {"object": ref, "user": who, "role": role or None})


@app.command("assign")
@handle_errors
def assign(
    ctx: typer.Context,
    ref: ObjectArg,
    email: EmailOpt = None,
    user: UserOpt = None,
    role: RoleOpt = "owner",
) -> None:
    """Make a user the object's owner (or, with --role, steward or delegate)."""
    _assign(ctx, ref, _who(email, user), role)


@app.command("remove")
@handle_errors
def remove(
    ctx: typer.Context,
    ref: ObjectArg,
    email: EmailOpt = None,
    user: UserOpt = None,
    role: RoleOpt = "owner",
) -> None:
    """Remove a user's owner role (or, with --role, another role) on the object."""
    _remove(ctx, ref, _who(email, user), role)


@app.command("list")
@handle_errors
def list_owners(ctx: typer.Context, ref: ObjectArg) -> None:
    """The object's owners, stewards and delegates (and its domain)."""
    with state(ctx).client() as client:
        got = client.get(f"/ownership/objects/{segment(ref)}")
    out = state(ctx).out
    if out.is_json:
        print_json(got)
        return
    out.items(OWNER_COLUMNS, got["owners"], f"{got['object_ref']} has no owners")
    if got.get("domain"):
        out.note(f"domain: {got['domain']}")


@app.command("my-objects")
@handle_errors
def my_objects(
    ctx: typer.Context,
    role: Annotated[str | None, typer.Option("--role", "-r", help="Only this role.")] = None,
) -> None:
    """Objects you own, steward or are delegate of."""
    with state(ctx).client() as client:
        items = list(client.paginate("/ownership/my-objects", {"role": role}))
    state(ctx).out.items(OWNER_COLUMNS, items, "you own no objects")


@steward_app.command("assign")
@handle_errors
def steward_assign(
    ctx: typer.Context,
    ref: ObjectArg,
    email: EmailOpt = None,
    user: UserOpt = None,
) -> None:
    """Make a user the object's data steward."""
    _assign(ctx, ref, _who(email, user), "steward")


@steward_app.command("remove")
@handle_errors
def steward_remove(
    ctx: typer.Context, ref: ObjectArg, email: EmailOpt = None, user: UserOpt = None
) -> None:
    """Remove a user's steward role on the object."""
    _remove(ctx, ref, _who(email, user), "steward")
