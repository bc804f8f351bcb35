"""`datacompass source ...`: register, inspect, update, delete and scan data sources."""

import os
import sys
import time
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from datacompass_cli.client import Client, CliError, segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import fmt_duration, print_error, stderr

app = typer.Typer(help="Manage data sources and their scans.", no_args_is_help=True)

RUNNING_STATUSES = {"running", "pending", "queued"}

NameArg = Annotated[str, typer.Argument(help="Source name.", show_default=False)]
HostOpt = Annotated[str | None, typer.Option("--host", help="Database host.")]
PortOpt = Annotated[
    int | None, typer.Option("--port", min=1, max=65535, help="Database port (default 5432).")
]
DatabaseOpt = Annotated[str | None, typer.Option("--database", help="Database name.")]
UsernameOpt = Annotated[str | None, typer.Option("--username", help="User to connect as.")]
PasswordOpt = Annotated[
    str | None,
    typer.Option(
        "--password",
        help="Password (visible in shell history; prefer --password-env or --password-stdin).",
        show_default=False,
    ),
]
PasswordEnvOpt = Annotated[
    str | None,
    typer.Option("--password-env", metavar="VAR", help="Read the password from env var VAR."),
]
PasswordStdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first stdin line.")
]
AskPasswordOpt = Annotated[
    bool, typer.Option("--ask-password", help="Prompt for the password (input hidden).")
]
SslmodeOpt = Annotated[
    str | None, typer.Option("--sslmode", help="libpq sslmode (disable, require, ...).")
]
SchemaOpt = Annotated[
    list[str] | None,
    typer.Option("--schema", help="Schema to include (repeatable; default: all schemas)."),
]
ExcludeSchemaOpt = Annotated[
    list[str] | None, typer.Option("--exclude-schema", help="Schema to exclude (repeatable).")
]
ConnectTimeoutOpt = Annotated[
    int | None,
    typer.Option("--connect-timeout", min=1, help="Connect timeout in seconds (default 10)."),
]
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="Free-text description.")]


def resolve_password(
    password: str | None, password_env: str | None, password_stdin: bool, ask_password: bool
) -> str | None:
    chosen = [
        flag
        for flag, used in (
            ("--password", password is not None),
            ("--password-env", password_env is not None),
            ("--password-stdin", password_stdin),
            ("--ask-password", ask_password),
        )
        if used
    ]
    if len(chosen) > 1:
        raise typer.BadParameter(f"use only one of {', '.join(chosen)}", param_hint="password")
    if password_env is not None:
        value = os.environ.get(password_env)
        if value is None:
            raise typer.BadParameter(
                f"environment variable {password_env} is not set", param_hint="'--password-env'"
            )
        return value
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if ask_password:
        return str(typer.prompt("Password", hide_input=True, err=True))
    return password


def connection_settings(
    *,
    host: str | None,
    port: int | None,
    database: str | None,
    username: str | None,
    password: str | None,
    sslmode: str | None,
    schemas: list[str] | None,
    exclude_schemas: list[str] | None,
    connect_timeout: int | None,
) -> dict[str, Any]:
    """The `connection` object with only the settings given on the command line."""
    settings: dict[str, Any] = {
        "host": host,
        "port": port,
        "database": database,
        "username": username,
        "password": password,
        "sslmode": sslmode,
        "schemas": list(schemas) if schemas else None,
        "exclude_schemas": list(exclude_schemas) if exclude_schemas else None,
        "connect_timeout_seconds": connect_timeout,
    }
    return {key: value for key, value in settings.items() if value is not None}


@app.command("add")
@handle_errors
def add(
    ctx: typer.Context,
    name: NameArg,
    source_type: Annotated[
        str, typer.Option("--type", help="Source type.", show_default=True)
    ] = "postgres",
    host: HostOpt = None,
    port: PortOpt = None,
    database: DatabaseOpt = None,
    username: UsernameOpt = None,
    password: PasswordOpt = None,
    password_env: PasswordEnvOpt = None,
    password_stdin: PasswordStdinOpt = False,
    ask_password: AskPasswordOpt = False,
    sslmode: SslmodeOpt = None,
    schema: SchemaOpt = None,
    exclude_schema: ExcludeSchemaOpt = None,
    connect_timeout: ConnectTimeoutOpt = None,
    description: DescriptionOpt = None,
) -> None:
    """Register a new data source."""
    st = state(ctx)
    connection = connection_settings(
        host=host,
        port=port,
        database=database,
        username=username,
        password=resolve_password(password, password_env, password_stdin, ask_password),
        sslmode=sslmode,
        schemas=schema,
        exclude_schemas=exclude_schema,
        connect_timeout=connect_timeout,
    )
    body: dict[str, Any] = {"name": name, "source_type": source_type, "connection": connection}
    if description is not None:
        body["description"] = description
    with st.client() as client:
        source = client.post("/sources", json=body)
    st.out.source(source)


@app.command("list")
@handle_errors
def list_sources(ctx: typer.Context) -> None:
    """List all data sources."""
    st = state(ctx)
    with st.client() as client:
        sources = list(client.paginate("/sources"))
    st.out.sources(sources)


@app.command("show")
@handle_errors
def show(ctx: typer.Context, name: NameArg) -> None:
    """Show one data source (connection settings are write-only: only their names are shown)."""
    st = state(ctx)
    with st.client() as client:
        source = client.get(f"/sources/{segment(name)}")
    st.out.source(source)


