"""The docs run: every command of the shell blocks of README.md and docs/*.md, in order, against
one real stack (the processes `make run` starts), fails on an exit code the text does not promise.

How a line of a ```sh block is treated (the rules; a line no rule covers fails the test):
- `<!-- docs-run: skip: REASON -->` right before a block (blank lines between allowed): the
  block is not run; REASON says what it needs that a test cannot have (a Kubernetes cluster).
- a trailing comment `# exit N when ...`: exit code N is promised, besides 0.
- `make ...` (after any VAR=value): not run. This test starts what `make run` starts itself
  (on ports of its own), and `make test` is what runs this test.
- `export DATACOMPASS_TOKEN=...`: the commands after it get the stack's admin key as token.
- `export NAME=VALUE`: NAME=VALUE for the commands after it.
- `open URL`: URL (moved to the stack) is fetched and must answer 200; no browser is opened.
- `datacompass ...` or `.venv/bin/datacompass ...`: run with bash, with the `datacompass` of
  this Python and DATACOMPASS_URL pointing at the stack.
- `curl ...`: run with bash, `127.0.0.1:8000`/`localhost:8000` moved to the stack, and with
  `--fail --silent --show-error` so that an HTTP error is a non-zero exit (curl alone exits 0).
- `sed -i ... FILE` where FILE is a plain relative name (a file an earlier command wrote, the
  edit a person makes in an editor): run with bash in the scratch directory, never on docs/.
- `... | PROGRAM ...` where PROGRAM is not installed (say `jq`): not run, named in the report.
Commands run in a scratch directory with a link to docs/ (relative paths such as
docs/examples/... work; files they write stay out of the checkout).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from stack_support import Stack, own_database_and_stream, running_stack

from devstack.testing import repo_root

ROOT = repo_root()
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGUAGES = {"sh", "bash", "shell"}
SKIP_BLOCK = re.compile(r"<!--\s*docs-run:\s*skip:\s*(?P<reason>.+?)\s*-->")
EXIT_PROMISE = re.compile(r"#\s*exit\s+(?P<code>\d+)\b")
DEFAULT_HOST = re.compile(r"(?P<scheme>https?://)?(?:127\.0\.0\.1|localhost):8000")
CLI = re.compile(r"^(?:\.venv/bin/)?datacompass(?=\s|$)")
# Settings of the person running the tests that must not leak into the commands.
CLEARED = ("DATACOMPASS_URL", "DATACOMPASS_TOKEN", "DATACOMPASS_BOOTSTRAP_ADMIN_KEY",
           "DATACOMPASS_FORMAT", "DATACOMPASS_TIMEOUT")  # fmt: skip
COMMAND_TIMEOUT = 300.0


@dataclass(frozen=True)
class Command:
    where: str  # "README.md:42"
    text: str  # as written, continuation lines joined
    skip_block: str | None = None  # the reason of a docs-run skip marker before its block

    @property
    def promised(self) -> set[int]:
        return {0, *(int(m["code"]) for m in EXIT_PROMISE.finditer(self.text))}

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text, comments=True)


@dataclass(frozen=True)
class Step:
    """What the test does with a command: `kind` is run, open, token, env or skip."""

    command: Command
    kind: str
    detail: str = ""


def commands(path: Path) -> Iterator[Command]:
    """The commands of the shell blocks of one markdown file, in order."""
    name = path.relative_to(ROOT).as_posix()
    skip: str | None = None
    language: str | None = None  # inside a block: its language
    block_skip: str | None = None
    pending: list[str] = []
    start = 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if language is None:
            if stripped.startswith("```"):
                language, block_skip, skip = stripped[3:].strip(), skip, None
            elif marker := SKIP_BLOCK.search(stripped):
                skip = marker["reason"]
            elif stripped:
                skip = None
            continue
        if stripped.startswith("```"):
            language = None
            continue
        if language not in SHELL_LANGUAGES or (not pending and stripped.startswith("#")):
            continue
        if not stripped and not pending:
            continue
        start = start if pending else number
        pending.append(stripped.removesuffix("\\").strip())
        if not stripped.endswith("\\"):
            yield Command(f"{name}:{start}", " ".join(pending), block_skip)
            pending = []


def plan(command: Command) -> Step:
    """The rule (see the module docstring) that covers `command`."""
    if command.skip_block:
        return Step(command, "skip", command.skip_block)
    words = command.words
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        words = words[1:]  # VAR=value prefixes
    program = words[0] if words else ""
    if program == "make":
        return Step(command, "skip", "make: the test starts the stack itself")
    if program == "export" and len(words) == 2 and "=" in words[1]:
        name, value = words[1].split("=", 1)
        if name == "DATACOMPASS_TOKEN":
            return Step(command, "token")
        if value and "..." not in value and "<" not in value:
            return Step(command, "env", words[1])
    if program == "open" and len(words) == 2 and DEFAULT_HOST.match(words[1]):
        return Step(command, "open", words[1])
    if program == "sed" and _edits_scratch_file(words):
        return Step(command, "run")
    if CLI.match(command.text) or program == "curl":
        missing = [p for p in _piped_programs(words) if shutil.which(p) is None]
        if missing:
            return Step(command, "skip", f"{', '.join(missing)} is not installed")
        return Step(command, "run")
    pytest.fail(f"{command.where}: no docs-run rule for `{command.text}` (see {__name__})")


def _edits_scratch_file(words: list[str]) -> bool:
    """`sed -i SCRIPT FILE` on a file in the scratch directory (no path, no pipe)."""
    return (
        len(words) == 4
        and words[1] == "-i"
        and re.fullmatch(r"[A-Za-z0-9_.-]+", words[3]) is not None
        and not words[3].startswith(".")
    )


def _piped_programs(words: list[str]) -> list[str]:
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "|"]


def all_steps() -> list[Step]:
    return [plan(command) for path in DOCUMENTS for command in commands(path)]


def test_every_documented_command_has_a_rule() -> None:
    """Fast (no stack): the docs parse, every command has a rule, and what must run runs."""
    steps = all_steps()
    run = [s for s in steps if s.kind == "run"]
    readme = [s for s in run if s.command.where.startswith("README.md:")]
    assert len(readme) >= 20, [s.command.text for s in readme]
    assert any(s.kind == "token" for s in steps)
    assert {s.command.where.split(":")[0] for s in run} >= {
        "README.md",
        "docs/data-quality.md",
        "docs/notifications-and-scheduling.md",
    }
    assert any(s.command.text.startswith("sed -i ") for s in run)
    assert _edits_scratch_file(["sed", "-i", "s/a/b/", "orders.yml"])
    assert not _edits_scratch_file(["sed", "-i", "s/a/b/", "docs/x.md"])
    assert not _edits_scratch_file(["sed", "s/a/b/", "orders.yml"])
    check = next(s for s in readme if " quality check " in s.command.text)
    assert check.command.promised == {0, 1}
    skipped = {s.detail for s in steps if s.kind == "skip"}
    assert all(skipped), "every skip has a reason"
    curl = _script("curl -H 'A: b' '127.0.0.1:8000/api/v1/x?q=1'", "http://127.0.0.1:1234")
    assert curl == "curl --fail --silent --show-error -H 'A: b' '127.0.0.1:1234/api/v1/x?q=1'"
    assert _on_stack("open http://localhost:8000/docs", "http://127.0.0.1:1234") == (
        "open http://127.0.0.1:1234/docs"
    )
    cli = _script(".venv/bin/datacompass dq runs x  # datacompass", "http://127.0.0.1:1234")
    assert cli.startswith(str(Path(sys.executable).with_name("datacompass")))
    assert cli.endswith(" dq runs x  # datacompass")


def _on_stack(text: str, base_url: str) -> str:
    """`text` with the default gateway address (any scheme or none) moved to `base_url`'s."""
    hostport = base_url.removeprefix("http://")
    return DEFAULT_HOST.sub(lambda m: (m["scheme"] or "") + hostport, text)


