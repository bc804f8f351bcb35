"""`datacompass domain ...`: business domains, a hierarchy that cataloged objects belong to
(roadmap 10.4)."""

from typing import Annotated, Any

import typer

from datacompass_cli.client import segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time, print_json

app = typer.Typer(
    help="Business domains: create, list [--tree], show, assign, objects, move, delete.",
    no_args_is_help=True,
)
DomainArg = Annotated[str, typer.Argument(help="Domain name (or id).")]

DOMAIN_COLUMNS = [
    Col("ID", lambda d: fmt(d.get("id")), "right"),
    Col("NAME", lambda d: fmt(d.get("name"))),
    Col("PARENT", lambda d: fmt(d.get("parent"))),
    Col("OBJECTS", lambda d: fmt(d.get("object_count")), "right"),
    Col("DESCRIPTION", lambda d: fmt(d.get("description")), max_width=50),
]
TREE_COLUMNS = [
    Col("DOMAIN", lambda d: "  " * d["_depth"] + d["name"]),
    Col("OBJECTS", lambda d: fmt(d.get("object_count")), "right"),
    Col("DESCRIPTION", lambda d: fmt(d.get("description")), max_width=50),
]
DOMAIN_FIELDS: list[Field] = [
    ("id", lambda d: fmt(d.get("id"))),
    ("name", lambda d: fmt(d.get("name"))),
    ("description", lambda d: fmt(d.get("description"))),
    ("parent", lambda d: fmt(d.get("parent"))),
    ("subdomains", lambda d: ", ".join(d.get("children") or []) or "-"),
    ("objects", lambda d: fmt(d.get("object_count"))),
    ("created by", lambda d: fmt(d.get("created_by"))),
    ("created at", lambda d: fmt_time(d.get("created_at"))),
]
OBJECT_COLUMNS = [
    Col("OBJECT", lambda o: fmt(o.get("object_ref"))),
    Col("SOURCE", lambda o: fmt(o.get("source_name"))),
    Col("BY", lambda o: fmt(o.get("assigned_by"))),
    Col("AT", lambda o: fmt_time(o.get("assigned_at"))),
]


def _flatten(nodes: list[dict[str, Any]], depth: int = 0) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in nodes:
        out.append({**node, "_depth": depth})
        out.extend(_flatten(node.get("subdomains") or [], depth + 1))
    return out


@app.command("create")
@handle_errors
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Domain name.")],
    parent: Annotated[str | None, typer.Option("--parent", "-p", help="Parent domain.")] = None,
    description: Annotated[str, typer.Option("--description", "-d")] = "",
) -> None:
    """Create a domain (under --parent)."""
    body = {"name": name, "description": description, "parent": parent}
    with state(ctx).client() as client:
        got = client.post("/ownership/domains", body)
    state(ctx).out.detail(DOMAIN_FIELDS, got)


@app.command("list")
@handle_errors
def list_domains(
    ctx: typer.Context,
    tree: Annotated[bool, typer.Option("--tree", help="Show the hierarchy.")] = False,
) -> None:
    """Every domain (parents before their children)."""
    with state(ctx).client() as client:
        got = client.get("/ownership/domains", {"tree": "true" if tree else None})
    out = state(ctx).out
    if out.is_json:
        print_json(got["items"])
    elif tree:
        out.items(TREE_COLUMNS, _flatten(got["items"]), "no domains")
    else:
        out.items(DOMAIN_COLUMNS, got["items"], "no domains")


@app.command("show")
@handle_errors
def show(ctx: typer.Context, domain: DomainArg) -> None:
    """A domain: parent, subdomains, object count."""
    with state(ctx).client() as client:
        got = client.get(f"/ownership/domains/{segment(domain)}")
    state(ctx).out.detail(DOMAIN_FIELDS, got)


@app.command("assign")
@handle_errors
def assign(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="source.schema.name or URN.")],
    domain: Annotated[str, typer.Option("--domain", help="Domain name (or id).")],
) -> None:
    """Put an object in a domain (moving it from its previous one)."""
    with state(ctx).client() as client:
        got = client.post(f"/ownership/domains/{segment(domain)}/objects/{segment(ref)}")
    state(ctx).out.message(f"{got['object_ref']} is in domain {got['domain']}", got)


@app.command("objects")
@handle_errors
def objects(ctx: typer.Context, domain: DomainArg) -> None:
    """The objects in a domain."""
    with state(ctx).client() as client:
        items = list(client.paginate(f"/ownership/domains/{segment(domain)}/objects"))
    state(ctx).out.items(OBJECT_COLUMNS, items, f"no objects in {domain}")


@app.command("move")
@handle_errors
def move(
    ctx: typer.Context,
    domain: DomainArg,
    parent: Annotated[
        str | None, typer.Option("--parent", "-p", help="New parent; omit for top level.")
    ] = None,
) -> None:
    """Give a domain another parent (a cycle is refused)."""
    with state(ctx).client() as client:
        got = client.patch(f"/ownership/domains/{segment(domain)}", {"parent": parent})
    state(ctx).out.detail(DOMAIN_FIELDS, got)


@app.command("delete")
@handle_errors
def delete(ctx: typer.Context, domain: DomainArg) -> None:
    """Delete a domain (refused while it has subdomains or objects)."""
    with state(ctx).client() as client:
        client.delete(f"/ownership/domains/{segment(domain)}")
    state(ctx).out.message(f"deleted domain {domain}", {"domain": domain})
