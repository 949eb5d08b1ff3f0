"""Speed of nnbook's trainer against its peers, on the same model, data, weights and batches.

Its parts are in ``benchmarks/trainer/``: the cases, one module per implementation
(nnbook, Flax, PyTorch, NumPy), the harness and the report. Run it with ``nox -s bench``
(or ``python benchmarks/bench_trainer.py [--quick]`` in an
environment that has nnbook, flax, optax and torch). Method: ``benchmarks/README.md``.

Every implementation trains the same MLP from the same initial weights (nnbook's
``init_mlp``), on the same data, visiting the same mini-batches in the same order (the
order ``nnbook.training.fit`` draws: ``jax.random.permutation(fold_in(key, epoch), n)``)
with the same optimizer. Implementations take turns, block by block, for several rounds;
the table reports medians. The run ends with exactly one ``headline:`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from functools import partial
from pathlib import Path

from trainer import peers_torch
from trainer.cases import CORES, make_cases
from trainer.harness import cpu_jiffies, measure_peak, measure_step_gemms, run_case, self_cpu
from trainer.peers_flax import FlaxLinen
from trainer.peers_nnbook import NnbookFit, NnbookLoop
from trainer.peers_numpy import NumpyHand
from trainer.peers_torch import Torch
from trainer.report import headline, print_report, summarise


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: small blocks, 2 rounds")
    p.add_argument("--rounds", type=int, help="timed rounds per case (default 7, quick 2)")
    p.add_argument("--cases", nargs="+", help="run only these cases")
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch entirely")
    p.add_argument(
        "--torch-threads",
        type=int,
        default=CORES,
        help=f"torch.set_num_threads (default: the {CORES} cores)",
    )
    p.add_argument("--settle", type=float, default=0.1, help="pause between blocks, seconds")
    p.add_argument("--json", type=Path, help="also write every measurement to this file")
    args = p.parse_args(argv)
    args.rounds = args.rounds or (2 if args.quick else 7)
    log = partial(print, file=sys.stderr, flush=True)

    wall0, cpu0, jiff0 = time.perf_counter(), self_cpu(), cpu_jiffies()
    load_before = tuple(round(v, 2) for v in os.getloadavg())
    versions = {}
    torch_mod = None
    impls = [NnbookLoop(), NnbookFit()]
    try:
        import flax

        versions["flax"] = flax.__version__
        impls.append(FlaxLinen())
    except ImportError as err:
        log(f"flax: n/a ({err})")
    if not args.no_torch:
        try:
            import torch

            peers_torch.TORCH_THREADS = args.torch_threads
            torch.set_num_threads(args.torch_threads)
            torch_mod = torch
            versions["torch"] = torch.__version__
            impls.append(Torch())
            if not args.no_compile:
                impls.append(Torch(compiled=True))
        except ImportError as err:
            log(f"torch: n/a ({err})")
    impls.append(NumpyHand())

    cases = make_cases(args.quick, args.cases)
    peak_reps = 3 if args.quick else 5
    peaks: dict[str, float] = {}

    def take_peak():
        for k, v in measure_peak(peak_reps, torch_mod).items():
            peaks[k] = max(peaks.get(k, 0.0), v)

    take_peak()
    log(f"peak so far: {peaks}")
    results = []
    for case in cases:
        log(f"{case.name}: {case.steps} steps per block, {args.rounds} rounds")
        # fresh objects per case, so no implementation reuses another case's state
        fresh = [type(i)(i.compiled) if isinstance(i, Torch) else type(i)() for i in impls]
        results += run_case(case, fresh, args.rounds, args.settle, log)
        take_peak()
    peak = max(peaks.values())
    gemms = measure_step_gemms(peak_reps + 2)  # the matrix-product floor of a b1024 step
    log(f"b1024 step's large matrix products alone (ms): {gemms}")

    wall, cpu, jiff1 = time.perf_counter() - wall0, self_cpu() - cpu0, cpu_jiffies()
    others = "n/a"
    if jiff0 and jiff1 and jiff1[1] > jiff0[1]:
        busy_cores = (jiff1[0] - jiff0[0]) / (jiff1[1] - jiff0[1]) * CORES
        others = f"{max(busy_cores - cpu / wall, 0.0):.2f}"
    load = {
        "before": load_before,
        "after": tuple(round(v, 2) for v in os.getloadavg()),
        "cpu": cpu,
        "wall": wall,
        "self_cores": cpu / wall,
        "others_cores": others,
        "versions": versions,
        "gemms": gemms,
    }
    rows, summary = summarise(cases, results, peak)
    print_report(cases, rows, summary, peak, peaks, load, args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "peaks": peaks,
                    "peak": peak,
                    "load": load,
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "results": [{**r.__dict__, "median": r.median} for r in results],
                    "summary": {
                        k: {
                            "ratio": v["ratio"],
                            "nnbook": v["nnbook"][0] if v["nnbook"] else None,
                            "peer": v["peer"][0] if v["peer"] else None,
                        }
                        for k, v in summary.items()
                    },
                },
                indent=1,
                default=str,
            )
        )
    print()
    print(headline(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
