"""Lint the service Dockerfiles and .dockerignore (no Docker daemon needed)."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from k8s_model import REPO, container_ports, of_kind, pod_spec, render

SERVICES = sorted(p.parent.name for p in (REPO / "services").glob("*/Dockerfile"))
PACKAGES = {
    "catalog": "catalog_service",
    "gateway": "gateway_service",
    "governance": "governance_service",
    "notifier": "notifier_service",
    "quality": "quality_service",
    "scheduler": "scheduler_service",
}
PORTS = {
    "catalog": {50051, 9101},
    "gateway": {8000},
    "governance": {50053, 9103},
    "notifier": {50054, 9104},
    "quality": {50052, 9102},
    "scheduler": {50055, 9105},
}
# gRPC services: their Docker HEALTHCHECK asks grpc.health.v1 on their own port env.
GRPC_PORT_ENV = {
    "catalog": "DATACOMPASS_CATALOG_GRPC_PORT",
    "governance": "DATACOMPASS_GOVERNANCE_GRPC_PORT",
    "notifier": "DATACOMPASS_NOTIFIER_GRPC_PORT",
    "quality": "DATACOMPASS_QUALITY_GRPC_PORT",
    "scheduler": "DATACOMPASS_SCHEDULER_GRPC_PORT",
}
BUILD_TOOLS = re.compile(
    r"\b(apt-get\s+install|apt\s+install|apk\s+add|gcc|g\+\+|clang|make|build-essential|"
    r"python3?-dev|libpq-dev|pip\s+install|curl|wget)\b"
)
PINNED_PYTHON = re.compile(r"python:3\.11\.\d+-slim(-[a-z]+)?")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, op: str) -> list[str]:
        return [args for ins, args in self.instructions if ins == op]


def parse(path: Path) -> list[Stage]:
    """Dockerfile -> stages of (INSTRUCTION, arguments), comments and continuations resolved."""
    logical: list[str] = []
    buf = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # comment inside a continuation
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        logical.append(buf + line)
        buf = ""
    assert not buf, f"{path}: dangling line continuation"
    stages: list[Stage] = []
    for line in logical:
        op, _, args = line.partition(" ")
        op, args = op.upper(), args.strip()
        if op == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            stage_name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=stage_name))
        else:
            assert stages, f"{path}: {op} before FROM"
            stages[-1].instructions.append((op, args))
    return stages


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), args
    return [str(v) for v in value]


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def stages_of(service: str) -> list[Stage]:
    return parse(REPO / "services" / service / "Dockerfile")


def test_every_service_has_a_dockerfile() -> None:
    assert set(PACKAGES) <= set(SERVICES)


def test_multi_stage_with_pinned_bases(service: str) -> None:
    stages = stages_of(service)
    assert len(stages) >= 2, "multi-stage build expected"
    names: set[str] = set()
    for stage in stages:
        if stage.base not in names:
            image, _, tag = stage.base.partition(":")
            assert tag and tag != "latest" and "latest" not in tag, stage.base
            assert "$" not in stage.base, "base images must be literal (lintable) references"
            if image == "python":
                assert PINNED_PYTHON.fullmatch(stage.base), f"pin a patch version: {stage.base}"
        if stage.name:
            names.add(stage.name)


def test_final_stage_is_minimal_and_non_root(service: str) -> None:
    final = stages_of(service)[-1]
    assert PINNED_PYTHON.fullmatch(final.base), "final stage starts from a fresh slim image"
    copies = final.all("COPY")
    assert copies == ["--from=build /opt/venv /opt/venv"], copies
    for run in final.all("RUN"):
        assert not BUILD_TOOLS.search(run), f"build tooling in the final stage: {run}"
    users = final.all("USER")
    assert users, "final stage must set USER"
    uid = users[-1].split(":")[0]
    # Numeric, so Kubernetes runAsNonRoot can verify it without /etc/passwd.
    assert uid.isdigit() and int(uid) == 10001, users[-1]
    env = " ".join(final.all("ENV"))
    assert re.search(r"\bPYTHONDONTWRITEBYTECODE=1\b", env)
    assert "/opt/venv/bin" in env


def test_healthcheck(service: str) -> None:
    final = stages_of(service)[-1]
    (check,) = final.all("HEALTHCHECK")
    options, _, cmd = check.partition("CMD")
    assert "NONE" not in options and "--timeout=" in options and "--interval=" in options
    argv = exec_form(cmd.strip())
    assert argv[:2] == ["python", "-c"]
    compile(argv[2], f"{service}-healthcheck", "exec")  # the one-liner is valid Python
    if service in GRPC_PORT_ENV:
        assert "grpc_health.v1" in argv[2]
        assert f"'{GRPC_PORT_ENV[service]}'" in argv[2], "check the service's own port"
        env = " ".join(final.all("ENV"))
        assert f"{GRPC_PORT_ENV[service]}=" in env
    if service == "gateway":
        assert "/health'" not in argv[2], "Docker health must not depend on downstreams"


def test_entrypoint_and_ports(service: str) -> None:
    final = stages_of(service)[-1]
    (entrypoint,) = final.all("ENTRYPOINT")
    assert exec_form(entrypoint) == ["python", "-m", PACKAGES[service]]
    assert (REPO / "services" / service / "src" / PACKAGES[service]).is_dir()
    exposed = {int(p.split("/")[0]) for args in final.all("EXPOSE") for p in args.split()}
    assert exposed == PORTS[service]


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_exposed_ports_match_kubernetes(service: str, overlay: str) -> None:
    (deployment,) = [
        d for d in of_kind(render(overlay), "Deployment") if d["metadata"]["name"] == service
    ]
    assert set(container_ports(deployment)) == PORTS[service]
    image = pod_spec(deployment)["containers"][0]["image"]
    assert image.startswith(f"datacompass/{service}:")


def test_shared_deps_stage_is_identical() -> None:
    """The first stage is byte-for-byte the same everywhere, so builds share its layers."""
    firsts = {s: stages_of(s)[0] for s in SERVICES}
    reference = firsts[SERVICES[0]]
    assert reference.name == "deps"
    for svc, stage in firsts.items():
        assert (stage.base, stage.name, stage.instructions) == (
            reference.base,
            reference.name,
            reference.instructions,
        ), f"{svc}: deps stage differs"
    runs = reference.all("RUN")
    assert any("-r /src/requirements/runtime.txt" in r for r in runs)
    local = [r for r in runs if "/src/libs/" in r]
    assert local and all("--no-deps" in r for r in local)
    copied = " ".join(reference.all("COPY"))
    assert "services/" not in copied, "the shared stage must not contain service code"


def test_service_stage_installs_without_deps(service: str) -> None:
    stages = stages_of(service)
    build = next(s for s in stages if s.name == "build")
    assert build.base == "deps"
    assert build.all("COPY") == [f"services/{service} /src/services/{service}"]
    assert any(f"pip install --no-deps /src/services/{service}" in r for r in build.all("RUN"))


def _ignored(path: str, patterns: list[str]) -> bool:
    """Approximation of .dockerignore matching (path or any parent matches; `**/` = any depth)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        if pat.startswith("**/"):
            hit = any(fnmatch.fnmatchcase(p.split("/")[-1], pat[3:]) for p in prefixes)
        else:
            hit = any(fnmatch.fnmatchcase(p, pat) for p in prefixes)
        if hit:
            excluded = not negate
    return excluded


