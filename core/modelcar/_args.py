"""vLLM serving arguments as written in a model-car config: parsing, rules, and rendering.

>>> a = parse_args(["--max-model-len=8192", "--trust-remote-code", "--max-num-seqs", "64"])
>>> a.get("--max-model-len"), a.has("--trust-remote-code"), a.render()
('8192', True, ['--max-model-len=8192', '--trust-remote-code', '--max-num-seqs=64'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.errors import InputError
from core.sizing import ServingFlags

# The runtime passes these itself (--port, --model=/mnt/models, --served-model-name={{.Name}}).
RUNTIME_OWNED = frozenset({"--port", "--model", "--served-model-name"})

# Flags removed from vLLM (passing them stops the server) or made meaningless by the V1 engine.
OBSOLETE = {
    "--use-v2-block-manager": "removed from vLLM (the v2 block manager became the only one)",
    "--worker-use-ray": "removed from vLLM (use --distributed-executor-backend=ray on multi-node only)",
    "--engine-use-ray": "removed from vLLM",
    "--num-scheduler-steps": "multi-step scheduling was removed with the V1 engine",
}

_INT = {
    "--max-model-len",
    "--tensor-parallel-size",
    "--pipeline-parallel-size",
    "--max-num-seqs",
    "--max-num-batched-tokens",
    "--block-size",
}


@dataclass
class ServingArgs:
    """An ordered list of (flag, value) pairs; value None for bare switches."""

    items: list[tuple[str, str | None]] = field(default_factory=list)

    def get(self, flag: str) -> str | None:
        """The first value of ``flag`` (None when absent or a bare switch)."""
        return next((v for f, v in self.items if f == flag), None)

    def has(self, flag: str) -> bool:
        return any(f == flag for f, _ in self.items)

    def set(self, flag: str, value: str | None) -> None:
        """Replace every occurrence of ``flag`` by one (in the first one's place), or append."""
        out: list[tuple[str, str | None]] = []
        placed = False
        for f, v in self.items:
            if f == flag:
                if not placed:
                    out.append((flag, value))
                    placed = True
                continue
            out.append((f, v))
        if not placed:
            out.append((flag, value))
        self.items = out

    def drop(self, flag: str) -> None:
        self.items = [(f, v) for f, v in self.items if f != flag]

    def duplicates(self) -> list[str]:
        seen: set[str] = set()
        dupes = []
        for f, _ in self.items:
            if f in seen and f not in dupes:
                dupes.append(f)
            seen.add(f)
        return dupes

    def dedupe(self) -> None:
        """Keep the first occurrence of each flag (what the validation suite does)."""
        seen: set[str] = set()
        out = []
        for f, v in self.items:
            if f not in seen:
                out.append((f, v))
                seen.add(f)
        self.items = out

    def render(self) -> list[str]:
        return [f if v is None else f"{f}={v}" for f, v in self.items]

    def copy(self) -> ServingArgs:
        return ServingArgs(list(self.items))


def parse_args(args: list[str], *, entry: str = "entry") -> ServingArgs:
    """Parse ``--flag=value``, ``--flag value`` and bare ``--switch`` forms, keeping order."""
    items: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        raw = str(args[i]).strip()
        if not raw.startswith("--"):
            raise InputError(f"{entry}: serving argument {raw!r} is not a --flag; write it as --name=value")
        if "=" in raw:
            name, value = raw.split("=", 1)
            items.append((name, value))
        elif i + 1 < len(args) and not str(args[i + 1]).startswith("--"):
            items.append((raw, str(args[i + 1])))
            i += 1
        else:
            items.append((raw, None))
        i += 1
    return ServingArgs(items)


def to_serving_flags(args: ServingArgs, gpu_count: int, *, entry: str, vllm_version: str | None) -> ServingFlags:
    """The flags that change sizing, read from the arguments (TP = the suite's gpu_count)."""
    values: dict[str, Any] = {"tensor_parallel_size": gpu_count}
    for flag in _INT:
        raw = args.get(flag)
        if raw is None:
            continue
        try:
            number = int(raw)
        except ValueError:
            raise InputError(f"{entry}: {flag}={raw!r} is not a whole number") from None
        key = flag.removeprefix("--").replace("-", "_")
        if key != "tensor_parallel_size":
            values[key] = number
    util = args.get("--gpu-memory-utilization")
    if util is not None:
        try:
            values["gpu_memory_utilization"] = float(util)
        except ValueError:
            raise InputError(f"{entry}: --gpu-memory-utilization={util!r} is not a number") from None
    for flag, key in (("--kv-cache-dtype", "kv_cache_dtype"), ("--dtype", "dtype"), ("--quantization", "quantization")):
        raw = args.get(flag)
        if raw is not None:
            values[key] = raw
    values["enforce_eager"] = args.has("--enforce-eager")
    if vllm_version:
        values["vllm_version"] = vllm_version
    try:
        return ServingFlags(**values)
    except ValueError as exc:
        raise InputError(f"{entry}: serving arguments: {str(exc).splitlines()[0]} ({exc})") from None
