"""Secrets never reach session snapshots, the cache, logs, URLs, page text or error text; no
subprocess goes through a shell. (Alias bombs, deep nesting and oversize YAML: test_yamlio;
the LLM and cluster writes: test_assistant_llm; QA redaction: test_qa, test_qa_job.)"""

from __future__ import annotations

import ast
import logging
import pickle
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO
from tests.test_app import APP

LLM_KEY = "sk-navigator-test-SECRET-4f1c9"
REGISTRY_TOKEN = "mr-token-SECRET-77aa"
SECRETS = (LLM_KEY, REGISTRY_TOKEN)
PAGES = [
    "views/chat.py",
    "views/capacity_plan.py",
    "views/what_if.py",
    "views/sizing.py",
    "views/decision_report.py",
    "views/deploy.py",
    "views/qa_logs.py",
    "views/gpu_inventory.py",
    "views/settings.py",
]


def page_text(at: AppTest) -> str:
    """Every element the script produced, as protobuf text (labels, values, captions, errors)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def assert_clean(where: str, text: str | bytes) -> None:
    data = text if isinstance(text, bytes) else text.encode()
    for secret in SECRETS:
        assert secret.encode() not in data, f"a secret leaked into {where}"


@pytest.fixture
def secret_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NAVIGATOR_LLM_PROVIDER", "openai")
    monkeypatch.setenv("NAVIGATOR_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: every call fails
    monkeypatch.setenv("NAVIGATOR_LLM_API_KEY", LLM_KEY)
    monkeypatch.setenv("NAVIGATOR_LLM_TIMEOUT_S", "2")
    monkeypatch.setenv("NAVIGATOR_MODEL_REGISTRY_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("NAVIGATOR_MODEL_REGISTRY_TOKEN", REGISTRY_TOKEN)
    return tmp_path / "cache"


def test_no_page_session_url_log_or_cache_shows_a_secret(secret_env: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    seen = []
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        text = page_text(at)
        seen.append(len(text))
        assert_clean(f"page {page}", text)
    # the chat: the LLM call fails (no server) and the Model Registry does not answer
    at.switch_page("views/chat.py").run()
    at.chat_input(key="chat_input").set_value("Llama 8B, 50 rps, first token within 500 ms").run()
    text = page_text(at)
    assert "LLM not used" in text and "Model Registry not used" in text  # the failures were shown…
    assert_clean("the chat after LLM and registry failures", text)  # …without the credentials
    state = at.session_state.to_dict()
    assert_clean("session state", repr(state))
    assert_clean("pickled session state", pickle.dumps({k: v for k, v in state.items() if not callable(v)}))
    assert_clean("query params", repr(dict(at.query_params)))
    assert_clean("logs", "\n".join(r.getMessage() for r in caplog.records))
    files = [p for p in secret_env.rglob("*") if p.is_file()]
    assert any(p.parent.name == "workflows" for p in files)  # something was cached
    for p in files:
        assert_clean(f"cache file {p.name}", p.read_bytes())
    assert min(seen) > 1000  # every page drew something, so the search had text to look at


def test_cli_never_prints_a_secret(secret_env: Path) -> None:
    from tests.test_chat_cli import chat

    done = chat("--json", "--llm", stdin="Llama 8B, 50 rps, ttft 500 ms\n")
    assert done.returncode == 0 and "LLM not used" in done.stderr
    assert_clean("navigator chat output", done.stdout + done.stderr)


SHELL_CALLS = {("os", "system"), ("os", "popen"), ("subprocess", "getoutput"), ("subprocess", "getstatusoutput")}


def _python_files() -> list[Path]:
    return [p for d in ("core", "frontend", "navigator") for p in (REPO / d).rglob("*.py")]


def test_no_subprocess_goes_through_a_shell() -> None:
    runs = 0
    for path in _python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                assert (func.value.id, func.attr) not in SHELL_CALLS, f"{path}:{node.lineno} runs a shell"
                if func.value.id == "subprocess" and func.attr in ("run", "Popen", "call", "check_output"):
                    runs += 1
                    for kw in node.keywords:
                        assert not (kw.arg == "shell" and getattr(kw.value, "value", False)), f"{path}:{node.lineno}"
                    first = node.args[0] if node.args else None
                    assert not isinstance(first, ast.Constant | ast.JoinedStr), (
                        f"{path}:{node.lineno}: a string command"
                    )
    assert runs >= 3  # podman, skopeo, tool probes: the scan did find the real call sites
