"""The fallback renderer itself: merge semantics and loud refusal of unsupported features."""

from __future__ import annotations

import textwrap
from pathlib import Path

import kustomize
import pytest

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: example/web:1.0.0
          env:
            - {name: A, value: "1"}
            - {name: B, value: "2"}
          args: ["x", "y"]
"""


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return directory


def test_strategic_merge_by_key_and_replace_plain_lists() -> None:
    base = {"spec": {"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}]}]}}
    patch = {
        "spec": {
            "containers": [
                {"name": "a", "env": [{"name": "Y", "value": "2"}], "args": ["z"]},
                {"name": "b"},
            ]
        }
    }
    merged = kustomize.strategic_merge(base, patch)
    assert merged["spec"]["containers"] == [
        {
            "name": "a",
            "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}],
            "args": ["z"],
        },
        {"name": "b"},
    ]
    assert kustomize.strategic_merge({"a": 1, "b": 2}, {"b": None}) == {"a": 1}
    assert base["spec"]["containers"][0]["env"] == [{"name": "X", "value": "1"}], "no mutation"


def test_overlay_features(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base/kustomization.yaml": "resources: [deploy.yaml]\n",
            "base/deploy.yaml": DEPLOYMENT,
            "comp/kustomization.yaml": """\
                apiVersion: kustomize.config.k8s.io/v1alpha1
                kind: Component
                resources: [cm.yaml]
            """,
            "comp/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {}\n",
            "over/kustomization.yaml": """\
                namespace: ns1
                resources: [../base]
                components: [../comp]
                labels:
                  - pairs: {env: test}
                    includeTemplates: true
                images:
                  - {name: example/web, newName: registry.local:5000/web, newTag: 2.0.0}
                patches:
                  - patch: |
                      apiVersion: apps/v1
                      kind: Deployment
                      metadata: {name: web}
                      spec:
                        replicas: 1
                        template:
                          spec:
                            containers:
                              - name: web
                                env: [{name: B, value: "3"}]
                secretGenerator:
                  - name: s
                    literals: [k=v=w]
                    options: {disableNameSuffixHash: true}
            """,
        },
    )
    out = {r["kind"]: r for r in kustomize.build(tmp_path / "over")}
    dep = out["Deployment"]
    assert dep["metadata"]["namespace"] == "ns1" and out["ConfigMap"]["metadata"]["namespace"]
    assert dep["spec"]["replicas"] == 1
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.local:5000/web:2.0.0"
    assert container["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    assert dep["spec"]["template"]["metadata"]["labels"] == {"app": "web", "env": "test"}
    assert dep["spec"]["selector"] == {"matchLabels": {"app": "web"}}, "selectors untouched"
    assert out["Secret"]["data"] == {"k": "dj13"}  # base64("v=w")


@pytest.mark.parametrize(
    "kustomization",
    [
        "resources: [d.yaml]\nnamePrefix: x-\n",
        "resources: [d.yaml]\ncommonLabels: {a: b}\n",
        "resources: [d.yaml]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n",
        "resources: [d.yaml]\nsecretGenerator: [{name: s, literals: [a=b]}]\n",
        "resources: [d.yaml]\npatches: [{path: p.yaml, target: {kind: Deployment}}]\n",
        "resources: [d.yaml, d.yaml]\n",
    ],
)
def test_unsupported_or_invalid_input_is_refused(tmp_path: Path, kustomization: str) -> None:
    write(tmp_path, {"kustomization.yaml": kustomization, "d.yaml": DEPLOYMENT, "p.yaml": "{}"})
    with pytest.raises(kustomize.KustomizeError):
        kustomize.build(tmp_path)


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("nats:2.11.9-alpine", ("nats", "2.11.9-alpine", None)),
        ("registry:5000/a/b", ("registry:5000/a/b", None, None)),
        ("a/b:1@sha256:ab", ("a/b", "1", "sha256:ab")),
    ],
)
def test_split_image(image: str, parts: tuple[str, str | None, str | None]) -> None:
    assert kustomize.split_image(image) == parts
