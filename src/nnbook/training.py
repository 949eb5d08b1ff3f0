"""Training loops: one jitted step, and whole epochs in ``lax.scan``, taught in chapter 7
("Gradient descent and the training loop"); every chapter from the first on calls ``fit``.

Chapter 7 builds :func:`make_train_step`: the gradient, the optimizer update and
``params + updates`` fused into a single ``jax.jit``, with the old parameter buffers
*donated* so XLA can overwrite them in place. It then explains :func:`fit`, which runs
whole epochs of mini-batches inside one compiled ``jax.lax.scan``: one call from Python
for many steps instead of one per step, which matters most for small batches.

Nothing here prints or plots: :func:`fit` returns a :class:`History` of arrays. Inside
the compiled steps no value can be checked, so :func:`fit` and :func:`evaluate` check
the data before compiling (labels against the model's logits when ``apply_fn`` is
given), and ``fit`` checks every step's loss afterwards.
"""

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from nnbook._checks import check_bool, check_float_leaves
from nnbook._evaluate import evaluate, metrics_fn
from nnbook._fit_checks import check_fit_args, check_fns, scalar_valued
from nnbook.optimizers import (
    Optimizer,
    apply_updates,
    optimizer_recipe,
)

__all__ = [
    "EPOCHS_PER_CALL",
    "epoch_batches",
    "epoch_plan",
    "FitResult",
    "History",
    "evaluate",
    "fit",
    "make_train_epochs",
    "make_train_step",
]


class History(NamedTuple):
    """What happened during :func:`fit`, as NumPy arrays (``None`` without eval data).

    The arrays have the loss's dtype: float32, or float64 when x64 is enabled.
    """

    step_loss: Float[np.ndarray, " n_steps"]  # mini-batch loss before each update
    epoch_loss: Float[np.ndarray, " epochs"]  # mean of the epoch's step losses
    eval_loss: Float[np.ndarray, " epochs"] | None  # on eval_data, after each epoch
    eval_accuracy: Float[np.ndarray, " epochs"] | None


class FitResult(NamedTuple):
    """The trained parameters, the final optimizer state and the :class:`History`."""

    params: Any
    opt_state: Any
    history: History


def make_train_step(
    loss_fn: Callable,
    optimizer: Optimizer,
    *,
    donate: bool = True,
    loss_takes_key: bool = False,
) -> Callable:
    """Build ``step(params, opt_state, x, y) -> (params, opt_state, loss)`` as ONE ``jax.jit``.

    θ_{t+1} = θ_t + update(∇_θ L(θ_t; x, y))

    Args:
        loss_fn: ``loss_fn(params, x, y) -> scalar``, differentiable in ``params``.
        optimizer: A :class:`~nnbook.optimizers.GradientTransformation` (or an optax one).
        donate: Donate ``params`` and ``opt_state`` (``donate_argnums=(0, 1)``) so XLA
            reuses their memory; the arrays passed in are deleted after the call.
        loss_takes_key: For a stochastic loss (dropout): the step becomes
            ``step(params, opt_state, x, y, key)`` and calls ``loss_fn(params, x, y, key)``.

    Returns:
        The jitted step. It returns the loss *before* the update.

    Examples:
        >>> from nnbook.optimizers import sgd
        >>> step = make_train_step(lambda w, x, y: jnp.mean((x * w - y) ** 2), sgd(0.1))
        >>> w, state = jnp.array(0.0), sgd(0.1).init(None)
        >>> for _ in range(50):
        ...     w, state, loss = step(w, state, jnp.array([1.0, 2.0]), jnp.array([3.0, 6.0]))
        >>> round(float(w), 3)  # y = 3 x
        3.0

        With ``loss_takes_key=True`` the caller passes a fresh key every step:

        >>> noisy = lambda w, x, y, key: jnp.mean((x * w - y) ** 2) + 0 * jax.random.normal(key)
        >>> step = make_train_step(noisy, sgd(0.1), loss_takes_key=True)
        >>> w, state, loss = step(w, state, jnp.array([1.0]), jnp.array([3.0]), jax.random.key(0))
    """
    check_fns(loss_fn, optimizer, loss_takes_key)
    check_bool("donate", donate)
    loss_fn = scalar_valued(loss_fn)  # a clear error if it returns no scalar

    def step(params, opt_state, x, y, *key):  # key: () or (key,), by loss_takes_key
        check_float_leaves("params", params)  # gradient descent cannot move an integer
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y, *key)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return apply_updates(params, updates), opt_state, loss

    if loss_takes_key:

        def keyed_step(params, opt_state, x, y, key):
            return step(params, opt_state, x, y, key)

        return jax.jit(keyed_step, donate_argnums=(0, 1) if donate else ())
    return jax.jit(step, donate_argnums=(0, 1) if donate else ())


