"""One compiled step per mini-batch against a compiled loop, for a CNN and for an MLP.

Chapter 12 trains its convolutional network with a Python loop of compiled steps
(``training.make_train_step``) instead of ``training.fit``, whose epoch is one
``lax.scan``; this benchmark is the evidence. It runs the same Adam steps on the same
batches both ways, interleaved round by round so that a busy machine slows both alike,
and prints the median time per step and the ratio of the two, for chapter 12's CNN and,
as the peer, chapter 9's 784-256-10 MLP (where the compiled loop wins).

Usage: ``nox -s bench-conv-loop`` or ``python benchmarks/bench_conv_loop.py [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax

from nnbook import conv, layers, losses, optimizers, training

N_BATCHES, BATCH = 27, 64


def _mlp_loss(params, x, y):
    return losses.softmax_cross_entropy(layers.mlp(params, x), y)


def _case(name, key):
    if name == "cnn":
        return conv.init_cnn(key, (8, 16)), conv.cnn_loss
    return layers.init_mlp(key, (784, 256, 10)), _mlp_loss


def _runners(params, loss_fn, xb, yb):
    opt = optimizers.adam(3e-3)
    step = training.make_train_step(loss_fn, opt, donate=False)

    def python_loop():
        p, s = params, opt.init(params)
        for i in range(N_BATCHES):
            p, s, _ = step(p, s, xb[i], yb[i])
        return p

    def body(carry, batch):
        p, s, loss = step(*carry, *batch)
        return (p, s), loss

    scanned = jax.jit(lambda c, x, y: jax.lax.scan(body, c, (x, y))[0][0])

    def compiled_loop():
        return scanned((params, opt.init(params)), xb, yb)

    return {"one call per step": python_loop, "lax.scan": compiled_loop}


def main(rounds: int) -> None:
    key = jax.random.key(0)
    xb = jax.random.normal(key, (N_BATCHES, BATCH, 784))
    yb = jax.random.randint(jax.random.fold_in(key, 1), (N_BATCHES, BATCH), 0, 10)
    print(f"device: {jax.devices()[0].device_kind}; {N_BATCHES} Adam steps of {BATCH} digits")
    for name in ("cnn", "mlp"):
        params, loss_fn = _case(name, jax.random.fold_in(key, 2))
        runners = _runners(params, loss_fn, xb, yb)
        for run in runners.values():  # compile and warm up
            jax.block_until_ready(run())
        times: dict[str, list[float]] = {label: [] for label in runners}
        for _ in range(rounds):
            for label, run in runners.items():
                start = time.perf_counter()
                jax.block_until_ready(run())
                times[label].append((time.perf_counter() - start) / N_BATCHES)
        med = {label: statistics.median(t) for label, t in times.items()}
        ratio = med["lax.scan"] / med["one call per step"]
        parts = ", ".join(f"{label} {1e3 * s:.2f} ms/step" for label, s in med.items())
        print(f"{name}: {parts}; lax.scan / one call per step = {ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    main(parser.parse_args().rounds)
