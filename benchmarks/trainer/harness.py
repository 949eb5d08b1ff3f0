"""Measuring: the machine peak, the load, timed blocks in interleaved rounds."""

from __future__ import annotations

import gc
import os
import resource
import statistics
import time
import traceback
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from trainer.cases import Case, Impl, init_weights


def measure_peak(reps: int, torch_mod=None) -> dict[str, float]:
    """Best FP32 2048x2048 matrix product, in GFLOP/s, per library."""
    n = 2048
    flops = 2.0 * n**3
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    out = {}
    best = np.inf
    a @ b
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    out["numpy"] = flops / best / 1e9
    mm = jax.jit(jnp.matmul)
    aj, bj = jnp.asarray(a), jnp.asarray(b)
    mm(aj, bj).block_until_ready()
    best = np.inf
    for _ in range(reps):
        t = time.perf_counter()
        mm(aj, bj).block_until_ready()
        best = min(best, time.perf_counter() - t)
    out["jax"] = flops / best / 1e9
    if torch_mod is not None:
        at, bt = torch_mod.from_numpy(a), torch_mod.from_numpy(b)
        at @ bt
        best = np.inf
        for _ in range(reps):
            t = time.perf_counter()
            at @ bt
            best = min(best, time.perf_counter() - t)
        out["torch"] = flops / best / 1e9
    return out


def measure_step_gemms(reps: int, batch: int = 1024) -> dict[str, float]:
    """Milliseconds for the large matrix products of one 784-512-512-10 training step.

    A step at batch ``batch`` multiplies five big matrices (two forward, one input
    gradient, two weight gradients; the 10-wide ones are negligible). Timed one by one,
    best of ``reps``, with NumPy's BLAS and with XLA's kernels: no implementation built
    on one of them can take a step faster than its sum.
    """
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, 784), dtype=np.float32)
    h = rng.standard_normal((batch, 512), dtype=np.float32)
    d = rng.standard_normal((batch, 512), dtype=np.float32)
    w1 = rng.standard_normal((784, 512), dtype=np.float32)
    w2 = rng.standard_normal((512, 512), dtype=np.float32)
    products = [  # (left, right, function)
        (x, w1, lambda a, b: a @ b),  # forward, layer 1
        (h, w2, lambda a, b: a @ b),  # forward, layer 2
        (d, w2, lambda a, b: a @ b.T),  # gradient of layer 2's input
        (h, d, lambda a, b: a.T @ b),  # weight gradient, layer 2
        (x, d, lambda a, b: a.T @ b),  # weight gradient, layer 1
    ]

    def best(fn, a, b, sync):
        sync(fn(a, b))
        t_best = np.inf
        for _ in range(reps):
            t = time.perf_counter()
            sync(fn(a, b))
            t_best = min(t_best, time.perf_counter() - t)
        return t_best

    out = {"numpy": 0.0, "xla": 0.0}
    for a, b, fn in products:
        out["numpy"] += best(fn, a, b, lambda r: r)
        out["xla"] += best(jax.jit(fn), jnp.asarray(a), jnp.asarray(b), jax.block_until_ready)
    return {k: 1e3 * v for k, v in out.items()}


def cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) jiffies of the whole machine from /proc/stat, or None elsewhere."""
    try:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)  # idle + iowait
    total = sum(vals[:8])  # guest time is already inside user
    return total - idle, total


def self_cpu() -> float:
    r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


@dataclass
class Result:
    case: str
    impl: str
    family: str
    times: list[float] = field(default_factory=list)  # wall seconds per timed block
    cpus: list[float] = field(default_factory=list)  # process CPU seconds per timed block
    first: float = float("nan")  # first block (compiles), seconds
    loss_diff: float = float("nan")  # max |loss - nnbook step loop's loss| over the first block
    final_loss: float = float("nan")
    error: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def spread(self) -> float:  # interquartile range relative to the median
        if len(self.times) < 4:
            return (max(self.times) - min(self.times)) / self.median if self.times else float("nan")
        q = statistics.quantiles(self.times, n=4)
        return (q[2] - q[0]) / self.median


def timed(fn):
    gc.collect()
    gc.disable()
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        value = fn()
        t1, c1 = time.perf_counter(), time.process_time()
    finally:
        gc.enable()
    return value, t1 - t0, c1 - c0


def run_case(case: Case, impls: list[Impl], rounds: int, settle: float, log) -> list[Result]:
    weights = init_weights(case.sizes)
    results, live, reference = [], [], None
    for impl in impls:
        res = Result(case.name, impl.name, impl.family)
        results.append(res)
        try:
            impl.setup(case, weights)
            ls, dt, _ = timed(impl.block)  # warm-up: compiles; its losses check agreement
            res.first = dt
            if reference is None and impl.family == "nnbook":
                reference = ls
            if reference is not None and ls.shape == reference.shape:
                res.loss_diff = float(np.max(np.abs(ls - reference)))
            elif reference is not None:
                res.loss_diff = float("inf")
            if not np.isfinite(ls).all():
                raise FloatingPointError("non-finite loss in the first block")
            live.append((impl, res))
            log(f"  {case.name:15s} {impl.name:31s} first block {dt:7.2f} s")
        except Exception as err:  # noqa: BLE001 - any failure is reported as n/a
            res.error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[
                :160
            ]
            log(f"  {case.name:15s} {impl.name:31s} n/a: {res.error}")
            if os.environ.get("BENCH_TRACEBACK"):
                traceback.print_exc()
    for r in range(rounds):
        k = r % len(live) if live else 0
        for impl, res in live[k:] + live[:k]:  # rotate who goes first
            time.sleep(settle)  # let the previous library's spinning threads go idle
            try:
                ls, dt, cpu = timed(impl.block)
            except Exception as err:  # noqa: BLE001
                res.error = f"{type(err).__name__}: {err}"[:160]
                continue
            res.times.append(dt)
            res.cpus.append(cpu)
            res.final_loss = float(ls[-1])
    return results
