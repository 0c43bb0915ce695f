"""Crafted inputs against the MCP server (which serves remote users) and the manifests it and the
CLI write: every argument goes through one bounded, typed parse; no call hangs past its deadline;
no model reference reaches the server's files or its network neighbours; no hand-edited plan or
flag yields manifests that are reported valid but are not; no system namespace is deployed into.

The MCP cases run the real server in-process (``build_server`` driven by the official ``mcp``
client, as an agent drives it); the manifests cases run the real CLI as a subprocess. Every
refusal is one line naming the argument or field, with no traceback.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from core.architecture import hosted_references, resolve_model
from core.errors import InputError
from core.manifests import DeploymentSpec, build_manifests, validate_objects
from core.planning import Constraints, ModelRequirements, PlanRequest, TrafficProfile, build_plan
from navigator.mcp import Call, build_server, invoke, tools
from navigator.mcp._registry import MAX_RUNNING, RUNNING, TIMEOUT_ENV
from tests.conftest import REPO
from tests.support.local_server import JsonHandler, LocalServer
from tests.test_cli import navigator

MODELCAR = (REPO / "config-yaml" / "sample_modelcar_config.base.yaml").read_text()
PLAN = {
    "model": {"model": "Llama-3.1-8B"},
    "traffic": {"rps": 20, "input_tokens": 800, "output_tokens": 200},
    "constraints": {"gpu_types": ["L40S"]},
}
CONFIG = {  # a small Llama-shaped config.json
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 2048,
    "num_hidden_layers": 16,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 8192,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
    "torch_dtype": "bfloat16",
}
PATH_REFUSED = "paths on the server are not accepted by the MCP server"


def mcp_calls(*calls: tuple[str, dict[str, Any]], allow_apply: bool = False) -> list[tuple[bool, str]]:
    """The real server in-process, driven by the SDK's client: (is_error, text) per call."""

    async def run() -> list[tuple[bool, str]]:
        out: list[tuple[bool, str]] = []
        async with Client(build_server(allow_apply=allow_apply)) as client:
            for name, args in calls:
                result = await client.call_tool(name, args)
                out.append((bool(result.is_error), result.content[0].text))  # type: ignore[union-attr]
        return out

    return anyio.run(run)


def refused(text: str, *expected: str) -> None:
    """One line, naming what is wrong, never a traceback or the library's words."""
    assert "\n" not in text and "Traceback" not in text, text
    assert "internal error" not in text and "validation error for" not in text, text
    assert "errors.pydantic.dev" not in text, text
    for said in expected:
        assert said in text, (said, text)


def one_error(name: str, args: dict[str, Any], *expected: str) -> str:
    ((is_error, text),) = mcp_calls((name, args))
    assert is_error, text
    refused(text, *expected)
    return text


def spec(name: str) -> Any:
    return next(t for t in tools(allow_apply=True) if t.name == name)


