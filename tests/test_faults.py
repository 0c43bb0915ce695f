"""Faults, each with a clear message and nothing already saved lost: the cluster API going
down mid-page and mid-deploy, an LLM that never answers, a full or read-only cache folder.
(A QA container killed mid-run: test_qa.)"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr
from streamlit.testing.v1 import AppTest

from core.assistant import Stage, Workflow
from core.cluster import connect
from core.errors import StoreError
from core.store import FileStore
from tests.conftest import REPO
from tests.support.fake_kube import FakeKubeServer
from tests.test_app import APP, app, nodes_table

SENTENCE = "Llama 8B chatbot, 50 rps, first token within 500 ms"

HF_TOKEN = SecretStr("hf_test_token_for_the_gated_repo")  # Llama 8B is the gated meta-llama repo


def test_cluster_api_down_mid_page_keeps_the_inventory_on_screen(
    monkeypatch: pytest.MonkeyPatch, kubeconfig: Path, fake_kube: FakeKubeServer
) -> None:
    monkeypatch.setenv("NAVIGATOR_KUBECONFIG", str(kubeconfig))
    at = app()
    at.radio(key="inventory_source_choice").set_value("cluster").run()
    at.button[0].click().run()
    assert "master-0" in set(nodes_table(at)["node"])
    fake_kube.stop()  # the API server goes away while the page is open
    at.button[0].click().run()
    assert not at.exception
    assert any("does not answer" in e.value for e in at.error)
    assert "master-0" in set(nodes_table(at)["node"])  # the live inventory read before is still shown


def test_cluster_api_down_before_apply_changes_nothing_and_keeps_the_plan(
    kubeconfig: Path, fake_kube: FakeKubeServer
) -> None:
    wf = Workflow(connect=lambda: connect(kubeconfig), hf_token=HF_TOKEN)
    s = wf.start().state
    for text in (SENTENCE, "use H100", "yes", "namespace llm", "apply"):
        s = wf.turn(s, text).state
    assert s.pending is not None
    fake_kube.stop()
    r = wf.turn(s, "confirm")
    # Reading the cluster's nodes for the placement is the first call that finds it down.
    assert r.text.startswith(("Not applied", "Apply failed")) and "does not answer" in r.text
    assert r.state.plan == s.plan and r.state.deployment is not None and not r.state.deployment.applied
    assert r.state.stage == Stage.DEPLOY


@pytest.fixture
def silent_llm() -> Iterator[str]:
    """An endpoint that accepts connections and never answers (a hung LLM)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    stop.set()
    for c in held:
        c.close()
    server.close()


def test_an_llm_timeout_falls_back_on_the_page(
    silent_llm: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from core.assistant import _assistant

    monkeypatch.setattr(_assistant, "_BREAKERS", {})
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("NAVIGATOR_LLM_PROVIDER", "openai")
    monkeypatch.setenv("NAVIGATOR_LLM_BASE_URL", silent_llm)
    monkeypatch.setenv("NAVIGATOR_LLM_TIMEOUT_S", "0.5")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/chat.py").run()
    at.chat_input(key="chat_input").set_value(SENTENCE).run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "LLM not used: the LLM timed out" in text and "p95 TTFT" in text  # the offline answer, with the plan
    assert at.session_state["nav_workflow"].usage.fallbacks == 1


class Plan(BaseModel):
    name: str


def test_a_full_cache_disk_is_a_clear_error_and_keeps_what_was_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(tmp_path)
    store.save("plans", "kept", Plan(name="before the disk filled"))
    real_mkstemp = tempfile.mkstemp

    def on_a_full_disk(*args: object, **kwargs: object) -> tuple[int, str]:
        fd, path = real_mkstemp(*args, **kwargs)  # type: ignore[call-overload]
        os.close(fd)
        return os.open("/dev/full", os.O_WRONLY), path  # the kernel answers ENOSPC on write

    monkeypatch.setattr("core.store._files.tempfile.mkstemp", on_a_full_disk)
    with pytest.raises(StoreError, match=r"No space left on device.*nothing saved earlier was changed"):
        store.save("plans", "kept", Plan(name="after"))
    monkeypatch.undo()
    assert store.load("plans", "kept", Plan) == Plan(name="before the disk filled")
    assert sorted(p.name for p in (tmp_path / "plans").iterdir() if not p.name.startswith(".lock")) == ["kept.json"]


def test_a_read_only_cache_folder_is_reported_and_the_chat_goes_on(tmp_path: Path) -> None:
    """Run `navigator chat` as an unprivileged user (root ignores file modes)."""
    cache = tmp_path / "cache"
    FileStore(cache).save("plans", "kept", Plan(name="saved earlier"))
    for p in [cache, *cache.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o777)
    tmp_path.chmod(0o755)
    cmd = [sys.executable, "-m", "navigator", "chat", "--json"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("setpriv is needed to drop root for this test")
        cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    env = {**os.environ, "HOME": str(home), "NAVIGATOR_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    done = subprocess.run(cmd, input=SENTENCE + "\n", capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Not saved to the file cache" in done.stderr and "NAVIGATOR_CACHE_DIR" in done.stderr
    assert json.loads(done.stdout)["stage"] == "REPLICAS"  # the conversation went on
    assert FileStore(cache).load("plans", "kept", Plan) == Plan(name="saved earlier")
