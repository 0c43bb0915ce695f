"""Bad input on the command line, as a careless user types it: every case exits 2 with one line
on stderr that names the flag, and never a traceback. (docs/bad-inputs.md lists the classes.)"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from core.planning import Constraints
from navigator.cli import main

PLAN = ["plan", "--model", "Llama-3.1-8B", "--rps", "5", "--input-tokens", "100", "--output-tokens", "100"]
ESTIMATE = ["estimate", "--model", "Llama-3.1-8B", "--gpu", "L40S"]
TOKENS = ["--input-tokens", "100", "--output-tokens", "100"]

CASES: list[tuple[list[str], str]] = [
    # argparse's own mistakes, in one line
    (["plan", "--rps", "x"], "argument --rps: invalid float value: 'x'"),
    (["bogus"], "invalid choice: 'bogus'"),
    ([], "the following arguments are required: COMMAND"),
    ([*PLAN, "--pattern", "bursty"], "argument --pattern: invalid choice: 'bursty'"),
    (["estimate", "--model", "Llama-3.1-8B"], "--gpu: give a catalog GPU (navigator gpus lists them), or describe"),
    (["mcp", "--port", "99999"], "99999 is not a port number"),
    # a zero is said, never taken for 1
    ([*ESTIMATE, "--tensor-parallel-size", "0"], "--tensor-parallel-size 0: give a whole number of at least 1"),
    ([*ESTIMATE, "--pipeline-parallel-size", "0"], "--pipeline-parallel-size 0: give a whole number of at least 1"),
    ([*ESTIMATE, "--gpu-count", "0"], "--gpu-count 0: give a whole number of at least 1"),
    ([*ESTIMATE, *TOKENS, "--concurrency", "0"], "--concurrency 0: give a whole number of at least 1"),
    ([*ESTIMATE, *TOKENS, "--concurrency", "-3"], "--concurrency -3: give a whole number of at least 1"),
    # prices that are not prices
    ([*PLAN, "--price", "H100=nan"], "--price 'H100=nan': use GPU=USD_PER_GPU_HOUR with a price above 0"),
    ([*PLAN, "--price", "H100=-2"], "--price 'H100=-2': use GPU=USD_PER_GPU_HOUR with a price above 0"),
    ([*PLAN, "--price", "H100=inf"], "--price 'H100=inf': use GPU=USD_PER_GPU_HOUR with a price above 0"),
    ([*PLAN, "--price", "=3"], "--price '=3': use GPU=USD_PER_GPU_HOUR with a price above 0"),
    # no model is not a default model
    ([*PLAN, "--model", ""], "--model: give the model to plan for"),
    ([*PLAN, "--max-model-len", "50"], "--max-model-len: give a number of at least 128"),
    ([*PLAN, "--model", "   "], "--model: give the model to plan for"),
]


@pytest.mark.parametrize(("argv", "said"), CASES, ids=[" ".join(a)[-60:] or "(nothing)" for a, _ in CASES])
def test_one_line_and_exit_2(argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits by itself
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and said in err, err
    assert "Traceback" not in err + out and not out


@pytest.mark.parametrize("price", [math.nan, math.inf, -1.0, 0.0])
def test_a_plan_request_refuses_a_price_that_is_not_one(price: float) -> None:
    """The same rule for every face (the app, the MCP tools): NaN never reaches a plan's JSON."""
    with pytest.raises(ValueError, match="price_overrides"):
        Constraints(price_overrides={"H100": price})


