"""`datacompass metrics`: the Prometheus metrics of the gateway (or of any service's metrics
endpoint) as a readable table or JSON, without a Prometheus server."""

from typing import Annotated, Any

import typer
from prometheus_client.parser import text_string_to_metric_families

from datacompass_cli.client import CliError
from datacompass_cli.context import handle_errors, state
from datacompass_cli.output import Col, fmt

# Per-bucket and creation-time samples are noise for a person; Prometheus keeps them anyway.
_HIDDEN_SUFFIXES = ("_bucket", "_created")

METRIC_COLUMNS = [
    Col("METRIC", lambda m: fmt(m.get("name"))),
    Col("LABELS", lambda m: ", ".join(f"{k}={v}" for k, v in m["labels"].items()), max_width=70),
    Col("VALUE", lambda m: _number(m["value"]), "right"),
]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def parse(
    text: str, *, include_all: bool = False, match: str | None = None
) -> list[dict[str, Any]]:
    """Samples of the exposition text: ours (`dc_*`) unless `include_all`, filtered by a
    substring of the sample name."""
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        raise CliError(f"not Prometheus text format: {exc}") from exc
    samples = []
    for family in families:
        for sample in family.samples:
            if sample.name.endswith(_HIDDEN_SUFFIXES):
                continue
            if not include_all and not sample.name.startswith("dc_"):
                continue
            if match and match not in sample.name:
                continue
            samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
    return samples


def metrics(
    ctx: typer.Context,
    match: Annotated[
        str | None, typer.Argument(help="Only samples whose name contains this text.")
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="Read this metrics URL instead of the gateway's "
            "(e.g. http://127.0.0.1:9101/metrics for the catalog).",
        ),
    ] = None,
    include_all: Annotated[
        bool, typer.Option("--all", help="Include runtime metrics (python_*, process_*).")
    ] = False,
) -> None:
    """Show Data Compass metrics: request and RPC counts, outbox backlog, consumer lag, scans."""
    st = state(ctx)
    with st.client() as client:
        text = client.text(endpoint or "/metrics")
    samples = parse(text, include_all=include_all, match=match)
    st.out.items(METRIC_COLUMNS, samples, empty="no matching metrics")


command = handle_errors(metrics)
