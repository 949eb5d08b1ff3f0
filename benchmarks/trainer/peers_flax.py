"""Flax linen with optax: the JAX peer."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from trainer.cases import Impl
from trainer.peers_nnbook import NnbookLoop, _jax_batches


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
