"""The benchmark cases, their data and weights, and what every implementation provides."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import jax
import numpy as np

from nnbook import layers
from nnbook.datasets import load_digits

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
KEY = jax.random.key(1)  # fit's shuffling key; every implementation replays its order


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


class Impl:
    name = "?"
    family = "peer"  # "nnbook" or "peer"

    def setup(self, case: Case, weights) -> None:
        raise NotImplementedError

    def block(self) -> np.ndarray:
        raise NotImplementedError
