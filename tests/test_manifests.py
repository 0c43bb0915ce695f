"""KServe manifests: generated from plans and decisions, validated against the shipped CRD schemas,
the Kubernetes models and the webhook rules; rendered as YAML, zip and `oc apply`."""

from __future__ import annotations

import copy
import io
import itertools
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.cluster import load_inventory
from core.decision import build_report
from core.deployment import ClusterFacts, manifests_for_plan, manifests_for_report
from core.errors import InputError
from core.manifests import (
    DeploymentSpec,
    Toleration,
    build_manifests,
    deployment_mode_for,
    is_floating,
    oc_apply_command,
    pinned_runtime_image,
    secret_needs,
    to_yaml,
    to_zip,
    validate_objects,
)
from core.modelcar import load_modelcar_config
from core.planning import Constraints, ModelRequirements, PlanRequest, SloTargets, TrafficProfile, build_plan
from core.sizing import DEFAULT_VLLM_VERSION
from tests.conftest import REPO, SAMPLE_INVENTORY
from tests.support.kube_objects import vllm_template

SAMPLE = load_inventory(SAMPLE_INVENTORY)
BASE = {
    "name": "granite-8b",
    "namespace": "llm",
    "storage_uri": "oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5",
    "runtime_image": "quay.io/vllm/vllm-cuda:0.21.0",
}


def plan(pattern: str = "steady", availability: float = 99.0) -> Any:
    return build_plan(
        PlanRequest(
            model=ModelRequirements(model="Llama-3.1-8B"),
            traffic=TrafficProfile(
                rps=20,
                peak_rps=None if pattern == "steady" else 50,
                input_tokens=800,
                output_tokens=200,
                pattern=pattern,  # type: ignore[arg-type]
            ),
            slo=SloTargets(p95_ttft_ms=2000, p95_tpot_ms=80, availability_percent=availability),
            constraints=Constraints(gpu_types=["L40S", "A100-80GB-SXM"]),
        )
    )


def kinds(objects: list[dict[str, Any]]) -> list[str]:
    return [o["kind"] for o in objects]


def isvc_of(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == "InferenceService")


def errors_of(objects: list[dict[str, Any]]) -> list[str]:
    return [e for c in validate_objects(objects) for e in c.errors]


# ---- generation ------------------------------------------------------------------------------


def test_plan_manifests_follow_the_plan_and_validate() -> None:
    p = plan()
    assert p.chosen is not None
    ms = manifests_for_plan(p, namespace="llm", inventory=SAMPLE, storage_uri=BASE["storage_uri"])
    assert ms.valid, [c.errors for c in ms.checks]
    isvc = isvc_of(ms.objects)
    pred = isvc["spec"]["predictor"]
    model = pred["model"]
    gpus = p.chosen.gpus_per_replica
    assert (
        model["resources"]["requests"]["nvidia.com/gpu"] == model["resources"]["limits"]["nvidia.com/gpu"] == str(gpus)
    )
    assert f"--tensor-parallel-size={gpus}" in model["args"]
    assert model["resources"]["requests"]["cpu"] == str(p.chosen.cpu_request)
    assert model["resources"]["requests"]["memory"] == f"{p.chosen.memory_request_gib}Gi"
    assert pred["minReplicas"] == pred["maxReplicas"] == p.chosen.replicas_target  # steady → fixed
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "none"
    assert model["modelFormat"] == {"name": "vLLM"}
    assert isvc["metadata"]["labels"]["opendatahub.io/dashboard"] == "true"
    # The sample inventory's nodes of the chosen GPU give the exact product label.
    products = {
        pool.product for n in SAMPLE.nodes for pool in n.accelerators if pool.gpu == p.chosen.gpu and pool.product
    }
    assert pred["nodeSelector"]["nvidia.com/gpu.product"] in products


