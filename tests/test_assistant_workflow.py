"""The eight-stage workflow with no LLM: scripted conversations reach a plan and manifests;
follow-up questions, corrections, back/status/reset, the cache, evidence, and cluster changes
that wait for the user's confirmation (against the test API server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.assistant import GREETING, WORKFLOW_KIND, Assistant, Stage, Workflow, WorkflowState
from core.cluster import connect
from core.cluster._client import Connection
from core.planning import CapacityPlan
from core.store import FileStore
from tests.support.fake_kube import FakeKubeServer

ISSUE_SENTENCE = "I need a Llama 8B chatbot for about 50 requests a second, answers should start within half a second."

HF_TOKEN = SecretStr("hf_test_token_for_the_gated_repo")  # Llama 8B is the gated meta-llama repo


def talk(wf: Workflow, *turns: str, state: WorkflowState | None = None) -> tuple[WorkflowState, list[str]]:
    s = state or wf.start().state
    replies = []
    for t in turns:
        r = wf.turn(s, t)
        s = r.state
        replies.append(r.text)
    return s, replies


def test_the_issue_sentence_reaches_a_plan_then_manifests_then_monitoring() -> None:
    wf = Workflow()
    s, replies = talk(wf, ISSUE_SENTENCE)
    assert s.stage == Stage.REPLICAS
    assert s.plan is not None and s.plan.feasible and s.plan.gpu
    assert s.plan.ttft_p95_ms is not None and s.plan.ttft_p95_ms <= 500
    plan = CapacityPlan.model_validate(s.plan_json)
    assert plan.request.traffic.rps == 50 and plan.request.slo.p95_ttft_ms == 500
    assert "Understood: model Llama-3.1-8B" in replies[0] and "p95 TTFT" in replies[0]
    assert "estimated" in replies[0]  # provenance shown with the numbers

    s, replies = talk(wf, "yes", state=s)
    assert s.stage == Stage.DEPLOY and "namespace" in replies[0].lower()
    s, replies = talk(wf, "chat-demo", state=s)
    assert s.deployment is not None and s.deployment.valid and s.deployment.namespace == "chat-demo"
    assert any(o.startswith("InferenceService/") for o in s.deployment.objects)
    assert "all valid" in replies[0]
    s, replies = talk(wf, "next", state=s)
    assert s.stage == Stage.MONITOR and "vllm:num_requests_waiting" in replies[0]


def test_follow_up_questions_until_each_stage_has_what_it_needs() -> None:
    wf = Workflow()
    s, replies = talk(wf, "hello, can you help me deploy something?")
    assert s.stage == Stage.INTENT and "Which model" in replies[0]
    s, replies = talk(wf, "granite 8b", state=s)
    assert s.stage == Stage.TRAFFIC and "How much traffic" in replies[0]
    s, replies = talk(wf, "300 users, each sends 2 requests a minute", state=s)
    assert s.stage == Stage.SLO and s.traffic.rps == pytest.approx(10.0)
    assert "What latency" in replies[0]
    s, replies = talk(wf, "defaults", state=s)
    assert s.stage == Stage.REPLICAS and s.slo.preset == "interactive"
    assert s.plan is not None and s.plan.model == "Granite-3.3-8B"
    assert any("preset" in a for a in s.assumptions)


def test_a_shrug_at_the_slo_question_takes_the_interactive_preset() -> None:
    s, _ = talk(Workflow(), "Qwen 7B, 5 rps", "no")
    assert s.slo.preset == "interactive" and s.stage == Stage.REPLICAS


def test_corrections_replan_from_the_stage_they_feed() -> None:
    wf = Workflow()
    s, _ = talk(wf, ISSUE_SENTENCE, "use H100")
    before = s.plan
    assert before is not None and before.gpu == "H100-SXM"
    s, replies = talk(wf, "make it 200 rps", state=s)
    assert s.traffic.rps == 200 and s.stage == Stage.REPLICAS
    assert s.plan is not None and s.plan.total_gpus is not None and before.total_gpus is not None
    assert s.plan.total_gpus > before.total_gpus
    assert "Understood: traffic 200 requests/s" in replies[0]
    # a new model after the manifests: benchmark and filter run again, the manifests are dropped
    s, _ = talk(wf, "yes", "namespace demo", state=s)
    assert s.deployment is not None
    s, _ = talk(wf, "actually use Qwen 7B", state=s)
    assert s.model_requirements.model_name == "Qwen2.5-7B" and s.plan is not None and s.plan.model == "Qwen2.5-7B"
    assert s.deployment is None and s.stage == Stage.REPLICAS


def test_back_status_and_reset_keep_what_was_said() -> None:
    wf = Workflow()
    s, _ = talk(wf, ISSUE_SENTENCE)
    s, replies = talk(wf, "go back", state=s)
    assert s.stage == Stage.SLO and s.held and s.slo.ttft_ms == 500  # automatic stages are skipped
    assert "Back to SLO" in replies[0]
    s, replies = talk(wf, "where are we?", state=s)
    assert "Stage 3/8: SLO" in replies[0] and "Llama-3.1-8B" in replies[0]
    s, _ = talk(wf, "next", state=s)
    assert s.stage == Stage.REPLICAS
    s2, replies = talk(wf, "start over", state=s)
    assert s2.stage == Stage.INTENT and s2.id != s.id and s2.traffic.rps is None
    assert GREETING in replies[0]


def test_a_turn_never_changes_the_state_it_was_given() -> None:
    wf = Workflow()
    s0 = wf.start().state
    snapshot = s0.model_dump_json()
    wf.turn(s0, ISSUE_SENTENCE)
    assert s0.model_dump_json() == snapshot


def test_no_matching_model_asks_again_instead_of_inventing_one() -> None:
    s, replies = talk(Workflow(), "a vision embedding model for image search, 10 rps, p95 under 1 s")
    assert s.stage == Stage.INTENT and s.plan is None
    assert "No catalog model matches" in replies[0]


def test_an_impossible_slo_says_so_and_goes_back_to_the_slo() -> None:
    s, replies = talk(Workflow(), "Llama 3.1 405B, 5 rps, first token within 1 ms, only L4, max 2 GPUs")
    assert s.stage == Stage.SLO
    assert s.plan is not None and not s.plan.feasible
    assert "Loosen the SLO" in replies[0]


def test_benchmark_evidence_is_measured_when_calibrated_else_estimated() -> None:
    wf = Workflow()
    s, replies = talk(wf, ISSUE_SENTENCE)
    assert s.evidence and {e.source for e in s.evidence} == {"calibration"}
    assert all(e.provenance == "measured" for e in s.evidence)
    assert "calibration data (measured" in replies[0]
    s, replies = talk(wf, "Falcon 7B, 10 rps, ttft 800 ms")
    assert s.evidence and {e.source for e in s.evidence} == {"sizing-engine"}
    assert all(e.provenance == "estimated" for e in s.evidence)
    assert "no vLLM run of Falcon-7B" in replies[0]


def test_state_is_kept_in_the_file_cache_and_round_trips(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "cache")
    wf = Workflow(store=store)
    s, _ = talk(wf, ISSUE_SENTENCE)
    saved = store.load(WORKFLOW_KIND, s.id, WorkflowState)
    assert saved == s and saved.plan is not None and len(saved.conversation) == 3


def test_an_unusable_cache_is_reported_and_the_conversation_goes_on(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    wf = Workflow(store=FileStore(blocker))
    s, replies = talk(wf, ISSUE_SENTENCE)
    assert s.stage == Stage.REPLICAS and s.plan is not None
    assert "Not saved to the file cache" in replies[0] and "NAVIGATOR_CACHE_DIR" in replies[0]


def test_summary_has_the_cli_contract_keys() -> None:
    s, _ = talk(Workflow(), ISSUE_SENTENCE)
    out = s.summary()
    assert out["stage"] == "REPLICAS"
    assert set(out["model_requirements"]) >= {
        "model_family",
        "model_name",
        "size_b",
        "capabilities",
        "quantization",
        "min_context_length",
    }
    assert set(out["traffic"]) >= {
        "pattern",
        "rps",
        "peak_rps",
        "input_tokens",
        "output_tokens",
        "concurrent_users",
        "preset",
    }
    assert set(out["slo"]) >= {
        "p50_latency_ms",
        "p95_latency_ms",
        "p99_latency_ms",
        "ttft_ms",
        "tokens_per_second_per_user",
        "availability_percent",
        "preset",
    }
    assert out["plan"]["gpu"] and out["plan"]["replicas"] >= 1


# ---- cluster changes wait for the user ------------------------------------------------------


@pytest.fixture
def conn(kubeconfig: Path) -> Iterator[Connection]:
    c = connect(kubeconfig)
    yield c
    c.close()


def real_writes(fake_kube: FakeKubeServer) -> list[tuple[str, str, bool]]:
    return [w for w in fake_kube.state.writes if not w[2]]


def test_apply_waits_for_confirm_then_applies_and_monitors(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    wf = Workflow(connect=lambda: connect(kubeconfig), hf_token=HF_TOKEN)
    s, _ = talk(wf, ISSUE_SENTENCE, "use H100", "yes", "namespace llm")
    assert s.deployment is not None and s.deployment.valid
    s, replies = talk(wf, "apply", state=s)
    assert s.pending is not None and s.pending.requested_by == "user"
    assert "Confirm to go ahead" in replies[0]
    assert real_writes(fake_kube) == []  # nothing written before the confirmation
    s, replies = talk(wf, "cancel", state=s)
    assert s.pending is None and real_writes(fake_kube) == []
    s, _ = talk(wf, "apply", state=s)
    s, replies = talk(wf, "confirm", state=s)
    writes = real_writes(fake_kube)
    assert any("inferenceservices" in path for _, path, _ in writes)
    assert any(path.endswith("/secrets/llama-3-1-8b-hf-token") for _, path, _ in writes), "the gated repo's token"
    assert HF_TOKEN.get_secret_value() not in s.model_dump_json() + "".join(replies)
    assert s.stage == Stage.MONITOR and s.deployment is not None and s.deployment.applied
    assert "Applied" in replies[0] and "llama-3-1-8b in llm is not ready" in replies[0]


def test_a_stale_confirmation_changes_nothing(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    a = Assistant(Workflow(connect=lambda: connect(kubeconfig), hf_token=HF_TOKEN))
    s, _ = talk(a.workflow, ISSUE_SENTENCE, "use H100", "yes", "namespace llm", "apply")
    reply = a.confirm(s, "not-the-pending-id")
    assert "does not match" in reply.text and real_writes(fake_kube) == []
    assert reply.state.pending is not None


def test_apply_of_a_gated_repo_without_a_token_says_what_to_set(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    wf = Workflow(connect=lambda: connect(kubeconfig))
    s, replies = talk(wf, ISSUE_SENTENCE, "use H100", "yes", "namespace llm", "apply")
    assert s.pending is None and real_writes(fake_kube) == []
    assert "gated" in replies[-1] and "NAVIGATOR_HF_TOKEN" in replies[-1]
    assert "oc create secret generic llama-3-1-8b-hf-token -n llm" in replies[-1]


def test_apply_without_a_cluster_points_to_the_downloads() -> None:
    s, replies = talk(Workflow(), ISSUE_SENTENCE, "yes", "namespace demo", "apply")
    assert s.pending is None and "No cluster is connected" in replies[-1]


@pytest.mark.parametrize("answer", ["same as the peak", "use the peak", "it's flat", "yes", "continue"])
def test_a_peak_without_an_average_asks_for_it_once_and_takes_the_peak_when_told(answer: str) -> None:
    wf = Workflow(store=FileStore(None, enabled=False))
    state, replies = talk(wf, "a Llama 3.1 8B chatbot, about 40 requests per second at peak, first token under 500 ms")
    assert state.stage == Stage.TRAFFIC and state.traffic.peak_rps == 40 and state.traffic.rps is None
    assert "What is the average" in replies[-1] and "same as peak" in replies[-1]
    state, replies = talk(wf, answer, state=state)
    assert state.traffic.rps == 40 and state.stage != Stage.TRAFFIC, replies[-1]


def test_a_peak_with_an_average_in_the_next_message_moves_on() -> None:
    wf = Workflow(store=FileStore(None, enabled=False))
    state, _ = talk(wf, "Granite 8B for support", "40 at peak, about 15 on average")
    assert (state.traffic.rps, state.traffic.peak_rps) == (15, 40) and state.stage == Stage.SLO


def test_an_impossible_rate_is_refused_and_what_was_said_stays() -> None:
    wf = Workflow(store=FileStore(None, enabled=False))
    state, replies = talk(wf, "Granite 8B for support", "20 rps")
    before = state.traffic.rps
    state, replies = talk(wf, "make it -5 rps", state=state)
    assert "cannot be negative" in replies[-1] and state.traffic.rps == before
    state, replies = talk(wf, "make it 0 rps", state=state)
    assert "above 0" in replies[-1] and "did not catch" not in replies[-1] and state.traffic.rps == before


def test_benchmarks_on_the_gpus_in_question_come_first() -> None:
    """Runs on the GPU asked for (or planned) lead, then GPUs the catalog knows, each by how
    close their lengths are to the user's; a run on a card outside the catalog comes last."""
    from core.assistant._evidence import rank_evidence
    from core.assistant._state import Evidence
    from core.catalog import get_catalog

    def ev(gpu: str, i: int, o: int) -> Evidence:
        return Evidence(
            source="calibration", provenance="measured", gpu=gpu, gpus=1, precision="bf16",
            input_tokens=i, output_tokens=o, load="max_concurrency=1", metrics={"tpot_ms_p50": 7.0}, reference="x",
        )  # fmt: skip

    runs = [ev("MI100 32GB", 500, 250), ev("RTX-5090", 500, 250), ev("L40S", 4000, 1000), ev("H100-SXM", 512, 256)]
    ranked = rank_evidence(runs, ["L40S"], 500, 250, get_catalog())
    assert [e.gpu for e in ranked] == ["L40S", "RTX-5090", "H100-SXM", "MI100 32GB"]
    # In a conversation: no run of this model on an L40S, so runs on GPUs the catalog knows lead.
    s, _ = talk(
        Workflow(), "Llama 3.1 8B chatbot on L40S, 20 rps, prompts 500 tokens, answers 250, first token under 500 ms"
    )
    assert s.constraints["gpu_types"] == ["L40S"] and s.evidence
    known = [get_catalog().find_gpu(e.gpu) is not None for e in s.evidence]
    assert known == sorted(known, reverse=True) and known[0]


