"""A generated bad-input corpus for the whole command line: every option of every command that
takes a value (read from the real parser, so a new flag joins the corpus by itself), given
values from the classes careless users and attackers type — empty, blank, zero, negative,
NaN, infinities, overflow, 100,000 characters, control characters, undecodable bytes, paths
that escape, a folder, ``/dev/zero``, a FIFO, a missing file, other schemes, JSON where a name
goes — plus text Hypothesis makes up. What must hold for every case (docs/bad-inputs.md):

- the command ends with 0, 1 (a "no" answer) or 2 (bad input), never a traceback;
- a 2 is said in exactly one line on stderr;
- it ends within its deadline (nothing waits on a FIFO, a device or a dead port);
- no secret from the environment appears in its output or in any file it wrote.

Examples are derandomised, so a failure reproduces; the explicit cases with their exact words
are in tests/test_bad_inputs.py.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navigator.cli import build_parser, main
from tests.conftest import REPO
from tests.test_user_calibration import VLLM_BENCH

SAMPLE_CONFIG = str(REPO / "config-yaml" / "sample_modelcar_config.base.yaml")
SAMPLE_INVENTORY = str(REPO / "config-yaml" / "sample_inventory.yaml")
TOKENS = ["--input-tokens", "100", "--output-tokens", "100"]
DEADLINE_S = 30.0

SECRETS = {
    "NAVIGATOR_HF_TOKEN": "hf_CorpusSecretValue0123456789",
    "NAVIGATOR_LLM_API_KEY": "sk-corpus-secret-value-0123456789",
    "NAVIGATOR_PULL_SECRET": '{"auths": {"quay.io": {"auth": "Y29ycHVzOnB1bGwtc2VjcmV0LTQy"}}}',
    "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET": "Y29ycHVzOnJoLXB1bGwtc2VjcmV0LTQy",
}
SECRET_TEXTS = [*SECRETS.values(), "Y29ycHVzOnB1bGwtc2VjcmV0LTQy", "corpus:pull-secret-42", "corpus:rh-pull-secret-42"]

# Each command with arguments that make it otherwise valid and offline, so the generated value
# is what is tested. Left out: ui, chat and mcp (interactive or servers; their own tests drive
# them), accuracy and benchmark (minutes of work for any input).
BASES: dict[str, list[str]] = {
    "inventory": ["inventory", "--inventory", SAMPLE_INVENTORY],
    "models": ["models"],
    "estimate": ["estimate", "--model", "Llama-3.1-8B", "--gpu", "L40S", *TOKENS],
    "plan": ["plan", "--model", "Llama-3.1-8B", "--rps", "5", *TOKENS],
    "whatif": ["whatif", "--plan", "{plan}"],
    "fit": ["fit", "--config", SAMPLE_CONFIG, "--inventory", SAMPLE_INVENTORY],
    "manifests": ["manifests", "--config", SAMPLE_CONFIG, "--runtime-image", "quay.io/vllm/vllm:0.9"],
    "deploy": ["deploy", "--config", SAMPLE_CONFIG, "--dry-run"],
    "status": ["status", "granite"],
    "delete": ["delete", "granite"],
    "qa": ["qa", "--config", SAMPLE_CONFIG, "--backend", "cluster", "--dry-run"],
    "calibrate": ["calibrate", "--import", "{bench}", "--gpu", "H100"],  # without runs it refits for 25 s
}


def _value_options() -> list[tuple[str, str]]:
    """(command, option or positional) for every argument that takes a value."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = []
    for name in BASES:
        for action in sub.choices[name]._actions:
            if isinstance(action, argparse._HelpAction) or action.nargs == 0:
                continue
            out.append((name, action.option_strings[-1] if action.option_strings else "<positional>"))
    return out


OPTIONS = _value_options()