EPOCHS_PER_CALL = 32  # epochs that fit runs in one compiled call (without eval_data)


# fold_in data for the per-step loss keys; shuffling folds in the epoch (< 2**32 - 1).
_LOSS_KEY_STREAM = 0xFFFFFFFF


def epoch_batches(key: Any, epoch: Any, n: int, batch_size: int) -> Array:
    """The mini-batches of one epoch as ``fit`` draws them: example indices, one row a batch.

    order = permutation(fold_in(key, epoch), n), cut into n // batch_size rows of batch_size

    The last incomplete batch is dropped. ``fit`` and :func:`make_train_epochs` shuffle with
    exactly this, so a hand-written loop over these rows visits the same batches.

    Examples:
        >>> batches = epoch_batches(jax.random.key(0), 0, 10, 4)
        >>> batches.shape, len(set(batches.ravel().tolist()))
        ((2, 4), 8)
    """
    order = jax.random.permutation(jax.random.fold_in(key, epoch), n)
    n_batches = n // batch_size
    return order[: n_batches * batch_size].reshape(n_batches, batch_size)


def _loss_keys(key: Any, epoch: Any, n_batches: int) -> Any:
    """The keys ``loss_fn`` gets in one epoch, one per step, apart from the shuffling's.

    step i of epoch e: ``fold_in(fold_in(fold_in(key, 2**32 - 1), e), i)``.
    """
    per_epoch = jax.random.fold_in(jax.random.fold_in(key, _LOSS_KEY_STREAM), epoch)
    return jax.vmap(lambda i: jax.random.fold_in(per_epoch, i))(jnp.arange(n_batches))


def make_train_epochs(
    loss_fn: Callable,
    optimizer: Optimizer,
    *,
    loss_takes_key: bool = False,
) -> Callable:
    """Build many epochs of mini-batch steps as one compiled program: what :func:`fit` runs.

    The result is ``run(params, opt_state, x, y, key, first, last, *, batch_size,
    per_call)``, which computes::

        for epoch e in first, ..., first + per_call - 1 (skipped if e >= last):
            for each mini-batch B of a fresh shuffle:  θ ← θ + update(∇_θ L(θ; x_B, y_B))

    An inner ``lax.scan`` runs one epoch, one :func:`make_train_step` step per mini-batch,
    on the batches of :func:`epoch_batches`: a shuffle with ``jax.random.fold_in(key, e)``
    cut into ``len(x) // batch_size`` batches, the incomplete last one dropped (a full
    batch is used as it is). An outer ``lax.scan`` runs ``per_call`` epochs in one call
    from Python. Epochs at or past ``last`` are skipped with ``lax.cond`` (nothing
    changes, their losses are NaN), and ``first`` and ``last`` are traced, so one compiled
    program serves every number of epochs. The shuffles of the ``per_call`` epochs are
    drawn by a second compiled program, once per data size, batch size and ``per_call``,
    which every model trained on such data shares: drawing and sorting random bits takes
    XLA longer to compile than a small network's training step.

    The compiled programs are kept across calls: building ``run`` again for the same
    ``loss_fn`` and ``optimizer`` compiles nothing new. For :func:`~nnbook.optimizers.sgd`,
    ``momentum`` and ``adam`` the learning rate is an input of the program (a weakly
    typed scalar, so the updates are the same to the bit as with η a constant), and
    optimizers that differ only in it share one program: a learning-rate sweep compiles
    once. :func:`fit` checks the data before calling ``run``; ``run`` checks only what
    tracing can see (floating-point parameters, a scalar loss), and nothing about the
    values.

    Args:
        loss_fn: ``loss_fn(params, x_batch, y_batch) -> scalar``.
        optimizer: A :class:`~nnbook.optimizers.GradientTransformation` (or an optax one).
        loss_takes_key: For a stochastic loss (dropout): call
            ``loss_fn(params, x_batch, y_batch, step_key)`` with a fresh key every step,
            as :func:`fit` describes.

    Returns:
        ``run``, which calls the two compiled programs. Its ``first`` and ``last`` are
        ``np.uint32`` epoch numbers, ``batch_size`` and ``per_call`` are static (a new
        value compiles anew), and ``params`` and ``opt_state`` are donated (use the
        returned ones). It returns ``(params, opt_state, losses)``,
        ``losses`` of shape ``(per_call, n_batches)``: each step's loss before its update.

    Examples:
        >>> from nnbook.optimizers import sgd
        >>> x = jnp.linspace(-1, 1, 32)[:, None]
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> run = make_train_epochs(loss, sgd(0.5))
        >>> w, state, losses = run(jnp.zeros((1, 1)), sgd(0.5).init(None), x, 2 * x,
        ...                        jax.random.key(0), np.uint32(0), np.uint32(3),
        ...                        batch_size=8, per_call=4)
        >>> losses.shape, bool(jnp.isnan(losses[3]).all())  # 4 steps an epoch; epoch 3 skipped
        ((4, 4), True)
        >>> result = fit(jax.random.key(0), jnp.zeros((1, 1)), loss, sgd(0.5), x, 2 * x,
        ...              epochs=3, batch_size=8)  # the same three epochs
        >>> bool(jnp.allclose(result.history.step_loss, losses[:3].reshape(-1)))
        True
    """
    check_fns(loss_fn, optimizer, loss_takes_key)
    made = optimizer_recipe(optimizer)
    hyper: tuple[Array, ...] = ()
    if made is None:  # an optax optimizer, or hyper-parameters that are arrays
        program = _epochs_program(loss_fn, optimizer, (), loss_takes_key, False)
    else:  # one of ours: the learning rate is an input, so every η shares the program
        maker, learning_rate, others = made
        program = _epochs_program(loss_fn, maker, others, loss_takes_key, True)
        hyper = (jnp.asarray(float(learning_rate)),)  # weakly typed, like a Python η

    def run(params, opt_state, x, y, key, first, last, *, batch_size, per_call):
        n = jnp.shape(x)[0]
        shuffle = batch_size != n  # a full batch is used as it is: its order is irrelevant
        orders, keys = None, None
        if shuffle or loss_takes_key:
            orders, keys = epoch_plan(
                key, first, n=n, batch_size=batch_size, per_call=per_call, shuffle=shuffle,
                loss_keys=loss_takes_key,
            )  # fmt: skip
        return program(params, opt_state, x, y, orders, keys, first, last, hyper, per_call)

    return run


