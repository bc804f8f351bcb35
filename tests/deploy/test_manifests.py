"""Render every kustomize overlay and check it against the deployment policy."""

from __future__ import annotations

import base64
import re
from typing import Any

import kubernetes_validate
import kustomize
import pytest
import yaml
from k8s_model import (
    K8S,
    OVERLAYS,
    REPO,
    Resource,
    container_ports,
    containers,
    name,
    of_kind,
    pod_labels,
    pod_spec,
    render,
    secret_data,
    selects,
    workloads,
)

NAMESPACES = {"dev": "datacompass-dev", "prod": "datacompass"}
# Objects an overlay references but deliberately does not render: they are created out of band
# (secret manager / cert-manager) and documented in deploy/README.md. kind -> name -> keys
# (None = whole object referenced, e.g. a TLS secret).
EXTERNAL: dict[str, dict[tuple[str, str], set[str] | None]] = {
    "dev": {},
    "prod": {
        ("Secret", "datacompass-secrets"): {
            "database-url",
            "catalog-encryption-key",
            "notifier-encryption-key",
            "bootstrap-admin-key",
            "internal-token",
            "governance-jwt-secret",
            "governance-masking-key",
        },
        ("Secret", "datacompass-tls"): None,
    },
}
# Kubernetes versions the manifests must validate against (oldest supported, newest known).
K8S_VERSIONS = ("1.30.0", "1.37.0")
DC_IMAGES = (
    "datacompass/catalog",
    "datacompass/gateway",
    "datacompass/governance",
    "datacompass/notifier",
    "datacompass/quality",
    "datacompass/scheduler",
)
# Deployment -> its gRPC port (native gRPC readiness probe, TCP liveness/startup).
GRPC_BACKENDS = {
    "catalog": 50051,
    "quality": 50052,
    "governance": 50053,
    "notifier": 50054,
    "scheduler": 50055,
}
METRICS_PORTS = {
    "catalog": 9101,
    "quality": 9102,
    "governance": 9103,
    "notifier": 9104,
    "scheduler": 9105,
}
# Backend -> the only workloads allowed to call it over gRPC (NetworkPolicy).
GRPC_CLIENTS = {
    "catalog": {"gateway", "governance", "quality", "scheduler"},
    "quality": {"catalog", "gateway", "scheduler"},  # catalog: capsule as code's rules
    "governance": {"gateway", "quality"},
    "notifier": {"gateway"},
    "scheduler": {"gateway"},
}
# Deployments that need the shared internal gRPC credential.
INTERNAL_TOKEN_USERS = {"catalog", "gateway", "governance", "quality", "notifier", "scheduler"}

overlays = pytest.mark.parametrize("overlay", OVERLAYS)


def test_expected_overlays_exist() -> None:
    assert {"dev", "prod"} <= set(OVERLAYS)
    assert set(OVERLAYS) <= set(NAMESPACES), "add the new overlay to NAMESPACES/EXTERNAL"


@overlays
def test_overlay_renders(overlay: str) -> None:
    resources = render(overlay)
    ids = [kustomize.resource_id(r) for r in resources]
    assert len(ids) == len(set(ids)), "duplicate resources"
    kinds = {r["kind"] for r in resources}
    assert {"Deployment", "Service", "Job", "NetworkPolicy", "ConfigMap"} <= kinds


