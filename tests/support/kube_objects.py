"""Realistic Node and Pod objects, shaped like what an OpenShift 4.x API server returns."""

from __future__ import annotations

from typing import Any


def gpu_node(
    name: str,
    *,
    product: str | None = "NVIDIA-A100-SXM4-80GB",
    gpus: int = 8,
    memory_mib: int = 81920,
    cc: tuple[int, int] = (8, 0),
    family: str = "ampere",
    instance_type: str = "p4de.24xlarge",
    extra_resources: dict[str, str] | None = None,
    extra_labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    ready: bool = True,
    unschedulable: bool = False,
) -> dict[str, Any]:
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node-role.kubernetes.io/worker": "",
        "node.kubernetes.io/instance-type": instance_type,
        "topology.kubernetes.io/region": "us-east-1",
        "topology.kubernetes.io/zone": "us-east-1a",
        "feature.node.kubernetes.io/pci-10de.present": "true",
        "nvidia.com/cuda.driver.major": "550",
        "nvidia.com/cuda.driver.minor": "127",
        "nvidia.com/cuda.runtime.major": "12",
        "nvidia.com/cuda.runtime.minor": "4",
        "nvidia.com/gpu.count": str(gpus),
        "nvidia.com/gpu.family": family,
        "nvidia.com/gpu.compute.major": str(cc[0]),
        "nvidia.com/gpu.compute.minor": str(cc[1]),
        "nvidia.com/gpu.machine": instance_type,
        "nvidia.com/gpu.memory": str(memory_mib),
        "nvidia.com/gpu.present": "true",
        "nvidia.com/mig.strategy": "single",
    }
    if product:
        labels["nvidia.com/gpu.product"] = product
    labels.update(extra_labels or {})
    resources = {
        "cpu": "95500m",
        "ephemeral-storage": "1846678673112",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": "1175303644Ki",
        "pods": "250",
    }
    if gpus:
        resources["nvidia.com/gpu"] = str(gpus)
    resources.update(extra_resources or {})
    conditions = [
        {
            "type": t,
            "status": "False",
            "reason": f"KubeletHas{r}",
            "lastHeartbeatTime": "2026-11-21T06:00:00Z",
            "lastTransitionTime": "2026-11-01T00:00:00Z",
            "message": "ok",
        }
        for t, r in (
            ("MemoryPressure", "SufficientMemory"),
            ("DiskPressure", "NoDiskPressure"),
            ("PIDPressure", "SufficientPID"),
        )
    ]
    conditions.append(
        {
            "type": "Ready",
            "status": "True" if ready else "Unknown",
            "reason": "KubeletReady" if ready else "NodeStatusUnknown",
            "lastHeartbeatTime": "2026-11-21T06:00:00Z",
            "lastTransitionTime": "2026-11-01T00:00:00Z",
            "message": "kubelet is posting ready status" if ready else "Kubelet stopped posting node status.",
        }
    )
    spec: dict[str, Any] = {"providerID": f"aws:///us-east-1a/i-{abs(hash(name)) % 10**12:012d}"}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "resourceVersion": "1",
            "labels": labels,
            "annotations": {"machine.openshift.io/machine": f"openshift-machine-api/{name}"},
        },
        "spec": spec,
        "status": {
            "capacity": dict(resources),
            "allocatable": dict(resources),
            "conditions": conditions,
            "nodeInfo": {
                "kubeletVersion": "v1.31.4",
                "containerRuntimeVersion": "cri-o://1.31.3",
                "architecture": "amd64",
                "operatingSystem": "linux",
                "osImage": "Red Hat Enterprise Linux CoreOS",
                "kernelVersion": "5.14.0",
                "machineID": "m",
                "systemUUID": "s",
                "bootID": "b",
                "kubeProxyVersion": "",
            },
        },
    }


def pod(
    name: str,
    node: str | None,
    *,
    gpus: int = 0,
    resource: str = "nvidia.com/gpu",
    phase: str = "Running",
    namespace: str = "llm",
    init_gpus: int = 0,
    limits_only: bool = False,
) -> dict[str, Any]:
    res: dict[str, Any] = {"requests": {"cpu": "4", "memory": "32Gi"}, "limits": {"memory": "32Gi"}}
    if gpus:
        res["limits"][resource] = str(gpus)
        if not limits_only:
            res["requests"][resource] = str(gpus)
    spec: dict[str, Any] = {
        "containers": [{"name": "kserve-container", "image": "quay.io/vllm/vllm-cuda:latest", "resources": res}],
        "restartPolicy": "Always",
        "serviceAccountName": "default",
    }
    if node:
        spec["nodeName"] = node
    if init_gpus:
        spec["initContainers"] = [
            {
                "name": "storage-initializer",
                "image": "kserve/storage-initializer",
                "resources": {"requests": {resource: str(init_gpus)}, "limits": {resource: str(init_gpus)}},
            }
        ]
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "labels": {"app": name}},
        "spec": spec,
        "status": {"phase": phase, "conditions": [], "qosClass": "Burstable"},
    }


