"""``navigator mcp`` as an agent meets it: started as a subprocess and driven by the official
``mcp`` SDK's own client, over stdio and over streamable HTTP. Every read-only tool answers what
the CLI's ``--json`` prints for the same inputs; bad arguments are one line naming the argument;
the tools that change a cluster are absent by default, and refuse without ``confirm`` when
enabled (then really apply to the API server the test runs on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from core.planning import PlanRequest
from navigator.mcp._tools import PLAN_REQUEST
from tests.browser import free_port
from tests.conftest import REPO, SAMPLE_INVENTORY
from tests.support.fake_kube import FakeKubeServer
from tests.test_cli import navigator
from tests.test_deploy import ISVCS, NS, stored
from tests.test_plan_cli import BASE as PLAN_ARGS

MODELCAR = REPO / "config-yaml" / "sample_modelcar_config.base.yaml"
READ_ONLY = {"resolve_model", "estimate", "plan", "whatif", "fit", "inventory", "manifests"}
CHANGING = {"deploy", "delete", "qa_run"}
PLAN = {
    "model": {"model": "Llama-3.1-8B"},
    "traffic": {"rps": 20, "input_tokens": 800, "output_tokens": 200},
    "constraints": {"gpu_types": ["L40S", "H100"]},
}


def _env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAVIGATOR_")}
    env.update(
        {
            "HOME": str(home),
            "NAVIGATOR_CACHE_DIR": str(home / "cache"),
            "KUBECONFIG": str(home / "no-kubeconfig"),
            "PYTHONPATH": str(REPO),
            "HF_ENDPOINT": "http://127.0.0.1:9",
        }
    )
    return env | (extra or {})


def stdio(home: Path, *flags: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    """``navigator mcp`` launched as a client launches it."""
    return StdioServerParameters(
        command=sys.executable, args=["-m", "navigator", "mcp", *flags], env=_env(home, env), cwd=str(REPO)
    )


@contextmanager
def http_server(home: Path, *flags: str) -> Iterator[str]:
    """``navigator mcp --transport http`` on a free port; yields its URL."""
    port = free_port()
    log = (home / "mcp-http.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "navigator", "mcp", "--transport", "http", "--port", str(port), *flags],
        env=_env(home),
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # answering (404 at /): up
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((home / "mcp-http.log").read_text()) from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def session(server: StdioServerParameters | str, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Connect, list the tools, make the calls in order; ``{"tools": …, name#i: (is_error, payload)}``."""

    async def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with Client(server) as client:
            listed = await client.list_tools()
            out["tools"] = {t.name: t for t in listed.tools}
            for i, (name, args) in enumerate(calls):
                result = await client.call_tool(name, args)
                text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
                out[f"{name}#{i}"] = (bool(result.is_error), text if result.is_error else json.loads(text))
        return out

    return anyio.run(run)


