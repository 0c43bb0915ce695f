"""``navigator calibrate``, ``navigator accuracy`` and ``navigator benchmark``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from core.errors import InputError, YamlError
from core.yamlio import read_bounded
from navigator.commands._output import print_json, print_table

REPORT_MAX_BYTES = 256 * 1_048_576
"""A GuideLLM report of a long sweep runs to tens of MiB; more is not a benchmark report."""


_IMPORT_FLAGS: dict[str, Callable[[argparse.Namespace], bool]] = {
    "--gpu": lambda a: a.gpu is not None,
    "--model": lambda a: a.model is not None,
    "--tensor-parallel-size": lambda a: a.tensor_parallel_size != 1,
    "--json": lambda a: bool(a.json),
}
"""Options that only mean something with --import (or --show for --json)."""


def _calibrate(args: argparse.Namespace) -> int:
    if args.import_files or args.forget or args.show:
        return _your_runs(args)
    stray = [flag for flag, given in _IMPORT_FLAGS.items() if given(args)]
    if stray:  # without --import these describe nothing; the shipped refit below would silently ignore them
        raise InputError(
            f"{', '.join(stray)}: describe{'s' if len(stray) == 1 else ''} the runs of an imported report; add "
            "--import FILE (plain `navigator calibrate` refits the shipped calibration and takes no options)"
        )
    from core.calibration import write_calibration

    fitted = write_calibration()
    print_table(
        ["GPU CLASS", "MBU", "MFU", "STEP OVERHEAD ms", "PER-SEQUENCE µs", "RUNS"],
        [[k, v.mbu, v.mfu, v.overhead_ms, v.seq_overhead_us, fitted.runs[k]] for k, v in fitted.classes.items()],
    )
    print(f"request latency outside the engine: {fitted.latency_ms:g} ms")
    return 0


def _your_runs(args: argparse.Namespace) -> int:
    """``calibrate --import`` / ``--show`` / ``--forget``: the user's own measured runs."""
    from core.calibration import (
        MAX_TENSOR_PARALLEL,
        UserCalibration,
        forget_runs,
        import_reports,
        load_user_calibration,
    )
    from core.errors import InputError
    from core.settings import load_settings
    from core.store import open_store

    s = load_settings()
    store = open_store(s)
    if args.forget:
        forget_runs(store)
        print("forgot your imported runs: estimates and plans use the shipped calibration")
        return 0
    if args.import_files:
        if not args.gpu:
            raise InputError("--import needs --gpu: the GPU the benchmarks ran on (e.g. --gpu H100)")
        if not 1 <= args.tensor_parallel_size <= MAX_TENSOR_PARALLEL:
            raise InputError(
                f"--tensor-parallel-size {args.tensor_parallel_size}: give the GPUs per replica the runs used, "
                f"a whole number from 1 to {MAX_TENSOR_PARALLEL}"
            )
        files = []
        for path in args.import_files:
            try:  # a regular file of bounded size: /dev/zero or a FIFO neither fills memory nor hangs
                files.append((path.name, read_bounded(path, max_bytes=REPORT_MAX_BYTES, kind="benchmark report")))
            except YamlError as exc:
                raise InputError(f"--import {exc}") from None
        cal: UserCalibration | None = import_reports(
            files, gpu=args.gpu, model=args.model, tensor_parallel_size=args.tensor_parallel_size, store=store
        )
        if not s.cache_enabled:
            print("note: the file cache is off (NAVIGATOR_CACHE_ENABLED=false): these runs last for this command only")
    else:
        cal = load_user_calibration(store)
    if args.json:
        print_json(cal.model_dump(mode="json") if cal else {"runs": 0, "fits": [], "comparisons": []})
        return 0
    if cal is None or not cal.fits:
        print("no imported runs: estimates and plans use the shipped calibration")
        return 0
    print_table(
        ["GPU CLASS", "MODEL CLASS", "RUNS", "MBU", "MFU", "MEDIAN ERROR BEFORE", "AFTER", "AFTER IS"],
        [
            [
                f.gpu_class,
                f.model_class,
                f.runs,
                f.mbu,
                f.mfu,
                f"{f.median_error_shipped:.1%}",
                f"{f.median_error_yours:.1%}",
                "held out (fit on the other runs)" if f.held_out else "in-sample (fewer than 3 runs)",
            ]
            for f in cal.fits
        ],
    )
    print(f"estimates and plans on these GPU × model classes now say 'calibrated on your N runs' ({cal.runs} runs)")
    if cal.fitted_runs is not None and cal.fitted_runs < cal.runs:
        print(
            f"the refit replayed {cal.fitted_runs} of your {cal.runs} runs (the newest of each class, "
            "within its time budget); the others are kept"
        )
    return 0


