"""`datacompass capsule export|apply`: a capsule as code (capsule spec Appendix A), the YAML of
its meaning (description, layer, tags, term links, column meaning), written from the catalog
and applied back: validated whole, planned, then all of it or nothing."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from datacompass_cli.client import segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, print_json

app = typer.Typer(help="A capsule as code: export its YAML, apply one.", no_args_is_help=True)

CapsuleArg = Annotated[
    str, typer.Argument(help="The capsule: source.schema.name, URN or numeric id.")
]
CHANGE_COLUMNS = (
    Col("PATH", lambda c: str(c["path"])),
    Col("OLD", lambda c: _value(c.get("old"))),
    Col("NEW", lambda c: _value(c.get("new"))),
)


def _value(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value)


@app.command("export")
@handle_errors
def export(
    ctx: typer.Context,
    capsule: CapsuleArg,
    output: Annotated[
        Path | None, typer.Option("--output", "-O", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Write the capsule's YAML (apply it back unchanged: nothing changes)."""
    with state(ctx).client() as client:
        content = client.text(f"/capsules/{segment(capsule)}/yaml")
    if output is None:
        sys.stdout.write(content)
        return
    output.write_text(content, encoding="utf-8")
    typer.echo(f"exported {capsule} to {output}", err=True)


@app.command("apply")
@handle_errors
def apply(
    ctx: typer.Context,
    file: Annotated[Path, typer.Option("--file", "-f", help="The capsule YAML.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan, write nothing.")
    ] = False,
) -> None:
    """Apply a capsule's YAML (editors, or the capsule's owners and stewards): every change
    is listed (path, old, new); all of it is written in one transaction, or nothing."""
    if not file.is_file():
        raise typer.BadParameter(f"no file {file}", param_hint="--file")
    content = file.read_text(encoding="utf-8")
    urn = _urn(content)
    with state(ctx).client() as client:
        done = client.post(
            f"/capsules/{segment(urn)}/yaml", {"content": content}, {"dry_run": dry_run}
        )
    out = state(ctx).out
    if out.is_json:
        print_json(done)
        return
    out.items(CHANGE_COLUMNS, done["changes"], "no changes")
    count = len(done["changes"])
    if dry_run:
        out.note(f"dry run: {count} change(s) planned for {done['object_urn']}, nothing written")
    elif count:
        out.note(
            f"applied {count} change(s) to {done['object_urn']}: change set "
            f"{done['change_set_id']}, version {done.get('version') or '-'}"
        )


def _urn(content: str) -> str:
    """The capsule a file is for (its `data_capsule.urn`)."""
    try:
        doc = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise typer.BadParameter(f"not valid YAML: {exc}", param_hint="--file") from None
    body = doc.get("data_capsule") if isinstance(doc, dict) else None
    urn = body.get("urn") if isinstance(body, dict) else None
    if not isinstance(urn, str) or not urn.strip():
        raise typer.BadParameter("the file names no data_capsule.urn", param_hint="--file")
    return urn.strip()