# ---- "The Assistant never loses the thread" ------------------------------------------------


def quiet() -> Workflow:
    return Workflow(store=FileStore(None, enabled=False))


def test_a_bare_number_answers_the_average_question_it_asked() -> None:
    wf = quiet()
    s, replies = talk(wf, "Mistral 7B chatbot, 30-50 rps, p99 under 2 s")
    assert s.asking == "average" and "What is the average" in replies[-1] and "peak of 50 requests/s" in replies[-1]
    s, replies = talk(wf, "about 40", state=s)
    assert (s.traffic.rps, s.traffic.peak_rps) == (40, 50) and s.stage == Stage.REPLICAS
    assert "Understood: traffic average 40 requests/s (peak 50)" in replies[-1]
    assert "did not catch" not in replies[-1]


@pytest.mark.parametrize(
    ("answer", "rps"), [("40", 40.0), ("30-50", 40.0), ("roughly 25 per second", 25.0), ("about 1,200 a minute", 20.0)]
)
def test_a_value_or_a_range_answers_the_open_question(answer: str, rps: float) -> None:
    wf = quiet()
    s, _ = talk(wf, "Granite 8B for support, peaks at 60 rps")
    s, replies = talk(wf, answer, state=s)
    assert s.traffic.rps == pytest.approx(rps) and s.traffic.peak_rps == 60 and s.stage == Stage.SLO, replies[-1]
    if "-" in answer:
        assert "middle of 30–50" in replies[-1]  # what was done with the two numbers is said