def cli_json(*args: str, home: Path) -> Any:
    done = navigator(*args, "--json", env=_env(home))
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def _without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def test_stdio_read_only_tools_answer_what_the_cli_prints(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(cli_json("plan", *PLAN_ARGS, home=tmp_path)))
    saved_plan = json.loads(plan_file.read_text())
    estimate = {"model": "Llama-3.1-8B", "gpu": "L40S", "workload": {"input_tokens": 800, "output_tokens": 200}}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("resolve_model", {"model": "Llama-3.1-8B"}),
        ("estimate", estimate),
        ("estimate", {**estimate, "benchmark": {"num_prompts": 50}}),
        ("plan", PLAN),
        ("whatif", {"plan": saved_plan, "scenario": {"rps_multiplier": 2}}),
        ("fit", {"modelcar_yaml": MODELCAR.read_text()}),
        ("inventory", {"inventory_yaml": SAMPLE_INVENTORY.read_text()}),
        ("manifests", {"plan": saved_plan, "namespace": "llm"}),
    ]
    got = session(stdio(tmp_path), calls)
    assert set(got["tools"]) == READ_ONLY  # nothing that changes a cluster without --allow-apply
    assert all(t.annotations.read_only_hint for t in got["tools"].values())
    # the CLI's own model, with the MCP server's limits written in (maxItems, maxLength …)
    plan_schema = got["tools"]["plan"].input_schema
    assert plan_schema == PLAN_REQUEST.schema(PlanRequest.model_json_schema())
    assert plan_schema["properties"].keys() == PlanRequest.model_json_schema()["properties"].keys()
    assert not [k for k, (err, _) in _results(got) if err], [v for _, v in _results(got) if v[0]]

    base = ("--model", "Llama-3.1-8B", "--gpu", "L40S", "--input-tokens", "800", "--output-tokens", "200")
    assert got["resolve_model#0"][1] == cli_json("models", "Llama-3.1-8B", home=tmp_path)
    assert got["estimate#1"][1] == cli_json("estimate", *base, home=tmp_path)
    assert got["estimate#2"][1] == cli_json("estimate", *base, "--benchmark", "--num-prompts", "50", home=tmp_path)
    mcp_plan = got["plan#3"][1]
    assert _without(mcp_plan, "created_at") == _without(saved_plan, "created_at")
    cli_whatif = cli_json("whatif", "--plan", str(plan_file), "--rps-multiplier", "2", home=tmp_path)
    assert _without(got["whatif#4"][1], "modified") == _without(cli_whatif, "modified")
    assert _without(got["whatif#4"][1]["modified"], "created_at") == _without(cli_whatif["modified"], "created_at")
    cli_fit = cli_json("fit", "--config", str(MODELCAR), "--no-image-inspect", home=tmp_path)
    # the same report, but for where the YAML came from (text here, a path for the CLI)
    ignored = ("overlay", "generated_at", "config_source")
    assert _without(got["fit#5"][1], *ignored) == _without(cli_fit, *ignored)
    assert got["fit#5"][1]["config_source"] == "modelcar_yaml"
    assert "--max-model-len" in got["fit#5"][1]["overlay"] or "GO_WITH_CHANGES" not in json.dumps(cli_fit["matrix"])
    cli_inventory = cli_json("inventory", "--inventory", str(SAMPLE_INVENTORY), home=tmp_path)
    assert _without(got["inventory#6"][1], "source") == _without(cli_inventory, "source")
    cli_manifests = cli_json("manifests", "--plan", str(plan_file), "--namespace", "llm", home=tmp_path)
    assert got["manifests#7"][1] == cli_manifests


def _results(got: dict[str, Any]) -> list[tuple[str, tuple[bool, Any]]]:
    return [(k, v) for k, v in got.items() if "#" in k]


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("resolve_model", {"model": "Llama-9"}, "Unknown model 'Llama-9'. Closest known:"),
    ("resolve_model", {}, "model: is required"),
    ("estimate", {"model": "Llama-3.1-8B", "gpu": "H200-XL"}, "H200-XL"),
    ("estimate", {"model": "Llama-3.1-8B", "gpu": "L40S", "flags": {"tensor_parallel_size": 0}}, "flags.tensor"),
    ("estimate", {"model": "Llama-3.1-8B", "gpu": "L40S", "benchmark": {}}, "benchmark needs workload"),
    ("plan", {**PLAN, "traffic": {"rps": -1, "input_tokens": 800, "output_tokens": 200}}, "traffic.rps:"),
    ("plan", {**PLAN, "gpu_count": 2}, "gpu_count: not an argument of this tool"),
    ("whatif", {"plan_id": "plan-nope", "scenario": {}}, "plan_id 'plan-nope': no saved plan"),
    ("whatif", {"scenario": {}}, "give either plan or plan_id"),
    ("fit", {"modelcar_yaml": "models: [unclosed"}, "modelcar_yaml"),
    ("fit", {"modelcar_yaml": MODELCAR.read_text(), "model_configs": {"nope": "x"}}, "no entry 'nope'"),
    ("inventory", {"inventory_yaml": "nodes: 7"}, "inventory_yaml"),
    ("inventory", {"cluster": True}, "kubeconfig"),
    ("manifests", {"plan_id": "plan-nope", "namespace": "llm"}, "no saved plan"),
    ("manifests", {"namespace": "llm"}, "give exactly one of plan, plan_id or modelcar_yaml"),
    ("manifests", {"plan_id": "x", "namespace": "Not_A_Name"}, "namespace: String should match pattern"),
    ("deploy", {}, "no tool named 'deploy' (it changes the cluster: start the server with --allow-apply)"),
]


