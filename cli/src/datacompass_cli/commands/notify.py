"""`datacompass notify ...`: notification channels (Slack, email, webhook), subscription rules,
test messages and the delivery log."""

import json
from typing import Annotated, Any

import typer
from rich.text import Text

from datacompass_cli.client import segment
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, fmt, fmt_time

app = typer.Typer(help="Notifications: channels, rules, test messages, log.", no_args_is_help=True)
channel_app = typer.Typer(help="Channels: where messages go.", no_args_is_help=True)
rule_app = typer.Typer(help="Rules: which events go to which channels.", no_args_is_help=True)
app.add_typer(channel_app, name="channel")
app.add_typer(rule_app, name="rule")

STYLES = {"sent": "green", "retrying": "yellow", "dead": "bold red"}
CHANNEL_COLUMNS = [
    Col("ID", lambda c: fmt(c.get("id")), "right"),
    Col("NAME", lambda c: fmt(c.get("name"))),
    Col("TYPE", lambda c: fmt(c.get("channel_type"))),
    Col(
        "TARGET",
        lambda c: fmt((c.get("config") or {}).get("url") or (c.get("config") or {}).get("to")),
    ),
    Col("SECRETS", lambda c: ", ".join(c.get("secrets_set") or []) or "-"),
    Col("ENABLED", lambda c: fmt(c.get("enabled"))),
]
RULE_COLUMNS = [
    Col("ID", lambda r: fmt(r.get("id")), "right"),
    Col("NAME", lambda r: fmt(r.get("name"))),
    Col("EVENTS", lambda r: ", ".join(e.split(".", 1)[-1] for e in r.get("event_types") or [])),
    Col("OBJECTS", lambda r: ", ".join(r.get("object_refs") or []) or "all"),
    Col("CHANNELS", lambda r: ", ".join(str(c) for c in r.get("channel_ids") or [])),
    Col("RATE LIMIT", lambda r: f"{r.get('rate_limit_seconds')} s", "right"),
    Col("ENABLED", lambda r: fmt(r.get("enabled"))),
]
LOG_COLUMNS = [
    Col("TIME", lambda e: fmt_time(e.get("created_at"))),
    Col("CHANNEL", lambda e: f"{e.get('channel_id')} ({e.get('channel_type')})"),
    Col("EVENT", lambda e: fmt(e.get("event_type"))),
    Col("ATTEMPT", lambda e: fmt(e.get("attempt")), "right"),
    Col("STATUS", lambda e: Text(fmt(e.get("status")), style=STYLES.get(str(e.get("status")), ""))),
    Col("RESPONSE", lambda e: fmt(e.get("response"))),
    Col("MS", lambda e: fmt(e.get("latency_ms")), "right"),
    Col("ERROR", lambda e: fmt(e.get("error")), max_width=50),
]


def _config(values: list[str] | None, as_json: str | None) -> dict[str, Any]:
    if as_json:
        try:
            loaded = json.loads(as_json)
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"not JSON: {exc}", param_hint="--config") from exc
        if not isinstance(loaded, dict):
            raise typer.BadParameter("must be a JSON object", param_hint="--config")
        return loaded
    config: dict[str, Any] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {item!r}", param_hint="--set")
        # "to" takes several addresses, comma-separated.
        config[key] = value.split(",") if key == "to" else value
    return config


@channel_app.command("add")
@handle_errors
def channel_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for people.")],
    channel_type: Annotated[str, typer.Option("--type", help="slack, email or webhook.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Config key=value (repeatable), e.g. --set url=https://..."),
    ] = None,
    config_json: Annotated[
        str | None, typer.Option("--config", help="The whole config as a JSON object.")
    ] = None,
) -> None:
    """Add a channel. Secrets (webhook_url, password, secret) are stored encrypted and never
    shown again; a generated webhook secret is shown this once."""
    body = {"name": name, "channel_type": channel_type, "config": _config(set_, config_json)}
    with state(ctx).client() as client:
        made = client.post("/notifications/channels", body)
    out = state(ctx).out
    out.items(CHANNEL_COLUMNS, [made], "")
    if made.get("generated_secret") and not out.is_json:
        typer.echo(f"signing secret (shown once): {made['generated_secret']}", err=True)


@channel_app.command("list")
@handle_errors
def channel_list(ctx: typer.Context) -> None:
    """List channels."""
    with state(ctx).client() as client:
        items = list(client.paginate("/notifications/channels"))
    state(ctx).out.items(CHANNEL_COLUMNS, items, "no channels")


@channel_app.command("delete")
@handle_errors
def channel_delete(ctx: typer.Context, channel_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Delete a channel."""
    with state(ctx).client() as client:
        client.delete(f"/notifications/channels/{segment(channel_id)}")
    state(ctx).out.message(f"channel {channel_id} deleted", {"id": channel_id, "deleted": True})


@app.command("test")
@handle_errors
def test(
    ctx: typer.Context,
    channel_id: Annotated[int, typer.Argument(min=1, help="Channel id.")],
) -> None:
    """Send a test message to a channel now."""
    with state(ctx).client() as client:
        result = client.post(f"/notifications/channels/{segment(channel_id)}/test")
    verdict = "delivered" if result["ok"] else f"failed: {result.get('error')}"
    state(ctx).out.message(
        f"test message to channel {channel_id} {verdict} "
        f"({result.get('response') or '-'}, {result.get('latency_ms')} ms)",
        result,
    )
    if not result["ok"]:
        raise typer.Exit(1)


@rule_app.command("add")
@handle_errors
def rule_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for people.")],
    channel: Annotated[list[int], typer.Option("--channel", help="Channel id (repeatable).")],
    event: Annotated[
        list[str] | None,
        typer.Option("--event", help="breach_detected, sync_failed, ... (repeatable)."),
    ] = None,
    obj: Annotated[
        list[str] | None, typer.Option("--object", help="Object ref, * allowed (repeatable).")
    ] = None,
    priority: Annotated[list[str] | None, typer.Option("--priority", help="(repeatable)")] = None,
    rate_limit: Annotated[
        int, typer.Option("--rate-limit", min=0, help="Seconds per message per object.")
    ] = 300,
) -> None:
    """Subscribe channels to events."""
    body = {
        "name": name,
        "channel_ids": channel,
        "event_types": event or [],
        "object_refs": obj or [],
        "priorities": priority or [],
        "rate_limit_seconds": rate_limit,
    }
    with state(ctx).client() as client:
        made = client.post("/notifications/rules", body)
    state(ctx).out.items(RULE_COLUMNS, [made], "")


@rule_app.command("list")
@handle_errors
def rule_list(ctx: typer.Context) -> None:
    """List subscription rules."""
    with state(ctx).client() as client:
        items = list(client.paginate("/notifications/rules"))
    state(ctx).out.items(RULE_COLUMNS, items, "no rules")


@app.command("log")
@handle_errors
def log(
    ctx: typer.Context,
    channel_id: Annotated[int | None, typer.Option("--channel", min=1)] = None,
    status: Annotated[str | None, typer.Option("--status", help="sent, retrying or dead.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
) -> None:
    """Every delivery attempt, newest first."""
    params = {"channel_id": channel_id, "status": status}
    with state(ctx).client() as client:
        items = list(client.paginate("/notifications/log", params, max_items=limit))
    state(ctx).out.items(LOG_COLUMNS, items, "no deliveries")