def test_a_bare_number_is_read_in_the_unit_the_user_gave_rates_in() -> None:
    wf = quiet()
    s, replies = talk(wf, "Granite 8B for support, up to 600 requests per minute")
    assert s.traffic.per == "minute" and "(600 a minute)" in replies[-1]
    s, replies = talk(wf, "200", state=s)
    assert s.traffic.rps == pytest.approx(3.3333, rel=1e-3) and "(200 and 600 a minute)" in replies[-1]


def test_one_answer_that_changes_several_things_changes_all_and_says_so() -> None:
    wf = quiet()
    s, _ = talk(wf, "Mistral 7B chatbot, peaks at 50 rps")
    s, replies = talk(wf, "maybe 40, and p99 under 2 s", state=s)
    assert s.traffic.rps == 40 and s.slo.p99_latency_ms == 2000
    assert "average 40 requests/s (peak 50)" in replies[-1] and "p99 end-to-end ≤ 2 s" in replies[-1]


def test_a_bare_duration_answers_the_latency_question_and_says_how_it_was_read() -> None:
    wf = quiet()
    s, _ = talk(wf, "Granite 8B, 5 rps")
    assert s.asking == "slo"
    s, replies = talk(wf, "2 s", state=s)
    assert s.slo.p95_latency_ms == 2000 and s.stage == Stage.REPLICAS
    assert "p95 end-to-end latency" in replies[-1] and "first token within" in replies[-1]