def test_bad_arguments_are_one_line_naming_the_argument(tmp_path: Path) -> None:
    got = session(stdio(tmp_path), [(name, args) for name, args, _ in BAD])
    for i, (name, _, expected) in enumerate(BAD):
        is_error, text = got[f"{name}#{i}"]
        assert is_error, (name, text)
        assert expected in text, (name, text)
        assert "\n" not in text and "Traceback" not in text and "validation error for" not in text, text
        assert "https://errors.pydantic.dev" not in text, text


def test_http_transport_lists_and_calls(tmp_path: Path) -> None:
    with http_server(tmp_path) as url:
        got = session(
            url,
            [
                ("plan", PLAN),
                ("resolve_model", {"model": ""}),
            ],
        )
        plan = got["plan#0"][1]
        again = session(url, [("whatif", {"plan_id": plan["id"], "scenario": {"rps_multiplier": 0.5}})])

        async def resources() -> tuple[list[str], Any]:
            async with Client(url) as client:
                listed = await client.list_resources()
                gpus = await client.read_resource("navigator://catalog/gpus")
                return [str(r.uri) for r in listed.resources], json.loads(gpus.contents[0].text)  # type: ignore[union-attr]

        uris, gpus = anyio.run(resources)
    assert set(got["tools"]) == READ_ONLY
    assert plan["feasible"] and plan["chosen"]["gpu"] in ("L40S", "H100-SXM")
    assert got["resolve_model#1"] == (True, "model: must not be empty")
    whatif = again["whatif#0"][1]
    assert whatif["original_plan_id"] == plan["id"] and whatif["scenario"]["rps_multiplier"] == 0.5
    assert "navigator://catalog/quantization" in uris
    assert any(g["name"] == "H100-SXM" and g["price"]["usd_per_gpu_hour"] for g in gpus)


def test_changing_tools_need_allow_apply_and_confirm(
    tmp_path: Path, kubeconfig: Path, fake_kube: FakeKubeServer
) -> None:
    env = {"NAVIGATOR_KUBECONFIG": str(kubeconfig), "NAVIGATOR_HF_TOKEN": "hf_token_for_the_gated_repo_123"}
    target = {"plan_id": "", "namespace": NS}
    server = stdio(tmp_path, "--allow-apply", env=env)

    async def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with Client(server) as client:
            listed = await client.list_tools()
            out["tools"] = {t.name: t for t in listed.tools}
            plan = await client.call_tool("plan", PLAN)
            target["plan_id"] = json.loads(plan.content[0].text)["id"]  # type: ignore[union-attr]
            for key, name, args in (
                ("unconfirmed", "deploy", target),
                ("dry_run", "deploy", {**target, "dry_run": True}),
                ("applied", "deploy", {**target, "confirm": True}),
                ("delete_unconfirmed", "delete", {"name": "llama-3-1-8b", "namespace": NS}),
                ("qa_unconfirmed", "qa_run", {"modelcar_yaml": MODELCAR.read_text()}),
            ):
                result = await client.call_tool(name, args)
                out[key] = (result.is_error, result.content[0].text)  # type: ignore[union-attr]
                out[f"{key}_objects"] = set(stored(fake_kube, ISVCS))
            deleted = await client.call_tool("delete", {"name": "llama-3-1-8b", "namespace": NS, "confirm": True})
            out["deleted"] = (deleted.is_error, deleted.content[0].text)  # type: ignore[union-attr]
        return out

    got = anyio.run(run)
    assert set(got["tools"]) >= CHANGING and set(got["tools"]) >= READ_ONLY
    for name in CHANGING:
        tool = got["tools"][name]
        assert tool.annotations.destructive_hint and not tool.annotations.read_only_hint
        assert "confirm must be true" in tool.description
        assert "confirm" in tool.input_schema["properties"]
    assert got["unconfirmed"][0] and "nothing was done" in got["unconfirmed"][1]
    assert not got["unconfirmed_objects"]
    dry_error, dry = got["dry_run"]
    dry_run = json.loads(dry)
    assert not dry_error and dry_run["ok"] and dry_run["dry_run"] and not dry_run["applied"]
    assert not got["dry_run_objects"]
    applied_error, applied = got["applied"]
    assert not applied_error, applied
    assert "hf_token_for_the_gated_repo_123" not in applied
    assert json.loads(applied)["ok"] and got["applied_objects"] == {"llama-3-1-8b"}
    assert got["delete_unconfirmed"][0] and got["delete_unconfirmed_objects"] == {"llama-3-1-8b"}
    assert got["qa_unconfirmed"][0] and "qa_run changes the cluster" in got["qa_unconfirmed"][1]
    deleted_error, deleted = got["deleted"]
    assert not deleted_error and json.loads(deleted)["ok"], deleted
    assert "llama-3-1-8b" not in stored(fake_kube, ISVCS)


