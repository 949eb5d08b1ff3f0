"""Speed of nnbook's trainer against its peers, on the same model, data, weights and batches.

Run it with ``nox -s bench`` (or ``python benchmarks/bench_trainer.py [--quick]`` in an
environment that has nnbook, flax, optax and torch). Method: ``benchmarks/README.md``.

Every implementation trains the same MLP from the same initial weights (nnbook's
``init_mlp``), on the same data, visiting the same mini-batches in the same order (the
order ``nnbook.training.fit`` draws: ``jax.random.permutation(fold_in(key, epoch), n)``)
with the same optimizer. Implementations take turns, block by block, for several rounds;
the table reports medians. The run ends with exactly one ``headline:`` line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from nnbook import layers, losses, optimizers, training  # noqa: E402
from nnbook.datasets import load_digits  # noqa: E402

KEY = jax.random.key(1)  # fit's shuffling key; every implementation replays its order
TORCH_THREADS = CORES  # --torch-threads


# --------------------------------------------------------------------------------------
# Cases and data
# --------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    sizes: tuple[int, ...]
    x: np.ndarray  # (n, d) float32
    y: np.ndarray  # (n,) int32
    batch: int
    opt: str  # "sgd" or "adam"
    lr: float
    epochs: int  # epochs per timed block (every implementation runs the same block)
    orders: list[np.ndarray] = field(default_factory=list)  # per epoch: (n_batches, batch)

    @property
    def n_params(self) -> int:
        return sum(m * n + n for m, n in zip(self.sizes[:-1], self.sizes[1:], strict=True))

    @property
    def steps_per_epoch(self) -> int:
        return self.x.shape[0] // self.batch

    @property
    def steps(self) -> int:  # optimizer steps per timed block
        return self.epochs * self.steps_per_epoch

    @property
    def full_batch(self) -> bool:
        return self.batch == self.x.shape[0]

    @property
    def flops_per_step(self) -> float:  # 2 (forward) + 4 (backward) flops per weight and example
        return 6.0 * self.n_params * self.batch


def mnist_like(n: int = 8192, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped data, no download: pixels in [0, 1), labels from a fixed random teacher."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784), dtype=np.float32)
    teacher = rng.standard_normal((784, 10)).astype(np.float32)
    y = np.argmax((x - 0.5) @ teacher, axis=1).astype(np.int32)  # learnable, so the loss falls
    return x, y


def fit_orders(n: int, batch: int, epochs: int) -> list[np.ndarray]:
    """The mini-batch order ``nnbook.training.fit`` uses, epoch by epoch (see its docstring)."""
    n_batches = n // batch
    if n_batches == 1 and batch == n:
        return [np.arange(n)[None] for _ in range(epochs)]
    out = []
    for e in range(epochs):
        perm = np.asarray(jax.random.permutation(jax.random.fold_in(KEY, e), n))
        out.append(perm[: n_batches * batch].reshape(n_batches, batch).astype(np.int64))
    return out


def make_cases(quick: bool, only: list[str] | None) -> list[Case]:
    xm, ym = mnist_like()
    digits = load_digits()
    xd, yd = digits.x_train, digits.y_train  # (1347, 64) float32, int32
    mlp = (784, 512, 512, 10)
    # epochs per block: full run ~0.3-1 s per block on an idle 2-core machine
    e128, e1024, efull, e32 = (1, 1, 60, 2) if quick else (2, 4, 400, 10)
    cases = [
        Case("mlp_b128_sgd", mlp, xm, ym, 128, "sgd", 0.05, e128),
        Case("mlp_b128_adam", mlp, xm, ym, 128, "adam", 1e-3, e128),
        Case("mlp_b1024_sgd", mlp, xm, ym, 1024, "sgd", 0.05, e1024),
        Case("mlp_b1024_adam", mlp, xm, ym, 1024, "adam", 1e-3, e1024),
        Case("digits_full", (64, 32, 10), xd, yd, xd.shape[0], "adam", 0.01, efull),
        Case("digits_b32", (64, 32, 10), xd, yd, 32, "adam", 0.01, e32),
    ]
    if only:
        unknown = set(only) - {c.name for c in cases}
        if unknown:
            raise SystemExit(f"--cases: unknown {sorted(unknown)}; known {[c.name for c in cases]}")
        cases = [c for c in cases if c.name in only]
    for c in cases:
        c.orders = fit_orders(c.x.shape[0], c.batch, c.epochs)
    return cases


def init_weights(sizes) -> list[tuple[np.ndarray, np.ndarray]]:
    """nnbook's He-normal initial weights as NumPy (W (in, out), b (out,)) pairs."""
    params = layers.init_mlp(jax.random.key(0), sizes)
    return [(np.asarray(p.W, np.float32), np.asarray(p.b, np.float32)) for p in params]