def test_the_quiet_time_rate_next_to_a_peak_is_kept_and_said() -> None:
    s, replies = talk(quiet(), "Llama 8B, peak 200 rps at noon, 20 at night")
    assert (s.traffic.rps, s.traffic.peak_rps) == (20, 200) and s.stage == Stage.SLO
    assert "20 requests/s at night as the average" in replies[-1]


def test_several_percentiles_in_one_breath_are_each_kept_and_planned() -> None:
    wf = quiet()
    s, replies = talk(wf, "Llama 8B at 5 rps, TTFT p50 under 200 ms and p99 under 1 s, p95 end to end under 4 s")
    assert (s.slo.ttft_ms, s.slo.ttft_percentile, s.slo.ttft_also_ms) == (200, 50, {"p99": 1000})
    assert s.slo.p95_latency_ms == 4000
    assert "p50 time to first token ≤ 200 ms, p99 time to first token ≤ 1 s" in replies[-1]
    plan = CapacityPlan.model_validate(s.plan_json)
    assert (plan.request.slo.p50_ttft_ms, plan.request.slo.p99_ttft_ms) == (200, 1000)


def test_an_unknown_model_name_is_said_back_with_choices_and_the_rest_kept() -> None:
    wf = quiet()
    s, replies = talk(wf, "deploy foobar-9000 for 10 rps")
    assert "could not find the model 'foobar-9000'" in replies[-1] and "Hugging Face repo id" in replies[-1]
    assert "Understood: traffic 10 requests/s" in replies[-1]
    assert s.traffic.rps == 10 and s.model_requirements.model_name is None and s.plan is None
    assert s.stage == Stage.INTENT
    s, replies = talk(wf, "Vicuna 13B chatbot, 5 rps")
    assert "could not find the model 'Vicuna 13B'" in replies[-1] and "models of about 13 B" in replies[-1]
    assert s.model_choices and s.model_requirements.capabilities == ["chat"]
    first = s.model_choices[0]
    s, _ = talk(wf, "1", state=s)
    assert s.model_requirements.model_name == first  # a model is only one the user named or picked


