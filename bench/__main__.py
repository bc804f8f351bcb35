"""`python -m bench [--tables N] [--objects N] [--rows N] [--only scan|search|dq|notify|
checks|capsule]`:
run every benchmark (metadata scan throughput over a generated PostgreSQL database, ranked
search latency over a generated catalog, a 90-day DQ backfill over a generated table, event →
webhook notification latency, quality checks and column profiles over a generated table, the
whole capsule in one gateway call on the demo shop), one
JSON object per benchmark on stdout, one line each."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
from typing import Any

from bench import (
    capsule_bench,
    catalog_scan,
    dq_backfill,
    notify_latency,
    quality_checks,
    search_bench,
)
from bench.servers import servers


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--tables", type=int, default=5000, help="tables in the scan benchmark")
    parser.add_argument(
        "--objects", type=int, default=100_000, help="catalog objects in the search benchmark"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="scan and checks repetitions (median)"
    )
    parser.add_argument(
        "--search-repeat", type=int, default=20, help="rounds of the search query set"
    )
    parser.add_argument(
        "--rows",
        type=int,
        help="rows in the DQ benchmark (default 5,000,000) and the checks one (2,000,000)",
    )
    parser.add_argument(
        "--soda", action="store_true", help="also time Soda Core in the DQ benchmark (network)"
    )
    parser.add_argument(
        "--only",
        choices=["scan", "search", "dq", "notify", "checks", "capsule"],
        help="run just one benchmark",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with servers() as srv:
        if args.only in (None, "scan"):
            result: dict[str, Any] = asyncio.run(
                catalog_scan.run(srv, tables=args.tables, repeat=args.repeat)
            )
            result["peak_rss_mb"] = _peak_rss_mb()
            print(json.dumps(result), flush=True)
        if args.only in (None, "search"):
            result = asyncio.run(
                search_bench.run(srv, objects=args.objects, repeat=args.search_repeat)
            )
            result["peak_rss_mb"] = _peak_rss_mb()
            print(json.dumps(result), flush=True)
        if args.only in (None, "dq"):
            rows = args.rows or 5_000_000
            result = asyncio.run(dq_backfill.run(srv, rows=rows, soda=args.soda))
            result["peak_rss_mb"] = _peak_rss_mb()
            print(json.dumps(result), flush=True)
        if args.only in (None, "notify"):
            result = asyncio.run(notify_latency.run(srv))
            result["peak_rss_mb"] = _peak_rss_mb()
            print(json.dumps(result), flush=True)
        if args.only in (None, "checks"):
            rows = args.rows or 2_000_000
            result = asyncio.run(quality_checks.run(srv, rows=rows, repeat=args.repeat))
            result["peak_rss_mb"] = _peak_rss_mb()
            print(json.dumps(result), flush=True)
        if args.only in (None, "capsule"):
            result = asyncio.run(capsule_bench.run(srv))
            result["peak_rss_mb"] = _peak_rss_mb()
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