@contextmanager
def listening() -> Iterator[tuple[int, Callable[[], bool]]]:
    """A port on 127.0.0.1 and whether anything connected to it (refused means: never touched)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)

    def touched() -> bool:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return False
        conn.close()
        return True

    try:
        yield sock.getsockname()[1], touched
    finally:
        sock.close()


# ---- 1. unbounded inputs -------------------------------------------------------------------


def test_a_hundred_thousand_gpu_types_are_refused_at_once() -> None:
    start = time.monotonic()
    one_error(
        "plan",
        {**PLAN, "constraints": {"gpu_types": ["L40S"] * 100_000}},
        "constraints.gpu_types: at most 64 entries (100,000 given)",
    )
    assert time.monotonic() - start < 10


def test_twenty_thousand_price_overrides_are_refused_at_once() -> None:
    start = time.monotonic()
    prices = {f"gpu-{i}": 1.0 for i in range(20_000)}
    one_error(
        "plan", {**PLAN, "constraints": {"price_overrides": prices}}, "constraints.price_overrides: at most 64 entries"
    )
    assert time.monotonic() - start < 10


def test_a_300_character_model_name_is_said_as_a_limit() -> None:
    one_error("resolve_model", {"model": "x" * 300}, "model: at most 256 characters (300 given)")
    one_error("plan", {**PLAN, "model": {"model": "x" * 300}}, "model.model: at most 256 characters")
    one_error("estimate", {"model": "x" * 300, "gpu": "L40S"}, "model: at most 256 characters")


def test_model_lists_pull_secrets_and_model_configs_are_bounded() -> None:
    base = {"modelcar_yaml": MODELCAR, "namespace": "llm"}
    one_error("manifests", {**base, "models": [f"m{i}" for i in range(33)]}, "models: at most 32 entries (33 given)")
    one_error("manifests", {**base, "image_pull_secrets": ["s"] * 17}, "image_pull_secrets: at most 16 entries")
    configs = {f"entry-{i}": "Llama-3.1-8B" for i in range(33)}
    one_error("fit", {"modelcar_yaml": MODELCAR, "model_configs": configs}, "model_configs: at most 32 entries")


def test_a_string_or_a_boolean_is_not_a_number() -> None:
    one_error("plan", {**PLAN, "traffic": {**PLAN["traffic"], "rps": "20"}}, "traffic.rps: give a number")  # type: ignore[dict-item]
    one_error(
        "plan",
        {**PLAN, "traffic": {**PLAN["traffic"], "input_tokens": True}},
        "traffic.input_tokens: give a whole number",  # type: ignore[dict-item]
    )


def test_numbers_are_finite_and_in_range() -> None:
    # JSON has no NaN or Infinity; a client that writes them anyway reaches the same parse
    plan = spec("plan")
    for value in (float("inf"), float("nan")):
        result = invoke(plan, {**PLAN, "traffic": {**PLAN["traffic"], "rps": value}}, Call())  # type: ignore[dict-item]
        assert result.is_error
        refused(result.content[0].text, "traffic.rps: give a finite number")  # type: ignore[union-attr]
    one_error(
        "plan",
        {**PLAN, "constraints": {"max_gpus": 10**30}},
        "constraints.max_gpus: give a number between 1 and 100,000",
    )
    one_error(
        "estimate",
        {"model": "Llama-3.1-8B", "gpu": "L40S", "flags": {"max_model_len": 10**18}},
        "flags.max_model_len: give a number between 1 and 10,000,000",
    )


def test_deep_nesting_and_nul_characters_are_refused() -> None:
    deep: Any = "x"
    for _ in range(100):
        deep = [deep]
    one_error("plan", {**PLAN, "constraints": {"gpu_types": deep}}, "nested more than 32 levels deep")
    one_error("resolve_model", {"model": "Llama\x00-3.1-8B"}, "model: the text holds a NUL character")


def test_the_limits_and_the_deadline_are_in_what_the_client_sees() -> None:
    async def listed() -> dict[str, Any]:
        async with Client(build_server(allow_apply=True)) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    got = anyio.run(listed)
    constraints = got["plan"].input_schema["$defs"]["Constraints"]["properties"]
    assert constraints["gpu_types"]["maxItems"] == 64
    assert constraints["price_overrides"]["maxProperties"] == 64
    assert got["resolve_model"].input_schema["properties"]["model"]["maxLength"] == 256
    assert got["manifests"].input_schema["properties"]["models"]["anyOf"][0]["maxItems"] == 32
    assert all(TIMEOUT_ENV in t.description for t in got.values())
    assert "wait_s" in got["deploy"].description and "timeout_s" in got["qa_run"].description


def test_a_slow_call_is_answered_at_its_deadline_and_the_server_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import navigator.mcp._tools as mcp_tools

    monkeypatch.setenv(TIMEOUT_ENV, "0.3")
    real = mcp_tools.estimate_with_benchmark

    def slow_estimate(*args: Any, **kwargs: Any) -> Any:
        # Slow for certain: a benchmark of 50,000 prompts is fast once another test cached it.
        time.sleep(2)
        return real(*args, **kwargs)

    monkeypatch.setattr(mcp_tools, "estimate_with_benchmark", slow_estimate)
    slow = {
        "model": "Llama-3.1-8B",
        "gpu": "L40S",
        "workload": {"input_tokens": 800, "output_tokens": 200},
        "benchmark": {"num_prompts": 50_000},
    }
    start = time.monotonic()
    (timed_out, after) = mcp_calls(("estimate", slow), ("resolve_model", {"model": "/etc/passwd"}))
    assert time.monotonic() - start < 15
    assert timed_out[0]
    refused(timed_out[1], "estimate: no answer within 0.3 s", TIMEOUT_ENV)
    assert after[0] and PATH_REFUSED in after[1]  # still answering


def test_a_bad_deadline_setting_stops_the_server_in_one_line(tmp_path: Path) -> None:
    done = navigator("mcp", env={TIMEOUT_ENV: "soon", "HOME": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0 and f"{TIMEOUT_ENV}: give the seconds" in done.stderr


def test_calls_past_their_deadline_do_not_pile_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RUNNING, "count", MAX_RUNNING)
    one_error("resolve_model", {"model": "Llama-3.1-8B"}, "the server is busy")


def test_an_os_error_is_said_without_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import navigator.mcp._tools as mcp_tools

    def fails(*_: Any, **__: Any) -> Any:
        raise FileNotFoundError(2, "No such file or directory", "/srv/secret/path")

    monkeypatch.setattr(mcp_tools, "resolve_model", fails)
    text = one_error("resolve_model", {"model": "Llama-3.1-8B"}, "No such file or directory")
    assert "/srv/secret" not in text and "OSError" not in text


# ---- 2. server-side reach --------------------------------------------------------------------


def test_resolve_model_says_the_same_for_an_existing_and_a_missing_server_path(tmp_path: Path) -> None:
    config = tmp_path / "model" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps(CONFIG))
    (tmp_path / "notes.txt").write_text("not json")
    paths = [
        str(config),
        str(config.parent),
        str(tmp_path / "notes.txt"),
        str(tmp_path / "missing" / "config.json"),
        "/etc/passwd",
        "~/config.json",
        f"file://{config}",
        "./config-yaml",
        "../main/config-yaml/sample_inventory.yaml",
    ]
    replies = mcp_calls(*[("resolve_model", {"model": p}) for p in paths])
    for is_error, text in replies:
        assert is_error
        refused(text, f"model: {PATH_REFUSED}")
        assert "hidden_size" not in text and "JSON" not in text and "LlamaForCausalLM" not in text
    assert len({text for _, text in replies}) == 1  # nothing tells which exist


def test_plan_estimate_and_whatif_refuse_server_paths_alike(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    missing = str(tmp_path / "nope" / "config.json")
    saved = build_plan(PlanRequest.model_validate(PLAN)).model_dump(mode="json")
    edited = json.loads(json.dumps(saved))
    calls: list[tuple[str, dict[str, Any]]] = []
    for path in (str(config), missing):
        edited["request"]["model"]["model"] = path
        calls += [
            ("plan", {**PLAN, "model": {"model": path}}),
            ("estimate", {"model": path, "gpu": "L40S"}),
            ("whatif", {"plan": json.loads(json.dumps(edited)), "scenario": {"rps_multiplier": 2}}),
        ]
    replies = mcp_calls(*calls)
    for (is_error, text), field in zip(replies, ["model.model", "model", "plan.request.model.model"] * 2, strict=True):
        assert is_error
        refused(text, f"{field}: {PATH_REFUSED}")
    assert replies[:3] == replies[3:]


def test_fit_model_configs_take_content_never_a_server_path(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    entry = "granite-3.1-8b-instruct"
    existing, missing, inline = mcp_calls(
        ("fit", {"modelcar_yaml": MODELCAR, "model_configs": {entry: str(config)}}),
        ("fit", {"modelcar_yaml": MODELCAR, "model_configs": {entry: str(tmp_path / "none.json")}}),
        ("fit", {"modelcar_yaml": MODELCAR, "model_configs": {entry: json.dumps(CONFIG)}}),
    )
    assert existing[0] and existing == missing
    refused(existing[1], f"model_configs.{entry}: {PATH_REFUSED}")
    assert not inline[0], inline[1]
    decision = next(d for d in json.loads(inline[1])["decisions"] if d["name"] == entry)
    assert decision["model"] == entry and decision["verdict"] != "NO_GO"  # sized from the content given


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:{port}",
        "localhost:{port}",
        "[::1]:{port}",
        "2130706433:{port}",  # 127.0.0.1 as one number
        "0x7f.1:{port}",
        "[::ffff:127.0.0.1]:{port}",
        "169.254.169.254",
        "[fe80::1]:5000",
        "10.0.0.5:5000",
        "172.16.4.2",
        "192.168.1.10:5000",
        "registry.models.svc:5000",
        "image-registry.openshift-image-registry.svc.cluster.local:5000",
        "minio:9000",
    ],
)
def test_images_on_internal_hosts_are_refused_before_any_connection(host: str) -> None:
    with listening() as (port, touched):
        ref = f"oci://{host.format(port=port)}/x/y:1"
        text = one_error("resolve_model", {"model": ref}, "model: the image host", "public registries")
        assert not touched(), "the server connected to its own loopback"
    assert "not reachable" not in text


def test_other_schemes_and_uploads_are_refused() -> None:
    for ref in ("http://169.254.169.254/latest/meta-data", "s3://bucket/model", "upload://0123456789abcdef0123"):
        one_error("resolve_model", {"model": ref}, "model:", "catalog name")


def test_a_registered_model_pointing_at_an_internal_image_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with listening() as (port, touched):

        class Registry(JsonHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0].removeprefix("/api/model_registry/v1alpha3")
                pages = {
                    "/registered_models": [{"id": "7", "name": "inside"}],
                    "/registered_models/7/versions": [{"id": "70", "name": "v1", "createTimeSinceEpoch": "1"}],
                    "/model_versions/70/artifacts": [
                        {"artifactType": "model-artifact", "uri": f"oci://127.0.0.1:{port}/x/y:1"}
                    ],
                }
                if path in pages:
                    self._send(200, {"items": pages[path], "size": len(pages[path])})
                else:
                    self._send(404, {"message": "not found"})

        server = LocalServer(Registry, None)
        monkeypatch.setenv("NAVIGATOR_MODEL_REGISTRY_URL", server.url)  # the server's own setting
        try:
            one_error("resolve_model", {"model": "registry://inside/v1"}, "registry://inside/v1: the image host")
        finally:
            server.stop()
        assert not touched()


def test_a_modelcar_image_on_an_internal_host_is_not_read_by_fit() -> None:
    with listening() as (port, touched):
        yaml = MODELCAR.replace("oci://registry.redhat.io", f"oci://127.0.0.1:{port}", 1)
        ((is_error, text),) = mcp_calls(("fit", {"modelcar_yaml": yaml}))
        assert not touched()
    assert not is_error, text
    first = json.loads(text)["decisions"][0]
    assert first["verdict"] == "NO_GO" and "public registries" in " ".join(first["reasons"])


def test_the_cli_still_reads_local_paths(tmp_path: Path) -> None:
    """The restriction is the MCP server's mode, not a global change: the user's own machine."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    assert resolve_model(str(config)).num_layers == 16
    with hosted_references(), pytest.raises(InputError, match=PATH_REFUSED):
        resolve_model(str(config))
    done = navigator("models", str(config), "--json", env={"HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["num_layers"] == 16


# ---- 3. "valid" manifests that are not ----------------------------------------------------------


@pytest.fixture(scope="module")
def plan_json() -> dict[str, Any]:
    return build_plan(
        PlanRequest(
            model=ModelRequirements(model="Llama-3.1-8B"),
            traffic=TrafficProfile(rps=5, input_tokens=100, output_tokens=100, peak_rps=20),
            constraints=Constraints(gpu_types=["L40S"]),
        )
    ).model_dump(mode="json")


def edited_plan(tmp_path: Path, plan: dict[str, Any], **chosen: Any) -> Path:
    data = json.loads(json.dumps(plan))
    data["chosen"].update(chosen)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    return path


def cli_refuses(*argv: str, expected: str) -> None:
    done = navigator("manifests", *argv)
    assert done.returncode == 2, (done.stdout[-500:], done.stderr)
    assert not done.stdout, done.stdout[:500]  # no objects written
    assert done.stderr.startswith("navigator: error:") and done.stderr.strip().count("\n") == 0, done.stderr
    refused(done.stderr.strip(), expected)


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ({"replicas_target": 10**30}, "chosen.replicas_target: give a whole number of replicas from 1 to 1,000"),
        ({"replicas_max": 5_000}, "chosen.replicas_max: give a whole number of replicas from 1 to 1,000"),
        ({"replicas_min": 5, "replicas_max": 2}, "chosen.replicas_min: 5 is above chosen.replicas_max 2"),
        ({"gpu": "L40S\nkind: Secret"}, "chosen.gpu 'L40S\\nkind: Secret': a name without control characters"),
        ({"vllm_args": ["--max-model-len=4096\n--evil"]}, "chosen.vllm_args:"),
        ({"memory_request_gib": 10**9}, "chosen.memory_request_gib: give GiB above 0 and at most 65,536"),
        ({"gpus_per_replica": 1_000}, "chosen.gpus_per_replica: give a whole number of GPUs from 1 to 64"),
    ],
)
def test_a_hand_edited_plan_out_of_bounds_gives_no_manifests(
    tmp_path: Path, plan_json: dict[str, Any], chosen: dict[str, Any], expected: str
) -> None:
    cli_refuses("--plan", str(edited_plan(tmp_path, plan_json, **chosen)), "-n", "llm", expected=expected)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (("--image-pull-secret", "../../x"), "image_pull_secrets: Secret name '../../x': use lower-case letters"),
        (("--image-pull-secret", "Has Space"), "image_pull_secrets: Secret name 'Has Space'"),
        (("--runtime-image", "quay.io/vllm/vllm-openai:v0.8.5\nx"), "runtime_image: an image reference holds no"),
        (("--runtime-image", "not an image"), "runtime_image: an image reference holds no whitespace"),
        (("--runtime-image", "quay.io/Org/vllm:1"), "runtime_image: give one image reference"),
        (("--storage-uri", "pvc://../../etc"), "storage_uri: a path with '..' segments"),
        (("--storage-uri", "pvc://models/../../etc/shadow"), "storage_uri: a path with '..' segments"),
        (("--storage-uri", "pvc://models/%2e%2e/etc"), "storage_uri: a path with '..' segments"),
        (("--storage-uri", "pvc://Models_PVC/granite"), "storage_uri: pvc://<claim>/<path>: the claim is a DNS-1123"),
        (("--storage-uri", "oci://quay.io/a/b:1 --x"), "storage_uri: one URI"),
        (("--hardware-profile", "../gpu"), "hardware_profile: use lower-case letters"),
    ],
)
def test_flags_that_are_not_kubernetes_names_give_no_manifests(
    tmp_path: Path, plan_json: dict[str, Any], flags: tuple[str, str], expected: str
) -> None:
    cli_refuses("--plan", str(edited_plan(tmp_path, plan_json)), "-n", "llm", *flags, expected=expected)


