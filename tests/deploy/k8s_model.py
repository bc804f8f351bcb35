"""Shared helpers for the deploy tests: rendered overlays and queries over them."""

from __future__ import annotations

import base64
import copy
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kustomize

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")

Resource = dict[str, Any]


@functools.cache
def _render(overlay: str) -> tuple[Resource, ...]:
    return tuple(kustomize.render(K8S / "overlays" / overlay))


def render(overlay: str) -> list[Resource]:
    return copy.deepcopy(list(_render(overlay)))


def of_kind(resources: list[Resource], *kinds: str) -> list[Resource]:
    return [r for r in resources if r["kind"] in kinds]


def name(res: Resource) -> str:
    return f"{res['kind']}/{res['metadata']['name']}"


def workloads(resources: list[Resource]) -> list[Resource]:
    return of_kind(resources, *WORKLOAD_KINDS)


def pod_labels(res: Resource) -> dict[str, str]:
    labels: dict[str, str] = res["spec"]["template"].get("metadata", {}).get("labels", {})
    return labels


def pod_spec(res: Resource) -> dict[str, Any]:
    spec = kustomize.pod_spec(res)
    assert spec is not None, name(res)
    return spec


def containers(res: Resource) -> Iterator[dict[str, Any]]:
    spec = pod_spec(res)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """LabelSelector semantics (matchLabels + matchExpressions); `{}` selects everything."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def container_ports(res: Resource) -> dict[int, str | None]:
    """containerPort -> port name, for every container of a workload."""
    return {p["containerPort"]: p.get("name") for c in containers(res) for p in c.get("ports", [])}


def secret_data(res: Resource) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in res.get("data", {}).items()}
    data.update(res.get("stringData", {}))
    return data