@overlays
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_schema_strict(overlay: str, version: str) -> None:
    errors = []
    for res in render(overlay):
        try:
            kubernetes_validate.validate(res, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{name(res)}: {exc.message} at {list(exc.path)}")
    assert not errors, "\n".join(errors)


def test_base_is_namespace_agnostic() -> None:
    base = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    assert "namespace" not in base
    for res in kustomize.build(K8S / "base"):
        assert "namespace" not in res["metadata"], name(res)


@overlays
def test_everything_in_overlay_namespace(overlay: str) -> None:
    resources = render(overlay)
    namespaces = [r["metadata"]["name"] for r in of_kind(resources, "Namespace")]
    assert namespaces == [NAMESPACES[overlay]]
    for res in resources:
        if res["kind"] not in kustomize.CLUSTER_SCOPED:
            assert res["metadata"].get("namespace") == NAMESPACES[overlay], name(res)


@overlays
def test_containers_are_hardened(overlay: str) -> None:
    problems = []
    for wl in workloads(render(overlay)):
        pod = pod_spec(wl)
        pod_sc = pod.get("securityContext", {})
        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{name(wl)}: automountServiceAccountToken must be false")
        if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
            problems.append(f"{name(wl)}: host namespaces")
        for c in containers(wl):
            where = f"{name(wl)}/{c['name']}"
            sc = {**pod_sc, **c.get("securityContext", {})}
            resources = c.get("resources", {})
            for section in ("requests", "limits"):
                for res in ("cpu", "memory"):
                    if res not in resources.get(section, {}):
                        problems.append(f"{where}: missing resources.{section}.{res}")
            if sc.get("runAsNonRoot") is not True:
                problems.append(f"{where}: runAsNonRoot")
            if sc.get("runAsUser", 0) == 0:
                problems.append(f"{where}: runAsUser must be a non-zero uid")
            if c.get("securityContext", {}).get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem")
            if c.get("securityContext", {}).get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation")
            if sc.get("privileged"):
                problems.append(f"{where}: privileged")
            caps = c.get("securityContext", {}).get("capabilities", {})
            if "ALL" not in caps.get("drop", []) or caps.get("add"):
                problems.append(f"{where}: capabilities must drop ALL and add none")
            if sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
                problems.append(f"{where}: seccompProfile RuntimeDefault")
    assert not problems, "\n".join(problems)


@overlays
def test_long_running_workloads_have_probes(overlay: str) -> None:
    for wl in of_kind(render(overlay), "Deployment", "StatefulSet"):
        for c in pod_spec(wl)["containers"]:
            assert "readinessProbe" in c, f"{name(wl)}/{c['name']}"
            assert "livenessProbe" in c, f"{name(wl)}/{c['name']}"


@overlays
def test_images_have_explicit_tags(overlay: str) -> None:
    for wl in workloads(render(overlay)):
        for c in containers(wl):
            _, tag, digest = kustomize.split_image(c["image"])
            assert digest or (tag and tag != "latest"), f"{name(wl)}: {c['image']}"
            assert c.get("imagePullPolicy") != "Always" or digest, c["image"]


@overlays
def test_datacompass_images_share_one_release(overlay: str) -> None:
    tags = {
        kustomize.split_image(c["image"])[1]
        for wl in workloads(render(overlay))
        for c in containers(wl)
        if kustomize.split_image(c["image"])[0] in DC_IMAGES
    }
    assert len(tags) == 1, tags
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[\w.]+)?", tags.pop() or "")