@pytest.mark.parametrize(
    "namespace",
    [
        "kube-system",
        "kube-public",
        "openshift",
        "openshift-monitoring",
        "default",
        "redhat-ods-applications",
        "opendatahub",
    ],
)
def test_system_namespaces_are_refused_and_get_no_namespace_object(
    tmp_path: Path, plan_json: dict[str, Any], namespace: str
) -> None:
    cli_refuses(
        "--plan",
        str(edited_plan(tmp_path, plan_json)),
        "-n",
        namespace,
        expected=f"namespace {namespace}: a system namespace",
    )


def test_system_namespaces_are_refused_on_every_path(tmp_path: Path, plan_json: dict[str, Any]) -> None:
    plan = str(edited_plan(tmp_path, plan_json))
    config = str(REPO / "config-yaml" / "sample_modelcar_config.base.yaml")
    said = "namespace kube-system: a system namespace"
    cli_refuses("--plan", plan, "-n", "kube-system", "--serving-path", "llm-d", expected=said)  # the llm-d path
    cli_refuses("--config", config, "-n", "kube-system", expected=said)  # a decision report
    one_error("manifests", {"plan": plan_json, "namespace": "kube-system"}, said)  # MCP
    qa = {"modelcar_yaml": MODELCAR, "namespace": "kube-system", "confirm": True}
    ((is_error, text),) = mcp_calls(("qa_run", qa), allow_apply=True)  # the QA Job's project
    assert is_error
    refused(text, said)
    gone = {"name": "llama", "namespace": "kube-system", "confirm": True}
    ((is_error, text),) = mcp_calls(("delete", gone), allow_apply=True)  # nothing of ours is ever there
    assert is_error
    refused(text, said)