def test_a_distilled_model_is_never_taken_for_its_teacher() -> None:
    wf = quiet()
    s, replies = talk(wf, "deepseek r1 distill qwen 3b for 5 rps")  # no such distill
    assert s.model_requirements.model_name is None and s.plan is None
    assert "could not find the model 'DeepSeek-R1-Distill-Qwen-3B'" in replies[-1]
    assert "DeepSeek-R1" not in s.model_choices and s.model_choices[-1] == "deepseek-ai/DeepSeek-R1-Distill-Qwen-3B"
    assert all("Distill" in c for c in s.model_choices)
    s, _ = talk(quiet(), "deepseek r1 distill qwen 7b for 5 rps")  # the student, not its teacher or base
    assert s.model_requirements.model_name == "DeepSeek-R1-Distill-Qwen-7B"
    s, replies = talk(wf, "R1-Distill-Llama-8B, 5 rps, first token under 1 s")
    assert s.model_requirements.model_name == "DeepSeek-R1-Distill-Llama-8B"
    assert s.plan is not None and s.plan.model == "DeepSeek-R1-Distill-Llama-8B"


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("TTFT under 0 ms", "A latency target of 0 cannot be met"),
        ("p99 under -2 s", "cannot be negative"),
        ("0 tokens per second per user", "A speed of 0 tokens/s"),
        ("max 0 GPUs", "A limit of 0 GPUs"),
        ("availability 30%", "between 50% and 99.999%"),
    ],
)
def test_an_impossible_target_is_refused_with_the_reason_and_the_rest_is_kept(said: str, reason: str) -> None:
    wf = quiet()
    s, replies = talk(wf, f"Llama 8B, 10 rps, {said}")
    assert reason in replies[-1] and "Input should be" not in replies[-1]
    assert s.model_requirements.model_name == "Llama-3.1-8B" and s.traffic.rps == 10
    assert s.slo.ttft_ms is None and s.slo.p99_latency_ms is None and "max_gpus" not in s.constraints