def _accuracy(args: argparse.Namespace) -> int:
    from core.calibration.accuracy import accuracy_markdown
    from core.errors import InputError

    text = accuracy_markdown()
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    except OSError as exc:  # a full disk (/dev/full), a read-only folder: say which path
        raise InputError(f"--out {args.out}: could not be written ({exc.strerror or type(exc).__name__})") from None
    for line in text.splitlines():
        if line.startswith(("**", "| output", "| tpot")):
            print(line)
    print(f"wrote {args.out}")
    return 0


def _benchmark(args: argparse.Namespace) -> int:
    from core.sizing.engine_timing import time_engine

    r = time_engine(args.repeats)
    print(f"one memory estimate (Llama-3.1-8B, H100):        median {r.single_estimate_ms:.3f} ms")
    print(f"one estimate with performance (16 concurrent):   median {r.single_with_performance_ms:.3f} ms")
    print(
        f"sweep of {r.sweep_configurations} configurations (models × GPUs × TP × quantizations): "
        f"median {r.sweep_ms:.1f} ms over {r.repeats} runs"
    )
    for label, ms in r.benchmark_mode_ms.items():
        print(f"benchmark-mode prediction, 1000 prompts {label + ':':<24} median {ms:.1f} ms")
    from core.planning.plan_timing import time_planning

    p = time_planning()
    print(
        f"default capacity plan (sample inventory's GPU types, interactive defaults, from scratch): "
        f"p50 {p.default_plan_p50_ms:.0f} ms, p95 {p.default_plan_p95_ms:.0f} ms over {p.repeats} runs"
    )
    print(
        f"capacity plan over all catalog GPUs ({p.candidates} candidates): p50 {p.plan_p50_ms:.0f} ms, "
        f"p95 {p.plan_p95_ms:.0f} ms over {p.repeats} runs"
    )
    print(
        f"capacity plan at a new rate (sized candidates kept): p50 {p.warm_plan_p50_ms:.0f} ms, "
        f"p95 {p.warm_plan_p95_ms:.0f} ms"
    )
    print(f"what-if recompute (RPS multiplier): p50 {p.whatif_p50_ms:.0f} ms, p95 {p.whatif_p95_ms:.0f} ms")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = sub.add_parser(
        "calibrate",
        help="refit the shipped efficiencies, or calibrate on your own GuideLLM / vllm bench serve runs",
    )
    c.add_argument(
        "--import",
        dest="import_files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="GuideLLM reports (JSON/YAML) or vllm bench serve --save-result JSON to calibrate on",
    )
    c.add_argument("--gpu", help="the GPU the imported runs ran on (catalog name, e.g. H100)")
    c.add_argument("--model", help="the checkpoint served, when the reports do not name it")
    c.add_argument("--tensor-parallel-size", type=int, default=1, help="GPUs per replica in the runs")
    c.add_argument("--show", action="store_true", help="show the calibration made of your imported runs")
    c.add_argument("--forget", action="store_true", help="delete your imported runs")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=_calibrate)
    a = sub.add_parser("accuracy", help="score the engine on every calibration row; write docs/accuracy.md")
    a.add_argument("--out", type=Path, default=Path("docs/accuracy.md"))
    a.set_defaults(handler=_accuracy)
    b = sub.add_parser("benchmark", help="time estimates, the catalog sweep, a plan and a what-if")
    b.add_argument("--repeats", type=int, default=7)
    b.set_defaults(handler=_benchmark)
