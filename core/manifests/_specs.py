"""Deployment specs from what Navigator already decided: a capacity plan or a GO verdict.

>>> spec = spec_from_plan(plan, namespace="llm", storage_uri="oci://quay.io/acme/granite:1")
>>> objects = build_manifests(spec)

Everything the plan or decision knows (GPUs, vLLM args, replicas, CPU and memory, target
nodes' product label and taints) is filled in; anything passed as a keyword overrides it.
A bad override is an :class:`InputError` naming the field. A plan is read from a file a person
may have edited, so its chosen configuration is checked first (:func:`plan_problems`: replicas
whole numbers 1–1,000 with minimum ≤ maximum, GPUs, CPU and memory in range, no control
characters in the GPU name or the vLLM arguments), and the spec made from it is validated again.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from core.catalog import Catalog, get_catalog
from core.cluster.inventory import Inventory, Taint
from core.decision import ModelDecision
from core.errors import InputError
from core.manifests._autoscaling import scaling_fields
from core.manifests._build import DeploymentMode, DeploymentSpec, Provider, Toleration
from core.manifests._deployment import MAX_REPLICAS, control_problem, secret_arg_problem
from core.planning import CapacityPlan, resources_for
from core.wording import how_to_set, problem_in_words

MAX_GPUS_PER_REPLICA = 64
MAX_CPU = 1_024
MAX_MEMORY_GIB = 65_536.0

_PRODUCT_LABEL: dict[str, str] = {"nvidia": "nvidia.com/gpu.product", "amd": "amd.com/gpu.product-name"}
_VENDOR_PROVIDER: dict[str, Provider] = {"NVIDIA": "nvidia", "AMD": "amd", "Intel": "gaudi"}


def provider_for(gpu_name: str, catalog: Catalog | None = None) -> Provider:
    """The accelerator provider of a catalog GPU (NVIDIA when the GPU is not in the catalog)."""
    gpu = (catalog or get_catalog()).find_gpu(gpu_name)
    return _VENDOR_PROVIDER[gpu.vendor] if gpu else "nvidia"


def deployment_mode_for(release_version: str | None) -> DeploymentMode:
    """``Standard`` on OpenShift AI / ODH 3.x and later, ``RawDeployment`` before (or unknown).

    research/kserve-openshift.md §0: RHOAI 2.x and its dashboard write RawDeployment; the
    current KServe fork renamed it Standard and keeps RawDeployment as an alias.
    """
    try:
        major = int(str(release_version).split(".")[0])
    except ValueError:
        return "RawDeployment"
    return "Standard" if major >= 3 else "RawDeployment"


def _tolerations(taints: list[Taint]) -> list[Toleration]:
    out: dict[tuple[str, str | None, str], Toleration] = {}
    for t in taints:
        if t.effect == "PreferNoSchedule" or t.key.startswith("node.kubernetes.io/"):
            continue
        tol = Toleration(key=t.key, operator="Equal" if t.value else "Exists", value=t.value, effect=t.effect)
        out[(t.key, t.value, t.effect)] = tol
    return list(out.values())


def _placement(
    inventory: Inventory | None, gpu: str, resource: str | None, nodes: list[str] | None, provider: Provider
) -> tuple[dict[str, str], list[Toleration], list[str]]:
    """nodeSelector on the product label and tolerations for the target nodes' taints."""
    if inventory is None:
        return (
            {},
            [],
            [
                "no nodeSelector or tolerations: no inventory of your own nodes was read (the sample inventory "
                "describes nobody's cluster); without a nodeSelector on the GPU product the pods may land on any GPU "
                "type, so read your cluster's inventory or add them if your nodes mix GPU types or are tainted"
            ],
        )
    products: set[str] = set()
    taints: list[Taint] = []
    for node in inventory.nodes:
        if nodes is not None and node.name not in nodes:
            continue
        for pool in node.accelerators:
            if pool.gpu != gpu or (resource and pool.resource != resource):
                continue
            if pool.product and not pool.mig_profile:
                products.add(pool.product)
            taints.extend(node.taints)
    notes: list[str] = []
    selector: dict[str, str] = {}
    label = _PRODUCT_LABEL.get(provider)
    if label and len(products) == 1:
        selector[label] = products.pop()
    elif len(products) > 1:
        notes.append(f"nodes label {gpu} differently ({', '.join(sorted(products))}); no nodeSelector")
    tolerations = _tolerations(taints)
    if inventory.source.startswith("sample"):
        what = [f"nodeSelector {label}={selector[label]}"] if label and label in selector else []
        what += ["the tolerations"] if tolerations else []
        notes.append(
            f"{' and '.join(what) or 'the placement'} come{'s' if len(what) < 2 else ''} from the sample inventory "
            "the plan was made with, which describes no real cluster: read your cluster's nodes "
            f"({how_to_set('--cluster', 'the GPU inventory page')}) or give your inventory file so they match "
            "your nodes"
        )
    return selector, tolerations, notes