# --------------------------------------------------------------------------------------
# Implementations. Each one: setup(case, weights); block() runs case.epochs epochs over
# case.orders and returns the per-step losses (a NumPy array) once everything finished.
# --------------------------------------------------------------------------------------


class Impl:
    name = "?"
    family = "peer"  # "nnbook" or "peer"

    def setup(self, case: Case, weights) -> None:
        raise NotImplementedError

    def block(self) -> np.ndarray:
        raise NotImplementedError


def _jax_batches(case: Case):
    """A jitted per-epoch gather that returns the epoch's batches as a list (one dispatch)."""
    nb = case.steps_per_epoch

    @jax.jit
    def gather(x, y, order):
        return [x[order[i]] for i in range(nb)], [y[order[i]] for i in range(nb)]

    x, y = jnp.asarray(case.x), jnp.asarray(case.y)
    orders = [jnp.asarray(o, jnp.int32) for o in case.orders]

    def epoch_batches(e):
        if case.full_batch:  # fit does not gather a full batch either
            return [x], [y]
        return gather(x, y, orders[e])

    return epoch_batches


def nnbook_loss(params, x, y):
    return losses.softmax_cross_entropy(layers.mlp(params, x), y)


def nnbook_opt(case: Case):
    return optimizers.sgd(case.lr) if case.opt == "sgd" else optimizers.adam(case.lr)


def nnbook_params(weights):
    return tuple(layers.Dense(W=jnp.asarray(w), b=jnp.asarray(b)) for w, b in weights)


class NnbookLoop(Impl):
    """training.make_train_step (donated buffers) called from a Python loop."""

    name, family = "nnbook step loop", "nnbook"

    def setup(self, case, weights):
        self.case = case
        opt = nnbook_opt(case)
        self.step = training.make_train_step(nnbook_loss, opt)  # donate=True by default
        self.params = nnbook_params(weights)
        self.state = opt.init(self.params)
        self.batches = _jax_batches(case)

    def block(self):
        out = []
        for e in range(self.case.epochs):
            xs, ys = self.batches(e)
            for xb, yb in zip(xs, ys, strict=True):
                self.params, self.state, loss = self.step(self.params, self.state, xb, yb)
                out.append(loss)
        jax.block_until_ready((self.params, self.state))
        return np.asarray(jax.device_get(out), np.float32)


class NnbookFit(Impl):
    """training.fit: all epochs of a block in one jitted, donated call (lax.scan over
    epochs around lax.scan over batches), resuming the optimizer state of the last block."""

    name, family = "nnbook fit/scan", "nnbook"

    def setup(self, case, weights):
        self.case = case
        self.opt = nnbook_opt(case)
        self.params = nnbook_params(weights)
        self.state = None  # fit starts with opt.init(params), then resumes block by block
        self.x, self.y = jnp.asarray(case.x), jnp.asarray(case.y)

    def block(self):
        c = self.case
        res = training.fit(
            KEY,
            self.params,
            nnbook_loss,
            self.opt,
            self.x,
            self.y,
            epochs=c.epochs,
            batch_size=c.batch,
            opt_state=self.state,
        )
        self.params, self.state = jax.block_until_ready((res.params, res.opt_state))
        return res.history.step_loss  # NumPy: fit fetches the losses once, at the end


