"""A deliberately small kustomize renderer for offline tests.

No kustomize/kubectl binary is available in CI, so this renders deploy/k8s overlays with
exactly the kustomization features they use and refuses everything else (so a new feature
in the manifests fails loudly here instead of being silently mis-rendered):

- ``resources`` (files and kustomization directories) and ``components``
- ``namespace``
- ``labels`` with ``includeSelectors: false`` (metadata, plus pod templates when
  ``includeTemplates: true``)
- ``images`` (``newName``/``newTag``/``digest``)
- ``patches`` with strategic-merge patch files/inline patches (merge keys below; lists
  without a merge key are replaced, ``null`` deletes a key)
- ``configMapGenerator``/``secretGenerator`` with ``literals`` and
  ``options.disableNameSuffixHash: true`` (no name-reference rewriting is implemented)

When a real ``kustomize`` or ``kubectl`` is on PATH, :func:`render` uses it instead.
"""

from __future__ import annotations

import base64
import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZATION_KEYS = {
    "apiVersion",
    "kind",
    "resources",
    "components",
    "namespace",
    "labels",
    "images",
    "patches",
    "configMapGenerator",
    "secretGenerator",
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
# Strategic-merge list keys for the fields our patches touch (from the Kubernetes API).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "envFrom": None,
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
}


class KustomizeError(Exception):
    pass


def resource_id(res: Resource) -> tuple[str, str, str]:
    meta = res.get("metadata", {})
    return (res["kind"], meta.get("namespace", ""), meta["name"])


def _load_yaml_docs(path: Path) -> list[Resource]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "metadata" not in doc:
            raise KustomizeError(f"{path}: not a Kubernetes object: {doc!r:.80}")
    return docs


def _kustomization(directory: Path) -> dict[str, Any]:
    for name in KUSTOMIZATION_FILES:
        if (directory / name).is_file():
            data = yaml.safe_load((directory / name).read_text()) or {}
            unknown = set(data) - KUSTOMIZATION_KEYS
            if unknown:
                raise KustomizeError(f"{directory}: unsupported kustomization keys {unknown}")
            return data
    raise KustomizeError(f"{directory}: no kustomization file")


def build(directory: str | Path) -> list[Resource]:
    """Render a kustomization directory (what `kustomize build DIR` prints)."""
    directory = Path(directory)
    kust = _kustomization(directory)
    if kust.get("kind", "Kustomization") != "Kustomization":
        raise KustomizeError(f"{directory}: a Component cannot be built on its own")
    return _apply(directory, kust, [])


def _apply(directory: Path, kust: dict[str, Any], acc: list[Resource]) -> list[Resource]:
    # kustomize order: resources, components, generators, then transformers.
    for entry in kust.get("resources", []):
        target = (directory / entry).resolve()
        new = build(target) if target.is_dir() else _load_yaml_docs(target)
        _add(acc, new, directory)
    for entry in kust.get("components", []):
        comp_dir = (directory / entry).resolve()
        comp = _kustomization(comp_dir)
        if comp.get("kind") != "Component":
            raise KustomizeError(f"{comp_dir}: listed in components but is not a Component")
        acc = _apply(comp_dir, comp, acc)
    for gen in kust.get("configMapGenerator", []):
        _add(acc, [_generate("ConfigMap", gen)], directory)
    for gen in kust.get("secretGenerator", []):
        _add(acc, [_generate("Secret", gen)], directory)
    for patch in kust.get("patches", []):
        _patch(acc, patch, directory)
    if "namespace" in kust:
        for res in acc:
            if res["kind"] not in CLUSTER_SCOPED:
                res["metadata"]["namespace"] = kust["namespace"]
    for spec in kust.get("labels", []):
        _labels(acc, spec)
    for image in kust.get("images", []):
        _images(acc, image)
    return acc


def _add(acc: list[Resource], new: list[Resource], where: Path) -> None:
    ids = {resource_id(r) for r in acc}
    for res in new:
        if resource_id(res) in ids:
            raise KustomizeError(f"{where}: duplicate resource {resource_id(res)}")
        ids.add(resource_id(res))
        acc.append(copy.deepcopy(res))


