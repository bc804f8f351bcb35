"""Per-invocation state shared by commands, the `--format`/`-o` every command accepts, and
error handling around commands."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from datacompass_cli.client import ApiError, Client, CliError
from datacompass_cli.output import Format, Output, print_error

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class State:
    url: str
    token: str | None
    format: Format
    timeout: float
    format_chosen: bool = False  # --format or DATACOMPASS_FORMAT given (not the default)

    def client(self) -> Client:
        return Client(self.url, self.token, self.timeout)

    @property
    def out(self) -> Output:
        return Output(self.format)


FORMAT_HELP = "Output format: human-friendly tables (default) or the API's JSON objects."


def _choose_format(ctx: typer.Context, value: Format | None) -> None:
    # A leaf is parsed after the root callback made the State, so a choice given after the
    # command overrides the one given before it (or DATACOMPASS_FORMAT).
    if value is not None:
        st = state(ctx)
        st.format = value
        st.format_chosen = True


def _format_param(
    output_format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-o",
            case_sensitive=False,
            callback=_choose_format,
            help=FORMAT_HELP,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Carries the option's declaration; typer turns it into the parameter below."""


_carrier = typer.Typer()
_carrier.command()(_format_param)
FORMAT_PARAM = typer.main.get_command(_carrier).params[0]
FORMAT_PARAM.expose_value = False  # written into the State, never passed to the command
FORMAT_OPTS = set(FORMAT_PARAM.opts + FORMAT_PARAM.secondary_opts)


def add_format_option(command: object) -> None:
    """Give every leaf command under `command` the `--format`/`-o` option, so that it works
    after the command as well as before it (`datacompass catalog show X --format json`).
    A command with a `--format` of its own meaning (`audit export`: json|jsonl|csv) keeps it."""
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            add_format_option(sub)
    elif isinstance(command, TyperCommand) and not any(
        FORMAT_OPTS & set(p.opts) for p in command.params
    ):
        command.params.append(FORMAT_PARAM)


class RootGroup(TyperGroup):
    """The `datacompass` group: built after its whole command tree, which it then gives the
    `--format`/`-o` option (one implementation, not one copy per command)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for command in self.commands.values():
            add_format_option(command)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State), "global options callback did not run"
    return obj


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Report `CliError`s as `error: ...` on stderr and exit 1 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CliError as exc:
            print_error(exc)
            if isinstance(exc, ApiError) and exc.status == 401:
                typer.echo(
                    "hint: pass a token with --token or set DATACOMPASS_TOKEN "
                    "(or DATACOMPASS_BOOTSTRAP_ADMIN_KEY)",
                    err=True,
                )
            raise typer.Exit(1) from exc

    return wrapper