class FlaxLinen(Impl):
    """Flax linen model + optax, one jax.jit step with donated params and state."""

    name = "flax linen + optax"

    def setup(self, case, weights):
        import flax.linen as nn
        import optax

        sizes = case.sizes

        class MLP(nn.Module):
            @nn.compact
            def __call__(self, x):
                for i, width in enumerate(sizes[1:]):
                    x = nn.Dense(width)(x)
                    if i < len(sizes) - 2:
                        x = nn.relu(x)
                return x

        model = MLP()
        self.params = {
            "params": {
                f"Dense_{i}": {"kernel": jnp.asarray(w), "bias": jnp.asarray(b)}
                for i, (w, b) in enumerate(weights)
            }
        }
        tx = optax.sgd(case.lr) if case.opt == "sgd" else optax.adam(case.lr)
        self.state = tx.init(self.params)

        def loss_fn(params, x, y):
            logits = model.apply(params, x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        @partial(jax.jit, donate_argnums=(0, 1))
        def step(params, state, x, y):
            loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
            updates, state = tx.update(grads, state, params)
            return optax.apply_updates(params, updates), state, loss

        self.step, self.case, self.batches = step, case, _jax_batches(case)

    block = NnbookLoop.block


class Torch(Impl):
    """PyTorch eager on the CPU (optionally torch.compile'd), fused optimizer when available."""

    def __init__(self, compiled: bool = False):
        self.compiled = compiled
        self.name = "torch.compile" if compiled else "torch eager"

    def setup(self, case, weights):
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(TORCH_THREADS)
        mods = []
        for i, (w, b) in enumerate(weights):
            lin = torch.nn.Linear(*w.shape)
            with torch.no_grad():  # copying the initial weights is not training
                lin.weight.copy_(torch.tensor(w.T))
                lin.bias.copy_(torch.tensor(b))
            mods.append(lin)
            if i < len(weights) - 1:
                mods.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*mods)
        kind = torch.optim.SGD if case.opt == "sgd" else torch.optim.Adam
        kw = {"lr": case.lr} if case.opt == "sgd" else {"lr": case.lr, "eps": 1e-8}
        try:  # fused kernels for CPU exist since torch 2.4; the fastest of torch's options
            self.opt = kind(model.parameters(), fused=True, **kw)
            self.opt_kind = "fused"
        except (RuntimeError, TypeError, ValueError):
            self.opt = kind(model.parameters(), **kw)
            self.opt_kind = "default"
        self.model = torch.compile(model, dynamic=False) if self.compiled else model
        self.F, self.torch, self.case = F, torch, case
        self.x = torch.from_numpy(case.x)
        self.y = torch.from_numpy(case.y.astype(np.int64))
        self.orders = [torch.from_numpy(o) for o in case.orders]

    def block(self):
        F, opt, model, out = self.F, self.opt, self.model, []
        for e in range(self.case.epochs):
            if self.case.full_batch:
                xs, ys = self.x[None], self.y[None]
            else:
                xs, ys = self.x[self.orders[e]], self.y[self.orders[e]]  # (nb, batch, ...)
            for xb, yb in zip(xs, ys, strict=True):
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(xb), yb)
                loss.backward()
                opt.step()
                out.append(loss.detach())
        return self.torch.stack(out).numpy().astype(np.float32)


class NumpyHand(Impl):
    """Forward, backward, SGD and Adam written by hand in NumPy (float32, in place)."""

    name = "numpy by hand"

    def setup(self, case, weights):
        self.case = case
        self.W = [w.copy() for w, _ in weights]
        self.b = [b.copy() for _, b in weights]
        if case.opt == "adam":
            self.m = [np.zeros_like(p) for p in self.W + self.b]
            self.v = [np.zeros_like(p) for p in self.W + self.b]
            self.t = 0

    def _step(self, x, y):
        W, b, L, n = self.W, self.b, len(self.W), x.shape[0]
        acts = [x]
        h = x
        for i in range(L):
            z = h @ W[i]
            z += b[i]
            if i < L - 1:
                np.maximum(z, 0.0, out=z)  # relu; its derivative is (a > 0), 0 at 0 as in nnbook
            acts.append(z)
            h = z
        z = acts[-1]
        zmax = z.max(axis=1, keepdims=True)
        e = np.exp(z - zmax)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.mean(np.log(s[:, 0]) + zmax[:, 0] - z[rows, y]))
        d = e / s  # dL/dz = (softmax - onehot) / n
        d[rows, y] -= 1.0
        d *= np.float32(1.0 / n)
        grads = [None] * (2 * L)
        for i in reversed(range(L)):
            grads[i] = acts[i].T @ d
            grads[L + i] = d.sum(axis=0)
            if i > 0:
                d = d @ W[i].T
                d *= acts[i] > 0
        self._update(grads)
        return loss

    def _update(self, grads):
        params, lr = self.W + self.b, np.float32(self.case.lr)
        if self.case.opt == "sgd":
            for p, g in zip(params, grads, strict=True):
                g *= lr
                p -= g
            return
        b1, b2, eps = 0.9, 0.999, 1e-8
        self.t += 1
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            g *= g
            g *= 1 - b2
            v += g
            den = v * np.float32(1.0 / c2)
            np.sqrt(den, out=den)
            den += np.float32(eps)
            np.divide(m, den, out=den)
            den *= np.float32(lr / c1)
            p -= den

    def block(self):
        c, out = self.case, []
        for e in range(c.epochs):
            if c.full_batch:
                xs, ys = c.x[None], c.y[None]
            else:
                xs, ys = c.x[c.orders[e]], c.y[c.orders[e]]  # (nb, batch, ...)
            for xb, yb in zip(xs, ys, strict=True):
                out.append(self._step(xb, yb))
        return np.asarray(out, np.float32)


# --------------------------------------------------------------------------------------
# Measuring: peak, load, timed blocks
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


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
        + (f"; torch threads {TORCH_THREADS}" if "torch" in load["versions"] else "")
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


# --------------------------------------------------------------------------------------


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

            global TORCH_THREADS
            TORCH_THREADS = args.torch_threads
            torch.set_num_threads(TORCH_THREADS)
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
