"""The rules an operator relies on, checked on what each overlay really renders: containers with
probes, limits and a locked-down, non-root context; pinned images; every worker scaling on its own
consumer group's lag within its topics' partitions; the network closed but for the gateway."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from deploy_support import OVERLAYS, named, pod_specs

from billing_devtools.localstack import SERVICES

Objects = list[dict[str, Any]]


def of_kind(objs: Objects, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


@pytest.fixture(params=OVERLAYS)
def objs(request: pytest.FixtureRequest, overlays: dict[str, Objects]) -> Objects:
    return overlays[request.param]


def test_every_container_is_limited_and_locked_down(objs: Objects) -> None:
    problems = []
    for o in objs:
        for pod in pod_specs(o):
            psc = pod.get("securityContext", {})
            for c in pod["containers"] + pod.get("initContainers", []):
                where = f"{named(o)}/{c['name']}"
                res = c.get("resources", {})
                if not (res.get("limits", {}).keys() >= {"cpu", "memory"} and res.get("requests")):
                    problems.append(f"{where}: requests and cpu+memory limits")
                csc = c.get("securityContext", {})
                if not (csc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
                    problems.append(f"{where}: runAsNonRoot")
                if not csc.get("readOnlyRootFilesystem"):
                    problems.append(f"{where}: readOnlyRootFilesystem")
                if csc.get("allowPrivilegeEscalation") is not False:
                    problems.append(f"{where}: allowPrivilegeEscalation false")
                if csc.get("capabilities", {}).get("drop") != ["ALL"]:
                    problems.append(f"{where}: drop ALL capabilities")
    assert not problems, problems


def test_every_long_running_container_has_liveness_and_readiness_probes(objs: Objects) -> None:
    for o in objs:
        if o["kind"] not in ("Deployment", "StatefulSet"):
            continue
        for c in pod_specs(o)[0]["containers"]:
            assert c.get("livenessProbe") and c.get("readinessProbe"), f"{named(o)}/{c['name']}"
            if o["metadata"].get("labels", {}).get("app.kubernetes.io/component") in (
                "api",
                "worker",
                "gateway",
            ):
                assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
                assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_every_image_is_pinned(objs: Objects) -> None:
    for o in objs:
        for pod in pod_specs(o):
            for c in pod["containers"]:
                image = c["image"]
                tag = image.rsplit("/", 1)[-1].partition(":")[2]
                assert tag and tag != "latest", f"{named(o)}: {image}"


def test_every_service_runs_an_api_a_worker_and_its_migration(objs: Objects) -> None:
    deployments, jobs = of_kind(objs, "Deployment"), of_kind(objs, "Job")
    for s in SERVICES:
        assert {f"{s.name}-api", f"{s.name}-worker"} <= deployments.keys()
        assert (
            jobs[f"{s.name}-migrate"]["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "migrate"
        )
    assert "gateway" in deployments and "gateway-migrate" in jobs


def test_the_biller_is_a_cron_job_that_never_overlaps(objs: Objects) -> None:
    (biller,) = of_kind(objs, "CronJob").values()
    assert biller["spec"]["concurrencyPolicy"] == "Forbid"
    pod = pod_specs(biller)[0]
    assert pod["containers"][0]["command"][-2:] == ["invoicing.cli", "billing-run"]


def test_every_worker_scales_on_its_groups_lag_within_partitions(objs: Objects) -> None:
    scaled = {so["spec"]["scaleTargetRef"]["name"]: so for so in of_kind(objs, "ScaledObject").values()}
    partitions = {
        t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(objs, "KafkaTopic").values()
    }
    for s in SERVICES:
        consumed = set(importlib.import_module(f"{s.name}.handlers").TOPICS)
        so = scaled[f"{s.name}-worker"]
        triggers = so["spec"]["triggers"]
        # the worker's consumer group is its service name (billing_shared.worker.run_worker)
        assert {t["metadata"]["consumerGroup"] for t in triggers} == {s.name}
        assert {t["metadata"]["topic"] for t in triggers} == consumed
        assert so["spec"]["maxReplicaCount"] <= min(partitions[t] for t in consumed), s.name


def test_every_api_scales_on_cpu_and_survives_a_drain(objs: Objects) -> None:
    hpas, pdbs = of_kind(objs, "HorizontalPodAutoscaler"), of_kind(objs, "PodDisruptionBudget")
    for name in [f"{s.name}-api" for s in SERVICES] + ["gateway"]:
        metric = hpas[name]["spec"]["metrics"][0]
        assert metric["resource"]["name"] == "cpu"
        assert hpas[name]["spec"]["minReplicas"] >= 1
        assert name in pdbs
    for s in SERVICES:
        assert f"{s.name}-worker" in pdbs


def test_only_the_gateway_takes_traffic_from_outside(objs: Objects) -> None:
    policies = of_kind(objs, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    open_to_all = [
        name for name, p in policies.items() for rule in p["spec"].get("ingress", []) if "from" not in rule
    ]
    assert open_to_all == ["gateway-ingress"]
    for s in SERVICES:
        sources = [rule["from"] for rule in policies[f"{s.name}-ingress"]["spec"]["ingress"]]
        api_port = [
            r for r in policies[f"{s.name}-ingress"]["spec"]["ingress"] if r["from"][0].get("podSelector")
        ]
        assert api_port[0]["from"] == [
            {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}
        ]
        assert all("podSelector" in f[0] or "namespaceSelector" in f[0] for f in sources)


def test_no_secret_value_is_in_the_manifests(objs: Objects) -> None:
    assert not of_kind(objs, "Secret")
    for o in objs:
        for pod in pod_specs(o):
            for c in pod["containers"]:
                for e in c.get("env", []):
                    secretish = any(w in e["name"] for w in ("SECRET", "PASSWORD", "API_KEY", "DATABASE_URL"))
                    assert not (secretish and "value" in e), f"{named(o)}: {e['name']} has a literal value"


def test_dev_is_one_replica_and_prod_several(overlays: dict[str, Objects]) -> None:
    dev, prod = (of_kind(overlays[o], "HorizontalPodAutoscaler") for o in ("dev", "prod"))
    assert {h["spec"]["minReplicas"] for h in dev.values()} == {1}
    assert min(h["spec"]["minReplicas"] for h in prod.values()) >= 2
    assert "postgres" in of_kind(overlays["dev"], "StatefulSet") and "billing" in of_kind(
        overlays["dev"], "Kafka"
    )
    assert not of_kind(overlays["prod"], "StatefulSet") and not of_kind(overlays["prod"], "Kafka")
    assert "test-psp" not in of_kind(overlays["prod"], "Deployment")


def test_read_only_billing_containers_can_write_tmp_and_their_var_dir(objs: Objects) -> None:
    for o in objs:
        for pod in pod_specs(o):
            for c in pod["containers"]:
                if not c["image"].startswith("ghcr.io/billing-platform/"):
                    continue
                mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
                assert {"/tmp", "/var/lib/billing"} <= mounts, f"{named(o)}/{c['name']}"
