"""`datacompass audit ...`: read and export the audit trail."""

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import httpx
import typer

from datacompass_cli.client import MAX_PAGE_SIZE
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, Format, fmt, fmt_time

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
    """Show audit events, newest first (JSON when piped and no format was chosen, so
    `datacompass audit log ... | jq '.[] | .action'` works)."""
    st = state(ctx)
    params = _filters(entity_type, entity, user, action, since, until)
    with st.client() as client:
        events = list(
            client.paginate(
                "/audit/events", params, page_size=min(limit, MAX_PAGE_SIZE), max_items=limit
            )
        )
    if not st.format_chosen and not sys.stdout.isatty():
        st.format = Format.json
    st.out.items(AUDIT_COLUMNS, events, "no audit events")


@app.command("export")
@handle_errors
def export(
    ctx: typer.Context,
    export_format: Annotated[
        ExportFormat,
        typer.Option("--format", "-o", case_sensitive=False, help="json, jsonl or csv."),
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
    """Export every matching audit event (streamed from the gateway to the output as it
    arrives, never held in memory whole)."""
    st = state(ctx)
    params = _filters(entity_type, entity, user, action, since, until)
    wire = "csv" if export_format is ExportFormat.csv else "jsonl"
    with (
        st.client() as client,
        client.stream("GET", "/audit/events/export", params={**params, "format": wire}) as response,
    ):
        if output is None:
            _write(response, export_format, sys.stdout)
            sys.stdout.flush()
            return
        # Written next to the target and renamed at the end: an interrupted export leaves no
        # truncated file behind.
        partial = output.with_name(f".{output.name}.partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as sink:
                count = _write(response, export_format, sink)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
    st.out.note(f"wrote {count} audit events to {output}")


def _write(response: httpx.Response, export_format: ExportFormat, sink: TextIO) -> int:
    """Copy the export body to `sink` chunk by chunk; return the number of events."""
    if export_format is ExportFormat.csv:
        newlines = 0
        for chunk in response.iter_text():
            sink.write(chunk)
            newlines += chunk.count("\n")
        return max(newlines - 1, 0)  # minus the header line
    count = 0
    for line in response.iter_lines():
        if not line.strip():
            continue
        if export_format is ExportFormat.jsonl:
            sink.write(line + "\n")
        else:  # one JSON array, as `json.dumps(events, indent=2)` would print it
            item = json.dumps(json.loads(line), indent=2).replace("\n", "\n  ")
            sink.write(("[\n  " if count == 0 else ",\n  ") + item)
        count += 1
    if export_format is ExportFormat.json:
        sink.write("\n]\n" if count else "[]\n")
    return count
