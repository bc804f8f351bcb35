"""Command groups of the `datacompass` CLI."""
