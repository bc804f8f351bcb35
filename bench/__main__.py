"""`python -m bench [--tables N]`: run every benchmark, one JSON line each on stdout."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys

from bench import catalog_scan
from bench.servers import servers


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--tables", type=int, default=1000, help="tables in the scan benchmark")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with servers() as srv:
        result = asyncio.run(catalog_scan.run(srv, tables=args.tables, repeat=args.repeat))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
