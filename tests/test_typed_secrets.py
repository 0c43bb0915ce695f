"""Secrets typed into Navigator (project issue 32): recognised, masked, never stored, never echoed.

Each class a red-team probe got through ``navigator chat`` is typed into the real CLI (a
subprocess with its own file cache): the planted value is in no output and no cached file, and
the reply says it was not kept. The error lines of the CLI and of the MCP server never say a
typed secret back, and a plan whose vLLM arguments carry a secret gets no manifests. Ordinary
names, namespaces and numbers pass through unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.assistant import redact as assistant_redact
from core.planning import Constraints, ModelRequirements, PlanRequest, TrafficProfile, build_plan
from core.secrets import MARKER, redact, secret_argument
from tests.test_chat_cli import chat
from tests.test_cli import navigator
from tests.test_hardening_mcp import mcp_calls, refused

NOT_KEPT = "I did not keep it"
PEM_BODY = [
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
    "uMOpVBxfN4Hy0Yu6gRYC3Hx5Wq1kQbe0B2lGX6V0RQtJb2QmK9UbcQ==",
]
AZURE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# class → (lines typed into `navigator chat`, values that must appear nowhere)
CHAT_CLASSES: dict[str, tuple[list[str], list[str]]] = {
    "cloud keys": (
        [
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED1",
            "my temporary key is ASIAPLANTED7QX4ZKB3M",
            f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net",
        ],
        ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED1", "ASIAPLANTED7QX4ZKB3M", AZURE_KEY],
    ),
    "registry and CI tokens": (
        [
            "deploy with glpat-PLANTEDxK9mQ2vL7nR4tY8w",
            "npm_PLANTEDAbCdEfGhIjKlMnOpQrStUvWxYz0123",
            "pypi-AgEIcHlwaS5vcmcCJDFhYmNkZWZnLTEyMzQtNTY3OC05MGFiLWNkZWYxMjM0NTY3OAACKlszLCJhYmMiXQPLANTED",
            "alerts go to https://hooks.slack.com/services/T0PLANTED/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        ],
        ["glpat-PLANTEDxK9mQ2vL7nR4tY8w", "npm_PLANTEDAbCdEf", "pypi-AgEIcHlwaS5vcmc", "T0PLANTED"],
    ),
    "bearer tokens": (
        ["curl -H 'Authorization: Bearer opaquePLANTEDvalue' https://llm.example.com/v1/models"],
        ["opaquePLANTEDvalue"],
    ),
    "pull secrets and JSON values": (
        [
            '{"auths":{"quay.io":{"auth":"cm9ib3Q6UExBTlRFRHBhc3M=","email":""}}}',
            '{"password":"hunter2PLANTED"}',
            '"token": "tokPLANTED", "secret": "secPLANTED"',
        ],
        ["cm9ib3Q6UExBTlRFRHBhc3M=", "hunter2PLANTED", "tokPLANTED", "secPLANTED"],
    ),
    "credentials in URLs": (
        ["pull from https://robot:PASSPLANTED99@quay.io/acme/modelcar-llama:1"],
        ["PASSPLANTED99"],
    ),
    "GCP service account": (
        [
            '"private_key_id": "1a2b3c4d5e6f7a8b9c0d1e2fPLANTED3c4d5e6f7a8b",',
            '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BPLANTED\\n'
            '-----END PRIVATE KEY-----\\n",',
        ],
        ["1a2b3c4d5e6f7a8b9c0d1e2fPLANTED", "MIIEvQIBADANBgkqhkiG9w0BPLANTED"],
    ),
    "PEM private key over several lines": (
        ["here is the key:", "-----BEGIN RSA PRIVATE KEY-----", *PEM_BODY, "-----END RSA PRIVATE KEY-----"],
        [line[:32] for line in PEM_BODY],
    ),
    "obfuscated Hugging Face token": (
        ["my token hf_PLANTED\u200bAbCdEfGhIjKlMnOpQrStUv", "and \uff48\uff46_PLANTEDwidePrefixAbCdEfGhIjKl"],
        ["AbCdEfGhIjKlMnOpQrStUv", "PLANTEDwidePrefixAbCdEfGhIjKl"],
    ),
    "a secret given as the model's name": (
        ["plan glpat-PLANTEDmodelNameAbCdEfGh at 5 rps"],
        ["PLANTEDmodelNameAbCdEfGh"],
    ),
}


def _nowhere(values: list[str], *texts: str, cache: Path) -> None:
    files = [p for p in cache.rglob("*") if p.is_file()]
    for value in values:
        for text in texts:
            assert value not in text, (value, text[-2000:])
        for f in files:
            assert value not in f.read_text(errors="replace"), (value, f.name)


@pytest.mark.parametrize("kind", list(CHAT_CLASSES))
def test_a_typed_secret_is_masked_never_stored_and_said_dropped(kind: str, tmp_path: Path) -> None:
    lines, planted = CHAT_CLASSES[kind]
    done = chat(stdin="\n".join(lines) + "\n", env={"NAVIGATOR_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    _nowhere(planted, done.stdout, done.stderr, cache=tmp_path)
    assert NOT_KEPT in done.stdout and MARKER in done.stdout
    assert any(p.parent.name == "workflows" for p in tmp_path.rglob("*.json"))  # the conversation was saved


def test_a_pasted_key_block_is_one_turn(tmp_path: Path) -> None:
    lines = CHAT_CLASSES["PEM private key over several lines"][0]
    done = chat(stdin="\n".join(lines) + "\n", env={"NAVIGATOR_CACHE_DIR": str(tmp_path)})
    echoed = [line for line in done.stdout.splitlines() if line.startswith("> ")]
    assert echoed == ["> here is the key:", f"> {MARKER}"], echoed


@pytest.mark.parametrize(
    "text",
    [
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "ASIAY34FZKBOKMUTVV7A",
        f"AccountKey={AZURE_KEY};",
        "glpat-xK9mQ2vL7nR4tY8wZ3pA",
        "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "pypi-AgEIcHlwaS5vcmcCJDFhYmNkZWZnLTEyMzQtNTY3OC05MGFiLWNkZWYxMjM0NTY3OAACKlszLCJhYmMiXQ",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "Authorization: Bearer opaquevaluewithoutdigits",
        '{"auths":{"quay.io":{"auth":"cm9ib3Q6c2VjcmV0cGFzc3dvcmQ="}}}',
        '{"password":"hunter2"}',
        "https://robot:hunter2@quay.io/acme/image:1",
        '"private_key_id": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"',
        PEM_BODY[0],
        "hf_AbCdEfGh\u200bIjKlMnOpQrStUvWxYz012345",
        "\uff48\uff46_AbCdEfGhIjKlMnOpQrStUvWxYz012345",
    ],
)
def test_each_shape_is_masked(text: str) -> None:
    clean = redact(text)
    assert MARKER in clean
    assert assistant_redact(text) == clean  # the assistant's public name is the same redactor


@pytest.mark.parametrize(
    "text",
    [
        "Llama-3.1-8B-Instruct",
        "meta-llama/Llama-3.1-70B-Instruct",
        "RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16",
        "oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5",
        "namespace llm-prod",
        "Llama 8B at 5 rps, 2000 tokens in, p95 under 4 s",
        "the key metrics are throughput; bearer tokens are used; authorization: required",
        "max_num_batched_tokens=8192 --max-model-len 32768",
        "oc create secret generic llama-3-1-8b-hf-token -n llm",
        '{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}',
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "Granite für Kunden, ４ GPUs",  # full-width digits stay as typed
    ],
)
def test_ordinary_text_passes_unchanged(text: str) -> None:
    assert redact(text) == text


def test_only_the_secret_is_taken_the_rest_is_kept_as_typed() -> None:
    assert redact("plan Llama 8B, token hf_Ab\u200bCdEfGhIjKlMnOpQrStUvWxYz012345, ５ rps") == (
        f"plan Llama 8B, token {MARKER}, ５ rps"
    )


# ---- error lines: the CLI and the MCP server ----------------------------------------------------

TOKEN = "hf_PLANTEDabcdefghijklmnop1234"


@pytest.mark.parametrize(
    "argv",
    [
        ["calibrate", "--import", TOKEN, "--gpu", "H100"],  # "--import …: file not found"
        ["estimate", "--model", TOKEN, "--gpu", "H100"],  # "Unknown model '…'"
        ["plan", "--model", "Llama-3.1-8B", "--rps", TOKEN, "--input-tokens", "1", "--output-tokens", "1"],  # argparse
    ],
)
def test_a_cli_error_never_says_a_typed_secret_back(argv: list[str], tmp_path: Path) -> None:
    done = navigator(*argv, env={"NAVIGATOR_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 2 and "error:" in done.stderr, done.stderr
    assert "PLANTED" not in done.stdout + done.stderr and MARKER in done.stderr, done.stderr


def test_a_benchmark_report_naming_a_secret_as_its_model_is_not_quoted(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    report.write_text(
        json.dumps(
            {
                "model_id": TOKEN,
                "completed": 100,
                "request_rate": 5,
                "max_concurrency": 8,
                "total_input_tokens": 100000,
                "total_output_tokens": 20000,
                "request_throughput": 4.9,
                "output_throughput": 900,
                "median_ttft_ms": 120,
                "median_tpot_ms": 20,
            }
        )
    )
    cache = tmp_path / "cache"
    done = navigator("calibrate", "--import", str(report), "--gpu", "H100", env={"NAVIGATOR_CACHE_DIR": str(cache)})
    assert done.returncode == 2, done.stderr
    _nowhere(["PLANTED"], done.stdout, done.stderr, cache=cache)


def test_an_mcp_error_never_says_a_typed_secret_back() -> None:
    calls = [
        ("resolve_model", {"model": TOKEN}),
        ("resolve_model", {"model": "glpat-PLANTEDabcdefghijklmnop"}),
        ("estimate", {"model": TOKEN, "gpu": "H100"}),
        ("no_such_tool_" + TOKEN, {}),
    ]
    for is_error, text in mcp_calls(*calls):
        assert is_error, text
        refused(text)
        assert "PLANTED" not in text and MARKER in text, text


# ---- manifests: a secret in a vLLM argument is refused, never written -----------------------------


@pytest.fixture(scope="module")
def plan_json() -> dict[str, Any]:
    return build_plan(
        PlanRequest(
            model=ModelRequirements(model="Llama-3.1-8B"),
            traffic=TrafficProfile(rps=5, input_tokens=100, output_tokens=100),
            constraints=Constraints(gpu_types=["L40S"]),
        )
    ).model_dump(mode="json")


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--api-key=sk-PLANTEDabcdefghijklmnopqrst"], "--api-key"),
        (["--api-key", "PLANTED-short"], "--api-key"),
        (["--hf-token=PLANTEDabc"], "--hf-token"),
        (["--served-model-name=hf_PLANTEDabcdefghijklmnop1234"], "--served-model-name"),
    ],
)
def test_manifests_refuse_a_secret_in_the_vllm_arguments(
    plan_json: dict[str, Any], tmp_path: Path, args: list[str], flag: str
) -> None:
    plan = json.loads(json.dumps(plan_json))
    plan["chosen"]["vllm_args"] = [*plan["chosen"]["vllm_args"], *args]
    ((is_error, text),) = mcp_calls(("manifests", {"plan": plan, "namespace": "llm"}))
    assert is_error, text[:300]
    refused(text, f"chosen.vllm_args: {flag} carries a secret", "Secret")
    assert "PLANTED" not in text
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    done = navigator("manifests", "--plan", str(path), "--namespace", "llm", env={"NAVIGATOR_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 2 and not done.stdout, done.stdout[:300]
    assert "carries a secret" in done.stderr and "PLANTED" not in done.stderr, done.stderr


def test_secret_argument_names_the_flag_never_the_value() -> None:
    assert secret_argument(["--max-model-len=8192", "--api-key=sk-abc"]) == "--api-key"
    assert secret_argument(["--max-model-len=8192", "--served-model-name=Llama-3.1-8B"]) is None
    assert secret_argument(["ghp_abcdefghijklmnopqrstuvwxyz0123456789"]) == "argument 1"
