"""The ``LLMInferenceService`` (KServe ``serving.kserve.io/v1alpha1``) of a plan's llm-d option.

>>> objects, notes, secrets = llmd_manifests(plan, namespace="llm")
>>> [c.ok for c in validate_objects(objects)]
[True]

Written the way KServe's own samples write them (opendatahub-io/kserve @ 2dfbf5b, read to learn,
nothing copied): ``spec.model`` (``uri`` and ``name``), ``spec.replicas``, ``spec.router`` with
an empty ``gateway``, ``route`` and ``scheduler`` (the controller fills them from its
well-known presets ``kserve-config-llm-router-route`` and ``kserve-config-llm-scheduler``:
``docs/samples/llmisvc/single-node-gpu/llm-inference-service-qwen2-7b-gpu.yaml``), one
container named ``main`` in ``spec.template`` that the preset's container is merged into — its
vLLM arguments in ``VLLM_ADDITIONAL_ARGS``, which ``config/llmisvc/config-llm-template.yaml``
adds to ``vllm serve`` — and GPU requests. Disaggregation adds ``spec.prefill`` with its own
``replicas`` and template, both sides with vLLM's NixlConnector and the pod IP as NIXL's side
channel (``…/single-node-gpu/llm-inference-service-pd-qwen2-7b-gpu.yaml``). A multi-node
replica adds ``spec.worker`` and ``spec.parallelism`` (LeaderWorkerSet; the data-parallel
worker preset turns ``data``, ``dataLocal``, ``expert`` and ``tensor`` into vLLM's flags:
``docs/samples/llmisvc/dp-ep/deepseek-r1-gpu-rdma-roce/llm-inference-service-dp-ep-deepseek-r1-gpu-deepep-ht.yaml``).

Every value written is a real one: the image comes from the cluster's presets, a gated ``hf://`` repo's
token is a Secret referenced by name (``SecretNeed``), and what only the cluster knows (its
RDMA device resource, its secondary network) is said in a note, never written as a guess.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field
from typing import Any

from core.catalog import Catalog
from core.cluster.inventory import Inventory
from core.errors import InputError
from core.manifests._build import GPU_RESOURCE, SecretNeed, Toleration
from core.manifests._deployment import (
    MAX_NAME_LIST,
    dns_label_problem,
    dns_subdomain_problem,
    storage_problem,
)
from core.manifests._llmd_checks import option_problems as option_problems
from core.manifests._llmd_rules import llm_inference_service_rules as llm_inference_service_rules
from core.manifests._specs import (
    _name_from,
    _placement,
    provider_for,
    shown,
)
from core.planning import CapacityPlan, LlmdOption, LlmdPool

API_VERSION = "serving.kserve.io/v1alpha1"
KIND = "LLMInferenceService"
_DASHBOARD = {"opendatahub.io/dashboard": "true"}


def _shell(args: list[str]) -> str:
    """The arguments as one ``VLLM_ADDITIONAL_ARGS`` string: the preset runs ``eval "vllm serve …
    ${VLLM_ADDITIONAL_ARGS}"``, so each argument is quoted for the shell (a JSON value keeps its
    double quotes, as the KServe P/D sample's single quotes keep them)."""
    return " ".join(shlex.quote(a) for a in args)


def _container(pool: LlmdPool, gpu_resource: str, hf_secret: str | None, *, nixl: bool) -> dict[str, Any]:
    """The ``main`` container of one pod of a pool (merged into the preset's by name)."""
    env: list[dict[str, Any]] = [{"name": "VLLM_ADDITIONAL_ARGS", "value": _shell(pool.vllm_args)}]
    env += [{"name": k, "value": v} for k, v in sorted(pool.env.items())]
    if nixl:
        # NIXL's side channel listens on the pod IP (as the KServe P/D sample sets it).
        env.append({"name": "VLLM_NIXL_SIDE_CHANNEL_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}})
    if hf_secret:
        env.append({"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": hf_secret, "key": "HF_TOKEN"}}})
    gpus = str(pool.gpus_per_node)
    # Limits as core.manifests._specs._resources sets them: 2× the CPU, +25 % memory for loading.
    return {
        "name": "main",
        "env": env,
        "resources": {
            "requests": {"cpu": str(pool.cpu_request), "memory": f"{pool.memory_request_gib}Gi", gpu_resource: gpus},
            "limits": {
                "cpu": str(pool.cpu_request * 2),
                "memory": f"{math.ceil(pool.memory_request_gib * 1.25)}Gi",
                gpu_resource: gpus,
            },
        },
    }


