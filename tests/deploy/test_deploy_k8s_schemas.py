"""Every object the overlays produce is one a cluster accepts: Kubernetes' own objects against the
API's OpenAPI schemas (kubernetes-validate, strict: an unknown or misspelled field fails), KEDA's
and Strimzi's custom resources by a structural check of the fields their CRDs require (no registry
package ships their CRD schemas)."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest
from deploy_support import OVERLAYS, named

K8S_VERSION = "1.33.0"
CUSTOM = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"),
    ("kafka.strimzi.io/v1beta2", "Kafka"),
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"),
}
KEDA_KAFKA_KEYS = {
    "bootstrapServers",
    "bootstrapServersFromEnv",
    "consumerGroup",
    "topic",
    "lagThreshold",
    "activationLagThreshold",
    "offsetResetPolicy",
    "allowIdleConsumers",
    "scaleToZeroOnInvalidOffset",
    "excludePersistentLag",
    "limitToPartitionsWithLag",
    "partitionLimitation",
    "sasl",
    "tls",
    "version",
}


def strict_errors(obj: dict[str, Any]) -> str | None:
    try:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_core_object_is_valid_for_the_api_server(
    overlays: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    objects = [o for o in overlays[overlay] if (o["apiVersion"], o["kind"]) not in CUSTOM]
    assert len(objects) > 40
    problems = {named(o): err for o in objects if (err := strict_errors(o))}
    assert not problems, problems


def test_the_strict_check_rejects_a_misspelled_field(overlays: dict[str, list[dict[str, Any]]]) -> None:
    deployment = copy.deepcopy(next(o for o in overlays["prod"] if o["kind"] == "Deployment"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["livenesProbe"] = container.pop("livenessProbe")
    assert strict_errors(deployment)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_known_custom_resources_appear(overlays: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    kinds = {(o["apiVersion"], o["kind"]) for o in overlays[overlay]}
    unknown = {
        k
        for k in kinds - CUSTOM
        if not k[0].startswith(("v1", "apps/", "batch/", "policy/", "autoscaling/", "networking.k8s.io/"))
    }
    assert not unknown


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_scaled_objects_have_the_shape_keda_requires(
    overlays: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    for so in (o for o in overlays[overlay] if o["kind"] == "ScaledObject"):
        spec = so["spec"]
        assert set(spec["scaleTargetRef"]) <= {"name", "kind", "apiVersion", "envSourceContainerName"}
        assert isinstance(spec["minReplicaCount"], int) and isinstance(spec["maxReplicaCount"], int)
        assert 0 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        for trigger in spec["triggers"]:
            assert trigger["type"] == "kafka"
            meta = trigger["metadata"]
            assert set(meta) <= KEDA_KAFKA_KEYS, set(meta) - KEDA_KAFKA_KEYS
            assert all(isinstance(v, str) for v in meta.values()), "KEDA metadata values are strings"
            assert {"consumerGroup", "topic", "lagThreshold"} <= set(meta)
            assert "bootstrapServers" in meta or "bootstrapServersFromEnv" in meta


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_topics_have_the_shape_strimzi_requires(
    overlays: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    topics = [o for o in overlays[overlay] if o["kind"] == "KafkaTopic"]
    for t in topics:
        assert t["metadata"]["labels"]["strimzi.io/cluster"] == "billing"
        spec = t["spec"]
        assert set(spec) <= {"topicName", "partitions", "replicas", "config"}
        assert isinstance(spec["partitions"], int) and spec["partitions"] >= 1
        assert isinstance(spec["replicas"], int) and 1 <= spec["replicas"] <= 32767
        if spec["config"]["cleanup.policy"] != "compact":  # a compacted topic keeps each key's latest
            assert int(spec["config"]["retention.ms"]) > 0
        assert int(spec["config"]["min.insync.replicas"]) <= spec["replicas"]