def test_a_plan_no_budget_could_pay_for_is_not_offered_for_deployment() -> None:
    wf = quiet()
    s, replies = talk(wf, "Llama 3.1 405B at 100000 rps, first token under 1 s")
    assert "100,000 requests/s" in replies[-1] and "e+" not in replies[-1]
    assert "Not ready to deploy" in replies[-1] and "beyond any realistic budget" in replies[-1]
    assert "Say 'yes' to prepare the deployment" not in replies[-1] and "Change something" in replies[-1]
    assert s.stage == Stage.REPLICAS and s.asking == "changes"
    s, replies = talk(wf, "yes", state=s)
    assert s.stage == Stage.REPLICAS and not s.plan_accepted and s.deployment is None
    assert "I will not prepare a deployment of this plan" in replies[-1]


def test_a_plan_that_misses_its_targets_is_not_offered_for_deployment() -> None:
    wf = quiet()
    s, replies = talk(wf, "Llama 8B, 5 rps, first token within 5 ms")
    assert s.plan is not None and not s.plan.meets_targets and s.plan.misses
    assert "Not ready to deploy" in replies[-1] and "misses your targets" in replies[-1]
    assert "Say 'yes' to prepare" not in replies[-1]
    s, replies = talk(wf, "yes", state=s)
    assert not s.plan_accepted and "I will not prepare a deployment" in replies[-1]
    s, replies = talk(wf, "first token within 500 ms", state=s)
    assert s.plan is not None and s.plan.meets_targets and "Say 'yes' to prepare the deployment" in replies[-1]


TOKEN = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def test_a_pasted_token_is_never_echoed_or_stored(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "cache")
    wf = Workflow(store=store)
    s, replies = talk(wf, f"my HF token is {TOKEN}, plan Llama 8B at 5 rps", "three nines")
    assert s.model_requirements.model_name == "Llama-3.1-8B" and s.traffic.rps == 5
    assert "did not keep it" in replies[0] and "NAVIGATOR_HF_TOKEN" in replies[0] and "Deploy page" in replies[0]
    assert all(TOKEN not in r for r in replies)
    assert TOKEN not in s.model_dump_json()
    saved = (tmp_path / "cache" / WORKFLOW_KIND / f"{s.id}.json").read_text()
    assert TOKEN not in saved and "[token not kept]" in saved


def test_a_pasted_token_never_reaches_the_llm() -> None:
    from tests.test_assistant_llm import Recording, agent, ai

    model = Recording(responses=[ai("Noted: Llama 8B at 5 requests/s.")])
    a = Assistant(quiet(), agent(model))
    reply = a.respond(a.start().state, f"token {TOKEN} — Llama 8B at 5 rps")
    assert TOKEN not in reply.text and TOKEN not in reply.state.model_dump_json()
    assert "did not keep it" in reply.text
    assert all(TOKEN not in str(m.content) for seen in model.seen for m in seen)


def test_the_open_question_round_trips_with_the_state(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "cache")
    wf = Workflow(store=store)
    s, _ = talk(wf, "Granite 8B for support, peaks at 50 rps")
    saved = store.load(WORKFLOW_KIND, s.id, WorkflowState)
    assert saved is not None and saved.asking == "average"
    s, _ = talk(wf, "40", state=saved)
    assert s.traffic.rps == 40


def test_same_as_before_keeps_what_was_said_and_goes_on() -> None:
    wf = quiet()
    s, _ = talk(wf, ISSUE_SENTENCE, "go back")
    assert s.stage == Stage.SLO and s.held and s.asking == "slo"
    s, replies = talk(wf, "same as before", state=s)
    assert s.stage == Stage.REPLICAS and s.slo.ttft_ms == 500 and "did not catch" not in replies[-1]
    assert s.summary()["asking"] == "accept"