@pytest.mark.parametrize(
    ("image", "said"),
    [
        ("quay.io/vllm/vllm-openai:latest", "names no fixed build"),
        ("quay.io/vllm/vllm-openai", "names no fixed build"),
        ("quay.io/vllm/vllm-openai:v0.15.1\nx", "holds no whitespace"),
    ],
)
def test_qa_run_takes_only_a_pinned_runtime_image(image: str, said: str) -> None:
    qa = {"modelcar_yaml": MODELCAR, "runtime_image": image, "confirm": True}
    ((is_error, text),) = mcp_calls(("qa_run", qa), allow_apply=True)
    assert is_error
    refused(text, "runtime_image", said)


def test_the_manifests_tool_refuses_what_the_cli_refuses(plan_json: dict[str, Any]) -> None:
    target = {"plan": plan_json, "namespace": "llm"}
    for extra, said in (
        ({"image_pull_secrets": ["../../x"]}, "image_pull_secrets: Secret name '../../x'"),
        ({"runtime_image": "quay.io/vllm/vllm-openai:v0.8.5\nx"}, "runtime_image: an image reference holds no"),
        ({"storage_uri": "pvc://../../etc"}, "storage_uri: a path with '..' segments"),
        ({"namespace": "openshift-ingress"}, "namespace openshift-ingress: a system namespace"),
    ):
        one_error("manifests", {**target, **extra}, said)
    one_error("whatif", {"plan_id": "../../etc/passwd", "scenario": {}}, "plan_id: give a plan id")


