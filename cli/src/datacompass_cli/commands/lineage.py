"""`datacompass catalog lineage|versions|diff`: provenance of a catalog object (registered on
the `catalog` group by commands/catalog.py)."""

from typing import Annotated, Any

import typer
from rich.text import Text

from datacompass_cli.client import segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, fmt, fmt_time, stdout

RefArg = Annotated[
    str, typer.Argument(help="Object reference: source.schema.name, URN or numeric id.")
]


def _breaking(value: Any) -> Text:
    return Text("BREAKING", style="bold red") if value else Text("-")


def _column(edge: dict[str, Any], side: str) -> str:
    col = edge.get(f"{side}_column")
    return f"{edge.get(f'{side}_ref')}.{col}" if col else str(edge.get(f"{side}_ref"))


EDGE_COLUMNS = [
    Col("DEPTH", lambda e: fmt(e.get("depth")), "right"),
    Col("UPSTREAM", lambda e: _column(e, "upstream")),
    Col("DOWNSTREAM", lambda e: _column(e, "downstream")),
    Col("TYPE", lambda e: fmt(e.get("edge_type"))),
    Col("ORIGIN", lambda e: fmt(e.get("origin"))),
    Col("CONFIDENCE", lambda e: f"{e.get('confidence', 0):.2f}", "right"),
]

VERSION_COLUMNS = [
    Col("#", lambda v: fmt(v.get("version_number")), "right"),
    Col("VERSION", lambda v: fmt(v.get("version"))),
    Col("CHANGE", lambda v: fmt(v.get("change_type"))),
    Col("BREAKING", lambda v: _breaking(v.get("breaking"))),
    Col("SUMMARY", lambda v: fmt(v.get("change_summary")), max_width=60),
    Col("CREATED", lambda v: fmt_time(v.get("created_at"))),
]

CHANGE_COLUMNS = [
    Col("KIND", lambda c: fmt(c.get("kind"))),
    Col("TARGET", lambda c: fmt(c.get("target"))),
    Col("DETAIL", lambda c: fmt(c.get("detail")), max_width=60),
    Col("BREAKING", lambda c: _breaking(c.get("breaking"))),
]


def register(app: typer.Typer) -> None:
    app.command("lineage")(lineage)
    app.command("versions")(versions)
    app.command("diff")(diff)


@handle_errors
def lineage(
    ctx: typer.Context,
    ref: RefArg,
    direction: Annotated[
        str | None,
        typer.Option("--direction", "-d", help="upstream or downstream (default: both)."),
    ] = None,
    depth: Annotated[int, typer.Option("--depth", min=1, max=10, help="Maximum hops.")] = 3,
    columns: Annotated[
        bool, typer.Option("--columns/--tables", help="Include column-level edges.")
    ] = False,
) -> None:
    """Show lineage edges reachable from an object."""
    st = state(ctx)
    params: dict[str, Any] = {"depth": depth}
    if direction:
        params["direction"] = direction
    with st.client() as client:
        edges: list[dict[str, Any]] = []
        first: dict[str, Any] = {}
        cursor: str | None = None
        while True:
            page = client.get(
                f"/objects/{segment(ref)}/lineage", {**params, "limit": 500, "cursor": cursor}
            )
            first = first or page
            edges.extend(page["edges"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
    if not columns:
        edges = [e for e in edges if not e.get("upstream_column")]
    if st.out.is_json:
        st.out.message("", {**first, "edges": edges, "next_cursor": None})
        return
    st.out.items(EDGE_COLUMNS, edges, "no lineage edges")
    parse = first.get("view_parse")
    if parse:
        note = f"view SQL parsed with confidence {parse['confidence']:.2f}"
        if parse.get("error"):
            note += f": {parse['error']}"
        if parse.get("unresolved"):
            note += f"; not in the catalog: {', '.join(parse['unresolved'])}"
        st.out.note(note)


@handle_errors
def versions(ctx: typer.Context, ref: RefArg) -> None:
    """Show an object's schema versions (newest first)."""
    st = state(ctx)
    with st.client() as client:
        items = list(client.paginate(f"/capsules/{segment(ref)}/versions", {}))
    st.out.items(VERSION_COLUMNS, items, "no versions (never scanned?)")


@handle_errors
def diff(
    ctx: typer.Context,
    ref: RefArg,
    from_version: Annotated[str, typer.Argument(help="Version number or name (e.g. 1.0.0).")],
    to_version: Annotated[
        str | None, typer.Argument(help="Version number or name (default: current).")
    ] = None,
) -> None:
    """Compare two schema versions; each change is flagged breaking or not."""
    st = state(ctx)
    params = {"from": from_version, "to": to_version}
    with st.client() as client:
        result = client.get(f"/capsules/{segment(ref)}/diff", params)
    if st.out.is_json:
        st.out.message("", result)
        return
    verdict = "BREAKING" if result["breaking"] else "compatible"
    stdout().print(
        Text(
            f"{result['from_version']} -> {result['to_version']}: {verdict} "
            f"({result['bump']} bump)",
            style="bold red" if result["breaking"] else "",
        )
    )
    st.out.items(CHANGE_COLUMNS, result["changes"], "no schema changes")