def _nasty(tmp: Path) -> list[str]:
    fifo = tmp / "a-fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    (tmp / "a-folder").mkdir(exist_ok=True)
    (tmp / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    return [
        "",
        "   ",
        "0",
        "-1",
        "-0.0",
        "nan",
        "inf",
        "-inf",
        "1e309",
        "9" * 400,
        "x" * 100_000,
        "\x07bell",
        "\x1b[31mred",
        "\ufffe",
        "\udcff\udcfe",  # bytes that are not UTF-8, as Python hands them over from argv
        "😀",
        "../../../../etc/passwd",
        "/dev/zero",
        str(fifo),
        str(tmp / "a-folder"),
        str(tmp / "missing.yaml"),
        str(tmp / "binary.yaml"),
        "oci://",
        "registry://",
        "hf://",
        "file:///etc/passwd",
        "{}",
        '{"a": [1, 2',
        "null",
        "a=b=c",
        "-",
        "--",
        "--help-me",
        "$(id)",
        "'; DROP TABLE navigator_cache; --",
    ]


@pytest.fixture(scope="module")
def corpus_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("corpus")
    return home


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch, corpus_home: Path) -> Path:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(corpus_home / "cache"))
    monkeypatch.setenv("KUBECONFIG", str(corpus_home / "no-kubeconfig"))
    monkeypatch.setenv("NAVIGATOR_CLUSTER_SILENCE_S", "5")
    # Relative paths (--out, --export, --report …) land here, not in the checkout.
    (corpus_home / "cwd").mkdir(exist_ok=True)
    monkeypatch.chdir(corpus_home / "cwd")
    (corpus_home / "bench.json").write_text(json.dumps(VLLM_BENCH))
    plan = corpus_home / "plan.json"
    if not plan.exists():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([*BASES["plan"], "--json"]) == 0
        plan.write_text(out.getvalue())
    return corpus_home


def run(argv: list[str]) -> tuple[int, str, str, float]:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse ends --help and usage mistakes itself
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue(), time.monotonic() - start


def check(argv: list[str], home: Path) -> None:
    code, out, err, took = run(argv)
    shown = repr(argv)[:300]
    assert code in (0, 1, 2), f"{shown}: exit {code}\n{err[-2000:]}"
    assert "Traceback" not in out + err, f"{shown}:\n{err[-3000:]}"
    if code == 2:
        assert err.strip() and err.strip().count("\n") == 0, f"{shown}: not one line:\n{err[:2000]}"
    assert took < DEADLINE_S, f"{shown}: {took:.1f} s"
    for secret in SECRET_TEXTS:
        assert secret not in out + err, f"{shown}: a secret was printed"


def _argv(command: str, option: str, value: str, plan: Path) -> list[str]:
    bench = str(plan.with_name("bench.json"))
    base = [a.replace("{plan}", str(plan)).replace("{bench}", bench) for a in BASES[command]]
    if option == "<positional>":
        return [base[0], value, *base[2:]] if command in ("status", "delete") else [*base, value]
    return [*base, option, value]


@settings(
    max_examples=int(os.environ.get("NAVIGATOR_CORPUS_EXAMPLES", "400")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_option_with_any_bad_value(secrets_env: Path, data: st.DataObject) -> None:
    command, option = data.draw(st.sampled_from(OPTIONS), label="option")
    value = data.draw(
        st.one_of(
            st.sampled_from(_nasty(secrets_env)),
            st.text(st.characters(exclude_characters="\x00"), max_size=40),  # argv cannot hold NUL
        ),
        label="value",
    )
    check(_argv(command, option, value, secrets_env / "plan.json"), secrets_env)


def test_every_class_reaches_every_command_once(secrets_env: Path) -> None:
    """Besides the random draw: each value class once against the first value-taking option
    of each command (the model, the plan, the config, a name …) — where bad input lands most."""
    firsts: dict[str, str] = {}
    for command, option in OPTIONS:
        firsts.setdefault(command, option)
    for command, option in firsts.items():
        for value in _nasty(secrets_env):
            check(_argv(command, option, value, secrets_env / "plan.json"), secrets_env)


def test_nothing_written_holds_a_secret(secrets_env: Path) -> None:
    """Runs after the corpus (same module home): whatever the commands kept — plans, runs,
    reports — holds no secret from the environment."""
    for value in ("oci://127.0.0.1:9/x/y:1", "registry://a/b/1", "x/y"):  # closed ports: no network
        check([*BASES["plan"], "--model", value, "--save"], secrets_env)
    kept = [p for p in secrets_env.rglob("*") if p.is_file() and not p.is_fifo()]
    assert kept, "the corpus left nothing to look at"
    for path in kept:
        text = path.read_bytes().decode("utf-8", "replace")
        for secret in SECRET_TEXTS:
            assert secret not in text, f"{path}: holds a secret"
