"""Per-invocation state shared by commands, and error handling around commands."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, ParamSpec, TypeVar

import typer

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


# A command's own `--format`, for the spellings the roadmap shows after the arguments
# (`datacompass dq status <object> --format table`); the global option is the default.
FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-o",
        case_sensitive=False,
        help="table or json (default: the global --format).",
        show_default=False,
    ),
]


def output(ctx: typer.Context, output_format: Format | None) -> Output:
    return Output(output_format) if output_format else state(ctx).out


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