def test_a_hand_edited_plan_with_negative_resources_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan file whose chosen configuration asks for -4 CPUs (or 0 replicas) is not a plan:
    manifests are not written from it."""
    from core.planning import ModelRequirements, PlanRequest, TrafficProfile, build_plan

    plan = build_plan(
        PlanRequest(
            model=ModelRequirements(model="Llama-3.1-8B"),
            traffic=TrafficProfile(rps=5, input_tokens=100, output_tokens=100),
            constraints=Constraints(gpu_types=["L40S"]),
        )
    ).model_dump(mode="json")
    for field, value in (("cpu_request", -4), ("memory_request_gib", 0), ("replicas_target", 0)):
        edited = json.loads(json.dumps(plan))
        edited["chosen"][field] = value
        path = tmp_path / f"{field}.json"
        path.write_text(json.dumps(edited))
        code = main(["manifests", "--plan", str(path), "--namespace", "llm"])
        out, err = capsys.readouterr()
        assert code == 2 and not out, out
        assert f"not a Navigator plan (field chosen.{field}:" in err and err.count("\n") == 1, err


def test_files_that_are_not_files_are_said_without_hanging(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder, /dev/zero, a FIFO (which would block a read forever), a JSON nested 100,000
    deep, and paths that cannot be written: one line each, exit 2."""
    import os

    from core.samples import sample_path

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    plan = tmp_path / "plan.json"
    assert main([*PLAN, "--gpu", "L40S", "--json"]) == 0
    plan.write_text(capsys.readouterr().out)
    config = str(sample_path("sample_modelcar_config.base.yaml"))
    cases = [
        (["whatif", "--plan", str(tmp_path), "--rps", "3"], "is a folder, expected a plan JSON file"),
        (["whatif", "--plan", "/dev/zero", "--rps", "3"], "not a regular file (a device or a pipe?)"),
        (["whatif", "--plan", str(fifo), "--rps", "3"], "not a regular file (a device or a pipe?)"),
        (["fit", "--config", str(fifo)], "not a regular file (a device or a pipe?); expected a YAML file"),
        (["whatif", "--plan", str(deep), "--rps", "3"], "nested too deeply to be a plan"),
        (["fit", "--config", config, "--report", "/proc/none/r.md"], "--report /proc/none/r.md: could not be written"),
        (["manifests", "--plan", str(plan), "-n", "llm", "--out", "/proc/none"], "/proc/none: No such file"),
        (["inventory", "--export", str(tmp_path / "no" / "inv.yaml")], "inv.yaml: No such file or directory"),
    ]
    for argv, said in cases:
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2 and said in err and err.count("\n") == 1, (argv, err)
        assert "Traceback" not in err and "Traceback" not in out