@overlays
def test_services_select_workloads_and_target_their_ports(overlay: str) -> None:
    resources = render(overlay)
    for svc in of_kind(resources, "Service"):
        selector = svc["spec"].get("selector")
        assert selector, f"{name(svc)} has no selector"
        targets = [
            wl
            for wl in of_kind(resources, "Deployment", "StatefulSet")
            if selects({"matchLabels": selector}, pod_labels(wl))
        ]
        assert targets, f"{name(svc)} selects no workload"
        for wl in targets:
            ports = container_ports(wl)
            for port in svc["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                ok = target in ports if isinstance(target, int) else target in ports.values()
                assert ok, f"{name(svc)} port {port['name']} -> {target} not in {name(wl)}"


@overlays
def test_every_deployment_port_is_exposed_by_its_service(overlay: str) -> None:
    resources = render(overlay)
    for dep in of_kind(resources, "Deployment"):
        exposed: set[Any] = set()
        for svc in of_kind(resources, "Service"):
            if selects({"matchLabels": svc["spec"].get("selector", {})}, pod_labels(dep)):
                exposed |= {p.get("targetPort", p["port"]) for p in svc["spec"]["ports"]}
        for port, port_name in container_ports(dep).items():
            assert port in exposed or port_name in exposed, f"{name(dep)} port {port}"


@overlays
def test_workload_selectors_match_their_templates(overlay: str) -> None:
    resources = render(overlay)
    for wl in of_kind(resources, "Deployment", "StatefulSet"):
        assert selects(wl["spec"]["selector"], pod_labels(wl)), name(wl)
    for pdb in of_kind(resources, "PodDisruptionBudget"):
        assert any(selects(pdb["spec"]["selector"], pod_labels(w)) for w in workloads(resources))


@overlays
def test_network_policies(overlay: str) -> None:
    resources = render(overlay)
    pods = workloads(resources)
    policies = of_kind(resources, "NetworkPolicy")
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress")]
    assert deny and deny[0]["spec"]["policyTypes"] == ["Ingress"], "default-deny missing"
    for pol in policies:
        selected = [w for w in pods if selects(pol["spec"]["podSelector"], pod_labels(w))]
        assert selected, f"{name(pol)} selects no pod"
        for rule in pol["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    assert any(selects(peer["podSelector"], pod_labels(w)) for w in pods), (
                        f"{name(pol)}: peer {peer} matches no pod"
                    )
            for port in rule.get("ports", []):
                assert any(port["port"] in container_ports(w) for w in selected), (
                    f"{name(pol)}: port {port['port']} not served by the selected pods"
                )


def _by_name(pols: list[Resource], policy: str) -> Resource:
    return next(p for p in pols if p["metadata"]["name"] == policy)


@overlays
def test_network_policy_model(overlay: str) -> None:
    resources = render(overlay)
    pols = of_kind(resources, "NetworkPolicy")
    pods = {w["metadata"]["name"]: pod_labels(w) for w in workloads(resources)}
    for backend, port in GRPC_BACKENDS.items():
        grpc = _by_name(pols, f"{backend}-grpc")["spec"]["ingress"]
        assert [p["port"] for r in grpc for p in r["ports"]] == [port]
        clients = {
            n for n, labels in pods.items() if selects(grpc[0]["from"][0]["podSelector"], labels)
        }
        assert clients == GRPC_CLIENTS[backend], f"who may call {backend}"
        metrics = _by_name(pols, f"{backend}-metrics")["spec"]["ingress"]
        assert metrics[0]["from"] == [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        ]
        assert [p["port"] for p in metrics[0]["ports"]] == [METRICS_PORTS[backend]]
    http = _by_name(pols, "gateway-http")["spec"]["ingress"]
    assert http == [{"ports": [{"protocol": "TCP", "port": 8000}]}]


def _referenced(resources: list[Resource]) -> list[tuple[str, str, str | None, str]]:
    """(kind, name, key-or-None, where) for every ConfigMap/Secret/SA reference."""
    refs: list[tuple[str, str, str | None, str]] = []
    for wl in workloads(resources):
        pod = pod_spec(wl)
        if "serviceAccountName" in pod:
            refs.append(("ServiceAccount", pod["serviceAccountName"], None, name(wl)))
        for vol in pod.get("volumes", []):
            if "configMap" in vol:
                refs.append(("ConfigMap", vol["configMap"]["name"], None, name(wl)))
            if "secret" in vol:
                refs.append(("Secret", vol["secret"]["secretName"], None, name(wl)))
        for c in containers(wl):
            for env in c.get("env", []):
                src = env.get("valueFrom", {})
                if "configMapKeyRef" in src:
                    ref = src["configMapKeyRef"]
                    refs.append(("ConfigMap", ref["name"], ref["key"], name(wl)))
                if "secretKeyRef" in src:
                    ref = src["secretKeyRef"]
                    refs.append(("Secret", ref["name"], ref["key"], name(wl)))
            for env_from in c.get("envFrom", []):
                for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    if field in env_from:
                        refs.append((kind, env_from[field]["name"], None, name(wl)))
    for ing in of_kind(resources, "Ingress"):
        refs += [("Secret", t["secretName"], None, name(ing)) for t in ing["spec"].get("tls", [])]
    return refs


@overlays
def test_config_and_secret_references_resolve(overlay: str) -> None:
    resources = render(overlay)
    objects = {(r["kind"], r["metadata"]["name"]): r for r in resources}
    external = EXTERNAL[overlay]
    for kind, ref_name, key, where in _referenced(resources):
        if (kind, ref_name) in external:
            keys = external[(kind, ref_name)]
            assert key is None or (keys is not None and key in keys), f"{where}: {key}"
            assert (kind, ref_name) not in objects, "external object is also rendered"
            continue
        assert (kind, ref_name) in objects, f"{where} references missing {kind}/{ref_name}"
        if key is not None:
            obj = objects[(kind, ref_name)]
            data = secret_data(obj) if kind == "Secret" else obj.get("data", {})
            assert key in data, f"{where} references missing key {key} of {kind}/{ref_name}"


@overlays
def test_external_allow_list_is_documented(overlay: str) -> None:
    readme = (REPO / "deploy" / "README.md").read_text()
    example = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    for (kind, ext_name), keys in EXTERNAL[overlay].items():
        assert ext_name in readme, f"{kind}/{ext_name} not documented in deploy/README.md"
        if ext_name == example["metadata"]["name"]:
            assert set(example["stringData"]) == keys


def test_no_secret_in_base_or_prod() -> None:
    assert not of_kind(kustomize.build(K8S / "base"), "Secret")
    assert not of_kind(render("prod"), "Secret")


def test_dev_secrets_are_obviously_fake() -> None:
    (secret,) = of_kind(render("dev"), "Secret")
    data = secret_data(secret)
    for key, value in data.items():
        plain = (
            base64.urlsafe_b64decode(value).decode() if key.endswith("encryption-key") else value
        )
        assert "dev-only" in plain, f"dev secret {key} must look like a dev value"


def test_prod_is_highly_available_and_external() -> None:
    resources = render("prod")
    for dep in of_kind(resources, "Deployment"):
        assert dep["spec"]["replicas"] >= 2, name(dep)
    images = [c["image"] for wl in workloads(resources) for c in containers(wl)]
    assert not [
        i for i in images if kustomize.split_image(i)[0].split("/")[-1] in ("postgres", "nats")
    ]
    assert not of_kind(resources, "StatefulSet", "PersistentVolumeClaim")
    config = next(
        r for r in of_kind(resources, "ConfigMap") if r["metadata"]["name"] == "datacompass-config"
    )
    assert not re.search(r"//nats:", config["data"]["DATACOMPASS_NATS_URL"])
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in of_kind(resources, "HorizontalPodAutoscaler")
    }
    # The public door, the scan workers and the DQ-run workers.
    assert set(hpas) == {"gateway", "catalog", "quality"}
    deployments = {name(d) for d in of_kind(resources, "Deployment")}
    for target, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert any(d.endswith(target) for d in deployments)
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    pdbs = {p["metadata"]["name"] for p in of_kind(resources, "PodDisruptionBudget")}
    assert set(GRPC_BACKENDS) | {"gateway"} <= pdbs