def realistic_cluster() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Nodes and pods of a small mixed cluster: A100s partly used, L40S, MIG, cordoned, tainted."""
    nodes = [
        gpu_node(
            "master-0",
            product=None,
            gpus=0,
            instance_type="m6i.2xlarge",
            taints=[{"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"}],
        ),
        gpu_node("gpu-a100-0"),
        gpu_node("gpu-a100-1"),
        gpu_node(
            "gpu-l40s-0",
            product="NVIDIA-L40S",
            gpus=4,
            memory_mib=46068,
            cc=(8, 9),
            family="ada-lovelace",
            instance_type="g6e.12xlarge",
        ),
        gpu_node(
            "gpu-h100-mig-0",
            product="NVIDIA-H100-80GB-HBM3",
            gpus=2,
            memory_mib=81559,
            cc=(9, 0),
            family="hopper",
            instance_type="p5.48xlarge",
            extra_resources={"nvidia.com/mig-3g.40gb": "4"},
            extra_labels={
                "nvidia.com/mig.strategy": "mixed",
                "nvidia.com/mig-3g.40gb.memory": "40192",
                "nvidia.com/mig-3g.40gb.count": "4",
            },
        ),
        gpu_node(
            "gpu-t4-0",
            product="Tesla-T4",
            gpus=4,
            memory_mib=15360,
            cc=(7, 5),
            family="turing",
            instance_type="g4dn.12xlarge",
            taints=[{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}],
        ),
        gpu_node(
            "gpu-a10g-0",
            product="NVIDIA-A10G",
            gpus=4,
            memory_mib=23028,
            cc=(8, 6),
            instance_type="g5.12xlarge",
            unschedulable=True,
            taints=[
                {
                    "key": "node.kubernetes.io/unschedulable",
                    "effect": "NoSchedule",
                    "timeAdded": "2026-11-20T10:00:00Z",
                }
            ],
        ),
        gpu_node(
            "gpu-l4-0",
            product="NVIDIA-L4",
            gpus=1,
            memory_mib=23034,
            cc=(8, 9),
            family="ada-lovelace",
            instance_type="g6.4xlarge",
            ready=False,
        ),
    ]
    pods = [
        pod("llama-70b-predictor-1", "gpu-a100-0", gpus=4),
        pod("granite-predictor-2", "gpu-a100-0", gpus=2),
        pod("finished-job", "gpu-a100-0", gpus=2, phase="Succeeded"),
        pod("crashed-job", "gpu-a100-1", gpus=8, phase="Failed"),
        pod("mixtral-predictor", "gpu-a100-1", gpus=2, limits_only=True),
        pod("init-heavy", "gpu-a100-1", gpus=1, init_gpus=3),
        pod("embedder", "gpu-l40s-0", gpus=1),
        pod("mig-user", "gpu-h100-mig-0", gpus=1, resource="nvidia.com/mig-3g.40gb"),
        pod("pending", None, gpus=4),
        pod("cpu-only", "gpu-a100-0"),
    ]
    return nodes, pods


def dsci(namespace: str = "redhat-ods-applications") -> dict[str, Any]:
    return {
        "apiVersion": "dscinitialization.opendatahub.io/v1",
        "kind": "DSCInitialization",
        "metadata": {"name": "default-dsci"},
        "spec": {"applicationsNamespace": namespace, "monitoring": {"managementState": "Managed"}},
        "status": {"phase": "Ready", "release": {"name": "OpenShift AI Self-Managed", "version": "3.0.0"}},
    }


def vllm_template(
    accelerator: str = "nvidia.com/gpu",
    name: str = "vllm-cuda-runtime-template",
    runtime: str = "vllm-cuda-runtime",
    image: str = "registry.redhat.io/rhoai/odh-vllm-cuda-rhel9@sha256:" + "a" * 64,
    version: str = "v0.21.0",
) -> dict[str, Any]:
    display = "vLLM NVIDIA GPU ServingRuntime for KServe"
    return {
        "apiVersion": "template.openshift.io/v1",
        "kind": "Template",
        "metadata": {
            "name": name,
            "namespace": "redhat-ods-applications",
            "labels": {"opendatahub.io/dashboard": "true", "opendatahub.io/ootb": "true"},
            "annotations": {
                "openshift.io/display-name": display,
                "opendatahub.io/modelServingSupport": '["single"]',
                "opendatahub.io/apiProtocol": "REST",
            },
        },
        "objects": [
            {
                "apiVersion": "serving.kserve.io/v1alpha1",
                "kind": "ServingRuntime",
                "metadata": {
                    "name": runtime,
                    "annotations": {
                        "openshift.io/display-name": display,
                        "opendatahub.io/recommended-accelerators": f'["{accelerator}"]',
                        "opendatahub.io/runtime-version": version,
                    },
                    "labels": {"opendatahub.io/dashboard": "true"},
                },
                "spec": {
                    "annotations": {
                        "prometheus.io/port": "8080",
                        "prometheus.io/path": "/metrics",
                        "opendatahub.io/kserve-runtime": "vllm",
                    },
                    "multiModel": False,
                    "supportedModelFormats": [{"name": "vLLM", "autoSelect": True}],
                    "containers": [
                        {
                            "name": "kserve-container",
                            "image": image,
                            "command": ["python", "-m", "vllm.entrypoints.openai.api_server"],
                            "args": ["--port=8080", "--model=/mnt/models", "--served-model-name={{.Name}}"],
                            "env": [{"name": "HF_HOME", "value": "/tmp/hf_home"}],
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        }
                    ],
                },
            }
        ],
        "parameters": [],
    }


def openshift_ai_objects() -> dict[tuple[str, str, str, str | None], list[dict[str, Any]]]:
    """DSCInitialization and the vLLM runtime templates of an OpenShift AI cluster."""
    rocm = "registry.redhat.io/rhoai/odh-vllm-rocm-rhel9@sha256:" + "b" * 64
    return {
        ("dscinitialization.opendatahub.io", "v1", "dscinitializations", None): [dsci()],
        ("template.openshift.io", "v1", "templates", "redhat-ods-applications"): [
            vllm_template(),
            vllm_template("amd.com/gpu", "vllm-rocm-runtime-template", "vllm-rocm-runtime", rocm),
            vllm_template(name="vllm-multinode-runtime-template", runtime="vllm-multinode-runtime"),
        ],
    }


def kserve_crds() -> list[dict[str, Any]]:
    """The KServe CRDs as a cluster serves them (schemas from the shipped copies)."""
    from core.manifests import bundled_schema

    out = []
    for plural, kind, version in (
        ("inferenceservices", "InferenceService", "v1beta1"),
        ("servingruntimes", "ServingRuntime", "v1alpha1"),
        ("llminferenceservices", "LLMInferenceService", "v1alpha1"),  # OpenShift AI 3 serves llm-d
    ):
        schema = bundled_schema(f"serving.kserve.io/{version}", kind)
        out.append(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": f"{plural}.serving.kserve.io"},
                "spec": {
                    "group": "serving.kserve.io",
                    "names": {"kind": kind, "plural": plural},
                    "scope": "Namespaced",
                    "versions": [
                        {"name": version, "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
                    ],
                },
            }
        )
    return out


def predictor_pod(
    isvc: str, namespace: str, *, phase: str = "Pending", ready: bool = False, waiting: str | None = None
) -> dict[str, Any]:
    """A KServe predictor pod, optionally waiting (``ImagePullBackOff``…)."""
    statuses = []
    if waiting:
        statuses.append(
            {
                "name": "kserve-container",
                "ready": False,
                "state": {"waiting": {"reason": waiting, "message": f"Back-off: {waiting}"}},
            }
        )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{isvc}-predictor-6d5f7c9b8-x2v4q",
            "namespace": namespace,
            "labels": {"serving.kserve.io/inferenceservice": isvc, "component": "predictor"},
        },
        "spec": {"containers": [{"name": "kserve-container", "image": "quay.io/vllm/vllm-cuda:latest"}]},
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": statuses,
        },
    }


def warning_event(pod: str, namespace: str, reason: str, message: str) -> dict[str, Any]:
    """A Warning event about a pod."""
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod}.17a2b3c4d5e6f708", "namespace": namespace},
        "involvedObject": {"kind": "Pod", "name": pod, "namespace": namespace},
        "type": "Warning",
        "reason": reason,
        "message": message,
    }
