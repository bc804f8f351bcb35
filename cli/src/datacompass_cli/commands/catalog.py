"""`datacompass catalog ...`: search and inspect catalog objects."""

from typing import Annotated

import typer

from datacompass_cli.client import MAX_PAGE_SIZE, segment
from datacompass_cli.commands import lineage
from datacompass_cli.context import handle_errors, state

app = typer.Typer(help="Search and inspect catalog objects.", no_args_is_help=True)
lineage.register(app)  # catalog lineage | versions | diff


@app.command("search")
@handle_errors
def search(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="Text to search for (omit to list everything).")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    object_type: Annotated[
        str | None,
        typer.Option("--type", help="Only this object type (table, view, materialized_view, ...)."),
    ] = None,
    include_deleted: Annotated[
        bool, typer.Option("--include-deleted", help="Include objects gone from the source.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most N objects.")] = 50,
    all_: Annotated[bool, typer.Option("--all", help="Fetch every matching object.")] = False,
) -> None:
    """Search catalog objects by name, description or tags."""
    st = state(ctx)
    params = {
        "q": query or None,
        "source": source,
        "type": object_type,
        "include_deleted": True if include_deleted else None,
    }
    with st.client() as client:
        if all_:
            objects = list(client.paginate("/objects", params))
            more = False
        else:
            objects = []
            cursor: str | None = None
            while True:
                page_size = min(limit - len(objects), MAX_PAGE_SIZE)
                items, cursor = client.page(
                    "/objects", {**params, "limit": page_size, "cursor": cursor}
                )
                objects.extend(items)
                if not cursor or len(objects) >= limit:
                    break
            more = cursor is not None or len(objects) > limit
            objects = objects[:limit]
    st.out.objects(objects)
    if more and not st.out.is_json:
        st.out.note(f"showing the first {limit} objects; use --limit N or --all for more")


@app.command("show")
@handle_errors
def show(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(help="Object reference: source.schema.name, URN or numeric id.")
    ],
) -> None:
    """Show a catalog object with its columns."""
    st = state(ctx)
    with st.client() as client:
        obj = client.get(f"/objects/{segment(ref)}")
    st.out.object(obj)


@app.command("edit")
@handle_errors
def edit(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(help="Object reference: source.schema.name, URN or numeric id.")
    ],
    description: Annotated[
        str | None, typer.Option("--description", "-d", help='Description ("" clears it).')
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="A tag (repeat; replaces the tags).")
    ] = None,
    layer: Annotated[
        str | None,
        typer.Option("--layer", help='Medallion layer, e.g. bronze, silver, gold ("" clears).'),
    ] = None,
) -> None:
    """Edit what people write on an object: description, tags, layer."""
    body = {"description": description, "tags": tag, "layer": layer}
    body = {k: v for k, v in body.items() if v is not None}
    if not body:
        raise typer.BadParameter("give --description, --tag or --layer")
    st = state(ctx)
    with st.client() as client:
        obj = client.patch(f"/objects/{segment(ref)}", body)
    st.out.object(obj)