def test_dev_is_small_with_in_cluster_dependencies() -> None:
    resources = render("dev")
    for dep in of_kind(resources, "Deployment"):
        assert dep["spec"]["replicas"] == 1, name(dep)
    assert not of_kind(resources, "HorizontalPodAutoscaler")
    sts = {s["metadata"]["name"]: s for s in of_kind(resources, "StatefulSet")}
    assert set(sts) == {"nats", "postgres"}
    assert kustomize.split_image(pod_spec(sts["postgres"])["containers"][0]["image"])[1]
    assert sts["postgres"]["spec"]["volumeClaimTemplates"]
    config = next(
        r for r in of_kind(resources, "ConfigMap") if r["metadata"]["name"] == "datacompass-config"
    )
    assert config["data"]["DATACOMPASS_NATS_URL"] == "nats://nats:4222"
    assert "@postgres:5432/" in secret_data(of_kind(resources, "Secret")[0])["database-url"]


def test_nats_jetstream_cluster() -> None:
    resources = render("dev")
    (nats,) = [s for s in of_kind(resources, "StatefulSet") if s["metadata"]["name"] == "nats"]
    replicas = nats["spec"]["replicas"]
    assert replicas == 3
    assert nats["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    headless = next(
        s
        for s in of_kind(resources, "Service")
        if s["metadata"]["name"] == nats["spec"]["serviceName"]
    )
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["publishNotReadyAddresses"] is True
    config = next(
        c for c in of_kind(resources, "ConfigMap") if c["metadata"]["name"] == "nats-config"
    )
    conf = config["data"]["nats.conf"]
    assert "jetstream" in conf
    routes = re.findall(r"nats://(nats-\d+)\.([\w-]+):6222", conf)
    assert routes == [(f"nats-{i}", headless["metadata"]["name"]) for i in range(replicas)]
    image = pod_spec(nats)["containers"][0]["image"]
    assert re.fullmatch(r"nats:\d+\.\d+\.\d+(-alpine)?", image)