@functools.partial(jax.jit, static_argnames=("n", "batch_size", "per_call", "shuffle", "loss_keys"))
def epoch_plan(
    key: Any,
    first: Any,
    *,
    n: int,
    batch_size: int,
    per_call: int,
    shuffle: bool = True,
    loss_keys: bool = False,
) -> tuple[Any, Any]:
    """The batches (and the loss keys) of epochs ``first, ..., first + per_call - 1``.

    What :func:`fit` and :func:`nnbook.parallel.fit_data_parallel` feed their compiled
    epochs. It is compiled apart from the training program, once per (``n``,
    ``batch_size``, ``per_call``): shuffling draws threefry bits and sorts them, which
    takes XLA longer to compile than a small network's whole training step, and every
    model trained on data of the same size shares this program instead of compiling its
    own copy.

    Args:
        key: the run's PRNG key, as given to :func:`fit`.
        first: the number of the first epoch (a traced value: no recompiling per call).
        n: the number of training examples.
        batch_size: examples per step; the incomplete last batch is dropped.
        per_call: how many epochs to plan.
        shuffle: plan the batches; ``False`` gives ``None`` for them (a full batch).
        loss_keys: plan a key per step for a loss that takes one (dropout); ``False``
            gives ``None``.

    Returns:
        ``(orders, keys)``: ``orders[i]`` is :func:`epoch_batches` of epoch ``first + i``,
        shape (per_call, n // batch_size, batch_size); ``keys[i, j]`` the loss key of step
        ``j`` of that epoch.

    Examples:
        >>> key = jax.random.key(0)
        >>> orders, keys = epoch_plan(key, 2, n=10, batch_size=4, per_call=3)
        >>> orders.shape, keys is None
        ((3, 2, 4), True)
        >>> bool(jnp.all(orders[1] == epoch_batches(key, 3, 10, 4)))
        True
    """
    epochs = first + jnp.arange(per_call, dtype=jnp.uint32)
    orders = (
        jax.lax.map(lambda e: epoch_batches(key, e, n, batch_size), epochs) if shuffle else None
    )
    keys = jax.lax.map(lambda e: _loss_keys(key, e, n // batch_size), epochs) if loss_keys else None
    return orders, keys


@functools.lru_cache(maxsize=32)
def _epochs_program(
    loss_fn: Callable, optimizer: Any, others: tuple, loss_takes_key: bool, recipe: bool
) -> Callable:
    """The compiled epochs of :func:`make_train_epochs`, kept across calls (and fits).

    One program per (``loss_fn``, ``optimizer``, ``loss_takes_key``), or, with ``recipe``,
    per (``loss_fn``, maker of the optimizer, its ``others`` hyper-parameters,
    ``loss_takes_key``): the optimizer is then ``optimizer(η, **others)`` with η traced.
    """

    def optimizer_of(*hyper):
        return optimizer(*hyper, **dict(others)) if recipe else optimizer

    def one_epoch(carry, x, y, order, keys, step):
        if order is None:  # full batch: order is irrelevant
            batches: tuple[Array, ...] = (x[None], y[None])
        else:  # this epoch's shuffle, the incomplete last batch dropped
            batches = (x[order], y[order])  # (n_batches, batch_size, ...)
        if loss_takes_key:  # a fresh key for every step's loss_fn (dropout)
            batches = (*batches, keys)

        def body(carry, batch):  # one optimizer step per mini-batch
            params, opt_state, loss = step(*carry, *batch)
            return (params, opt_state), loss

        return jax.lax.scan(body, carry, batches)

    def run_epochs(params, opt_state, x, y, orders, keys, first, last, hyper, per_call):
        # inlined into the scan; the optimizer sees its hyper-parameters as traced values
        step = make_train_step(
            loss_fn, optimizer_of(*hyper), donate=False, loss_takes_key=loss_takes_key
        )

        def epoch(carry, plan):
            e, order, keys = plan

            def train(carry):
                return one_epoch(carry, x, y, order, keys, step)

            def skip(carry):  # past the last epoch: nothing changes, losses are NaN
                losses = jax.eval_shape(train, carry)[1]
                return carry, jnp.full(losses.shape, jnp.nan, losses.dtype)

            return jax.lax.cond(e < last, train, skip, carry)

        epochs = first + jnp.arange(per_call, dtype=jnp.uint32)
        (params, opt_state), losses = jax.lax.scan(
            epoch, (params, opt_state), (epochs, orders, keys)
        )
        return params, opt_state, losses  # losses: (per_call, n_batches)

    return jax.jit(run_epochs, static_argnames=("per_call",), donate_argnums=(0, 1))


def fit(
    key: Any,
    params: Any,
    loss_fn: Callable,
    optimizer: Optimizer,
    x: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int,
    batch_size: int | None = None,
    eval_data: tuple[ArrayLike, ArrayLike] | None = None,
    apply_fn: Callable | None = None,
    opt_state: Any = None,
    loss_takes_key: bool = False,
) -> FitResult:
    """Train with mini-batch gradient descent, one compiled ``lax.scan`` per epoch.

    for each epoch, for each mini-batch B:  θ ← θ + update(∇_θ L(θ; x_B, y_B))

    Each epoch shuffles with ``jax.random.fold_in(key, epoch)`` and drops the last
    incomplete batch, so an epoch has ``n // batch_size`` steps. The epoch function is
    compiled once per (loss_fn, optimizer, shapes) and reused by every epoch and by later
    calls (see :func:`make_train_epochs`); for :func:`~nnbook.optimizers.sgd`,
    ``momentum`` and ``adam`` the learning rate is an input of that program, so fits that
    differ only in it (a learning-rate sweep, or a new ``sgd(0.1)`` built for each run)
    share one compiled program. The ``params`` passed in are copied first, so they stay
    usable.

    Args:
        key: A ``jax.random.key`` for shuffling (and for ``loss_fn``'s keys).
        params: Initial parameters (any pytree).
        loss_fn: ``loss_fn(params, x_batch, y_batch) -> scalar``.
        optimizer: A :class:`~nnbook.optimizers.GradientTransformation` (or an optax one).
        x: Inputs, shape (n, ...).
        y: Targets, shape (n, ...).
        epochs: Number of passes over the data, ``>= 1``.
        batch_size: Examples per step, in ``[1, n]``; ``None`` means full batch (``n``).
        eval_data: Optional ``(x_test, y_test)`` evaluated after every epoch.
        apply_fn: ``apply_fn(params, x) -> logits``, required with ``eval_data``
            (see :func:`evaluate` for the loss used). When given, the labels ``y`` (and
            ``eval_data[1]``) are checked against its logits before training: class ids
            in ``[0, k)`` for k columns, 0/1 for one column.
        opt_state: The optimizer state to continue from, such as the ``opt_state`` of
            an earlier :class:`FitResult` (Adam's moments and step count); ``None``
            starts afresh with ``optimizer.init(params)``. Epochs count from 0 again, so
            pass a new ``key`` to continue with new shuffles.
        loss_takes_key: For a stochastic loss (dropout): call
            ``loss_fn(params, x_batch, y_batch, step_key)`` with a fresh key every step,
            ``fold_in(fold_in(fold_in(key, 2**32 - 1), epoch), step_in_epoch)``: a stream
            apart from the shuffling's ``fold_in(key, epoch)``, so switching it on leaves
            the batch order unchanged, and the same ``key`` gives the same run.

    Returns:
        A :class:`FitResult` ``(params, opt_state, history)``.

    Raises:
        FloatingPointError: At the first non-finite step loss, naming the step (counted
            from 0 over the whole run) and the epoch (from 0). A loss that is already
            non-finite at step 0, before any update, points at the data or ``loss_fn``
            (an out-of-range label gives a NaN loss under ``jit``), not the learning rate.

    Examples:
        >>> from nnbook.optimizers import sgd
        >>> x = jnp.linspace(-1, 1, 32)[:, None]
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> result = fit(jax.random.key(0), jnp.zeros((1, 1)), loss, sgd(0.5), x, 2 * x,
        ...              epochs=20, batch_size=8)
        >>> result.history.step_loss.shape, round(float(result.params[0, 0]), 3)
        ((80,), 2.0)

        A stochastic loss takes a fourth argument, a key that differs from step to step:

        >>> def noisy(w, x, y, key):  # the targets jitter a little at every step
        ...     y = y + 0.01 * jax.random.normal(key, y.shape)
        ...     return jnp.mean((x @ w - y) ** 2)
        >>> result = fit(jax.random.key(0), jnp.zeros((1, 1)), noisy, sgd(0.5), x, 2 * x,
        ...              epochs=20, batch_size=8, loss_takes_key=True)
        >>> round(float(result.params[0, 0]), 2)
        2.0
    """
    x, y, epochs, batch_size, eval_xy, opt_state = check_fit_args(
        key, params, loss_fn, optimizer, x, y, epochs, batch_size, eval_data, apply_fn,
        opt_state, loss_takes_key,
    )  # fmt: skip
    # fit donates its buffers to XLA; copy first so the caller's arrays stay valid.
    params = jax.tree.map(jnp.array, params)
    opt_state = jax.tree.map(jnp.array, opt_state)
    run_epochs = make_train_epochs(loss_fn, optimizer, loss_takes_key=loss_takes_key)
    # Several epochs run in one compiled call (one per call when evaluating after each),
    # and no call waits for the one before: JAX runs them in order while Python queues
    # the next. The losses stay on the device until the end, fetched in one transfer.
    per_call = 1 if eval_data is not None else EPOCHS_PER_CALL  # one compile for any epochs
    step_losses, metrics = [], []
    for first in range(0, epochs, per_call):
        params, opt_state, losses = run_epochs(
            params,
            opt_state,
            x,
            y,
            key,
            np.uint32(first),
            np.uint32(epochs),
            batch_size=batch_size,
            per_call=per_call,
        )
        step_losses.append(losses)
        if eval_xy is not None:  # eval_data, checked
            metrics.append(metrics_fn(apply_fn)(params, *eval_xy))
    step_losses, metrics = jax.device_get((step_losses, metrics))
    # In the loss's own dtype: a float64 loss past float32's range is still finite.
    by_epoch = np.concatenate(step_losses)[:epochs]  # (epochs, steps per epoch)
    for epoch, losses in enumerate(by_epoch):
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            step = epoch * losses.size + int(bad[0])
            advice = (
                "before any update, so not the learning rate: check the data, the labels "
                "and loss_fn"
                if step == 0
                else "try a smaller learning rate or check the data and loss_fn"
            )
            raise FloatingPointError(
                f"non-finite loss {losses[bad[0]]} at step {step} (epoch {epoch}); {advice}"
            )

    step_loss = by_epoch.reshape(-1)
    with np.errstate(over="ignore"):  # a huge but finite loss: its epoch mean may be inf
        epoch_loss = step_loss.reshape(epochs, -1).mean(axis=1)
    eval_arrays = [np.asarray([m[i] for m in metrics]) for i in (0, 1)] if metrics else None
    history = History(
        step_loss=step_loss,
        epoch_loss=epoch_loss,
        eval_loss=eval_arrays[0] if eval_arrays else None,
        eval_accuracy=eval_arrays[1] if eval_arrays else None,
    )
    return FitResult(params, opt_state, history)