def _script(text: str, base_url: str) -> str:
    cli = shlex.quote(str(Path(sys.executable).with_name("datacompass")))
    text = CLI.sub(lambda _m: cli, text)
    if text.startswith("curl "):
        text = "curl --fail --silent --show-error " + text.removeprefix("curl ")
    return _on_stack(text, base_url)


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, database_server_url: str, nats_url: str
) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("docs-run")
    admin_key = f"dc_admin_docs_{uuid.uuid4().hex}"  # given as a user would, not generated
    with (
        own_database_and_stream(database_server_url, nats_url) as env,
        running_stack(workdir, env, admin_key=admin_key) as stack,
    ):
        yield stack


def test_the_docs_run_as_written(stack: Stack, tmp_path: Path) -> None:
    log = stack.log.read_text()
    assert "using DATACOMPASS_BOOTSTRAP_ADMIN_KEY from the environment" in log
    assert stack.admin_key not in log  # a key the user gave is never printed
    failures, report = run_steps(all_steps(), stack.base_url, stack.admin_key, tmp_path)
    print("\n".join(report))  # shown with -rP: what ran, how it exited, how long it took
    assert not failures, "\n\n".join(failures) + "\n\nall steps:\n" + "\n".join(report)


def run_steps(
    steps: list[Step], base_url: str, admin_key: str, workdir: Path
) -> tuple[list[str], list[str]]:
    """Carry out `steps` in order against the stack at `base_url`, in `workdir` (given a link
    to docs/): (failures, what was done)."""
    (workdir / "docs").symlink_to(ROOT / "docs", target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env |= {"DATACOMPASS_URL": base_url, "NO_COLOR": "1"}
    failures: list[str] = []
    report: list[str] = []
    for step in steps:
        command = step.command
        if step.kind == "skip":
            report.append(f"skip {command.where} ({step.detail}): {command.text}")
        elif step.kind == "token":
            env["DATACOMPASS_TOKEN"] = admin_key
        elif step.kind == "env":
            name, value = step.detail.split("=", 1)
            env[name] = value
        elif step.kind == "open":
            url = _on_stack(step.detail, base_url)
            status = httpx.get(url, timeout=30).status_code
            report.append(f"HTTP {status} {command.where}: {command.text}")
            if status != 200:
                failures.append(f"{command.where}: {command.text}\n  GET {url} → HTTP {status}")
        else:
            began = time.monotonic()
            done = subprocess.run(
                ["bash", "-c", _script(command.text, base_url)], cwd=workdir, env=env,
                capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False,
            )  # fmt: skip
            took = time.monotonic() - began
            report.append(f"exit {done.returncode} {took:5.1f}s {command.where}: {command.text}")
            if done.returncode not in command.promised:
                failures.append(
                    f"{command.where}: {command.text}\n  exit {done.returncode} "
                    f"(promised: {sorted(command.promised)})\n  stdout: {done.stdout[-1500:]}"
                    f"\n  stderr: {done.stderr[-1500:]}"
                )
    return failures, report
