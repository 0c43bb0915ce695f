"""The webhook rules of an ``LLMInferenceService`` the CRD schema does not express (split from
:mod:`core.manifests._llmd`, which re-exports them)."""

from __future__ import annotations

from typing import Any


def llm_inference_service_rules(obj: dict[str, Any]) -> list[str]:
    """The webhook rules the CRD schema does not express (opendatahub-io/kserve @ 2dfbf5b,
    pkg/controller/llmisvc/validation/llminferenceservice_validator.go
    ``validateWorkloadParallelism``), for the main workload and ``spec.prefill``; and the GPU
    count of a pod against its parallelism, which vLLM checks when it starts."""
    errors: list[str] = []
    spec = obj.get("spec") or {}
    for base, workload in (("spec", spec), ("spec.prefill", spec.get("prefill"))):
        if not isinstance(workload, dict):
            continue
        par = workload.get("parallelism")
        worker = workload.get("worker")
        if worker is not None and not isinstance(par, dict):
            errors.append(f"{base}.worker: a worker needs parallelism with data or pipeline parallelism")
            continue
        if not isinstance(par, dict):
            continue
        data_parallel = bool(par.get("data")) or bool(par.get("dataLocal"))
        pipeline = bool(par.get("pipeline"))
        if worker is not None and not (data_parallel or pipeline):
            errors.append(f"{base}.worker: a worker needs parallelism with data or pipeline parallelism")
        if data_parallel and pipeline:
            errors.append(f"{base}.parallelism: pipeline and data parallelism cannot both be set")
        if ("data" in par) != ("dataLocal" in par):
            missing = "dataLocal" if "data" in par else "data"
            errors.append(f"{base}.parallelism.{missing}: data and dataLocal are set together")
        for key in ("pipeline", "data", "dataLocal"):
            if key in par and isinstance(par[key], int) and par[key] <= 0:
                errors.append(f"{base}.parallelism.{key}: must be greater than 0")
        data, local = par.get("data"), par.get("dataLocal")
        if isinstance(data, int) and isinstance(local, int) and local > 0 and data % local:
            errors.append(f"{base}.parallelism.data: {data} is not a whole number of nodes of {local} ranks")
    return errors