def _generate(kind: str, gen: dict[str, Any]) -> Resource:
    unknown = set(gen) - {"name", "literals", "options", "type"}
    if unknown:
        raise KustomizeError(f"{kind} generator: unsupported keys {unknown}")
    options = gen.get("options", {})
    if set(options) - {"disableNameSuffixHash", "labels", "annotations"}:
        raise KustomizeError(f"{kind} generator: unsupported options {set(options)}")
    if options.get("disableNameSuffixHash") is not True:
        raise KustomizeError(f"{gen['name']}: name hashing (and name references) not supported")
    data: dict[str, str] = {}
    for literal in gen.get("literals", []):
        key, sep, value = literal.partition("=")
        if not sep:
            raise KustomizeError(f"{gen['name']}: bad literal {literal!r}")
        data[key] = value
    meta: dict[str, Any] = {"name": gen["name"]}
    if options.get("labels"):
        meta["labels"] = dict(options["labels"])
    if options.get("annotations"):
        meta["annotations"] = dict(options["annotations"])
    res: Resource = {"apiVersion": "v1", "kind": kind, "metadata": meta}
    if kind == "Secret":
        res["type"] = gen.get("type", "Opaque")
        res["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    else:
        res["data"] = data
    return res


def _patch(acc: list[Resource], patch: dict[str, Any], directory: Path) -> None:
    if set(patch) - {"path", "patch"}:
        raise KustomizeError(f"{directory}: unsupported patch options {set(patch)} (e.g. target)")
    text = (directory / patch["path"]).read_text() if "path" in patch else patch["patch"]
    for doc in yaml.safe_load_all(text):
        if not isinstance(doc, dict):
            raise KustomizeError(f"{directory}: only strategic-merge patches are supported")
        matches = [
            r
            for r in acc
            if r["kind"] == doc["kind"] and r["metadata"]["name"] == doc["metadata"]["name"]
        ]
        if len(matches) != 1:
            raise KustomizeError(f"{directory}: patch target {doc['kind']}/{doc['metadata']}")
        merged = strategic_merge(matches[0], doc)
        matches[0].clear()
        matches[0].update(merged)


def strategic_merge(base: Any, patch: Any, field: str = "") -> Any:
    """Strategic merge of `patch` into `base` (returns a new object)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        if any(k.startswith("$") for k in patch):
            raise KustomizeError(f"patch directives not supported: {list(patch)}")
        out = copy.deepcopy(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = strategic_merge(out[key], value, key)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list):
        merge_key = MERGE_KEYS.get(field)
        if merge_key is None:
            return copy.deepcopy(patch)
        out = copy.deepcopy(base)
        for item in patch:
            for i, existing in enumerate(out):
                if existing.get(merge_key) == item.get(merge_key):
                    out[i] = strategic_merge(existing, item)
                    break
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(patch)


def _labels(acc: list[Resource], spec: dict[str, Any]) -> None:
    if set(spec) - {"pairs", "includeSelectors", "includeTemplates"}:
        raise KustomizeError(f"labels: unsupported keys {set(spec)}")
    if spec.get("includeSelectors"):
        raise KustomizeError("labels.includeSelectors is not supported (selectors are immutable)")
    pairs = spec.get("pairs", {})
    for res in acc:
        res["metadata"].setdefault("labels", {}).update(pairs)
        if spec.get("includeTemplates") and res["kind"] in POD_TEMPLATE_KINDS:
            tmeta = res["spec"]["template"].setdefault("metadata", {})
            tmeta.setdefault("labels", {}).update(pairs)
            for claim in res["spec"].get("volumeClaimTemplates", []):
                claim.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def pod_spec(res: Resource) -> dict[str, Any] | None:
    if res["kind"] in POD_TEMPLATE_KINDS:
        spec: dict[str, Any] = res["spec"]["template"]["spec"]
        return spec
    if res["kind"] == "CronJob":
        spec = res["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return spec
    return None


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """`name[:tag][@digest]` -> (name, tag, digest); a registry port is not a tag."""
    name, _, digest = image.partition("@")
    tag = None
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    return name, tag, digest or None


def _images(acc: list[Resource], image: dict[str, Any]) -> None:
    if set(image) - {"name", "newName", "newTag", "digest"}:
        raise KustomizeError(f"images: unsupported keys {set(image)}")
    for res in acc:
        spec = pod_spec(res)
        if spec is None:
            continue
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            name, tag, digest = split_image(container["image"])
            if name != image["name"]:
                continue
            name = image.get("newName", name)
            if "digest" in image:
                container["image"] = f"{name}@{image['digest']}"
                continue
            tag = image.get("newTag", tag)
            container["image"] = (
                name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
            )


def external_tool() -> list[str] | None:
    """The command prefix of a real kustomize, when one is installed."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def build_with_tool(directory: str | Path, tool: list[str]) -> list[Resource]:
    out = subprocess.run([*tool, str(directory)], check=True, capture_output=True, text=True)
    return [d for d in yaml.safe_load_all(out.stdout) if d is not None]


def render(directory: str | Path) -> list[Resource]:
    """Render with a real kustomize when available, else with this module."""
    tool = external_tool()
    return build_with_tool(directory, tool) if tool else build(directory)
