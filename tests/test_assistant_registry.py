"""The BENCHMARK stage against a Model Registry REST API served on 127.0.0.1: registered
models, versions, benchmark custom properties, bearer token, paging, TTL cache, errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from pydantic import SecretStr

from core.architecture import resolve_model
from core.assistant import ModelRegistry, Stage, Workflow, gather_evidence
from core.errors import ModelRegistryError
from tests.support.local_server import JsonHandler, LocalServer

TOKEN = "registry-token-abc123"
API = "/api/model_registry/v1alpha3"


def double(v: float) -> dict[str, Any]:
    return {"metadataType": "MetadataDoubleValue", "double_value": v}


def integer(v: int) -> dict[str, Any]:
    return {"metadataType": "MetadataIntValue", "int_value": str(v)}


def string(v: str) -> dict[str, Any]:
    return {"metadataType": "MetadataStringValue", "string_value": v}


@dataclass
class Registry:
    models: list[dict[str, Any]]
    versions: dict[str, list[dict[str, Any]]]
    requests: list[str] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)


class Handler(JsonHandler):
    def do_GET(self) -> None:
        state: Registry = self.server.state  # type: ignore[attr-defined]
        url = urlparse(self.path)
        state.requests.append(url.path)
        state.auth.append(self.headers.get("Authorization"))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"code": "Unauthorized"})
        query = parse_qs(url.query)
        if url.path == f"{API}/registered_models":
            # two pages, to exercise nextPageToken
            if query.get("nextPageToken") == ["p2"]:
                return self._send(200, {"items": state.models[1:], "nextPageToken": "", "size": len(state.models) - 1})
            return self._send(200, {"items": state.models[:1], "nextPageToken": "p2", "size": 1})
        for model_id, versions in state.versions.items():
            if url.path == f"{API}/registered_models/{model_id}/versions":
                return self._send(200, {"items": versions, "nextPageToken": "", "size": len(versions)})
        self._send(404, {"code": "NotFound"})


@pytest.fixture
def registry() -> Iterator[LocalServer]:
    state = Registry(
        models=[
            {"id": "1", "name": "granite-3.1-8b-instruct", "customProperties": {}},
            {"id": "2", "name": "Llama-3.1-8B-Instruct", "customProperties": {}},
        ],
        versions={
            "1": [{"id": "10", "name": "v1", "customProperties": {"owner": string("team-a")}}],
            "2": [
                {
                    "id": "20",
                    "name": "1.0-h100",
                    "customProperties": {
                        "benchmark.ttft_ms": double(41.5),
                        "benchmark.itl_ms": double(9.8),
                        "benchmark.output_tokens_per_s": double(2890.0),
                        "gpu": string("H100-SXM"),
                        "gpu_count": integer(1),
                        "input_tokens": integer(1000),
                        "output_tokens": integer(200),
                        "concurrency": integer(32),
                    },
                },
                {"id": "21", "name": "notes-only", "customProperties": {"license": string("llama3.1")}},
            ],
        },
    )
    server = LocalServer(Handler, state)
    ModelRegistry._cache.clear()
    yield server
    server.stop()
    ModelRegistry._cache.clear()


def test_benchmarks_come_from_the_registry_with_measured_provenance(registry: LocalServer) -> None:
    reg = ModelRegistry(registry.url, SecretStr(TOKEN))
    found = reg.benchmarks(resolve_model("Llama-3.1-8B"))
    assert len(found) == 1
    ev = found[0]
    assert ev.source == "model-registry" and ev.provenance == "measured"
    assert ev.metrics == {"ttft_ms": 41.5, "tpot_ms": 9.8, "output_tokens_per_s": 2890.0}
    assert (ev.gpu, ev.gpus, ev.input_tokens, ev.output_tokens, ev.load) == ("H100-SXM", 1, 1000, 200, "concurrency=32")
    assert "Llama-3.1-8B-Instruct / 1.0-h100" in ev.reference
    state: Registry = registry.state
    assert all(a == f"Bearer {TOKEN}" for a in state.auth)
    assert state.requests.count(f"{API}/registered_models") == 2  # both pages read
    assert f"{API}/registered_models/1/versions" not in state.requests  # granite does not match


def test_answers_are_cached_for_the_ttl(registry: LocalServer) -> None:
    reg = ModelRegistry(registry.url, SecretStr(TOKEN), ttl_s=300)
    arch = resolve_model("Llama-3.1-8B")
    reg.benchmarks(arch)
    n = len(registry.state.requests)
    reg.benchmarks(arch)
    assert len(registry.state.requests) == n
    expired = ModelRegistry(registry.url, SecretStr(TOKEN), ttl_s=0)
    expired.benchmarks(arch)
    assert len(registry.state.requests) > n


def test_a_wrong_token_is_a_clear_error_and_the_stage_falls_back(registry: LocalServer) -> None:
    reg = ModelRegistry(registry.url, SecretStr("wrong"))
    with pytest.raises(ModelRegistryError, match=r"HTTP 401.*NAVIGATOR_MODEL_REGISTRY_TOKEN"):
        reg.benchmarks(resolve_model("Llama-3.1-8B"))
    evidence, notes = gather_evidence(resolve_model("Llama-3.1-8B"), 800, 200, registry=reg)
    assert evidence and evidence[0].source == "calibration"
    assert "Model Registry not used" in notes[0] and "wrong" not in notes[0]


def test_an_unreachable_or_malformed_address_is_named() -> None:
    with pytest.raises(ModelRegistryError, match="NAVIGATOR_MODEL_REGISTRY_URL"):
        ModelRegistry("registry.local")
    reg = ModelRegistry("http://127.0.0.1:9", timeout_s=2)
    with pytest.raises(ModelRegistryError, match="did not answer"):
        reg.benchmarks(resolve_model("Llama-3.1-8B"))


def test_the_workflow_shows_registry_figures_first(registry: LocalServer) -> None:
    wf = Workflow(registry=ModelRegistry(registry.url, SecretStr(TOKEN)))
    r = wf.turn(wf.start().state, "Llama 8B chatbot, 50 rps, first token within 500 ms")
    assert r.state.stage == Stage.REPLICAS
    assert r.state.evidence[0].source == "model-registry"
    assert "from the Model Registry (measured" in r.text and "TTFT 41.5 ms" in r.text and "ttft_ms" not in r.text
