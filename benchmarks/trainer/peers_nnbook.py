"""nnbook's two trainers: a Python loop of one jitted step, and ``training.fit``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from nnbook import layers, losses, optimizers, training
from trainer.cases import KEY, Case, Impl


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
