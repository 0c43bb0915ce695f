"""Model recommender: filter the catalog by what the model must be, rank by fit and cost.

>>> [m.name for m in recommend_models(ModelRequirements(family="granite"), TrafficProfile(rps=5))][:2]
['Granite-3.1-2B', 'Granite-3.1-8B']
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from core.architecture import from_spec
from core.catalog import Catalog, get_catalog
from core.planning._inputs import ModelRequirements, TrafficProfile


class ModelChoice(BaseModel):
    """A catalog model that meets the requirements, with why it ranks where it does."""

    model_config = ConfigDict(frozen=True)

    name: str
    hf_id: str | None
    family: str
    params_b: float
    active_params_b: float
    max_context: int | None
    capabilities: list[str]
    license: str | None
    reason: str


def recommend_models(
    req: ModelRequirements, traffic: TrafficProfile, *, catalog: Catalog | None = None
) -> list[ModelChoice]:
    """Catalog models meeting family, capabilities, size, context and license; cheapest to serve first.

    Serving cost grows with the parameters read per token (active parameters) and, for long
    prompts, with the KV cache, so the ranking is by active parameters, then total size.
    """
    cat = catalog or get_catalog()
    need_ctx = max(req.min_context_length or 0, traffic.input_p95 + traffic.output_p95)
    out = []
    for spec in cat.models.values():
        arch = from_spec(spec)
        if req.family and req.family.lower() not in (spec.family.lower() + " " + spec.name.lower()):
            continue
        if not set(req.capabilities) <= set(spec.capabilities):
            continue
        if req.min_params_b is not None and arch.params_total_b < req.min_params_b:
            continue
        if req.max_params_b is not None and arch.params_total_b > req.max_params_b:
            continue
        if arch.max_context is not None and arch.max_context < need_ctx:
            continue
        if req.license and (spec.license or "").lower().split()[0] != req.license.lower():
            continue
        out.append(
            ModelChoice(
                name=spec.name,
                hf_id=spec.hf_id,
                family=spec.family,
                params_b=round(arch.params_total_b, 2),
                active_params_b=round(arch.params_active_b, 2),
                max_context=arch.max_context,
                capabilities=list(spec.capabilities),
                license=spec.license,
                reason=f"{arch.params_active_b:.1f} B active parameters per token, {arch.max_context or '?'} context",
            )
        )
    return sorted(out, key=lambda m: (m.active_params_b, m.params_b))