@overlays
def test_migration_job_runs_before_rollout(overlay: str) -> None:
    resources = render(overlay)
    jobs = {j["metadata"]["name"]: j for j in of_kind(resources, "Job")}
    assert set(jobs) == {f"{svc}-migrate" for svc in GRPC_BACKENDS}
    deployments = {d["metadata"]["name"]: d for d in of_kind(resources, "Deployment")}
    # Plain-kubectl ordering uses this label (deploy/README.md).
    phase = {
        name(r)
        for r in resources
        if r["metadata"].get("labels", {}).get("datacompass.io/deploy-phase") == "pre"
    }
    assert "ConfigMap/datacompass-config" in phase
    readme = (REPO / "deploy" / "README.md").read_text()
    for service in GRPC_BACKENDS:
        job = jobs[f"{service}-migrate"]
        (container,) = pod_spec(job)["containers"]
        assert container["image"] == pod_spec(deployments[service])["containers"][0]["image"]
        assert container["args"] == ["migrate"]
        assert pod_spec(job)["restartPolicy"] == "Never"
        assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
        assert {f"Job/{service}-migrate", f"ServiceAccount/{service}-migrate"} <= phase
        assert f"{service}-migrate" in readme


@overlays
def test_probes_do_not_restart_on_dependency_outages(overlay: str) -> None:
    deps = {d["metadata"]["name"]: d for d in of_kind(render(overlay), "Deployment")}
    gateway = pod_spec(deps["gateway"])["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/health"
    for probe in ("livenessProbe", "startupProbe"):
        assert gateway[probe].get("httpGet", {}).get("path") != "/health", probe
    for backend, port in GRPC_BACKENDS.items():
        container = pod_spec(deps[backend])["containers"][0]
        assert container["readinessProbe"]["grpc"]["port"] == port, backend
        # grpc.health.v1 "" reflects the DB check, so it must not drive liveness.
        assert "grpc" not in container["livenessProbe"], backend
        assert "grpc" not in container["startupProbe"], backend


def _secret_env(container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """env name -> (Secret name, key) for every env var read from a Secret."""
    return {
        e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


@overlays
def test_shared_secrets_come_from_the_secret(overlay: str) -> None:
    deps = {d["metadata"]["name"]: d for d in of_kind(render(overlay), "Deployment")}
    for service in INTERNAL_TOKEN_USERS:
        env = _secret_env(pod_spec(deps[service])["containers"][0])
        assert env.get("DATACOMPASS_INTERNAL_TOKEN") == ("datacompass-secrets", "internal-token")
    governance = _secret_env(pod_spec(deps["governance"])["containers"][0])
    assert governance["DATACOMPASS_GOVERNANCE_JWT_SECRET"] == (
        "datacompass-secrets",
        "governance-jwt-secret",
    )
    assert governance["DATACOMPASS_GOVERNANCE_MASKING_KEY"] == (
        "datacompass-secrets",
        "governance-masking-key",
    )
    notifier = _secret_env(pod_spec(deps["notifier"])["containers"][0])
    assert notifier["DATACOMPASS_NOTIFIER_ENCRYPTION_KEY"] == (
        "datacompass-secrets",
        "notifier-encryption-key",
    )
    # No secret value is ever written into a manifest.
    for dep in deps.values():
        for c in pod_spec(dep)["containers"]:
            for e in c.get("env", []):
                if re.search(r"TOKEN|SECRET|KEY|PASSWORD|DATABASE_URL", e["name"]):
                    assert "value" not in e, f"{name(dep)}: {e['name']} inline"


@overlays
def test_gateway_reaches_its_backends(overlay: str) -> None:
    resources = render(overlay)
    config = next(
        r for r in of_kind(resources, "ConfigMap") if r["metadata"]["name"] == "datacompass-config"
    )
    services = {s["metadata"]["name"]: s for s in of_kind(resources, "Service")}
    for backend, port in GRPC_BACKENDS.items():
        addr = config["data"][f"DATACOMPASS_GATEWAY_{backend.upper()}_ADDR"]
        assert addr == f"{backend}:{port}"
        assert port in {p["port"] for p in services[backend]["spec"]["ports"]}
    gateway = next(
        d for d in of_kind(resources, "Deployment") if d["metadata"]["name"] == "gateway"
    )
    env = {e["name"] for e in pod_spec(gateway)["containers"][0]["env"]}
    assert {f"DATACOMPASS_GATEWAY_{b.upper()}_ADDR" for b in GRPC_BACKENDS} <= env


@overlays
@pytest.mark.parametrize("caller", ["quality", "governance"])
def test_catalog_callers_reach_the_catalog(overlay: str, caller: str) -> None:
    """Services that call the catalog have its address from the ConfigMap and the label its
    NetworkPolicy admits."""
    resources = render(overlay)
    config = next(
        r for r in of_kind(resources, "ConfigMap") if r["metadata"]["name"] == "datacompass-config"
    )
    key = f"DATACOMPASS_{caller.upper()}_CATALOG_ADDR"
    assert config["data"][key] == f"catalog:{GRPC_BACKENDS['catalog']}"
    deployment = next(
        d for d in of_kind(resources, "Deployment") if d["metadata"]["name"] == caller
    )
    env = {e["name"]: e for e in pod_spec(deployment)["containers"][0]["env"]}
    ref = env[key]["valueFrom"]["configMapKeyRef"]
    assert (ref["name"], ref["key"]) == ("datacompass-config", key)
    assert pod_labels(deployment).get("datacompass.io/catalog-client") == "true"
    # Its migration Job and Deployment reach PostgreSQL (dev NetworkPolicy on the database).
    jobs = {j["metadata"]["name"]: j for j in of_kind(resources, "Job")}
    for wl in (deployment, jobs[f"{caller}-migrate"]):
        assert pod_labels(wl).get("datacompass.io/database-client") == "true", name(wl)


@overlays
def test_scheduler_reaches_catalog_and_quality(overlay: str) -> None:
    resources = render(overlay)
    config = next(
        r for r in of_kind(resources, "ConfigMap") if r["metadata"]["name"] == "datacompass-config"
    )
    scheduler = next(
        d for d in of_kind(resources, "Deployment") if d["metadata"]["name"] == "scheduler"
    )
    env = {e["name"]: e for e in pod_spec(scheduler)["containers"][0]["env"]}
    for backend in ("catalog", "quality"):
        key = f"DATACOMPASS_SCHEDULER_{backend.upper()}_ADDR"
        assert config["data"][key] == f"{backend}:{GRPC_BACKENDS[backend]}"
        ref = env[key]["valueFrom"]["configMapKeyRef"]
        assert (ref["name"], ref["key"]) == ("datacompass-config", key)
    jobs = {j["metadata"]["name"]: j for j in of_kind(resources, "Job")}
    deps = {d["metadata"]["name"]: d for d in of_kind(resources, "Deployment")}
    for service in ("notifier", "scheduler"):
        for wl in (deps[service], jobs[f"{service}-migrate"]):
            assert pod_labels(wl).get("datacompass.io/database-client") == "true", name(wl)
    notifier_env = {e["name"] for e in pod_spec(deps["notifier"])["containers"][0]["env"]}
    assert {"DATACOMPASS_NATS_URL", "DATACOMPASS_DATABASE_URL"} <= notifier_env


@overlays
def test_catalog_reaches_quality(overlay: str) -> None:
    """Capsule as code in the catalog reads and writes a capsule's quality rules: the catalog
    has the quality address from the ConfigMap and the label quality's NetworkPolicy admits."""
    resources = render(overlay)
    config = next(
        r for r in of_kind(resources, "ConfigMap") if r["metadata"]["name"] == "datacompass-config"
    )
    key = "DATACOMPASS_CATALOG_QUALITY_ADDR"
    assert config["data"][key] == f"quality:{GRPC_BACKENDS['quality']}"
    catalog = next(
        d for d in of_kind(resources, "Deployment") if d["metadata"]["name"] == "catalog"
    )
    env = {e["name"]: e for e in pod_spec(catalog)["containers"][0]["env"]}
    ref = env[key]["valueFrom"]["configMapKeyRef"]
    assert (ref["name"], ref["key"]) == ("datacompass-config", key)
    assert pod_labels(catalog).get("datacompass.io/quality-client") == "true"


@overlays
def test_ingress_routes_to_gateway(overlay: str) -> None:
    resources = render(overlay)
    services = {s["metadata"]["name"]: s for s in of_kind(resources, "Service")}
    for ing in of_kind(resources, "Ingress"):
        for rule in ing["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = [p["port"] for p in services[backend["name"]]["spec"]["ports"]]
                assert backend["port"]["number"] in ports


@pytest.mark.skipif(kustomize.external_tool() is None, reason="no kustomize/kubectl on PATH")
@overlays
def test_python_renderer_matches_real_kustomize(overlay: str) -> None:
    tool = kustomize.external_tool()
    assert tool is not None
    real = kustomize.build_with_tool(K8S / "overlays" / overlay, tool)
    ours = kustomize.build(K8S / "overlays" / overlay)

    def normalized(resources: list[Resource]) -> dict[tuple[str, str, str], Resource]:
        out = {}
        for res in resources:
            if res["kind"] == "Secret":  # kustomize wraps long base64 values
                res = {**res, "data": secret_data(res)}
            out[kustomize.resource_id(res)] = res
        return out

    assert normalized(ours) == normalized(real)


def test_dev_traces_go_to_the_in_cluster_collector() -> None:
    resources = render("dev")
    config = next(
        r for r in of_kind(resources, "ConfigMap") if r["metadata"]["name"] == "datacompass-config"
    )
    endpoint = config["data"]["DATACOMPASS_OTLP_ENDPOINT"]
    services = {s["metadata"]["name"]: s for s in of_kind(resources, "Service")}
    host, _, port = endpoint.removeprefix("http://").partition(":")
    assert host in services, endpoint
    assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}
    collectors = [d for d in of_kind(resources, "Deployment") if name(d).endswith(host)]
    assert collectors and any(
        selects({"matchLabels": services[host]["spec"]["selector"]}, pod_labels(d))
        for d in collectors
    )
