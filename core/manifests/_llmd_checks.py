"""What in a plan's llm-d option cannot become an ``LLMInferenceService``: the bounds and names
a hand-edited plan file could break, checked before any manifest is written::

    problems = option_problems(plan.llmd.options[0])   # [] for a plan Navigator wrote
"""

from __future__ import annotations

import re

from core.manifests._deployment import MAX_REPLICAS, control_problem, secret_arg_problem
from core.manifests._specs import MAX_CPU, MAX_GPUS_PER_REPLICA, count_problems, shown
from core.planning import LlmdOption

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


def option_problems(option: LlmdOption) -> list[str]:
    """What in a plan's llm-d option cannot become an LLMInferenceService (a plan file edited by
    hand): each pool's replicas, GPUs, CPU and memory, its GPU's name, vLLM arguments and env."""
    problems: list[str] = []
    for i, pool in enumerate(option.pools):
        at = f"llmd.options.{option.kind}.pools.{i}"
        problems += count_problems(
            at,
            {k: getattr(pool, k) for k in ("replicas_min", "replicas_target", "replicas_max")},
            1,
            MAX_REPLICAS,
            "replicas",
        )
        problems += count_problems(
            at,
            {"gpus_per_node": pool.gpus_per_node, "nodes_per_replica": pool.nodes_per_replica},
            1,
            MAX_GPUS_PER_REPLICA,
            "GPUs or nodes",
        )
        problems += count_problems(at, {"cpu_request": pool.cpu_request}, 1, MAX_CPU, "CPUs")
        problems += count_problems(at, {"memory_request_gib": pool.memory_request_gib}, 1, 65_536, "GiB")
        if pool.replicas_min > pool.replicas_max:
            problems.append(f"{at}.replicas_min: {pool.replicas_min} is above replicas_max {pool.replicas_max}")
        if control_problem(pool.gpu) or len(pool.gpu) > 256:
            problems.append(f"{at}.gpu {shown(pool.gpu[:60])}: a name without control characters")
        bad = [a for a in pool.vllm_args if control_problem(a)]
        if bad:
            problems.append(f"{at}.vllm_args: {shown(bad[0][:60])} holds a control character (a newline, tab …)")
        secret = secret_arg_problem(pool.vllm_args)
        if secret is not None:
            problems.append(f"{at}.vllm_args: {secret}")
        for key, value in pool.env.items():
            if not _ENV_NAME.match(key) or control_problem(value):
                problems.append(
                    f"{at}.env.{shown(key[:60])}: a variable name of letters, digits and '_', a value "
                    "without control characters"
                )
            elif secret_arg_problem([value]) is not None:
                problems.append(
                    f"{at}.env.{key}: the value carries a secret, and a manifest never holds one in plain text; put "
                    "it in a Secret and take the variable from there (valueFrom secretKeyRef)"
                )
    return problems
