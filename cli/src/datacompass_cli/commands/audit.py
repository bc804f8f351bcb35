"""`datacompass audit ...`: read and export the audit trail."""

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from datacompass_cli.client import MAX_PAGE_SIZE
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, fmt, fmt_time

app = typer.Typer(help="Who changed what, when: the audit trail.", no_args_is_help=True)

Obj = dict[str, Any]


class ExportFormat(StrEnum):
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def _changes(event: Obj) -> str:
    parts = [
        f"{field}: {json.dumps(change.get('old'))} → {json.dumps(change.get('new'))}"
        for field, change in sorted((event.get("changes") or {}).items())
    ]
    return "; ".join(parts)


AUDIT_COLUMNS = [
    Col("TIME", lambda e: fmt_time(e.get("timestamp"))),
    Col("USER", lambda e: fmt(e.get("user"))),
    Col("ACTION", lambda e: fmt(e.get("action"))),
    Col("ENTITY", lambda e: fmt(e.get("entity_urn") or f"{e['entity_type']} {e['entity_id']}")),
    Col("CHANGES", _changes, max_width=60),
    Col("REQUEST", lambda e: fmt(e.get("request_id"))),
]

EntityType = Annotated[
    str | None, typer.Option("--entity-type", help="object, source, scan, user, api_key, ...")
]
Entity = Annotated[str | None, typer.Option("--entity", help="Entity id or URN.")]
User = Annotated[str | None, typer.Option("--user", help="Who made the change.")]
Action = Annotated[str | None, typer.Option("--action", help="e.g. object.update.")]
Since = Annotated[
    str | None, typer.Option("--since", help="From this date/time (ISO-8601, e.g. 2024-01-01).")
]
Until = Annotated[str | None, typer.Option("--until", help="Before this date/time (ISO-8601).")]


def _filters(
    entity_type: str | None,
    entity: str | None,
    user: str | None,
    action: str | None,
    since: str | None,
    until: str | None,
) -> dict[str, Any]:
    return {
        "entity_type": entity_type,
        "entity": entity,
        "user": user,
        "action": action,
        "since": since,
        "until": until,
    }


@app.command("log")
@handle_errors
def log(
    ctx: typer.Context,
    entity_type: EntityType = None,
    entity: Entity = None,
    user: User = None,
    action: Action = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most N events.")] = 50,
) -> None:
    """Show audit events, newest first."""
    st = state(ctx)
    params = _filters(entity_type, entity, user, action, since, until)
    with st.client() as client:
        events = list(
            client.paginate(
                "/audit/events", params, page_size=min(limit, MAX_PAGE_SIZE), max_items=limit
            )
        )
    st.out.items(AUDIT_COLUMNS, events, "no audit events")


@app.command("export")
@handle_errors
def export(
    ctx: typer.Context,
    export_format: Annotated[
        ExportFormat, typer.Option("--format", case_sensitive=False, help="json, jsonl or csv.")
    ] = ExportFormat.json,
    output: Annotated[
        Path | None, typer.Option("--output", "-O", help="Write to this file (default: stdout).")
    ] = None,
    entity_type: EntityType = None,
    entity: Entity = None,
    user: User = None,
    action: Action = None,
    since: Since = None,
    until: Until = None,
) -> None:
    """Export every matching audit event (the gateway streams them)."""
    st = state(ctx)
    params = _filters(entity_type, entity, user, action, since, until)
    wire = "csv" if export_format is ExportFormat.csv else "jsonl"
    with st.client() as client:
        body = client.send("GET", "/audit/events/export", params={**params, "format": wire}).text
    if export_format is ExportFormat.json:
        events = [json.loads(line) for line in body.splitlines() if line.strip()]
        body = json.dumps(events, indent=2) + "\n"
    if output is None:
        sys.stdout.write(body)
        return
    output.write_text(body)
    count = body.count("\n") - (1 if wire == "csv" else 0)
    if export_format is ExportFormat.json:
        count = len(events)
    st.out.note(f"wrote {count} audit events to {output}")
