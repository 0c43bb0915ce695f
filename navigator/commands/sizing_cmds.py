"""``navigator calibrate``, ``navigator accuracy`` and ``navigator benchmark``."""

from __future__ import annotations

import argparse
from pathlib import Path

from navigator.commands._output import print_table


def _calibrate(args: argparse.Namespace) -> int:
    from core.sizing.efficiency_fit import write_calibration

    fitted = write_calibration()
    print_table(
        ["GPU CLASS", "MBU", "MFU", "STEP OVERHEAD ms", "PER-SEQUENCE µs", "RUNS"],
        [[k, v.mbu, v.mfu, v.overhead_ms, v.seq_overhead_us, fitted.runs[k]] for k, v in fitted.classes.items()],
    )
    print(f"request latency outside the engine: {fitted.latency_ms:g} ms")
    return 0


def _accuracy(args: argparse.Namespace) -> int:
    from core.sizing.accuracy import accuracy_markdown

    text = accuracy_markdown()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    for line in text.splitlines():
        if line.startswith(("**", "| output", "| tpot")):
            print(line)
    print(f"wrote {args.out}")
    return 0


def _benchmark(args: argparse.Namespace) -> int:
    from core.sizing.benchmark import run_benchmark

    r = run_benchmark(args.repeats)
    print(f"one memory estimate (Llama-3.1-8B, H100):        median {r.single_estimate_ms:.3f} ms")
    print(f"one estimate with performance (16 concurrent):   median {r.single_with_performance_ms:.3f} ms")
    print(
        f"sweep of {r.sweep_configurations} configurations (models × GPUs × TP × quantizations): "
        f"median {r.sweep_ms:.1f} ms over {r.repeats} runs"
    )
    from core.planning.benchmark import run_planning_benchmark

    p = run_planning_benchmark()
    print(
        f"capacity plan over all catalog GPUs ({p.candidates} candidates): p50 {p.plan_p50_ms:.0f} ms, "
        f"p95 {p.plan_p95_ms:.0f} ms over {p.repeats} runs"
    )
    print(f"what-if recompute (RPS multiplier): p50 {p.whatif_p50_ms:.0f} ms, p95 {p.whatif_p95_ms:.0f} ms")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = sub.add_parser("calibrate", help="refit the per-GPU-class efficiencies from the calibration data")
    c.set_defaults(handler=_calibrate)
    a = sub.add_parser("accuracy", help="score the engine on every calibration row; write docs/accuracy.md")
    a.add_argument("--out", type=Path, default=Path("docs/accuracy.md"))
    a.set_defaults(handler=_accuracy)
    b = sub.add_parser("benchmark", help="time estimates, the catalog sweep, a plan and a what-if")
    b.add_argument("--repeats", type=int, default=7)
    b.set_defaults(handler=_benchmark)
