"""The Assistant as an MCP client: with ``NAVIGATOR_MCP_SERVERS`` naming a cluster's MCP server
(a stand-in served over stdio by the official SDK), the LLM (LangChain's scripted fake) sees its
tools next to Navigator's own, calls the read-only one, and a tool that changes the cluster is
held for the user's Confirm — called only then."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field, SecretStr

from core.assistant import Assistant
from core.assistant._mcp import parse_servers, remote_tools
from core.errors import SettingsError
from core.settings import Settings
from tests.conftest import REPO
from tests.test_assistant_llm import Recording, ai


class Offering(Recording):
    """The scripted fake, also keeping the tools the agent offered it (converted to the OpenAI
    tool format, as a real provider's binding does with each schema)."""

    offered: list[dict[str, Any]] = Field(default_factory=list)

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        self.offered = [convert_to_openai_tool(t)["function"] for t in tools]
        return self

    def names(self) -> set[str]:
        return {t["name"] for t in self.offered}


def servers_json(calls: Path, **extra: Any) -> str:
    standin = {
        "command": sys.executable,
        "args": ["-m", "tests.support.mcp_standin"],
        "env": {"MCP_STANDIN_CALLS": str(calls), "PYTHONPATH": str(REPO)},
    }
    return json.dumps({"rhoai": standin, **extra})


def called(calls: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


def assistant(tmp_path: Path, model: Offering, servers: str) -> Assistant:
    settings = Settings(cache_dir=tmp_path / "cache", mcp_servers=SecretStr(servers), llm_provider="openai")
    return Assistant.from_settings(settings, use_llm=True, llm=model)


def test_read_only_tool_is_called_and_a_changing_one_waits_for_confirm(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    model = Offering(
        responses=[
            ai(calls=[("rhoai__list_inference_services", {"namespace": "llm"})]),
            ai(calls=[("rhoai__scale_inference_service", {"namespace": "llm", "name": "granite-8b", "replicas": 4})]),
            ai("granite-8b is Ready with 2 replicas; scaling it to 4 waits for your confirmation."),
        ]
    )
    a = assistant(tmp_path, model, servers_json(calls))
    reply = a.respond(a.start().state, "how is granite doing in llm? scale it to 4")
    assert {"rhoai__list_inference_services", "rhoai__scale_inference_service", "request_apply"} <= model.names()
    scale = next(t for t in model.offered if t["name"] == "rhoai__scale_inference_service")
    assert "held for the user's Confirm" in scale["description"]
    assert scale["parameters"]["required"] == ["namespace", "name", "replicas"]  # the server's own schema
    assert reply.events == ["tool:rhoai__list_inference_services", "tool:rhoai__scale_inference_service"]
    # the read-only tool really ran, and its answer went back to the model
    assert called(calls) == [{"tool": "list_inference_services", "arguments": {"namespace": "llm"}}]
    tool_results = [str(m.content) for m in model.seen[1] if m.type == "tool"]
    assert any('\\"ready\\": true' in r and "granite-8b" in r for r in tool_results), tool_results
    # the changing one did not: it waits, as Navigator's own apply does
    pending = reply.state.pending
    assert pending is not None and pending.kind == "mcp_call" and pending.requested_by == "llm"
    assert pending.server == "rhoai" and pending.name == "scale_inference_service"
    assert pending.arguments == {"namespace": "llm", "name": "granite-8b", "replicas": 4}
    assert "scale_inference_service" in pending.summary and '"replicas": 4' in pending.summary

    done = a.confirm(reply.state, pending.id)
    assert called(calls)[-1] == {
        "tool": "scale_inference_service",
        "arguments": {"namespace": "llm", "name": "granite-8b", "replicas": 4},
    }
    assert done.state.pending is None and "granite-8b in llm scaled to 4 replicas" in done.text


def test_a_changing_tool_is_not_called_when_the_user_cancels(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    model = Offering(
        responses=[
            ai(calls=[("rhoai__scale_inference_service", {"namespace": "llm", "name": "granite-8b", "replicas": 0})]),
            ai("Scaling to 0 waits for your confirmation."),
        ]
    )
    a = assistant(tmp_path, model, servers_json(calls))
    reply = a.respond(a.start().state, "scale granite to zero")
    assert reply.state.pending is not None
    cancelled = a.cancel(reply.state)
    assert cancelled.state.pending is None and "nothing was changed" in cancelled.text
    assert called(calls) == []


def test_a_server_that_does_not_answer_is_named_and_the_turn_goes_on(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    dead = {"url": "http://127.0.0.1:9/mcp", "headers": {"Authorization": "Bearer secret-token-never-shown"}}
    model = Offering(responses=[ai("Here is where things stand.")])
    a = assistant(tmp_path, model, servers_json(calls, down=dead))
    reply = a.respond(a.start().state, "hello")
    assert "MCP server down (http://127.0.0.1:9/mcp) did not list its tools" in reply.text
    assert "secret-token-never-shown" not in reply.text + json.dumps(reply.state.model_dump(mode="json"))
    assert "rhoai__list_inference_services" in model.names()  # the server that answered still counts
    assert remote_tools(parse_servers(servers_json(calls, down=dead)))[1]  # kept: not asked again this minute


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "NAVIGATOR_MCP_SERVERS: not JSON"),
        ("[1, 2]", "NAVIGATOR_MCP_SERVERS: give an object of servers"),
        ('{"x": {"url": "ftp://host/mcp"}}', "server 'x': url: give the server's http:// or https:// address"),
        ('{"x": {}}', "server 'x': give either url or command"),
        ('{"x": {"url": "https://a/mcp", "command": "y"}}', "server 'x': give either url or command"),
        ('{"a b": {"command": "y"}}', "server 'a b': use letters, digits, '_' and '-'"),
        ('{"x": {"command": "y", "tokens": "z"}}', "server 'x': 'tokens' is not a server setting"),
        ('{"x": {"command": "y", "args": "mcp"}}', "server 'x': args: give a list of strings"),
    ],
)
def test_the_setting_is_checked_in_one_line(text: str, expected: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse_servers(text)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_the_client_configuration_shape_is_accepted() -> None:
    servers = parse_servers('{"mcpServers": {"navigator": {"command": "navigator", "args": ["mcp"]}}}')
    assert [(s.name, s.command, s.args) for s in servers] == [("navigator", "navigator", ["mcp"])]
    assert "mcp_servers" in Settings(mcp_servers=SecretStr("{}")).public_dict()
    assert Settings(mcp_servers=SecretStr('{"a": {"url": "https://h/mcp"}}')).public_dict()["mcp_servers"] == "set"


def test_settings_page_says_which_mcp_servers_are_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Settings page names each server and its address, never a header's value."""
    from streamlit.testing.v1 import AppTest

    from tests.test_app import APP

    token = "Bearer very-secret-token-1234567890"
    servers = {"rhoai": {"url": "https://rhoai-mcp.example.com/mcp?x=1", "headers": {"Authorization": token}}}
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("NAVIGATOR_MCP_SERVERS", json.dumps(servers))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/settings.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "**MCP servers** — ready: 1 configured: rhoai (https://rhoai-mcp.example.com/mcp)" in text
    assert "very-secret-token" not in text + " ".join(str(c.value) for c in at.dataframe)
    monkeypatch.setenv("NAVIGATOR_MCP_SERVERS", '{"rhoai": {"url": "ftp://x"}}')
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/settings.py").run()
    assert not at.exception
    assert any("server 'rhoai': url: give the server's http:// or https:// address" in m.value for m in at.markdown)
