"""The thread across requests in one conversation: a second model's traffic range reopens the
average (the first request's average is not in it), and a new end-to-end target replaces the
one before instead of standing beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.assistant import Assistant
from core.settings import load_settings


def test_a_new_range_reopens_the_average_and_a_new_target_replaces_the_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))
    assistant = Assistant.from_settings(load_settings(), use_llm=False)
    wf = assistant.start().state
    wf = assistant.respond(wf, "Llama 8B chatbot, 20 rps, whole answer within 6 seconds").state
    assert wf.traffic.rps == 20 and wf.slo.p95_latency_ms == 6000
    reply = assistant.respond(wf, "Mistral 7B for a support bot, 30-50 rps, p99 under 2 s")
    wf = reply.state
    assert wf.traffic.rps is None and wf.asking == "average", reply.text[:300]
    assert "average 20" not in reply.text
    assert wf.slo.p99_latency_ms == 2000 and wf.slo.p95_latency_ms is None
    wf = assistant.respond(wf, "about 40").state
    assert wf.traffic.rps == 40 and wf.traffic.peak_rps == 50
