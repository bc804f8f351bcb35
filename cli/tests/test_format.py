"""`--format`/`-o` on every command: before the command (global) and after it (each leaf)."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from cli_testkit import Cli, FakeGateway, make_object
from typer.core import TyperCommand, TyperGroup

from datacompass_cli import main
from datacompass_cli.commands.audit import ExportFormat
from datacompass_cli.context import State
from datacompass_cli.output import Format


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from _leaves(sub, (*path, name))
    else:
        assert isinstance(command, TyperCommand), path
        yield path, command


def _required_args(command: TyperCommand) -> list[str]:
    """A value for each required argument and option (every one takes a string or an id)."""
    args: list[str] = []
    for param in command.params:
        if param.required:
            args += ["1"] if param.param_type_name == "argument" else [param.opts[0], "1"]
    return args


class Parsed:
    """What one parse of a command line left behind: the State and the leaf's arguments."""

    state: State | None = None
    kwargs: dict[str, Any] | None = None


@pytest.fixture
def tree(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Parsed]:
    """The click tree `datacompass` runs, its leaves replaced by recorders (nothing is sent)."""
    monkeypatch.delenv("DATACOMPASS_FORMAT", raising=False)
    parsed = Parsed()

    class Recorded(State):
        def __init__(self, **fields: Any) -> None:
            super().__init__(**fields)
            parsed.state = self

    monkeypatch.setattr(main, "State", Recorded)
    root = typer.main.get_command(main.app)
    for _path, leaf in _leaves(root):

        def record(**kwargs: Any) -> None:
            parsed.kwargs = kwargs

        leaf.callback = record
    return root, parsed


def _parse(root: Any, parsed: Parsed, args: list[str]) -> Parsed:
    parsed.state, parsed.kwargs = None, None
    root.main(args=["--url", "http://127.0.0.1:9", *args], standalone_mode=False)
    assert parsed.kwargs is not None, f"the command did not run: {args}"
    return parsed


def test_every_leaf_accepts_format_before_and_after(tree: tuple[Any, Parsed]) -> None:
    root, parsed = tree
    leaves = list(_leaves(root))
    assert len(leaves) > 80  # the walk sees the whole tree, not one group
    for path, leaf in leaves:
        args = [*path, *_required_args(leaf)]
        if path == ("audit", "export"):  # a --format of its own: json | jsonl | csv
            for spelling in (["--format", "json"], ["-o", "json"]):
                got = _parse(root, parsed, [*args, *spelling])
                assert got.kwargs and got.kwargs["export_format"] is ExportFormat.json
            continue
        for spelling in (["--format", "json"], ["-o", "json"], ["-o", "JSON"]):
            got = _parse(root, parsed, [*args, *spelling])
            assert got.state is not None
            assert (got.state.format, got.state.format_chosen) == (Format.json, True), path
        before = _parse(root, parsed, ["--format", "json", *args])
        assert before.state is not None and before.state.format is Format.json, path
        # After the command wins over before it (the later, more specific choice).
        both = _parse(root, parsed, ["-o", "json", *args, "--format", "table"])
        assert both.state is not None and both.state.format is Format.table, path
        default = _parse(root, parsed, args)
        assert default.state is not None
        assert (default.state.format, default.state.format_chosen) == (Format.table, False)


def test_unknown_format_is_a_usage_error(cli: Cli) -> None:
    result = cli("catalog", "show", "x", "--format", "yaml")
    assert result.exit_code == 2
    assert "Invalid value for '--format' / '-o'" in result.stderr
    assert "'yaml' is not one of" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["catalog", "show", "warehouse.public.orders", "--format", "json"],
        ["catalog", "show", "warehouse.public.orders", "-o", "json"],
        ["--format", "json", "catalog", "show", "warehouse.public.orders"],
        ["--format", "table", "catalog", "show", "warehouse.public.orders", "-o", "json"],
    ],
)
def test_show_prints_json_wherever_format_is_given(
    cli: Cli, gateway: FakeGateway, args: list[str]
) -> None:
    obj = make_object()
    gateway.route("GET", "/objects/warehouse.public.orders", (200, obj))
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == obj


def test_format_after_the_command_prints_a_table(cli: Cli, gateway: FakeGateway) -> None:
    gateway.paged("GET", "/objects", [make_object()], page_size=50)
    result = cli("--format", "json", "catalog", "search", "orders", "--format", "table")
    assert result.exit_code == 0, result.stderr
    assert "warehouse.public.orders" in result.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)