def test_dockerignore() -> None:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    for must in (".venv", ".datacompass", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"):
        assert _ignored(must, patterns), must
    for must in ("tests/deploy/test_x.py", "services/catalog/tests/conftest.py", "a/__pycache__/x"):
        assert _ignored(must, patterns), must
    # Everything the Dockerfiles COPY must survive the filter.
    needed = ["requirements/runtime.txt"]
    for root in ["libs/proto", "libs/kit", "libs/connectors", *(f"services/{s}" for s in SERVICES)]:
        for file in (REPO / root).rglob("*"):
            rel = file.relative_to(REPO).as_posix()
            skip = ("/tests/", "__pycache__", ".egg-info", "/build/")
            if file.is_file() and not any(s in f"/{rel}" for s in skip) and file.suffix != ".pyc":
                needed.append(rel)
    assert any(n.endswith("catalog_service/migrations/env.py") for n in needed)
    dropped = [n for n in needed if _ignored(n, patterns)]
    assert not dropped, f".dockerignore drops files the image needs: {dropped[:5]}"


def test_copy_sources_exist(service: str) -> None:
    for stage in stages_of(service):
        for args in stage.all("COPY"):
            words = shlex.split(args)
            if any(w.startswith("--from") for w in words):
                continue
            for src in words[:-1]:
                assert (REPO / src).exists(), f"COPY source missing: {src}"
