"""Benchmarks: `python -m bench` prints one JSON object per benchmark on stdout."""
