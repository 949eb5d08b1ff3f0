"""The argument checks of :mod:`nnbook.training`, kept apart so that ``training.py``
shows the training itself. Everything here runs before anything is compiled: inside
the compiled steps values are abstract, so this is where the data can be looked at.
"""

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike

from nnbook._checks import (
    check_array,
    check_bool,
    check_finite,
    check_float_leaves,
    check_key,
    check_labels,
    check_positive_int,
    check_same_tree,
)


def check_fns(loss_fn: Any, optimizer: Any, loss_takes_key: Any = False) -> None:
    check_bool("loss_takes_key", loss_takes_key)
    if not callable(loss_fn):
        sig = "loss_fn(params, x, y, key)" if loss_takes_key else "loss_fn(params, x, y)"
        raise TypeError(f"loss_fn: expected a function {sig}, got {loss_fn!r}")
    if not (
        callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))
    ):
        raise TypeError(
            f"optimizer: expected an (init, update) pair, got {type(optimizer).__name__}"
        )


def scalar_valued(loss_fn: Callable) -> Callable:
    """``loss_fn``, raising a clear error (while tracing) unless it returns a float scalar."""

    @functools.wraps(loss_fn)
    def checked(*args: Any) -> Any:
        loss = loss_fn(*args)
        shape, dtype = jnp.shape(loss), jnp.result_type(loss)
        if shape != ():
            raise ValueError(f"loss_fn: expected a scalar loss, got shape {shape}")
        if not jnp.issubdtype(dtype, jnp.floating):
            raise TypeError(f"loss_fn: expected a floating-point loss, got dtype {dtype}")
        return loss

    return checked


def check_xy(
    x: ArrayLike, y: ArrayLike, x_name: str = "x", y_name: str = "y"
) -> tuple[Array, Array]:
    x = check_finite(x_name, check_array(x_name, x, dtype_kind="fiub", allow_empty=False))
    y = check_finite(y_name, check_array(y_name, y, dtype_kind="fiub", allow_empty=False))
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{y_name}: expected as many rows as {x_name} (shape {x.shape}), got shape {y.shape}"
        )
    return x, y


def check_labels_for(apply_fn: Callable, params: Any, x: Array, y: Array, y_name: str) -> None:
    """Labels ``y`` must suit ``apply_fn``'s logits: class ids in [0, k), or 0/1 for one column."""
    logits = jax.eval_shape(apply_fn, params, x)  # shapes only: nothing is computed
    n, shape = x.shape[0], getattr(logits, "shape", None)
    if shape is None or len(shape) not in (1, 2) or shape[0] != n:
        raise ValueError(
            f"apply_fn: expected logits of shape ({n}, k) or ({n},) for x of shape "
            f"{x.shape}, got {shape if shape is not None else type(logits).__name__}"
        )
    if len(shape) == 2 and shape[1] > 1:
        check_labels(y_name, y, shape[1], f"apply_fn gives {shape[1]} logit columns")
    else:
        values = np.asarray(y)
        if values.min() < 0 or values.max() > 1:
            raise ValueError(
                f"{y_name}: expected 0/1 labels for apply_fn's single logit column, "
                f"got min {values.min():g}, max {values.max():g}"
            )


def check_fit_args(
    key: Any,
    params: Any,
    loss_fn: Any,
    optimizer: Any,
    x: ArrayLike,
    y: ArrayLike,
    epochs: Any,
    batch_size: Any,
    eval_data: Any,
    apply_fn: Any,
    opt_state: Any,
    loss_takes_key: Any,
) -> tuple[Array, Array, int, int, tuple[Array, Array] | None, Any]:
    """Check every argument of :func:`nnbook.training.fit`.

    Returns ``(x, y, epochs, batch_size, eval_xy, opt_state)``: the arrays, the sizes as
    Python ints, the evaluation pair (or None) and the state to start from.
    """
    check_key("key", key)
    check_float_leaves("params", params)
    check_fns(loss_fn, optimizer, loss_takes_key)
    x, y = check_xy(x, y)
    n = x.shape[0]
    epochs = check_positive_int("epochs", epochs)
    batch_size = n if batch_size is None else batch_size
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise TypeError(f"batch_size: expected an integer in [1, {n}] or None, got {batch_size!r}")
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size: expected an integer in [1, {n}] (len(x)), got {batch_size}")
    batch_size = int(batch_size)
    eval_xy = None
    if eval_data is not None:
        if not (isinstance(eval_data, tuple | list) and len(eval_data) == 2):
            raise TypeError(f"eval_data: expected a pair (x_test, y_test), got {type(eval_data)}")
        if not callable(apply_fn):
            raise ValueError(
                f"apply_fn: expected apply_fn(params, x) with eval_data, got {apply_fn!r}"
            )
        x_eval, y_eval = eval_data
        eval_xy = check_xy(x_eval, y_eval, "eval_data[0]", "eval_data[1]")
        check_labels_for(apply_fn, params, *eval_xy, "eval_data[1]")
    if apply_fn is not None:
        if not callable(apply_fn):
            raise TypeError(f"apply_fn: expected a function apply_fn(params, x), got {apply_fn!r}")
        check_labels_for(apply_fn, params, x, y, "y")

    fresh = optimizer.init(params)
    if opt_state is None:
        return x, y, epochs, batch_size, eval_xy, fresh
    # It must look like optimizer.init(params): same structure and shapes.
    check_same_tree("opt_state", opt_state, fresh, "the state of this optimizer for params")
    return x, y, epochs, batch_size, eval_xy, opt_state
