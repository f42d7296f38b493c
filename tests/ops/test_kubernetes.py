"""deploy/k8s: every overlay renders with kustomize and validates strictly against Kubernetes' schemas;
the pods are what the restricted profile and the operators expect; a council's overlay is fenced in."""
from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from services.cli.infra import PROJECT_ROOT, SERVICES
from services.common.metrics import ENTRYPOINT_DURATION
from tests.ops.tools import command_of_service, tool

K8S = PROJECT_ROOT / "deploy" / "k8s"
OVERLAYS = ("pooled", "council-example")
# Kinds of the operators we rely on; kubernetes-validate ships no schema for them.
OPERATOR_KINDS = {"ServiceMonitor", "Vhost", "User", "Permission", "MongoDBUser"}
# the longest a handler runs (the SMTP and RPC bounds): iec_entrypoint_duration_seconds' last finite bucket
LONGEST_HANDLER_SECONDS = ENTRYPOINT_DURATION._upper_bounds[-2]


def render(overlay: str) -> str:
    done = subprocess.run([tool("kubectl"), "kustomize", str(K8S / "overlays" / overlay)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    """The manifests of each overlay, as kustomize renders them."""
    return {overlay: list(yaml.safe_load_all(render(overlay))) for overlay in OVERLAYS}


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_strictly(overlay, tmp_path: Path):
    manifest = tmp_path / f"{overlay}.yaml"
    manifest.write_text(render(overlay))
    # the console script of the test dependency, beside this interpreter
    command = [str(Path(sys.executable).with_name("kubernetes-validate")), "--strict", str(manifest)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    skipped = set(re.findall(r"Couldn't find schema for kind (\w+)", output))
    assert skipped <= OPERATOR_KINDS, f"built-in kinds not validated: {skipped - OPERATOR_KINDS}"
    passed = len(re.findall(r" passed for resource ", output))
    docs = list(yaml.safe_load_all(manifest.read_text()))
    assert passed == len([doc for doc in docs if doc["kind"] not in OPERATOR_KINDS])
    if skipped:
        warnings.warn(f"{overlay}: no schema to validate {', '.join(sorted(skipped))} "
                      "(operator custom resources): skipped", stacklevel=1)


def test_each_service_runs_the_tests_command_under_the_restricted_profile(rendered):
    docs = rendered["pooled"]
    deployments = of_kind(docs, "Deployment")
    for svc in SERVICES:
        pod = deployments[svc]["spec"]["template"]["spec"]
        container, = pod["containers"]
        assert container["command"] == command_of_service(svc)
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert set(container["resources"]) == {"requests", "limits"}
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        sleep, prestop_seconds = container["lifecycle"]["preStop"]["exec"]["command"]
        assert sleep == "sleep"
        assert pod["terminationGracePeriodSeconds"] > float(prestop_seconds) + LONGEST_HANDLER_SECONDS
        assert of_kind(docs, "ServiceAccount")[svc]["automountServiceAccountToken"] is False
        assert of_kind(docs, "Service")[svc]["spec"]["selector"] == {"app": svc}


def test_each_service_keeps_two_pods_through_disruptions_and_scales(rendered):
    for overlay, docs in rendered.items():
        budgets, scalers = of_kind(docs, "PodDisruptionBudget"), of_kind(docs, "HorizontalPodAutoscaler")
        for svc in SERVICES:
            assert budgets[svc]["spec"]["minAvailable"] == 1
            assert budgets[svc]["spec"]["selector"]["matchLabels"] == {"app": svc}
            assert scalers[svc]["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                              "name": svc}
            assert scalers[svc]["spec"]["minReplicas"] >= 2, overlay
            assert "replicas" not in of_kind(docs, "Deployment")[svc]["spec"]  # the autoscaler owns it


def test_network_is_denied_except_what_each_service_needs(rendered):
    for docs in rendered.values():
        policies = of_kind(docs, "NetworkPolicy")
        assert policies["deny-all"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        assert set(policies) == {"deny-all", *(f"allow-{svc}" for svc in SERVICES)}
        for svc in SERVICES:
            spec = policies[f"allow-{svc}"]["spec"]
            assert spec["podSelector"] == {"matchLabels": {"app": svc}}
            ports = {port["port"] for rule in spec["egress"] for port in rule["ports"]}
            assert {53, 5672, 27017} <= ports
            assert (ports >= {587, 443}) == (svc == "notifications")  # only it talks outside


def test_prometheus_operator_keeps_our_service_label(rendered):
    for docs in rendered.values():
        monitor, = of_kind(docs, "ServiceMonitor").values()
        assert monitor["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/part-of": "iec"}
        assert all(endpoint["honorLabels"] for endpoint in monitor["spec"]["endpoints"])


def test_pooled_serves_every_council_from_namespace_iec(rendered):
    docs = rendered["pooled"]
    assert {doc["metadata"].get("namespace", "iec") for doc in docs if doc["kind"] != "Namespace"} == {"iec"}
    assert of_kind(docs, "ConfigMap")["iec-config"]["data"]["SERVED_TENANTS"] == "*"


def test_a_council_gets_its_own_namespace_vhost_database_user_and_quota(rendered):
    docs = rendered["council-example"]
    assert {doc["metadata"]["namespace"] for doc in docs if doc["kind"] != "Namespace"} == {"iec-toronto"}
    assert of_kind(docs, "ConfigMap")["iec-config"]["data"]["SERVED_TENANTS"] == "toronto"
    assert of_kind(docs, "ResourceQuota")["council"]["spec"]["hard"]["pods"]
    assert of_kind(docs, "LimitRange")["council"]["spec"]["limits"][0]["type"] == "Container"
    assert [vhost["spec"]["name"] for vhost in of_kind(docs, "Vhost").values()] == ["toronto"]
    assert [p["spec"]["vhost"] for p in of_kind(docs, "Permission").values()] == ["toronto"]
    user, = of_kind(docs, "MongoDBUser").values()
    roles = {(role["db"], role["name"]) for role in user["spec"]["roles"]}
    assert roles == {*((f"iec_toronto_{svc}", "readWrite") for svc in SERVICES), ("iec_platform", "read")}
    assert all(s["spec"]["maxReplicas"] <= 3 for s in of_kind(docs, "HorizontalPodAutoscaler").values())