@app.command("update")
@handle_errors
def update(
    ctx: typer.Context,
    name: NameArg,
    description: DescriptionOpt = None,
    host: HostOpt = None,
    port: PortOpt = None,
    database: DatabaseOpt = None,
    username: UsernameOpt = None,
    password: PasswordOpt = None,
    password_env: PasswordEnvOpt = None,
    password_stdin: PasswordStdinOpt = False,
    ask_password: AskPasswordOpt = False,
    sslmode: SslmodeOpt = None,
    schema: SchemaOpt = None,
    exclude_schema: ExcludeSchemaOpt = None,
    connect_timeout: ConnectTimeoutOpt = None,
) -> None:
    """Change a source's description or connection settings (given keys are merged)."""
    st = state(ctx)
    connection = connection_settings(
        host=host,
        port=port,
        database=database,
        username=username,
        password=resolve_password(password, password_env, password_stdin, ask_password),
        sslmode=sslmode,
        schemas=schema,
        exclude_schemas=exclude_schema,
        connect_timeout=connect_timeout,
    )
    body: dict[str, Any] = {}
    if description is not None:
        body["description"] = description
    if connection:
        body["connection"] = connection
    if not body:
        raise typer.BadParameter("nothing to update: give --description or connection options")
    with st.client() as client:
        source = client.patch(f"/sources/{segment(name)}", json=body)
    st.out.source(source)


@app.command("delete")
@handle_errors
def delete(
    ctx: typer.Context,
    name: NameArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a source and all its catalog objects."""
    st = state(ctx)
    if not yes:
        typer.confirm(f"Delete source '{name}' and all its catalog objects?", abort=True, err=True)
    with st.client() as client:
        result = client.delete(f"/sources/{segment(name)}")
    deleted = (result or {}).get("objects_deleted", 0)
    st.out.message(f"deleted source '{name}' ({deleted} catalog objects removed)", result)


@app.command("scan")
@handle_errors
def scan(
    ctx: typer.Context,
    name: NameArg,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait for the scan to finish.")
    ] = True,
    poll_interval: Annotated[
        float, typer.Option("--poll-interval", min=0.0, help="Seconds between status checks.")
    ] = 1.0,
    watch: Annotated[
        bool, typer.Option("--watch", help="Wait with a progress bar (objects done/total).")
    ] = False,
) -> None:
    """Start a metadata scan of a source (and by default wait until it finishes)."""
    st = state(ctx)
    with st.client() as client:
        run = client.post(f"/sources/{segment(name)}/scans")
        if (wait or watch) and run.get("status") in RUNNING_STATUSES:
            run = _wait_for_scan(client, run, poll_interval, bar=watch)
    st.out.scan(run)
    if run.get("status") in ("failed", "cancelled"):
        print_error(
            CliError(f"scan {run.get('id')} of source '{name}' failed: {run.get('error') or '?'}")
        )
        raise typer.Exit(1)


def _wait_for_scan(
    client: Client, run: dict[str, Any], interval: float, *, bar: bool = False
) -> dict[str, Any]:
    scan_id = run["id"]
    label = f"scanning source '{run.get('source_name')}' (scan {scan_id})"
    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if bar:
        columns += [BarColumn(), MofNCompleteColumn()]
    progress = Progress(
        *columns,
        TimeElapsedColumn(),
        console=stderr(),
        transient=not bar,
    )
    try:
        with progress:
            task = progress.add_task(label, total=None)
            while run.get("status") in RUNNING_STATUSES:
                time.sleep(interval)
                run = client.get(f"/scans/{segment(scan_id)}")
                total, done = run.get("objects_total") or 0, run.get("objects_done") or 0
                if bar and total:
                    progress.update(task, total=total, completed=done)
                elif done:
                    progress.update(task, description=f"{label}: {done}/{total} objects")
    except KeyboardInterrupt:
        typer.echo(
            f"stopped waiting; scan {scan_id} continues on the gateway "
            f"(see `datacompass source scans {run.get('source_name')}`)",
            err=True,
        )
        raise typer.Exit(130) from None
    if run.get("status") == "succeeded":
        stderr().print(
            f"scan {scan_id} succeeded in {fmt_duration(run.get('duration_ms'))}", style="dim"
        )
    return run


@app.command("cancel-scan")
@handle_errors
def cancel_scan(
    ctx: typer.Context,
    scan_id: Annotated[int, typer.Argument(min=1, help="Id of a running scan.")],
) -> None:
    """Cancel a running scan (it stops within about a second; nothing of it is stored)."""
    st = state(ctx)
    with st.client() as client:
        run = client.post(f"/scans/{segment(scan_id)}/cancel")
    st.out.message(f"scan {scan_id}: cancellation requested", run)


@app.command("scans")
@handle_errors
def scans(
    ctx: typer.Context,
    name: NameArg,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most N scans.")] = 20,
    all_: Annotated[bool, typer.Option("--all", help="Show the whole scan history.")] = False,
) -> None:
    """Show a source's scan history (newest first)."""
    st = state(ctx)
    with st.client() as client:
        runs = list(
            client.paginate(
                f"/sources/{segment(name)}/scans",
                page_size=min(limit, 500) if not all_ else 500,
                max_items=None if all_ else limit,
            )
        )
    st.out.scans(runs)