def _pod(
    pool: LlmdPool,
    gpu_resource: str,
    hf_secret: str | None,
    service_account: str | None,
    selector: dict[str, str],
    tolerations: list[Toleration],
    pull_secrets: list[str],
    *,
    nixl: bool,
) -> dict[str, Any]:
    pod: dict[str, Any] = {"containers": [_container(pool, gpu_resource, hf_secret, nixl=nixl)]}
    if service_account:
        pod["serviceAccountName"] = service_account
    if selector:
        pod["nodeSelector"] = dict(selector)
    if tolerations:
        pod["tolerations"] = [t.model_dump(exclude_none=True) for t in tolerations]
    if pull_secrets:
        pod["imagePullSecrets"] = [{"name": n} for n in pull_secrets]
    return pod


def _parallelism(pool: LlmdPool) -> dict[str, Any]:
    p = pool.parallelism
    out: dict[str, Any] = {"tensor": p.tensor}
    if p.pipeline:
        out["pipeline"] = p.pipeline
    if p.data:
        out["data"] = p.data
        out["dataLocal"] = p.data_local or 1
    if p.expert:
        out["expert"] = True
    return out


def llm_inference_service(
    option: LlmdOption,
    *,
    name: str,
    namespace: str,
    model_uri: str,
    gpu_resource: str = "nvidia.com/gpu",
    hf_secret: str | None = None,
    service_account: str | None = None,
    node_selector: dict[str, str] | None = None,
    tolerations: list[Toleration] | None = None,
    image_pull_secrets: list[str] | None = None,
    display_name: str | None = None,
) -> dict[str, Any]:
    """The LLMInferenceService of one llm-d option."""
    pools = {p.role: p for p in option.pools}
    main = pools.get("decode") or pools.get("serve") or option.pools[0]
    nixl = "prefill" in pools
    selector, tolerated, pulls = node_selector or {}, tolerations or [], image_pull_secrets or []
    shared = (gpu_resource, hf_secret, service_account, selector, tolerated, pulls)
    spec: dict[str, Any] = {
        "model": {"uri": model_uri, "name": option.hf_id or option.model},
        "replicas": main.replicas_target,
        "router": {"gateway": {}, "route": {}, "scheduler": {}},
        "template": _pod(main, *shared, nixl=nixl),
    }
    if main.nodes_per_replica > 1:
        spec["parallelism"] = _parallelism(main)
        spec["worker"] = _pod(main, *shared, nixl=nixl)
    prefill = pools.get("prefill")
    if prefill is not None:
        spec["prefill"] = {"replicas": prefill.replicas_target, "template": _pod(prefill, *shared, nixl=True)}
        if prefill.nodes_per_replica > 1:
            spec["prefill"]["parallelism"] = _parallelism(prefill)
            spec["prefill"]["worker"] = _pod(prefill, *shared, nixl=True)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"opendatahub.io/dashboard": "true"},
            "annotations": {"openshift.io/display-name": display_name or name},
        },
        "spec": spec,
    }


def _option(plan: CapacityPlan, kind: str | None) -> LlmdOption:
    advice = plan.llmd
    options = advice.options if advice is not None else []
    if kind is not None:
        options = [o for o in options if o.kind == kind]
    best = next((o for o in options if o.meets_slo), options[0] if options else None)
    if best is None:
        said = "; ".join(advice.not_offered) if advice is not None and advice.not_offered else ""
        raise InputError(
            f"--serving-path llm-d: plan {plan.id} has no llm-d option"
            + (f" ({said})" if said else " (plan again with this version of Navigator to weigh one)")
            + "; deploy it with --serving-path kserve"
        )
    return best


def _check_names(
    plan: CapacityPlan,
    uri: str | None,
    name: str,
    namespace: str,
    hf_token_secret: str | None,
    image_pull_secrets: list[str] | None,
) -> str:
    """The storage URI, once it and every name the objects use are valid ones (else InputError)."""
    if not uri:
        raise InputError(
            f"storage_uri: {plan.model} was read from an uploaded config.json, so Navigator does not know where its "
            "weights are; give hf:// or oci://"
        )
    problem = storage_problem(uri)
    if problem is not None:
        raise InputError(f"storage_uri {shown(uri[:200])}: {problem}")
    problem = dns_label_problem(name)
    if problem is not None:
        raise InputError(f"name {shown(name[:80])}: {problem}")
    problem = dns_label_problem(namespace)
    if problem is not None:
        raise InputError(f"namespace {shown(namespace[:80])}: {problem}")
    if len(image_pull_secrets or []) > MAX_NAME_LIST:
        raise InputError(f"image_pull_secrets: at most {MAX_NAME_LIST}")
    for secret_name in [*(image_pull_secrets or []), *([hf_token_secret] if hf_token_secret else [])]:
        problem = dns_subdomain_problem(secret_name)
        if problem is not None:
            raise InputError(f"Secret name {shown(secret_name[:80])}: {problem}")
    return uri