def test_a_plan_given_to_mcp_is_parsed_strictly(plan_json: dict[str, Any]) -> None:
    for value, said in (("3", "give a whole number"), (True, "give a whole number")):
        plan = json.loads(json.dumps(plan_json))
        plan["chosen"]["replicas_target"] = value
        one_error("manifests", {"plan": plan, "namespace": "llm"}, f"plan.chosen.replicas_target: {said}")
    plan = json.loads(json.dumps(plan_json))
    plan["chosen"]["replicas_target"] = 10**9
    said = "chosen.replicas_target: give a whole number of replicas from 1 to 1,000"
    one_error("manifests", {"plan": plan, "namespace": "llm"}, said)
    plan["chosen"]["replicas_target"] = 10**30
    one_error("manifests", {"plan": plan, "namespace": "llm"}, "plan.chosen.replicas_target: give a number between")


BASE = {
    "name": "granite",
    "namespace": "llm",
    "storage_uri": "oci://quay.io/acme/granite:1",
    "runtime_image": "quay.io/vllm/vllm-cuda:0.21.0",
}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"min_replicas": True}, "min_replicas"),
        ({"min_replicas": "3"}, "min_replicas"),
        ({"max_replicas": 10**30}, "max_replicas"),
        ({"min_replicas": 4, "max_replicas": 2}, "min_replicas 4 is above max_replicas 2"),
        ({"gpus": 1.0}, "gpus"),
        ({"display_name": "a\nb"}, "display_name"),
        ({"hf_token_secret": "../x"}, "hf_token_secret"),
        ({"gpu_resource": "nvidia.com/gpu\n"}, "gpu_resource"),
        ({"memory_request": "16Gi; rm"}, "memory_request"),
    ],
)
def test_the_deployment_spec_is_bounded_and_strict(fields: dict[str, Any], field: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as err:
        DeploymentSpec.model_validate({**BASE, **fields})
    assert field in str(err.value)


def test_objects_edited_out_of_bounds_are_not_valid() -> None:
    objects = build_manifests(DeploymentSpec.model_validate(BASE))
    assert all(c.ok for c in validate_objects(objects))
    isvc = next(o for o in objects if o["kind"] == "InferenceService")
    isvc["spec"]["predictor"]["minReplicas"] = 10**30
    isvc["metadata"]["namespace"] = "openshift-monitoring"
    (check,) = [c for c in validate_objects(objects) if c.kind == "InferenceService"]
    assert not check.ok
    assert any("spec.predictor.minReplicas: give a whole number of replicas" in e for e in check.errors)
    assert any("namespace openshift-monitoring: a system namespace" in e for e in check.errors)