def test_bursty_plan_scales_with_keda_on_waiting_requests_and_gets_a_pdb() -> None:
    p = plan("burst", availability=99.9)
    ms = manifests_for_plan(p, namespace="llm", storage_uri=BASE["storage_uri"])
    assert ms.valid
    pred = isvc_of(ms.objects)["spec"]["predictor"]
    assert isvc_of(ms.objects)["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "keda"
    metric = pred["autoScaling"]["metrics"][0]["external"]["metric"]
    assert "vllm:num_requests_waiting" in metric["query"]
    assert "scaleMetric" not in pred
    assert pred["minReplicas"] >= 2
    assert "PodDisruptionBudget" in kinds(ms.objects)
    assert "HorizontalPodAutoscaler" not in kinds(ms.objects)


def test_keda_scales_between_the_plans_minimum_and_peak_on_vllm_metrics() -> None:
    p = plan("burst", availability=99.9)
    c = p.chosen
    assert c is not None and c.replicas_min < c.replicas_max
    ms = manifests_for_plan(p, namespace="llm", storage_uri=BASE["storage_uri"], facts=ClusterFacts(keda=True))
    assert ms.valid, [x.errors for x in ms.checks]
    pred = isvc_of(ms.objects)["spec"]["predictor"]
    assert (pred["minReplicas"], pred["maxReplicas"]) == (c.replicas_min, c.replicas_max)
    metrics = {
        m["external"]["metric"]["query"].split("{")[0]: m["external"]["target"] for m in pred["autoScaling"]["metrics"]
    }
    assert metrics["sum(vllm:num_requests_waiting"]["type"] == "AverageValue"
    assert metrics["avg(vllm:kv_cache_usage_perc"] == {"type": "Value", "value": "0.8"}
    terms = pred["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert terms[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert any("KEDA scales between" in n for n in ms.notes)


def test_without_keda_or_a_peak_replicas_are_fixed_and_the_notes_say_why() -> None:
    no_keda = manifests_for_plan(
        plan("burst", availability=99.9),
        namespace="llm",
        storage_uri=BASE["storage_uri"],
        facts=ClusterFacts(keda=False),
    )
    pred = isvc_of(no_keda.objects)["spec"]["predictor"]
    assert isvc_of(no_keda.objects)["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "none"
    assert pred["minReplicas"] == pred["maxReplicas"]
    assert any("KEDA (the Custom Metrics Autoscaler operator) is not installed" in n for n in no_keda.notes)
    steady = manifests_for_plan(plan(), namespace="llm", storage_uri=BASE["storage_uri"])
    assert any("the peak needs no more replicas than the average" in n for n in steady.notes)


def test_cpu_hpa_comes_with_a_warning_and_min_equal_max_is_flagged() -> None:
    hpa = manifests_for_plan(plan("burst"), namespace="llm", storage_uri=BASE["storage_uri"], autoscaling="hpa")
    assert any(n.startswith("warning: the HPA scales on CPU") for n in hpa.notes)
    keda = manifests_for_plan(plan(), namespace="llm", storage_uri=BASE["storage_uri"], autoscaling="keda")
    assert any("never scales" in n for n in keda.notes)


def test_plan_without_storage_uses_the_catalog_hf_id() -> None:
    ms = manifests_for_plan(plan(), namespace="llm")
    assert isvc_of(ms.objects)["spec"]["predictor"]["model"]["storageUri"].startswith("hf://meta-llama/")


def test_every_option_combination_validates() -> None:
    combos = itertools.product(
        ["nvidia", "amd", "gaudi"],
        ["fixed", "hpa", "keda"],
        ["oci://quay.io/acme/m:1", "s3://models/granite/8b", "pvc://models-pvc/granite", "hf://ibm-granite/g"],
        [None, "gpu-large"],
        [1, 3],
        [1, 4],
    )
    for provider, autoscaling, storage, profile, replicas, gpus in combos:
        spec = DeploymentSpec(
            **{**BASE, "storage_uri": storage},
            provider=provider,  # type: ignore[arg-type]
            autoscaling=autoscaling,  # type: ignore[arg-type]
            hardware_profile=profile,
            tolerations=[] if profile else [Toleration(key="nvidia.com/gpu")],
            min_replicas=replicas,
            max_replicas=replicas + 2,
            gpus=gpus,
            args=["--max-model-len=8192", "--port=9000", "--max-model-len=4096", "--tensor-parallel-size=8"],
            token_auth=replicas > 1,
            external_route=True,
            image_pull_secrets=["rh-pull"],
        )
        objects = build_manifests(spec)
        assert errors_of(objects) == [], (provider, autoscaling, storage, profile, replicas, gpus)
        model = isvc_of(objects)["spec"]["predictor"]["model"]
        flags = [a.split("=")[0] for a in model["args"]]
        assert len(flags) == len(set(flags)), "no repeated args"
        assert not {"--port", "--model", "--served-model-name"} & set(flags)
        assert "--max-model-len=4096" in model["args"], "the last value wins, as in vLLM"
        assert ("PodDisruptionBudget" in kinds(objects)) == (replicas >= 2)
        assert "Secret" not in kinds(objects), "Secrets are referenced by name, never written"
        assert [n.keys[0] for n in secret_needs(spec)] == (["AWS_ACCESS_KEY_ID"] if storage.startswith("s3://") else [])
        runtime = next(o for o in objects if o["kind"] == "ServingRuntime")
        assert runtime["metadata"]["name"] == spec.name == model["runtime"], "one runtime per deployment"
        if gpus > 1:
            assert f"--tensor-parallel-size={gpus}" in model["args"]


def test_s3_storage_names_the_data_connection_and_never_writes_its_keys() -> None:
    spec = DeploymentSpec(**{**BASE, "storage_uri": "s3://models/granite/8b"})
    objects = build_manifests(spec)
    assert "Secret" not in kinds(objects)
    (need,) = secret_needs(spec)
    assert need.labels["opendatahub.io/dashboard"] == "true"
    assert need.annotations["opendatahub.io/connection-type"] == "s3"
    assert need.plain["AWS_S3_BUCKET"] == "models"
    model = isvc_of(objects)["spec"]["predictor"]["model"]
    assert model["storage"] == {"key": need.name, "path": "granite/8b"}
    command = need.oc_command()
    assert command.startswith(f"oc create secret generic {need.name} -n {spec.namespace} ")
    assert '--from-literal=AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"' in command
    secret = need.secret_object({"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "key", "AWS_S3_ENDPOINT": "e"})
    assert secret["stringData"]["AWS_S3_BUCKET"] == "models" and secret["stringData"]["AWS_ACCESS_KEY_ID"] == "id"


def test_hardware_profile_replaces_tolerations_and_node_selector() -> None:
    objects = build_manifests(
        DeploymentSpec(
            **BASE,
            hardware_profile="gpu-l40s",
            tolerations=[Toleration(key="nvidia.com/gpu")],
            node_selector={"nvidia.com/gpu.product": "NVIDIA-L40S"},
        )
    )
    pred = isvc_of(objects)["spec"]["predictor"]
    assert "tolerations" not in pred and "nodeSelector" not in pred
    assert isvc_of(objects)["metadata"]["annotations"]["opendatahub.io/hardware-profile-name"] == "gpu-l40s"


def test_template_runtime_gets_the_dashboard_additions_and_reuse_emits_none() -> None:
    template = vllm_template()["objects"][0]
    objects = build_manifests(DeploymentSpec(**{**BASE, "runtime_image": None}, template_runtime=template))
    sr = next(o for o in objects if o["kind"] == "ServingRuntime")
    assert sr["metadata"]["namespace"] == "llm"
    assert sr["metadata"]["annotations"]["opendatahub.io/template-name"] == template["metadata"]["name"]
    assert any(v["name"] == "shm" for v in sr["spec"]["volumes"])
    assert all(any(m["mountPath"] == "/dev/shm" for m in c["volumeMounts"]) for c in sr["spec"]["containers"])
    assert sr["spec"]["containers"][0]["image"] == template["spec"]["containers"][0]["image"]
    assert "volumes" not in template["spec"], "the template itself is not modified"
    reused = build_manifests(DeploymentSpec(**BASE, reuse_runtime="vllm-cuda-runtime"))
    assert "ServingRuntime" not in kinds(reused)
    assert isvc_of(reused)["spec"]["predictor"]["model"]["runtime"] == "vllm-cuda-runtime"


def test_runtime_choice_from_cluster_facts() -> None:
    p = plan()
    template = vllm_template()
    from core.cluster.runtimes import RuntimeTemplate

    rt = RuntimeTemplate(
        template=template["metadata"]["name"],
        runtime="vllm-cuda-runtime",
        display_name="vLLM",
        accelerators=["nvidia.com/gpu"],
        image=template["objects"][0]["spec"]["containers"][0]["image"],
        runtime_version="v0.21.0",
        namespace="redhat-ods-applications",
        serving_runtime=template["objects"][0],
    )
    fresh = manifests_for_plan(
        p, namespace="llm", storage_uri=BASE["storage_uri"], facts=ClusterFacts(release_version="3.0.0", templates=[rt])
    )
    assert kinds(fresh.objects)[:2] == ["Namespace", "ServingRuntime"]
    assert isvc_of(fresh.objects)["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    existing = manifests_for_plan(
        p,
        namespace="llm",
        storage_uri=BASE["storage_uri"],
        facts=ClusterFacts(
            release_version="2.22.1", templates=[rt], existing_runtimes=["vllm-cuda-runtime"], namespace_exists=True
        ),
    )
    # A shared runtime already in the project is not reused: each deployment has its own, as the
    # dashboard makes them, so the dashboard lists it.
    assert "Namespace" not in kinds(existing.objects)
    runtime = next(o for o in existing.objects if o["kind"] == "ServingRuntime")
    assert runtime["metadata"]["name"] == isvc_of(existing.objects)["metadata"]["name"] != "vllm-cuda-runtime"
    assert isvc_of(existing.objects)["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "RawDeployment"


def test_deployment_mode_by_release() -> None:
    assert deployment_mode_for("3.0.0") == "Standard"
    assert deployment_mode_for("2.25.0") == "RawDeployment"
    assert deployment_mode_for(None) == "RawDeployment"


def test_decision_manifests_for_go_models_only() -> None:
    cfg = load_modelcar_config(REPO / "config-yaml" / "sample_modelcar_config.base.yaml")
    report = build_report(cfg, SAMPLE, inspect=None)
    ms = manifests_for_report(report, namespace="models", inventory=SAMPLE)
    assert ms.valid, [c.errors for c in ms.checks]
    go = {d.name for d in report.decisions if d.verdict != "NO_GO"}
    isvcs = [o for o in ms.objects if o["kind"] == "InferenceService"]
    assert len(isvcs) == len(go) >= 2
    assert kinds(ms.objects).count("Namespace") == 1
    for d in report.decisions:
        if d.verdict == "NO_GO":
            assert any(d.name in n for n in ms.notes)
    by_image = {o["spec"]["predictor"]["model"]["storageUri"]: o for o in isvcs}
    for d in report.decisions:
        if d.verdict != "NO_GO":
            model = by_image[d.image]["spec"]["predictor"]["model"]
            args = [a for a in d.optimized_args if not a.startswith(("--port", "--model=", "--served-model-name"))]
            assert set(args) <= set(model["args"]) | {a for a in args if a.startswith("--tensor-parallel-size")}
    no_go = [d.name for d in report.decisions if d.verdict == "NO_GO"]
    with pytest.raises(InputError, match="nothing to deploy"):
        manifests_for_report(report, namespace="models", only=no_go[:1])


def test_bad_override_names_the_field() -> None:
    with pytest.raises(InputError, match="name"):
        manifests_for_plan(plan(), namespace="llm", storage_uri=BASE["storage_uri"], name="Bad_Name")
    with pytest.raises(InputError, match="storage_uri"):
        manifests_for_plan(plan(), namespace="llm", storage_uri="ftp://x")


# ---- validation rules ---------------------------------------------------------------------------


def good() -> list[dict[str, Any]]:
    return build_manifests(DeploymentSpec(**BASE, gpus=2, min_replicas=2, max_replicas=4, autoscaling="hpa"))


def mutate(fn: Any) -> list[str]:
    objects = copy.deepcopy(good())
    fn(objects)
    return errors_of(objects)


def test_the_good_set_is_clean() -> None:
    assert errors_of(good()) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda o: isvc_of(o)["spec"]["predictor"]["model"]["args"].append("--tensor-parallel-size=2"), "repeated"),
        (lambda o: isvc_of(o)["spec"]["predictor"]["model"]["args"].append("--port=9000"), "set by the ServingRuntime"),
        (
            lambda o: isvc_of(o)["spec"]["predictor"]["model"]["args"].__setitem__(0, "--tensor-parallel-size=4"),
            "must equal the 2 GPUs",
        ),
        (lambda o: isvc_of(o)["spec"]["predictor"].__setitem__("scaleMetric", "concurrency"), "only cpu or memory"),
        (lambda o: isvc_of(o)["spec"]["predictor"].__setitem__("scaleMetric", "gpu"), "scaleMetric"),
        (
            lambda o: isvc_of(o)["spec"]["predictor"]["model"]["resources"]["requests"].__setitem__(
                "nvidia.com/gpu", "1"
            ),
            "must equal limits",
        ),
        (lambda o: isvc_of(o)["spec"]["predictor"].__setitem__("minReplicas", 1), "blocks node drains"),
        (
            lambda o: o.append(
                {
                    "apiVersion": "autoscaling/v2",
                    "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": "extra", "namespace": "llm"},
                    "spec": {
                        "scaleTargetRef": {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": "granite-8b-predictor",
                        },
                        "maxReplicas": 4,
                    },
                }
            ),
            "a second HPA",
        ),
        (lambda o: isvc_of(o)["spec"]["predictor"].__setitem__("workerSpec", {}), "autoscalerClass: none"),
        (
            lambda o: (
                isvc_of(o)["metadata"]["annotations"].__setitem__("opendatahub.io/hardware-profile-name", "p"),
                isvc_of(o)["spec"]["predictor"].__setitem__("tolerations", [{"key": "nvidia.com/gpu"}]),
            ),
            "hardware profile",
        ),
        (lambda o: isvc_of(o)["spec"]["predictor"]["model"].__setitem__("storageURI", "oci://x"), "unknown field"),
        (
            lambda o: isvc_of(o)["spec"]["predictor"]["model"]["resources"]["limits"].__setitem__("memory", "16 GB"),
            "resources.limits.memory",
        ),
        (lambda o: o[-1]["spec"].__setitem__("maxUnavailabel", 1), "unknown field"),
        (lambda o: o[0]["metadata"].__setitem__("labels", "dashboard"), "labels"),
    ],
)
def test_each_rule_catches_its_mistake(change: Any, expected: str) -> None:
    errors = mutate(change)
    assert any(expected in e for e in errors), errors


# ---- rendering ------------------------------------------------------------------------------------


def test_yaml_zip_and_oc_apply() -> None:
    objects = good()
    docs = list(yaml.safe_load_all(to_yaml(objects)))
    assert docs == objects
    with zipfile.ZipFile(io.BytesIO(to_zip(objects))) as zf:
        names = zf.namelist()
        assert names[0] == "01-namespace-llm.yaml"
        assert "all.yaml" in names and len(names) == len(objects) + 1
        assert yaml.safe_load(zf.read("03-inferenceservice-granite-8b.yaml")) == objects[2]
    assert oc_apply_command(objects) == "oc apply -f all.yaml -n llm"
    assert (
        oc_apply_command(objects, "my dir/all.yaml", dry_run=True)
        == "oc apply -f 'my dir/all.yaml' --dry-run=server -n llm"
    )


# ---- the dashboard's own objects -------------------------------------------------------------

DASHBOARD_PAIR = Path(__file__).parent / "support" / "dashboard" / "vllm_cuda_deployment.yaml"
# Keys whose values follow the user's inputs (compared by presence) or name a legacy profile
# kind Navigator does not use (AcceleratorProfile, removed in OpenShift AI 3).
_BY_PRESENCE = {"openshift.io/display-name", "opendatahub.io/runtime-version"}
_NOT_WRITTEN = {"opendatahub.io/accelerator-name"}


def _meta_matches(ours: dict[str, Any], theirs: dict[str, Any], kind: str) -> list[str]:
    problems = []
    for part in ("labels", "annotations"):
        mine = ours["metadata"].get(part) or {}
        for key, value in (theirs["metadata"].get(part) or {}).items():
            if key in _NOT_WRITTEN:
                continue
            if key not in mine:
                problems.append(f"{kind} {part} lacks {key}")
            elif key not in _BY_PRESENCE and mine[key] != value:
                problems.append(f"{kind} {part} {key}: {mine[key]!r} != {value!r}")
    return problems


def test_plan_deploys_as_the_dashboards_own_pair_of_objects() -> None:
    theirs = {o["kind"]: o for o in yaml.safe_load_all(DASHBOARD_PAIR.read_text())}
    ms = manifests_for_plan(plan(), namespace="demo", storage_uri=BASE["storage_uri"])
    ours = {o["kind"]: o for o in ms.objects}
    sr, isvc = ours["ServingRuntime"], ours["InferenceService"]
    # The dashboard lists a deployment only when its runtime is its own, named as the InferenceService.
    assert sr["metadata"]["name"] == isvc["metadata"]["name"] == isvc["spec"]["predictor"]["model"]["runtime"]
    assert (
        theirs["ServingRuntime"]["metadata"]["name"]
        == theirs["InferenceService"]["spec"]["predictor"]["model"]["runtime"]
    )
    problems = _meta_matches(sr, theirs["ServingRuntime"], "ServingRuntime")
    problems += _meta_matches(isvc, theirs["InferenceService"], "InferenceService")
    assert problems == []
    assert sr["spec"]["annotations"] == theirs["ServingRuntime"]["spec"]["annotations"]
    assert sr["spec"]["supportedModelFormats"] == theirs["ServingRuntime"]["spec"]["supportedModelFormats"]
    assert sr["spec"]["volumes"] == theirs["ServingRuntime"]["spec"]["volumes"]
    (container,) = sr["spec"]["containers"]
    (their_container,) = theirs["ServingRuntime"]["spec"]["containers"]
    assert container["name"] == their_container["name"] and container["args"] == their_container["args"]
    assert container["volumeMounts"] == their_container["volumeMounts"]
    model = isvc["spec"]["predictor"]["model"]
    assert model["modelFormat"] == theirs["InferenceService"]["spec"]["predictor"]["model"]["modelFormat"]
    # Pinned, never floating: offline the image is the vLLM release the sizing assumed.
    assert not is_floating(container["image"]) and container["image"].endswith(f":v{DEFAULT_VLLM_VERSION}")
    assert sr["metadata"]["annotations"]["opendatahub.io/runtime-version"] == f"v{DEFAULT_VLLM_VERSION}"
    # No placeholder anywhere in what a user would apply.
    assert "<set at deploy time>" not in to_yaml(ms.objects)


def test_a_template_runtime_is_copied_per_deployment_with_the_template_names() -> None:
    theirs = {o["kind"]: o for o in yaml.safe_load_all(DASHBOARD_PAIR.read_text())}
    template_sr = copy.deepcopy(theirs["ServingRuntime"])
    template_sr["metadata"] = {
        "name": "vllm-cuda-runtime",
        "labels": {"opendatahub.io/dashboard": "true"},
        "annotations": {
            "openshift.io/display-name": "vLLM NVIDIA GPU ServingRuntime for KServe",
            "opendatahub.io/recommended-accelerators": '["nvidia.com/gpu"]',
            "opendatahub.io/runtime-version": "v0.21.0",
        },
    }
    spec = DeploymentSpec(**{**BASE, "runtime_image": None}, template_runtime=template_sr, display_name="Granite 8B")
    sr = next(o for o in build_manifests(spec) if o["kind"] == "ServingRuntime")
    assert sr["metadata"]["name"] == "granite-8b"
    assert _meta_matches(sr, theirs["ServingRuntime"], "ServingRuntime") == []
    assert sr["spec"]["containers"][0]["image"] == "quay.io/vllm/vllm-cuda:0.21.0", "the template's own image"


def test_floating_images_are_refused_and_gaudi_offline_asks_for_one() -> None:
    with pytest.raises(InputError, match="names no fixed build"):
        manifests_for_plan(plan(), namespace="demo", runtime_image="quay.io/vllm/vllm-cuda:latest")
    assert pinned_runtime_image("gaudi") is None
    assert pinned_runtime_image("amd", "0.15.1") is not None
    assert pinned_runtime_image("amd", "0.13.0") is None, "no ROCm release image before vLLM 0.14"