def _make(fields: dict[str, Any], overrides: dict[str, Any]) -> DeploymentSpec:
    merged = {**fields, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return DeploymentSpec.model_validate(merged)
    except ValidationError as exc:
        said = [f"{'.'.join(str(p) for p in e['loc']) or 'deployment'}: {problem_in_words(e)}" for e in exc.errors()]
        raise InputError("; ".join(dict.fromkeys(said))) from None


def _name_from(text: str) -> str:
    name = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    while "--" in name:
        name = name.replace("--", "-")
    if not name or not name[0].isalpha():
        name = f"m-{name}"
    return name[:40].rstrip("-")


def _resources(cpu: int, memory_gib: float) -> dict[str, str]:
    """Requests from the model; limits give the loader headroom (2× CPU, +25 % memory)."""
    return {
        "cpu_request": str(cpu),
        "cpu_limit": str(cpu * 2),
        "memory_request": f"{math.ceil(memory_gib)}Gi",
        "memory_limit": f"{math.ceil(memory_gib * 1.25)}Gi",
    }


def shown(text: str) -> str:
    """A name from a file as one line: quoted with its escapes when it holds control characters."""
    return repr(text) if control_problem(text) else text


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def count_problems(where: str, values: dict[str, object], low: int, high: int, what: str) -> list[str]:
    """Each count that is not a whole number from ``low`` to ``high`` (``where.field: …``)."""
    return [
        f"{where}.{k}: give a whole number of {what} from {low:,} to {high:,} (the plan has {shown(str(v))[:40]})"
        for k, v in values.items()
        if not _whole(v, low, high)
    ]


def plan_problems(plan: CapacityPlan) -> list[str]:
    """What in a plan's chosen configuration cannot become a deployment (a plan file edited by
    hand): replicas, GPUs, CPU, memory, the GPU's name and the vLLM arguments (no control
    character, no secret)."""
    c = plan.chosen
    if c is None:
        return []
    problems = count_problems(
        "chosen",
        {"replicas_min": c.replicas_min, "replicas_target": c.replicas_target, "replicas_max": c.replicas_max},
        1,
        MAX_REPLICAS,
        "replicas",
    )
    if not problems and c.replicas_min > c.replicas_max:
        problems.append(
            f"chosen.replicas_min: {c.replicas_min} is above chosen.replicas_max {c.replicas_max}; the minimum "
            "cannot exceed the maximum"
        )
    problems += count_problems("chosen", {"gpus_per_replica": c.gpus_per_replica}, 1, MAX_GPUS_PER_REPLICA, "GPUs")
    problems += count_problems("chosen", {"cpu_request": c.cpu_request}, 1, MAX_CPU, "CPUs")
    if not (math.isfinite(c.memory_request_gib) and 0 < c.memory_request_gib <= MAX_MEMORY_GIB):
        problems.append(f"chosen.memory_request_gib: give GiB above 0 and at most {MAX_MEMORY_GIB:,.0f}")
    for where, text in (("chosen.gpu", c.gpu), ("model", plan.model), ("chosen.hf_id", c.hf_id or "")):
        if control_problem(text) or len(text) > 512:
            problems.append(f"{where} {shown(text[:60])}: a name without control characters, at most 512 characters")
    bad_args = [a for a in c.vllm_args if control_problem(a)]
    if bad_args:
        problems.append(f"chosen.vllm_args: {shown(bad_args[0][:60])} holds a control character (a newline, tab …)")
    secret = secret_arg_problem(c.vllm_args)
    if secret is not None:
        problems.append(f"chosen.vllm_args: {secret}")
    return problems


def spec_from_plan(
    plan: CapacityPlan,
    *,
    namespace: str,
    inventory: Inventory | None = None,
    catalog: Catalog | None = None,
    keda: bool | None = None,
    **overrides: Any,
) -> tuple[DeploymentSpec, list[str]]:
    """The deployment of a plan's chosen configuration, and notes on what was assumed.

    Replicas as :func:`~core.manifests._autoscaling.scaling_fields` says: KEDA on vLLM's own
    metrics between the plan's minimum and peak where KEDA is (or may be) present (``keda``:
    whether the cluster has it; None offline), fixed at the plan's target for steady traffic.
    """
    if plan.chosen is None:
        raise InputError(f"plan {plan.id}: no configuration was chosen ({'; '.join(plan.reasons)}); nothing to deploy")
    problems = plan_problems(plan)
    if problems:
        raise InputError(
            f"plan {shown(plan.id)[:80]}: {'; '.join(problems)} — a plan as `navigator plan` writes it never holds "
            "this; make the plan again"
        )
    cat = catalog or get_catalog()
    c = plan.chosen
    provider = provider_for(c.gpu, cat)
    notes: list[str] = []
    storage = overrides.get("storage_uri")
    gated = plan.gated if c.own_checkpoint else None
    if not storage:
        storage = c.artifact or plan.artifact
        if not storage:
            raise InputError(
                f"storage_uri: {plan.model} was read from an uploaded config.json, so Navigator does not know where "
                "its weights are; give oci://, s3://, pvc:// or hf://"
            )
        if storage.startswith("hf://"):
            notes.append(f"storage {storage}: the Hugging Face repo itself; a model-car image starts faster")
        else:
            notes.append(f"storage {storage}: the model-car image of {c.hf_id or plan.model}")
    if not c.own_checkpoint:
        notes.append(f"this configuration serves {c.hf_id or storage}, not the checkpoint you named: {c.trade or ''}")
    hf_secret = overrides.get("hf_token_secret")
    if gated and str(storage).startswith("hf://") and hf_secret is None:
        hf_secret = f"{_name_from(plan.model)[:28]}-hf-token"
    selector, tolerations, placement_notes = _placement(inventory, c.gpu, None, None, provider)
    notes += placement_notes
    scaling, scaling_notes = scaling_fields(c, keda=keda, asked=overrides.get("autoscaling"))
    notes += scaling_notes
    fields: dict[str, Any] = {
        "name": _name_from(plan.model),
        "namespace": namespace,
        "display_name": f"{plan.model} on {c.gpus_per_replica}× {c.gpu}",
        "storage_uri": storage,
        "provider": provider,
        "gpus": c.gpus_per_replica,
        "args": list(c.vllm_args),
        **_resources(c.cpu_request, c.memory_request_gib),
        "node_selector": selector,
        "tolerations": tolerations,
        "hf_token_secret": hf_secret,
        **scaling,
    }
    return _make(fields, overrides), notes


def spec_from_decision(
    decision: ModelDecision,
    *,
    namespace: str,
    inventory: Inventory | None = None,
    catalog: Catalog | None = None,
    **overrides: Any,
) -> tuple[DeploymentSpec, list[str]]:
    """The deployment of a GO / GO_WITH_CHANGES model with its optimized arguments."""
    best = decision.best
    if decision.verdict == "NO_GO" or best is None:
        raise InputError(f"{decision.name}: the verdict is NO_GO ({'; '.join(decision.reasons)}); nothing to deploy")
    cat = catalog or get_catalog()
    provider = provider_for(best.gpu, cat)
    args = list(best.args or decision.optimized_args)
    tp = next((int(a.split("=", 1)[1]) for a in args if a.startswith("--tensor-parallel-size=")), decision.gpu_count)
    cpu, memory = resources_for(tp, best.memory.weights_gib if best.memory else 0.0)
    selector, tolerations, notes = _placement(inventory, best.gpu, best.resource, best.nodes or None, provider)
    fields: dict[str, Any] = {
        "name": _name_from(decision.name),
        "namespace": namespace,
        "display_name": decision.name,
        "storage_uri": decision.image,
        "provider": provider,
        "gpus": max(1, tp),
        "gpu_resource": best.resource,
        "args": args,
        **_resources(cpu, memory),
        "node_selector": selector,
        "tolerations": tolerations,
    }
    return _make(fields, overrides), notes
