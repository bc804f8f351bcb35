"""Rendering of API objects as rich tables (humans) or JSON (machines)."""

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from datacompass_cli.client import CliError

Obj = dict[str, Any]
EMPTY = "-"


class Format(StrEnum):
    table = "table"
    json = "json"


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width: int | None = None
    if not stream.isatty() and "COLUMNS" not in os.environ:
        width = 200  # piped output: do not squeeze tables into 80 columns
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def stdout() -> Console:
    return _console()


def stderr() -> Console:
    return _console(stderr=True)


# --- value formatting ---------------------------------------------------------------------


def fmt_time(value: Any) -> str:
    """`2024-05-01T12:34:56.789Z` → `2024-05-01 12:34:56`."""
    if not value:
        return EMPTY
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


def fmt_duration(ms: Any) -> str:
    if ms is None or ms == "":
        return EMPTY
    seconds = float(ms) / 1000
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 600:
        return f"{seconds:.1f}s"
    return f"{seconds:.0f}s"


def fmt_bool(value: Any) -> str:
    if value is None:
        return EMPTY
    return "yes" if value else "no"


def fmt(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return fmt_bool(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


STATUS_STYLE = {"succeeded": "green", "failed": "red", "running": "yellow"}


def status_text(status: Any, styles: dict[str, str] = STATUS_STYLE) -> Text:
    return Text(fmt(status), style=styles.get(str(status), ""))


def fmt_number(value: Any) -> str:
    """Measured values for people: thousands separated, few decimals."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer() or abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"
    return fmt(value)


def _last_scan(source: Obj) -> Obj:
    scan = source.get("last_scan")
    return scan if isinstance(scan, dict) else {}


# --- column specs per resource ------------------------------------------------------------

Cell = Callable[[Obj], str | Text]


@dataclass(frozen=True)
class Col:
    header: str
    cell: Cell
    justify: str = "left"
    max_width: int | None = None


def _get(key: str, formatter: Callable[[Any], str] = fmt) -> Cell:
    return lambda obj: formatter(obj.get(key))


SOURCE_COLUMNS = [
    Col("NAME", _get("name")),
    Col("TYPE", _get("source_type")),
    Col("DESCRIPTION", _get("description"), max_width=50),
    Col("LAST SCAN", lambda s: status_text(_last_scan(s).get("status"))),
    Col("SCANNED AT", lambda s: fmt_time(_last_scan(s).get("started_at"))),
    Col("OBJECTS", lambda s: fmt(_last_scan(s).get("objects_found")), "right"),
]

SCAN_COLUMNS = [
    Col("ID", _get("id"), "right"),
    Col("STATUS", lambda s: status_text(s.get("status"))),
    Col("STARTED", _get("started_at", fmt_time)),
    Col("DURATION", _get("duration_ms", fmt_duration), "right"),
    Col("OBJECTS", _get("objects_found"), "right"),
    Col("NEW", _get("objects_created"), "right"),
    Col("UPDATED", _get("objects_updated"), "right"),
    Col("DELETED", _get("objects_deleted"), "right"),
    Col("COLUMNS", _get("columns_found"), "right"),
    Col("BY", _get("triggered_by")),
    Col("ERROR", _get("error"), max_width=60),
]

OBJECT_COLUMNS = [
    Col("REF", _get("ref")),
    Col("TYPE", _get("object_type")),
    Col("COLUMNS", _get("column_count"), "right"),
    Col("DESCRIPTION", _get("description"), max_width=50),
    Col("TAGS", _get("tags")),
    Col("LAST SEEN", _get("last_seen_at", fmt_time)),
]

COLUMN_COLUMNS = [
    Col("#", _get("ordinal"), "right"),
    Col("NAME", _get("name")),
    Col("TYPE", _get("data_type")),
    Col("NULLABLE", _get("nullable", fmt_bool)),
    Col("DEFAULT", _get("default_expression"), max_width=40),
    Col("COMMENT", _get("comment"), max_width=60),
]

Field = tuple[str, Cell]

SOURCE_FIELDS: list[Field] = [
    ("name", _get("name")),
    ("id", _get("id")),
    ("type", _get("source_type")),
    ("description", _get("description")),
    ("connection keys", _get("connection_keys")),
    ("created", _get("created_at", fmt_time)),
    ("updated", _get("updated_at", fmt_time)),
    ("last scan", lambda s: _scan_summary(_last_scan(s))),
]

SCAN_FIELDS: list[Field] = [
    ("id", _get("id")),
    ("source", _get("source_name")),
    ("status", lambda s: status_text(s.get("status"))),
    ("started", _get("started_at", fmt_time)),
    ("finished", _get("finished_at", fmt_time)),
    ("duration", _get("duration_ms", fmt_duration)),
    ("objects found", _get("objects_found")),
    ("objects created", _get("objects_created")),
    ("objects updated", _get("objects_updated")),
    ("objects deleted", _get("objects_deleted")),
    ("columns found", _get("columns_found")),
    ("triggered by", _get("triggered_by")),
    ("error", _get("error")),
]

OBJECT_FIELDS: list[Field] = [
    ("ref", _get("ref")),
    ("urn", _get("urn")),
    ("id", _get("id")),
    ("type", _get("object_type")),
    ("source", lambda o: f"{fmt(o.get('source_name'))} ({fmt(o.get('source_type'))})"),
    ("schema", _get("schema_name")),
    ("name", _get("name")),
    ("description", _get("description")),
    ("tags", _get("tags")),
    ("layer", _get("layer")),
    ("columns", _get("column_count")),
    ("quality score", _get("quality_score")),
    ("completeness", _get("completeness_score")),
    ("deleted", _get("deleted", fmt_bool)),
    ("first seen", _get("first_seen_at", fmt_time)),
    ("last seen", _get("last_seen_at", fmt_time)),
    ("updated", _get("updated_at", fmt_time)),
    ("source metadata", _get("source_metadata")),
    ("user metadata", _get("user_metadata")),
]


def _scan_summary(scan: Obj) -> str:
    if not scan:
        return "never"
    parts = [fmt(scan.get("status")), f"at {fmt_time(scan.get('started_at'))}"]
    if scan.get("duration_ms") is not None:
        parts.append(f"in {fmt_duration(scan.get('duration_ms'))}")
    if scan.get("objects_found") is not None:
        parts.append(f"({scan['objects_found']} objects)")
    if scan.get("error"):
        parts.append(f"- {scan['error']}")
    return " ".join(parts)


# --- renderers ----------------------------------------------------------------------------


def _cell(value: str | Text) -> Text:
    # Text (never str) so that API values are not interpreted as rich markup.
    return value if isinstance(value, Text) else Text(value)


def list_table(columns: Sequence[Col], items: Sequence[Obj], title: str | None = None) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False, show_edge=False
    )
    for col in columns:
        table.add_column(
            col.header,
            justify=col.justify,  # type: ignore[arg-type]
            max_width=col.max_width,
            overflow="fold",
        )
    for item in items:
        table.add_row(*(_cell(col.cell(item)) for col in columns))
    return table


def detail_table(fields: Sequence[Field], obj: Obj) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for label, cell in fields:
        table.add_row(label, _cell(cell(obj)))
    return table


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


class Output:
    """Prints results to stdout in the chosen format; messages and errors go to stderr."""

    def __init__(self, format: Format) -> None:
        self.format = format

    @property
    def is_json(self) -> bool:
        return self.format is Format.json

    def items(self, columns: Sequence[Col], items: Sequence[Obj], empty: str) -> None:
        if self.is_json:
            print_json(list(items))
        elif not items:
            stderr().print(empty)
        else:
            stdout().print(list_table(columns, items))

    def detail(self, fields: Sequence[Field], obj: Obj) -> None:
        if self.is_json:
            print_json(obj)
        else:
            stdout().print(detail_table(fields, obj))

    def source(self, source: Obj) -> None:
        self.detail(SOURCE_FIELDS, source)

    def sources(self, sources: Sequence[Obj]) -> None:
        self.items(SOURCE_COLUMNS, sources, "no sources")

    def scan(self, scan: Obj) -> None:
        self.detail(SCAN_FIELDS, scan)

    def scans(self, scans: Sequence[Obj]) -> None:
        self.items(SCAN_COLUMNS, scans, "no scans")

    def objects(self, objects: Sequence[Obj]) -> None:
        self.items(OBJECT_COLUMNS, objects, "no matching objects")

    def object(self, obj: Obj) -> None:
        if self.is_json:
            print_json(obj)
            return
        console = stdout()
        console.print(detail_table(OBJECT_FIELDS, obj))
        columns = obj.get("columns") or []
        console.print()
        if columns:
            console.print(list_table(COLUMN_COLUMNS, columns, title="Columns"))
        else:
            console.print("no columns")

    def message(self, text: str, data: Any) -> None:
        """A one-line confirmation for humans; the raw API response for machines."""
        if self.is_json:
            print_json(data)
        else:
            stdout().print(Text(text))

    @staticmethod
    def note(text: str) -> None:
        stderr().print(Text(text), style="dim")


def print_error(error: CliError) -> None:
    typer.echo(error.render(), err=True)


def watch_steps(
    run: Obj,
    poll: Callable[[], Obj],
    *,
    label: str,
    total_key: str,
    done_key: str,
    running: set[str],
    interval: float,
    detached: str,
) -> Obj:
    """A progress bar on stderr while `run` is in a `running` status, re-read with `poll`
    every `interval` seconds; the finished run. Ctrl-C stops watching (exit 130) and prints
    `detached` (the run goes on server-side)."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr(),
    )
    try:
        with progress:
            task = progress.add_task(label, total=run.get(total_key) or None)
            while run.get("status") in running:
                time.sleep(interval)
                run = poll()
                progress.update(
                    task, total=run.get(total_key) or None, completed=run.get(done_key) or 0
                )
            progress.update(task, completed=run.get(total_key) or 0)
    except KeyboardInterrupt:
        typer.echo(detached, err=True)
        raise typer.Exit(130) from None
    return run