@dataclass
class _TokenAccess:
    """How the model download gets a gated ``hf://`` repo's token: the Secret it reads (by name)
    and the ServiceAccount that hands it over, with the objects, Secret needs and notes."""

    secret: str | None = None
    service_account: str | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[SecretNeed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _token_access(option: LlmdOption, uri: str, name: str, namespace: str, hf_token_secret: str | None) -> _TokenAccess:
    """The token's Secret and ServiceAccount for an ``hf://`` model (a gated repo's, or the one
    given); nothing for other storage."""
    secret = hf_token_secret
    if option.gated and uri.startswith("hf://") and secret is None:
        secret = f"{name[:28]}-hf-token"
    if not (secret and uri.startswith("hf://")):
        return _TokenAccess()
    service_account = f"{name}-hf"[:63]
    return _TokenAccess(
        secret=secret,
        service_account=service_account,
        objects=[
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": service_account, "namespace": namespace, "labels": dict(_DASHBOARD)},
                "secrets": [{"name": secret}],
            }
        ],
        secrets=[
            SecretNeed(
                name=secret,
                namespace=namespace,
                keys=["HF_TOKEN"],
                purpose=f"the Hugging Face token that downloads {uri} (gated)",
                labels={"opendatahub.io/dashboard": "true"},
            )
        ],
        notes=[
            f"{uri} is gated: the Secret {secret} carries HF_TOKEN (an account that accepted the model's licence); "
            f"the ServiceAccount {service_account} hands it to the model download"
        ],
    )


def _option_notes(option: LlmdOption) -> list[str]:
    """What the option needs that is not written: the presets, RDMA, a pipeline-parallel preset."""
    notes = [
        f"llm-d option: {option.title} ({option.total_gpus} GPUs, {option.provenance}); the image and the vLLM "
        "command come from the cluster's LLMInferenceServiceConfig presets (OpenShift AI 3), the gateway from its "
        "inference gateway"
    ]
    if option.kind == "prefill-decode" or any(p.nodes_per_replica > 1 for p in option.pools):
        notes.append(
            "KV-cache transfer and expert all-to-all need RDMA between the pods: add your cluster's RDMA device "
            "resource and secondary network (the KServe samples request rdma/roce_gdr and annotate "
            "k8s.v1.cni.cncf.io/networks; both are cluster-specific, so neither is written here)"
        )
    if any(p.parallelism.pipeline for p in option.pools):
        notes.append(
            "pipeline parallelism over nodes: the KServe release read (2dfbf5b) ships no pipeline-parallel "
            "LLMInferenceServiceConfig preset; add one of your own to spec.baseRefs before deploying"
        )
    return notes


def llmd_manifests(
    plan: CapacityPlan,
    *,
    namespace: str,
    name: str | None = None,
    storage_uri: str | None = None,
    hf_token_secret: str | None = None,
    option_kind: str | None = None,
    inventory: Inventory | None = None,
    catalog: Catalog | None = None,
    create_namespace: bool = True,
    image_pull_secrets: list[str] | None = None,
) -> tuple[list[dict[str, Any]], list[str], list[SecretNeed]]:
    """The objects of a plan's llm-d option (the project, the ServiceAccount of a gated repo's
    token, the LLMInferenceService), notes on what was assumed, and the Secrets read by name."""
    option = _option(plan, option_kind)
    problems = option_problems(option)
    if problems:
        raise InputError(
            f"plan {shown(plan.id)[:80]}: {'; '.join(problems)} — a plan as `navigator plan` writes it never holds "
            "this; make the plan again"
        )
    name = name or _name_from(plan.model)
    uri = _check_names(
        plan, storage_uri or option.artifact or plan.artifact, name, namespace, hf_token_secret, image_pull_secrets
    )
    gpu = option.pools[0].gpu
    provider = provider_for(gpu, catalog)
    selector, tolerations, notes = _placement(inventory, gpu, None, None, provider)
    objects: list[dict[str, Any]] = []
    if create_namespace:
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": namespace_object_meta(namespace)})
    token = _token_access(option, uri, name, namespace, hf_token_secret)
    objects += token.objects
    notes += token.notes
    objects.append(
        llm_inference_service(
            option,
            name=name,
            namespace=namespace,
            model_uri=uri,
            gpu_resource=GPU_RESOURCE[provider],
            hf_secret=token.secret,
            service_account=token.service_account,
            node_selector=selector,
            tolerations=tolerations,
            image_pull_secrets=image_pull_secrets,
            display_name=f"{plan.model} with llm-d ({option.title})",
        )
    )
    notes += _option_notes(option)
    return objects, notes, token.secrets


def namespace_object_meta(namespace: str) -> dict[str, Any]:
    """The project's metadata as Navigator's other manifests write it (a Data Science Project)."""
    meta: dict[str, Any] = {
        "name": namespace,
        "labels": {"opendatahub.io/dashboard": "true", "modelmesh-enabled": "false"},
        "annotations": {"openshift.io/display-name": namespace},
    }
    return meta
