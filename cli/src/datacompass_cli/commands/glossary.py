"""`datacompass glossary list|show|add|propose|approve|reject|deprecate|delete|link|unlink|
import|export`: the business glossary, its approval workflow (editors add and propose,
stewards approve, send back and deprecate) and term links from capsules and columns."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from datacompass_cli.client import segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Field, fmt, fmt_time, print_json

app = typer.Typer(
    help="Business glossary: terms, their approval workflow and links to capsules and columns.",
    no_args_is_help=True,
)

TermArg = Annotated[str, typer.Argument(help="The term: its name or numeric id.")]
CapsuleArg = Annotated[
    str, typer.Argument(help="The capsule: source.schema.name, URN or numeric id.")
]
CommentOpt = Annotated[str, typer.Option("--comment", "-m", help="Recorded in the term's history.")]
STATUSES = ("draft", "under_review", "approved", "deprecated")
STATUS_STYLES = {"draft": "dim", "under_review": "yellow", "approved": "green", "deprecated": "red"}
LINK_TYPES = ("defines", "uses", "derived_from", "related")
FILE_FORMATS = ("yaml", "csv")


def _status(value: Any) -> Text:
    return Text(fmt(value), style=STATUS_STYLES.get(str(value), ""))


def _related(term: dict[str, Any]) -> str:
    return ", ".join(f"{r['relation']} {r['term']}" for r in term.get("related") or []) or "-"


def _history(term: dict[str, Any]) -> str:
    steps = [
        f"{fmt_time(h.get('changed_at'))} {h.get('from_status') or '∅'} → {h['to_status']} "
        f"by {h['actor']}" + (f": {h['comment']}" if h.get("comment") else "")
        for h in term.get("history") or []
    ]
    return "\n".join(steps) or "-"


COLUMNS = [
    Col("ID", lambda t: fmt(t.get("id")), "right"),
    Col("NAME", lambda t: fmt(t.get("name"))),
    Col("STATUS", lambda t: _status(t.get("status"))),
    Col("CATEGORY", lambda t: fmt(t.get("category"))),
    Col("LINKS", lambda t: fmt(t.get("link_count")), "right"),
    Col("DEFINITION", lambda t: fmt(t.get("definition")), max_width=60),
]

FIELDS: list[Field] = [
    ("name", lambda t: fmt(t.get("name"))),
    ("id", lambda t: fmt(t.get("id"))),
    ("display name", lambda t: fmt(t.get("display_name"))),
    ("status", lambda t: _status(t.get("status"))),
    ("definition", lambda t: fmt(t.get("definition"))),
    ("abbreviation", lambda t: fmt(t.get("abbreviation"))),
    ("synonyms", lambda t: fmt(t.get("synonyms"))),
    ("examples", lambda t: fmt(t.get("examples"))),
    ("category", lambda t: fmt(t.get("category"))),
    ("domain", lambda t: fmt(t.get("domain"))),
    ("owner", lambda t: fmt(t.get("owner"))),
    ("steward", lambda t: fmt(t.get("steward"))),
    ("related", _related),
    ("links", lambda t: fmt(t.get("link_count"))),
    ("history", _history),
    ("created", lambda t: f"{fmt_time(t.get('created_at'))} by {fmt(t.get('created_by'))}"),
    ("updated", lambda t: f"{fmt_time(t.get('updated_at'))} by {fmt(t.get('updated_by'))}"),
]

LINK_COLUMNS = [
    Col("CAPSULE", lambda x: fmt(x.get("object_ref"))),
    Col("COLUMN", lambda x: fmt(x.get("column"))),
    Col("TERM", lambda x: fmt(x.get("term_name"))),
    Col("TYPE", lambda x: fmt(x.get("link_type"))),
    Col("BY", lambda x: fmt(x.get("created_by"))),
    Col("AT", lambda x: fmt_time(x.get("created_at"))),
]


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="Full-text search over names, synonyms, definitions.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help=f"Only terms in: {', '.join(STATUSES)}.")
    ] = None,
    category: Annotated[str | None, typer.Option("--category")] = None,
    domain: Annotated[str | None, typer.Option("--domain")] = None,
) -> None:
    """List glossary terms (with a query: best matches first)."""
    if status and status not in STATUSES:
        raise typer.BadParameter(f"one of {', '.join(STATUSES)}", param_hint="--status")
    params = {"q": query or None, "status": status, "category": category, "domain": domain}
    with state(ctx).client() as client:
        items = list(client.paginate("/business-terms", params))
    state(ctx).out.items(COLUMNS, items, "no terms")


@app.command("show")
@handle_errors
def show(ctx: typer.Context, term: TermArg) -> None:
    """Show a term with its relations and workflow history."""
    with state(ctx).client() as client:
        got = client.get(f"/business-terms/{segment(term)}")
    state(ctx).out.detail(FIELDS, got)


@app.command("add")
@handle_errors
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The term's name (unique).")],
    definition: Annotated[str, typer.Option("--definition", "-d", help="What it means.")],
    display_name: Annotated[str, typer.Option("--display-name")] = "",
    abbreviation: Annotated[str, typer.Option("--abbreviation")] = "",
    synonym: Annotated[list[str] | None, typer.Option("--synonym", help="Repeat.")] = None,
    example: Annotated[list[str] | None, typer.Option("--example", help="Repeat.")] = None,
    category: Annotated[str, typer.Option("--category")] = "",
    domain: Annotated[str, typer.Option("--domain")] = "",
    owner: Annotated[str, typer.Option("--owner")] = "",
    steward: Annotated[str, typer.Option("--steward")] = "",
    is_a: Annotated[list[str] | None, typer.Option("--is-a", help="Broader term (repeat).")] = None,
    has_a: Annotated[list[str] | None, typer.Option("--has-a", help="Part (repeat).")] = None,
    related: Annotated[list[str] | None, typer.Option("--related", help="Repeat.")] = None,
    replaces: Annotated[list[str] | None, typer.Option("--replaces", help="Repeat.")] = None,
    comment: CommentOpt = "",
) -> None:
    """Add a term (as a draft)."""
    relations = [
        {"relation": relation, "term": other}
        for relation, others in (
            ("is_a", is_a),
            ("has_a", has_a),
            ("related", related),
            ("replaces", replaces),
        )
        for other in others or []
    ]
    body = {
        "name": name,
        "definition": definition,
        "display_name": display_name,
        "abbreviation": abbreviation,
        "synonyms": synonym or [],
        "examples": example or [],
        "category": category,
        "domain": domain,
        "owner": owner,
        "steward": steward,
        "related": relations,
        "comment": comment,
    }
    with state(ctx).client() as client:
        term = client.post("/business-terms", body)
    state(ctx).out.message(f"added term {term['name']!r} (id {term['id']}, draft)", term)


def _step(ctx: typer.Context, term: str, action: str, comment: str) -> None:
    with state(ctx).client() as client:
        moved = client.post(f"/business-terms/{segment(term)}/{action}", {"comment": comment})
    state(ctx).out.message(f"term {moved['name']!r} is now {moved['status']}", moved)


@app.command("propose")
@handle_errors
def propose(ctx: typer.Context, term: TermArg, comment: CommentOpt = "") -> None:
    """Propose a draft for approval (draft → under_review)."""
    _step(ctx, term, "propose", comment)


@app.command("approve")
@handle_errors
def approve(ctx: typer.Context, term: TermArg, comment: CommentOpt = "") -> None:
    """Approve a proposed term (stewards; under_review → approved)."""
    _step(ctx, term, "approve", comment)


@app.command("reject")
@handle_errors
def reject(ctx: typer.Context, term: TermArg, comment: CommentOpt = "") -> None:
    """Send a proposed term back to draft (stewards; under_review → draft)."""
    _step(ctx, term, "reject", comment)


@app.command("deprecate")
@handle_errors
def deprecate(ctx: typer.Context, term: TermArg, comment: CommentOpt = "") -> None:
    """Deprecate a term (stewards; final)."""
    _step(ctx, term, "deprecate", comment)


@app.command("delete")
@handle_errors
def delete(
    ctx: typer.Context,
    term: TermArg,
    force: Annotated[
        bool, typer.Option("--force", help="Also delete the links capsules and columns have.")
    ] = False,
) -> None:
    """Delete a term (stewards); a linked term only with --force."""
    with state(ctx).client() as client:
        gone = client.request(
            "DELETE",
            f"/business-terms/{segment(term)}",
            params={"force": "true"} if force else None,
        )
    state(ctx).out.message(f"deleted term {term!r} ({gone['links_deleted']} link(s))", gone)


@app.command("link")
@handle_errors
def link(
    ctx: typer.Context,
    term: TermArg,
    capsule: CapsuleArg,
    column: Annotated[str | None, typer.Option("--column", "-c", help="Link this column.")] = None,
    link_type: Annotated[
        str, typer.Option("--type", help=f"One of {', '.join(LINK_TYPES)}.")
    ] = "related",
) -> None:
    """Link a capsule (or one of its columns) to a term."""
    if link_type not in LINK_TYPES:
        raise typer.BadParameter(f"one of {', '.join(LINK_TYPES)}", param_hint="--type")
    body: dict[str, Any] = {"link_type": link_type}
    if column:
        body["column"] = column
    with state(ctx).client() as client:
        made = client.post(f"/capsules/{segment(capsule)}/business-terms/{segment(term)}", body)
    where = f"{made['object_ref']}.{made['column']}" if made.get("column") else made["object_ref"]
    state(ctx).out.message(f"linked {where} to {made['term_name']!r} ({link_type})", made)


@app.command("unlink")
@handle_errors
def unlink(
    ctx: typer.Context,
    term: TermArg,
    capsule: CapsuleArg,
    column: Annotated[str | None, typer.Option("--column", "-c")] = None,
) -> None:
    """Remove the link of a capsule (or one of its columns) to a term."""
    with state(ctx).client() as client:
        client.request(
            "DELETE",
            f"/capsules/{segment(capsule)}/business-terms/{segment(term)}",
            params={"column": column} if column else None,
        )
    where = f"{capsule}.{column}" if column else capsule
    state(ctx).out.message(f"unlinked {where} from {term!r}", {"unlinked": True})


@app.command("links")
@handle_errors
def links(
    ctx: typer.Context,
    capsule: Annotated[
        str | None, typer.Option("--capsule", help="Links from this capsule and its columns.")
    ] = None,
    term: Annotated[str | None, typer.Option("--term", help="Links to this term.")] = None,
) -> None:
    """List term links of a capsule or of a term."""
    if bool(capsule) == bool(term):
        raise typer.BadParameter("give --capsule or --term")
    path = (
        f"/capsules/{segment(capsule)}/business-terms"
        if capsule
        else f"/business-terms/{segment(term or '')}/links"
    )
    with state(ctx).client() as client:
        items = list(client.paginate(path))
    state(ctx).out.items(LINK_COLUMNS, items, "no links")


@app.command("import")
@handle_errors
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="YAML or CSV file.")],
    file_format: Annotated[
        str | None, typer.Option("--as", help="yaml or csv (default: from the file's suffix).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report, write nothing.")
    ] = False,
) -> None:
    """Import a glossary (stewards): all of it, or nothing when any entry is bad."""
    kind = file_format or ("csv" if file.suffix.lower() == ".csv" else "yaml")
    if kind not in FILE_FORMATS:
        raise typer.BadParameter("yaml or csv", param_hint="--as")
    if not file.is_file():
        raise typer.BadParameter(f"no file {file}", param_hint="FILE")
    body = {"format": kind, "content": file.read_text(encoding="utf-8"), "dry_run": dry_run}
    with state(ctx).client() as client:
        done = client.post("/business-terms/import", body)
    verb = "would import" if dry_run else "imported"
    state(ctx).out.message(
        f"{verb} {file.name}: {len(done['created'])} created, {len(done['updated'])} updated, "
        f"{len(done['unchanged'])} unchanged",
        done,
    )


@app.command("export")
@handle_errors
def export(
    ctx: typer.Context,
    file_format: Annotated[str, typer.Option("--as", help="yaml or csv.")] = "yaml",
    output: Annotated[
        Path | None, typer.Option("--output", "-O", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Export the whole glossary as YAML or CSV (import it back unchanged); with
    `--format json`, the API's answer (format, content, term count)."""
    kind = file_format.lower()
    if kind not in FILE_FORMATS:
        raise typer.BadParameter("yaml or csv", param_hint="--as")
    with state(ctx).client() as client:
        got = client.get("/business-terms/export", {"format": kind})
    if state(ctx).out.is_json and output is None:
        print_json(got)
        return
    if output is None:
        sys.stdout.write(got["content"])
        return
    output.write_text(got["content"], encoding="utf-8")
    typer.echo(f"exported {got['term_count']} term(s) to {output}", err=True)
