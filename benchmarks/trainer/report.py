"""The report: a table per case, ratios against the best peer, the headline."""

from __future__ import annotations

import platform
import statistics

import jax
import numpy as np

from trainer import peers_torch
from trainer.cases import CORES


def summarise(cases, results, peak):
    rows, summary = [], {}
    by_case = {c.name: [r for r in results if r.case == c.name] for c in cases}
    for c in cases:
        best_nn, best_peer = None, None
        for r in by_case[c.name]:
            if not r.times:
                rows.append((c.name, r.impl, None, r))
                continue
            sps = c.steps / r.median
            gflops = sps * c.flops_per_step / 1e9
            m = {
                "steps_s": sps,
                "samples_s": sps * c.batch,
                "gflops": gflops,
                "pct_peak": 100 * gflops / peak,
                "cpu_wall": statistics.median(
                    cpu / t for cpu, t in zip(r.cpus, r.times, strict=True)
                ),
            }
            rows.append((c.name, r.impl, m, r))
            if r.family == "nnbook" and (best_nn is None or sps > best_nn[1]):
                best_nn = (r.impl, sps, m)
            if r.family == "peer" and (best_peer is None or sps > best_peer[1]):
                best_peer = (r.impl, sps, m)
        ratio = best_nn[1] / best_peer[1] if best_nn and best_peer else float("nan")
        summary[c.name] = {"nnbook": best_nn, "peer": best_peer, "ratio": ratio}
    return rows, summary


def fmt(v, spec):
    return format(v, spec) if v is not None and np.isfinite(v) else "n/a"


def print_report(cases, rows, summary, peak, peaks, load, args):
    print()
    print(
        f"machine: {platform.processor() or platform.machine()}, {CORES} cores; "
        f"python {platform.python_version()}, jax {jax.__version__}, numpy {np.__version__}"
        + "".join(f", {k} {v}" for k, v in load["versions"].items())
        + (f"; torch threads {peers_torch.TORCH_THREADS}" if "torch" in load["versions"] else "")
    )
    print(
        "measured FP32 peak (2048² matmul, best of run): "
        + ", ".join(f"{k} {v:.1f}" for k, v in peaks.items())
        + f" GFLOP/s -> peak = {peak:.1f} GFLOP/s"
    )
    print(
        f"load: loadavg before {load['before']} after {load['after']}; "
        f"this process used {load['self_cores']:.2f} cores on average (cpu {load['cpu']:.0f} s / "
        f"wall {load['wall']:.0f} s); other processes {load['others_cores']} of {CORES} cores"
    )
    print(
        f"mode: {'quick' if args.quick else 'full'}, {args.rounds} rounds interleaved, "
        "medians; flops per step = 6 * params * batch"
    )
    if load.get("gemms"):
        g = load["gemms"]
        print(
            f"the five large matrix products of one b1024 step, alone: NumPy {g['numpy']:.1f} ms, "
            f"XLA {g['xla']:.1f} ms (XLA / NumPy time {g['xla'] / g['numpy']:.2f}); "
            f"at NumPy's speed a step could reach at most {1e3 / g['numpy']:.1f} steps/s, "
            f"at XLA's {1e3 / g['xla']:.1f}"
        )
    head = (
        f"{'case':15s} {'implementation':31s} {'steps/s':>9s} {'samples/s':>10s} "
        f"{'GFLOP/s':>8s} {'%peak':>6s} {'IQR%':>5s} {'cpu/wall':>8s} {'first s':>8s} "
        f"{'|dloss|':>8s}"
    )
    print()
    print(head)
    print("-" * len(head))
    last = None
    for case, impl, m, r in rows:
        if last is not None and case != last:
            s = summary[last]
            print(summary_line(last, s))
            print()
        last = case
        if m is None:
            print(f"{case:15s} {impl:31s} n/a ({r.error})")
            continue
        print(
            f"{case:15s} {impl:31s} {m['steps_s']:9.1f} {m['samples_s']:10.0f} "
            f"{m['gflops']:8.1f} {m['pct_peak']:6.1f} {100 * r.spread:5.0f} "
            f"{m['cpu_wall']:8.2f} {r.first:8.2f} {fmt(r.loss_diff, '8.1e')}"
        )
    if last is not None:
        print(summary_line(last, summary[last]))


def summary_line(name, s):
    nn, peer = s["nnbook"], s["peer"]
    if not nn or not peer:
        return f"{'':15s} => nnbook / best peer: n/a"
    return (
        f"{'':15s} => nnbook best = {nn[0]} ({nn[1]:.1f} steps/s); best peer = {peer[0]} "
        f"({peer[1]:.1f} steps/s); ratio {s['ratio']:.2f}"
    )


def headline(summary):
    keys = [
        "mlp_b128_sgd",
        "mlp_b128_adam",
        "mlp_b1024_sgd",
        "mlp_b1024_adam",
        "digits_full",
        "digits_b32",
    ]
    parts = [f"{k}={fmt(summary[k]['ratio'], '.2f') if k in summary else 'n/a'}" for k in keys]
    pcts = [
        summary[k]["nnbook"][2]["pct_peak"]
        for k in ("mlp_b1024_sgd", "mlp_b1024_adam")
        if k in summary and summary[k]["nnbook"]
    ]
    parts.append(f"peak_pct_b1024={fmt(max(pcts), '.1f') if pcts else 'n/a'}")
    return "headline: " + " ".join(parts)