@pytest.mark.parametrize("char", ["\x07", "\x00", "\ufffe", "\x1b"])
def test_a_control_character_in_any_yaml_is_one_line(
    char: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.samples import sample_path

    text = sample_path("sample_modelcar_config.base.yaml").read_text()
    bad = tmp_path / "modelcar.yaml"
    bad.write_text(text.replace("models:", f"models:{char}", 1) if "models:" in text else char + text)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(f"nodes:{char}\n")
    for argv in (["fit", "--config", str(bad)], ["inventory", "--inventory", str(inventory)]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err + out, (argv, err)
        assert f"character U+{ord(char):04X} at position" in err and "is not allowed in YAML" in err, err


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (bytes(range(128, 256)) * 10, "not UTF-8 text"),
        (b"- a\n- b\n", "not a kubeconfig (expected a mapping with clusters, users, contexts)"),
        (b"just a string\n", "not a kubeconfig"),
        (b"apiVersion: v1\nclusters: [\n", "invalid YAML at line 3"),
        (b"clusters: {a: 1}\n", "'clusters' must be a list of entries, each with a name"),
        (b"users: [1, 2]\n", "'users' must be a list of entries, each with a name"),
        (b"a: " + b"x" * (5 * 1_048_576), "the limit is 4 MiB"),
    ],
    ids=["binary", "list", "string", "broken", "clusters-map", "users-ints", "50mb"],
)
def test_a_kubeconfig_that_is_not_one_is_one_line(
    content: bytes, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kubeconfig"
    path.write_bytes(content)
    code = main(["inventory", "--kubeconfig", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and said in err and "Traceback" not in err + out, err


def test_a_deeply_nested_cache_file_is_skipped_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One hand-made cache file nested 100,000 deep (or a valid envelope whose data is) is
    skipped with a warning; the other items still list and load, and `chat --resume` says no."""
    from core.assistant import WorkflowState
    from core.store import FileStore

    store = FileStore(tmp_path)
    kept = WorkflowState()
    store.save("workflows", kept.id, kept)
    folder = next(p.parent for p in tmp_path.rglob(f"{kept.id}.json"))
    (folder / "wf-deep.json").write_text("[" * 100_000 + "]" * 100_000)
    deep_data = '{"format": 1, "kind": "workflows", "data": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001
    (folder / "wf-deep2.json").write_text(deep_data)
    assert [e.id for e in store.list("workflows")] == [kept.id]
    assert store.load("workflows", "wf-deep2", WorkflowState) is None
    assert store.warnings and all("skipped" in w for w in store.warnings)
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))
    code = main(["chat", "--resume", "wf-deep2"])
    out, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err + out and err.count("\n") == 1, err
    assert "wf-deep2" in err


def test_a_cache_that_cannot_be_written_loses_no_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`plan --save` and `qa` with a cache folder that cannot be made: the plan and the verdict
    are printed first, then one line says what was not kept (exit 2 for the plan: the save asked
    for did not happen)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(blocker / "cache"))
    code = main([*PLAN, "--gpu", "L40S", "--save", "--json"])
    out, err = capsys.readouterr()
    plan = json.loads(out)
    assert plan["feasible"] and plan["id"].startswith("plan-")
    assert code == 2 and f"plan {plan['id']} was not saved:" in err and err.count("\n") == 1, err


LOGIN_PAGE = b"<!DOCTYPE html><html><body><form action='/login'>Log in</form></body></html>"


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (403, b"null", "application/json"),
        (403, b"[1, 2, 3]", "application/json"),
        (500, b'"the server said no"', "application/json"),
        (404, b"{not json", "application/json"),
        (200, LOGIN_PAGE, "text/html"),
        (200, b"[]", "application/json"),
    ],
    ids=["403-null", "403-list", "500-string", "404-broken", "200-html", "200-list"],
)
def test_a_badly_answering_api_server_is_one_line(
    status: int, body: bytes, content_type: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """inventory, status and delete against an API server whose answers are not Kubernetes
    objects: one line and exit 1 or 2, never a traceback, and delete never says "deleted"."""
    from tests.support.bad_api import Answer, bad_api
    from tests.support.fake_kube import write_kubeconfig

    server = bad_api(Answer(status, body, content_type))
    try:
        kubeconfig = str(write_kubeconfig(tmp_path / "kubeconfig", server.url, "token-x"))
        for argv in (
            ["inventory", "--kubeconfig", kubeconfig],
            ["status", "granite", "-n", "llm", "--kubeconfig", kubeconfig],
            ["delete", "granite", "-n", "llm", "--kubeconfig", kubeconfig, "--yes"],
        ):
            code = main(argv)
            out, err = capsys.readouterr()
            assert code in (1, 2) and "Traceback" not in out + err, (argv, out, err)
            assert err.count("\n") <= 1 and (err or out), (argv, out, err)
            if argv[0] == "delete":
                assert "deleted" not in out.replace("not deleted", ""), out
    finally:
        server.stop()


def test_an_api_server_that_never_answers_costs_one_deadline(tmp_path: Path) -> None:
    """A server that accepts connections and never answers: each command gives up after the
    one silence budget (here NAVIGATOR_CLUSTER_SILENCE_S=1), not 30 s per call, in one line."""
    import socket
    import subprocess
    import sys
    import time

    from tests.conftest import REPO
    from tests.support.fake_kube import write_kubeconfig

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # the kernel accepts; nobody ever reads or writes
    try:
        port = silent.getsockname()[1]
        kubeconfig = str(write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}", "t"))
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
        env |= {"NAVIGATOR_CLUSTER_SILENCE_S": "1", "NAVIGATOR_CACHE_DIR": str(tmp_path / "c")}
        for argv in (
            ["inventory", "--kubeconfig", kubeconfig],
            ["status", "granite", "-n", "llm", "--kubeconfig", kubeconfig],
            ["delete", "granite", "-n", "llm", "--kubeconfig", kubeconfig, "--yes"],
        ):
            start = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "navigator", *argv], env=env, capture_output=True, text=True, timeout=60
            )
            took = time.monotonic() - start
            said = (done.stderr or done.stdout).strip()
            assert done.returncode in (1, 2) and "Traceback" not in said, said
            assert "did not answer within 1 s" in said, said
            assert took < 20, (argv, took)  # the budget plus start-up, not 30 s a call
    finally:
        silent.close()
