"""How a deployment scales: KEDA on vLLM's own load signals where KEDA is present, between the
plan's minimum and its peak; the CPU HPA only with a warning; fixed replicas when asked.

vLLM's load shows in its own metrics, not in CPU: requests waiting for a batch slot
(``vllm:num_requests_waiting``) and the share of the KV cache in use
(``vllm:kv_cache_usage_perc``; vLLM PR 18354 deprecated ``gpu_cache_usage_perc`` in its favour).
KServe turns ``autoScaling.metrics`` into a KEDA ScaledObject::

    fields, notes = scaling_fields(plan.chosen, keda=True)
    fields["autoscaling"], fields["min_replicas"], fields["max_replicas"]   # ('keda', 2, 5)
"""

from __future__ import annotations

from typing import Any

from core.planning import CandidateResult

PROMETHEUS = "https://thanos-querier.openshift-monitoring.svc:9092"
"""OpenShift's Thanos querier, tenancy port: queries scoped to the namespace (user-workload monitoring)."""

WAITING_PER_REPLICA = 4
"""Requests waiting for a batch slot, per replica, that add a replica: the plan's --max-num-seqs
is the batch that meets the latency targets, so a short queue already costs TTFT."""

KV_CACHE_USAGE_TARGET = "0.8"
"""Average KV-cache use across replicas (1 = full) that adds a replica: past it vLLM starts to
pre-empt and recompute requests."""


def keda_metrics(name: str, namespace: str, waiting_per_replica: int) -> list[dict[str, Any]]:
    """The predictor's ``autoScaling.metrics``: waiting requests (per replica) and KV-cache use."""
    pods = f'namespace="{namespace}",pod=~"{name}-predictor-.*"'

    def metric(query: str, target: dict[str, str]) -> dict[str, Any]:
        # A fresh authenticationRef for each metric: a shared dict is written as a YAML anchor.
        auth = {"authModes": "bearer", "authenticationRef": {"name": "inference-prometheus-auth"}}
        return {
            "type": "External",
            "external": {
                "metric": {
                    "backend": "prometheus",
                    "serverAddress": PROMETHEUS,
                    "query": query,
                    "namespace": namespace,
                },
                "target": target,
                "authenticationRef": auth,
            },
        }

    return [
        metric(
            f"sum(vllm:num_requests_waiting{{{pods}}})",
            {"type": "AverageValue", "averageValue": str(waiting_per_replica)},
        ),
        metric(f"avg(vllm:kv_cache_usage_perc{{{pods}}})", {"type": "Value", "value": KV_CACHE_USAGE_TARGET}),
    ]


def scaling_fields(
    c: CandidateResult, *, keda: bool | None, asked: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """``autoscaling``, ``min_replicas`` and ``max_replicas`` for a plan's choice, and notes.

    ``keda``: whether the cluster has KEDA (None: not known, offline). ``asked``: the
    autoscaling the user chose (``fixed``, ``hpa``, ``keda``), else the default: KEDA between the
    plan's minimum and its peak replicas when they differ and KEDA is (or may be) there; fixed
    replicas at the plan's target for steady traffic or a cluster without KEDA."""
    notes: list[str] = []
    varies = c.replicas_max > c.replicas_min
    mode = asked
    if mode is None:
        if not varies:
            mode = "fixed"
        elif keda is False:
            mode = "fixed"
            notes.append(
                "KEDA (the Custom Metrics Autoscaler operator) is not installed on this cluster: "
                f"{c.replicas_target} fixed replicas; install it to scale between {c.replicas_min} and "
                f"{c.replicas_max} on vLLM's queue and KV-cache use"
            )
        else:
            mode = "keda"
    if mode == "fixed":
        fields = {"autoscaling": "fixed", "min_replicas": c.replicas_target, "max_replicas": c.replicas_target}
        if not varies:
            notes.append(
                f"{c.replicas_target} fixed replicas: the peak needs no more replicas than the average, so there "
                "is nothing to scale between (a higher peak rate gets an autoscaler)"
            )
        return fields, notes
    fields = {"autoscaling": mode, "min_replicas": c.replicas_min, "max_replicas": c.replicas_max}
    if mode == "keda":
        notes.append(
            f"KEDA scales between {c.replicas_min} and {c.replicas_max} replicas (the plan's minimum and its peak) on "
            f"vllm:num_requests_waiting (> {WAITING_PER_REPLICA} per replica) and vllm:kv_cache_usage_perc "
            f"(> {KV_CACHE_USAGE_TARGET} on average)"
            + (
                "; it needs the Custom Metrics Autoscaler operator and the TriggerAuthentication "
                "inference-prometheus-auth, which could not be checked offline"
                if keda is None
                else ""
            )
        )
    else:
        notes.append(
            "warning: the HPA scales on CPU, which is not a load signal for vLLM (the GPU does the work, and a "
            "saturated replica's CPU stays low): prefer KEDA on vLLM's own metrics"
        )
    if c.replicas_min == c.replicas_max:
        notes.append(
            f"warning: minimum = maximum = {c.replicas_min} replicas, so the autoscaler never scales; give a "
            "peak rate or choose fixed replicas"
        )
    return fields, notes
