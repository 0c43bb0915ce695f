"""llm-d on OpenShift AI 3: when serving through KServe's ``LLMInferenceService`` helps, and by how much.

OpenShift AI 3 serves large models with llm-d through ``LLMInferenceService``
(``serving.kserve.io/v1alpha1``): replicas behind the inference gateway, whose endpoint picker
routes by prefix cache and load (``spec.router.scheduler``); disaggregated prefill and decode
pools (``spec.prefill`` beside the decode ``spec.template``), with the KV cache moved from
prefill to decode by vLLM's NixlConnector; and replicas that span nodes through
LeaderWorkerSet (``spec.worker`` with ``spec.parallelism``). This package weighs the last two
for a plan, each pool sized with the same engine and queueing model the plan uses
(:func:`core.planning._candidates._sized` for memory and the step model,
:func:`core.sizing._perf.closed_loop`, :func:`core.planning.queueing.slots_needed`, the same
replica floor, price and ranges), and mentions the first::

    advice = llmd_advice(request, arch, gpus, results, chosen)
    for line in llmd_lines(advice):
        print(line)

Read to learn what a real deployment looks like (nothing copied):

* ``opendatahub-io/kserve`` @ ``2dfbf5b3b71d1227f1093c57790a4cf44ccc9427``: the well-known
  presets ``config/llmisvc/config-llm-template.yaml``, ``config-llm-worker-data-parallel.yaml``,
  ``config-llm-prefill-template.yaml``, ``config-llm-decode-template.yaml`` (vLLM started with
  ``${VLLM_ADDITIONAL_ARGS}``; the data-parallel worker preset turns ``spec.parallelism`` into
  ``--data-parallel-size``, ``--data-parallel-size-local``, ``--enable-expert-parallel``,
  ``--tensor-parallel-size``); ``pkg/controller/llmisvc/config_merge.go`` (which preset applies:
  the pipeline-parallel worker presets are not among the well-known ones at that commit);
  ``docs/samples/llmisvc/single-node-gpu/llm-inference-service-qwen2-7b-gpu.yaml`` (replicas
  behind the gateway), ``…/llm-inference-service-pd-qwen2-7b-gpu.yaml`` (prefill/decode with
  NixlConnector ``kv_both`` over RDMA) and
  ``docs/samples/llmisvc/dp-ep/deepseek-r1-gpu-rdma-roce/llm-inference-service-dp-ep-deepseek-r1-gpu-deepep-ht.yaml``
  (``parallelism: {data: 32, dataLocal: 8, expert: true, tensor: 1}`` over LeaderWorkerSet).
* ``llm-d/llm-d`` ``guides/wide-ep-lws/README.md`` (DeepSeek-R1 as DP=16 pools of two 8-GPU
  nodes) and ``guides/pd-disaggregation/README.md`` ("longer input sequence lengths (e.g 10k
  ISL | 1k OSL, not 200 ISL | 200 OSL)"; P workers with less parallelism and more replicas).
* vLLM's "Expert Parallel Deployment" (docs.vllm.ai/en/latest/serving/expert_parallel_deployment):
  with ``--tensor-parallel-size 1`` attention weights are replicated on every data-parallel rank
  and each EP rank holds ``experts ÷ ranks`` experts; the two-node DeepSeek example (``data 16``,
  ``local 8``, ``deepep_low_latency``); ``--enable-dbo`` overlaps the all-to-all with compute.
* vLLM's "Distributed Inference and Serving" (docs.vllm.ai/en/v0.8.3/serving/distributed_serving.html):
  a model too large for one node runs tensor parallel over a node's GPUs and pipeline parallel
  over the nodes.
* ``deepseek-ai/DeepEP`` ``docs/legacy.md`` @ ``0297fc8``: measured low-latency all-to-all times
  (:data:`core.planning.llmd._physics.DEEPEP_LOW_LATENCY_US`).

Every figure is estimated, never measured, unless measured llm-d runs are quoted beside it.

The modules, one concept each: ``_models`` (the result models), ``_physics`` (what spreading a
replica costs the engine), ``_plan_rules`` (the plan's own sizing rules, applied to a pool),
``_layout`` (a replica over whole nodes), ``_multi_node`` (the multi-node option),
``_disaggregation`` (prefill and decode pools sized), ``_pd_option`` (the prefill/decode option),
``_gain`` (what an option saves), ``_runs`` (measured public runs), ``_advice`` (the advice for a
plan) and ``_words`` (all of it in words).
"""

from core.planning.llmd._advice import llmd_advice
from core.planning.llmd._models import LlmdAdvice, LlmdGain, LlmdOption, LlmdPool, Parallelism
from core.planning.llmd._words import decision_sentence, llmd_lines, llmd_sentence

__all__ = [
    "LlmdAdvice",
    "LlmdGain",
    "LlmdOption",
    "LlmdPool",
    "Parallelism",
    "decision_sentence",
    "llmd_advice",
    "llmd_lines",
    "llmd_sentence",
]
