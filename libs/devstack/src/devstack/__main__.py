"""`python -m devstack run|status|stop` (run is what `make run` calls)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence

import httpx

from devstack.state import StateDir
from devstack.supervisor import Config, Supervisor, SupervisorError, _alive


def cmd_run(args: argparse.Namespace) -> int:
    try:
        config = Config.from_env(
            demo=not args.no_demo,
            reset_demo=args.reset_demo,
            exit_after_ready=args.exit_after_ready,
        )
    except SupervisorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return Supervisor(config).run()


def cmd_status(args: argparse.Namespace) -> int:
    state = StateDir.default()
    stack = state.read_stack()
    if not stack or not _alive(stack.get("supervisor_pid")):
        print(f"not running (no live stack in {state.root})")
        return 3
    urls = stack.get("urls", {})
    print(f"supervisor pid {stack['supervisor_pid']}, phase {stack.get('phase')}")
    for name, pid in stack.get("pids", {}).items():
        print(f"  {name:<11} pid {pid}  {'alive' if _alive(pid) else 'DEAD'}")
    health_url = urls.get("health", "http://127.0.0.1:8000/health")
    try:
        response = httpx.get(health_url, timeout=5.0)
        print(f"  health      {health_url} → HTTP {response.status_code} {response.text[:300]}")
        healthy = response.status_code == 200
    except httpx.HTTPError as exc:
        print(f"  health      {health_url} → {type(exc).__name__}: {exc}")
        healthy = False
    print(f"  api         {urls.get('api')}\n  logs        {stack.get('logs')}")
    return 0 if healthy else 1


def cmd_stop(args: argparse.Namespace) -> int:
    state = StateDir.default()
    stack = state.read_stack()
    pid = stack.get("supervisor_pid") if stack else None
    if not isinstance(pid, int) or not _alive(pid):
        print("not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    print(f"sent SIGTERM to the supervisor (pid {pid}); waiting for it to stop…")
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            print("stopped")
            return 0
        time.sleep(0.2)
    print(f"still running after {args.timeout:.0f}s; `kill -9 {pid}` forces it", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the whole stack (embedded servers by default)")
    run.add_argument("--no-demo", action="store_true", help="skip the demo database and scan")
    run.add_argument("--reset-demo", action="store_true", help="recreate the demo database")
    run.add_argument(
        "--exit-after-ready",
        action="store_true",
        help="start, print the summary (and DEVSTACK_READY json), stop cleanly, exit 0",
    )
    run.set_defaults(func=cmd_run)
    sub.add_parser("status", help="show the running stack").set_defaults(func=cmd_status)
    stop = sub.add_parser("stop", help="stop the running stack")
    stop.add_argument("--timeout", type=float, default=60.0)
    stop.set_defaults(func=cmd_stop)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