def test_mcp_flags_are_checked(tmp_path: Path) -> None:
    done = navigator("mcp", "--transport", "http", "--path", "mcp", env=_env(tmp_path))
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0 and "--path" in done.stderr
    done = navigator("mcp", "--port", "99999", env=_env(tmp_path))
    assert done.returncode == 2 and "not a port number" in done.stderr


def test_hosted_behind_the_proxy_keeps_users_apart(tmp_path: Path) -> None:
    """As deploy/openshift runs it: any Host (the Route's) is served with --behind-proxy, and the
    proxy's X-Forwarded-User keeps one user's saved plans from another."""
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    def as_user(url: str, user: str, calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
        headers = {"X-Forwarded-User": user, "Host": "navigator.apps.example.com"}
        return session(streamable_http_client(url, http_client=create_mcp_http_client(headers=headers)), calls)

    with http_server(tmp_path, "--behind-proxy") as url:
        with urllib.request.urlopen(url.replace("/mcp", "/healthz"), timeout=5) as health:
            assert health.read() == b"ok"
        alice = as_user(url, "alice@example.com", [("plan", PLAN)])
        plan_id = alice["plan#0"][1]["id"]
        again = as_user(url, "alice@example.com", [("whatif", {"plan_id": plan_id, "scenario": {"rps": 30}})])
        bob = as_user(url, "bob@example.com", [("whatif", {"plan_id": plan_id, "scenario": {"rps": 30}})])
    assert not again["whatif#0"][0] and again["whatif#0"][1]["original_plan_id"] == plan_id
    assert bob["whatif#0"] == (True, f"plan_id {plan_id!r}: no saved plan by that id; call the plan tool first")
    (saved_for,) = [p.name for p in (tmp_path / "cache" / "users").iterdir()]  # bob saved nothing
    assert saved_for.startswith("alice_example.com-")


def _post_initialize(url: str, host: str) -> int:
    """The HTTP status of an MCP initialize request sent with this Host header."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Host": host, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_only_behind_the_proxy_is_a_foreign_host_served(tmp_path: Path) -> None:
    """DNS rebinding: on a laptop only a loopback Host is served; --behind-proxy serves the Route's."""
    with http_server(tmp_path) as url:
        assert _post_initialize(url, "evil.example.com") == 421
        assert _post_initialize(url, url.split("/")[2]) == 200
    with http_server(tmp_path, "--behind-proxy") as url:
        assert _post_initialize(url, "navigator.apps.example.com") == 200
