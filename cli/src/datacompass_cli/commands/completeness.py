"""`datacompass completeness`: the least complete capsules first, with the metadata each one
misses (description, column definitions, terms, owner, classification, quality rules,
policies), filtered by source, domain, layer or owner."""

from typing import Annotated, Any

import typer

from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, fmt


def _score(item: dict[str, Any]) -> str:
    return f"{item.get('score', 0):.0f}"


def _columns(item: dict[str, Any]) -> str:
    return f"{item.get('columns_defined', 0)}/{item.get('columns', 0)}"


COLUMNS = [
    Col("CAPSULE", lambda i: fmt(i.get("object_ref"))),
    Col("SCORE", _score, "right"),
    Col("DEFINED COLS", _columns, "right"),
    Col("MISSING", lambda i: ", ".join(i.get("missing") or []) or "-", max_width=70),
    Col("LAYER", lambda i: fmt(i.get("layer"))),
    Col("DOMAIN", lambda i: fmt(i.get("domain"))),
]


@handle_errors
def command(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    domain: Annotated[str | None, typer.Option("--domain", help="Only this domain.")] = None,
    layer: Annotated[str | None, typer.Option("--layer", help="Only this layer.")] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Only capsules this user owns or stewards.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=500, help="At most this many capsules.")
    ] = 20,
) -> None:
    """The least complete capsules first, with what each one misses."""
    params = {"source": source, "domain": domain, "layer": layer, "owner": owner, "limit": limit}
    with state(ctx).client() as client:
        got = client.get("/completeness", {k: v for k, v in params.items() if v})
    out = state(ctx).out
    if out.is_json:
        out.message("", got)
    else:
        out.items(COLUMNS, got["items"], "no capsules")
