"""Entry point of the `datacompass` command: global options and command groups."""

from typing import Annotated

import typer

from datacompass_cli import __version__
from datacompass_cli.commands import (
    audit,
    auth,
    capsule,
    catalog,
    classify,
    column,
    completeness,
    deprecation,
    domain,
    domain_values,
    dq,
    glossary,
    mask,
    metrics,
    notify,
    owner,
    policy,
    quality,
    scheduler,
    source,
)
from datacompass_cli.context import FORMAT_HELP, RootGroup, State
from datacompass_cli.output import Format

DEFAULT_URL = "http://127.0.0.1:8000"

app = typer.Typer(
    name="datacompass",
    cls=RootGroup,  # gives every command `--format`/`-o` after its arguments too
    help="Command-line client of the Data Compass catalog (talks to the REST gateway).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # never dump locals (passwords) in tracebacks
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(source.app, name="source")
app.add_typer(catalog.app, name="catalog")
app.add_typer(auth.app, name="auth")
app.add_typer(audit.app, name="audit")
app.add_typer(deprecation.app, name="deprecation")
app.add_typer(dq.app, name="dq")
app.add_typer(quality.app, name="quality")
app.add_typer(scheduler.app, name="scheduler")
app.add_typer(notify.app, name="notify")
app.add_typer(classify.app, name="classify")
app.add_typer(owner.app, name="owner")
app.add_typer(owner.steward_app, name="steward")
app.add_typer(domain.app, name="domain")
app.add_typer(policy.app, name="policy")
app.add_typer(mask.app, name="mask")
app.add_typer(glossary.app, name="glossary")
app.add_typer(column.app, name="column")
app.add_typer(domain_values.app, name="domain-values")
app.add_typer(capsule.app, name="capsule")
app.command("metrics")(metrics.command)
app.command("completeness")(completeness.command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"datacompass {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Option("--url", envvar="DATACOMPASS_URL", help="Gateway base URL.")
    ] = DEFAULT_URL,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar=["DATACOMPASS_TOKEN", "DATACOMPASS_BOOTSTRAP_ADMIN_KEY"],
            help="API token, sent as `Authorization: Bearer <token>`.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-o",
            envvar="DATACOMPASS_FORMAT",
            case_sensitive=False,
            help=FORMAT_HELP,
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", envvar="DATACOMPASS_TIMEOUT", min=0.1, help="HTTP timeout in seconds."
        ),
    ] = 30.0,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Data Compass CLI."""
    ctx.obj = State(
        url=url,
        token=token or None,
        format=output_format or Format.table,
        timeout=timeout,
        format_chosen=output_format is not None,
    )


if __name__ == "__main__":
    app()
