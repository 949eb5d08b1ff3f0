"""Data-parallel training on many devices with ``jax.sharding`` (chapter 16).

Data parallelism keeps a full copy of the parameters on every device, cuts each
mini-batch into equal slices along a mesh axis called ``"data"``, and lets every
device compute the gradient of its slice. An **all-reduce** then sums the slices'
gradients so that every copy takes the same step:

    ∇L(θ; B) = (1/N) Σ_k ∇L(θ; B_k)   for N equal slices B_k of the batch B.

:func:`data_mesh`, :func:`shard_batch` and :func:`replicate` place arrays;
:func:`fit_data_parallel` trains with exactly the mini-batches of
:func:`nnbook.training.fit`, so the two can be compared step by step. XLA inserts the
all-reduce itself (:func:`collectives` lists it in the compiled program);
:func:`ring_all_reduce` writes one by hand from neighbour exchanges, and
:func:`ring_schedule` replays its bookkeeping in NumPy for the chapter's figure.

The same code runs on one process with several devices (simulated CPU devices, or the
GPUs of one machine) and on many processes joined by ``jax.distributed``
(:mod:`nnbook.distributed`): every process holds the whole data set on the host and
places only the slices that belong to its own devices.
"""

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

from nnbook._checks import check_key, check_positive_int
from nnbook.training import FitResult, History, epoch_plan, make_train_step

__all__ = [
    "RingSchedule",
    "all_reduce_operands",
    "collectives",
    "data_mesh",
    "fit_data_parallel",
    "replicate",
    "ring_all_reduce",
    "ring_schedule",
    "shard_batch",
]


def data_mesh(devices: Sequence[jax.Device] | None = None, axis_name: str = "data") -> Mesh:
    """A one-dimensional mesh of ``devices`` along ``axis_name``, with an automatic axis.

    ``jax.make_mesh`` in JAX 0.10 makes *explicit* axes by default (shardings become
    part of the array types, and an eager gradient of a sharded batch fails); the mesh
    here asks for ``AxisType.Auto``, where the compiler chooses how to partition.

    Args:
        devices: the devices, in order; ``None`` means all of ``jax.devices()`` (every
            process's devices when several processes are joined).
        axis_name: the name of the mesh axis the batch is split along.

    Returns:
        A ``jax.sharding.Mesh`` of shape ``(len(devices),)``.

    Examples:
        >>> mesh = data_mesh(jax.devices()[:1])
        >>> dict(mesh.shape), mesh.axis_types == (AxisType.Auto,)
        ({'data': 1}, True)
    """
    if not isinstance(axis_name, str) or not axis_name:
        raise TypeError(f"axis_name: expected a non-empty string, got {axis_name!r}")
    devices = jax.devices() if devices is None else list(devices)
    if not devices or not all(isinstance(d, jax.Device) for d in devices):
        raise ValueError(f"devices: expected a non-empty list of jax devices, got {devices!r}")
    return jax.make_mesh(
        (len(devices),), (axis_name,), axis_types=(AxisType.Auto,), devices=devices
    )


def _mesh_axis(mesh: Any, axis_name: Any) -> int:
    """Check the mesh and the axis name; return the number of devices along the axis."""
    if not isinstance(mesh, Mesh):
        raise TypeError(f"mesh: expected a jax.sharding.Mesh (see data_mesh), got {mesh!r}")
    if axis_name not in mesh.axis_names:
        raise ValueError(
            f"axis_name: expected one of the mesh's axes {mesh.axis_names}, got {axis_name!r}"
        )
    return int(mesh.shape[axis_name])


def _global(mesh: Mesh, value: Any, spec: PartitionSpec) -> jax.Array:
    """A global array laid out as ``spec``; each process fills its own devices' shards."""
    host = np.asarray(jax.device_get(value))
    return jax.make_array_from_callback(host.shape, NamedSharding(mesh, spec), lambda i: host[i])


def shard_batch(mesh: Mesh, x: Any, *, axis: int = 0, axis_name: str = "data") -> jax.Array:
    """Split ``x`` along ``axis`` into equal slices, one per device of ``axis_name``.

    Device k of the mesh holds ``x[k*m:(k+1)*m]`` (along ``axis``), m = size / N.

    Args:
        mesh: the device mesh (:func:`data_mesh`).
        x: a host or device array whose dimension ``axis`` is divisible by the number
            of devices along ``axis_name``.
        axis: the batch dimension of ``x``.
        axis_name: the mesh axis to split along.

    Returns:
        A ``jax.Array`` sharded as ``PartitionSpec(..., axis_name)`` at ``axis``.

    Examples:
        >>> xs = shard_batch(data_mesh(jax.devices()[:1]), np.ones((8, 3)))
        >>> xs.shape, xs.sharding.spec == PartitionSpec("data")
        ((8, 3), True)
    """
    n = _mesh_axis(mesh, axis_name)
    ndim = np.ndim(x)
    if isinstance(axis, bool) or not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise ValueError(f"axis: expected an integer in [{-ndim}, {ndim}) for x, got {axis!r}")
    axis %= ndim
    size = np.shape(x)[axis]
    if size == 0 or size % n:
        raise ValueError(
            f"x: expected dimension {axis} to be a positive multiple of the {n} devices "
            f"along {axis_name!r}, got shape {np.shape(x)}"
        )
    return _global(mesh, x, PartitionSpec(*([None] * axis), axis_name))


def replicate(mesh: Mesh, tree: Any) -> Any:
    """Put a full copy of every array of ``tree`` on every device of ``mesh``.

    Examples:
        >>> w = replicate(data_mesh(jax.devices()[:1]), {"w": jnp.ones(3)})
        >>> w["w"].sharding.is_fully_replicated
        True
    """
    if not isinstance(mesh, Mesh):
        raise TypeError(f"mesh: expected a jax.sharding.Mesh (see data_mesh), got {mesh!r}")
    return jax.tree.map(lambda a: _global(mesh, a, PartitionSpec()), tree)


@functools.lru_cache(maxsize=32)
def _epoch_fn(loss_fn: Callable, optimizer: Any, mesh: Mesh) -> Callable:
    """One epoch as one jitted ``lax.scan`` of ``make_train_step``; outputs replicated."""
    step = make_train_step(loss_fn, optimizer, donate=False)  # inlined into the scan

    def epoch(params, opt_state, x_batches, y_batches):
        def body(carry, batch):
            params, opt_state, loss = step(*carry, *batch)
            return (params, opt_state), loss

        (params, opt_state), losses = jax.lax.scan(
            body, (params, opt_state), (x_batches, y_batches)
        )
        return params, opt_state, losses

    return jax.jit(epoch, out_shardings=NamedSharding(mesh, PartitionSpec()), donate_argnums=(0, 1))


def fit_data_parallel(
    key: Any,
    params: Any,
    loss_fn: Callable,
    optimizer: Any,
    x: Any,
    y: Any,
    *,
    epochs: int,
    batch_size: int,
    mesh: Mesh,
    axis_name: str = "data",
) -> FitResult:
    """:func:`nnbook.training.fit` with every mini-batch split across the devices of ``mesh``.

    for each epoch, for each mini-batch B = B_1 ∪ … ∪ B_N (device k holds B_k):
        θ ← θ + update(∇_θ L(θ; B)),   the gradient all-reduced over ``axis_name``

    The mini-batches are those of ``fit`` with the same ``key`` (same shuffles, last
    incomplete batch dropped), so the two runs differ only by floating-point rounding.
    Each epoch is ONE compiled ``lax.scan`` and is waited for before the next is
    dispatched: with simulated CPU devices, dozens of queued programs that contain
    collectives can deadlock XLA's rendezvous and abort the process.

    Args:
        key: a ``jax.random.key`` for shuffling.
        params: initial parameters (any pytree); copied to every device.
        loss_fn: ``loss_fn(params, x_batch, y_batch) -> scalar`` mean loss.
        optimizer: an ``(init, update)`` pair (nnbook or optax).
        x: inputs, shape (n, ...), a host array (every process passes the same).
        y: targets, shape (n, ...).
        epochs: passes over the data, ``>= 1``.
        batch_size: examples per step, a multiple of the devices along ``axis_name``.
        mesh: the device mesh (:func:`data_mesh`).
        axis_name: the mesh axis the batch is split along.

    Returns:
        A ``FitResult(params, opt_state, history)`` as ``fit`` returns; the parameters
        are replicated ``jax.Array`` s, ``history`` has no evaluation arrays.

    Raises:
        FloatingPointError: at the first non-finite loss, naming the step and epoch.

    Examples:
        >>> from nnbook.optimizers import sgd
        >>> x = np.linspace(-1, 1, 32, dtype=np.float32)[:, None]
        >>> loss = lambda w, x, y: jnp.mean((x @ w - y) ** 2)
        >>> run = fit_data_parallel(jax.random.key(0), jnp.zeros((1, 1)), loss, sgd(0.5),
        ...                         x, 2 * x, epochs=20, batch_size=8, mesh=data_mesh())
        >>> run.history.step_loss.shape, round(float(run.params[0, 0]), 3)
        ((80,), 2.0)
    """
    n_dev = _mesh_axis(mesh, axis_name)
    key = check_key("key", key)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn: expected a function loss_fn(params, x, y), got {loss_fn!r}")
    if not (
        callable(getattr(optimizer, "init", None)) and callable(getattr(optimizer, "update", None))
    ):
        raise TypeError(
            f"optimizer: expected an (init, update) pair, got {type(optimizer).__name__}"
        )
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(f"y: expected as many rows as x (shape {x.shape}), got shape {y.shape}")
    epochs = check_positive_int("epochs", epochs)
    n = x.shape[0]
    batch_size = check_positive_int("batch_size", batch_size)
    if batch_size > n or batch_size % n_dev:
        raise ValueError(
            f"batch_size: expected a multiple of the {n_dev} devices along {axis_name!r} "
            f"and at most len(x) = {n}, got {batch_size}"
        )
    n_batches = n // batch_size
    orders = None  # full batch: the order does not matter, as in fit
    if batch_size != n:  # fit's batches: (epochs, n_batches, batch_size) example indices
        orders = np.asarray(
            epoch_plan(key, np.uint32(0), n=n, batch_size=batch_size, per_call=epochs,
                        shuffle=True, loss_keys=False)[0]
        )  # fmt: skip
    batches = NamedSharding(mesh, PartitionSpec(None, axis_name))  # (step, batch, ...)
    opt_state = replicate(mesh, optimizer.init(params))  # built on the host, then copied
    params = replicate(mesh, params)
    run_epoch = _epoch_fn(loss_fn, optimizer, mesh)
    step_losses = []
    for epoch in range(epochs):
        if orders is None:  # full batch: the order does not matter, as in fit
            xb, yb = x[None], y[None]
        else:
            xb, yb = x[orders[epoch]], y[orders[epoch]]  # (n_batches, batch_size, ...)
        x_dev = jax.make_array_from_callback(xb.shape, batches, xb.__getitem__)
        y_dev = jax.make_array_from_callback(yb.shape, batches, yb.__getitem__)
        params, opt_state, losses = run_epoch(params, opt_state, x_dev, y_dev)
        losses = np.asarray(losses, dtype=np.float32)  # waits: one program in flight at most
        bad = np.flatnonzero(~np.isfinite(losses))
        if bad.size:
            raise FloatingPointError(
                f"non-finite loss {losses[bad[0]]} at step {epoch * n_batches + int(bad[0])} "
                f"(epoch {epoch}); try a smaller learning rate or check the data and loss_fn"
            )
        step_losses.append(losses)
    step_loss = np.concatenate(step_losses)
    history = History(step_loss, step_loss.reshape(epochs, -1).mean(axis=1), None, None)
    return FitResult(params, opt_state, history)


def collectives(compiled_text: str) -> dict[str, int]:
    """Count the collective operations in a compiled XLA program's text.

    Args:
        compiled_text: ``jitted.lower(*args).compile().as_text()``.

    Returns:
        ``{op: count}`` for all-reduce, all-gather, reduce-scatter, all-to-all and
        collective-permute (only those that occur).

    Examples:
        >>> collectives("%a = f32[4] all-reduce(%x)\\n%b = f32[4] add(%a, %a)")
        {'all-reduce': 1}
    """
    if not isinstance(compiled_text, str):
        raise TypeError(f"compiled_text: expected the program's text (str), got {compiled_text!r}")
    ops = ("all-reduce", "all-gather", "reduce-scatter", "all-to-all", "collective-permute")
    counts = {}
    for op in ops:  # an instruction "= <shape> op(" or "op-start(" (asynchronous form)
        k = len(re.findall(rf"=\s*\S.*?\s{op}(?:-start)?\(", compiled_text))
        if k:
            counts[op] = k
    return counts


def all_reduce_operands(compiled_text: str) -> list[list[tuple[str, tuple[int, ...]]]]:
    """The arrays each all-reduce of a compiled XLA program sums: ``(dtype, shape)`` pairs.

    XLA combines small all-reduces into one instruction over a tuple of arrays, so a
    data-parallel step usually has one all-reduce carrying every gradient at once.

    Examples:
        >>> all_reduce_operands("%r = (f32[64,10]{1,0}, f32[]) all-reduce(%a, %b), x=1")
        [[('f32', (64, 10)), ('f32', ())]]
    """
    if not isinstance(compiled_text, str):
        raise TypeError(f"compiled_text: expected the program's text (str), got {compiled_text!r}")
    found = []
    for m in re.finditer(r"=\s*(\([^()]*\)|\S+)\s+all-reduce(?:-start)?\(", compiled_text):
        shapes = re.findall(r"(\w+)\[([\d,]*)\]", m.group(1))
        found.append([(t, tuple(int(d) for d in dims.split(",") if d)) for t, dims in shapes])
    return found


def ring_all_reduce(x: jax.Array, axis_name: str) -> jax.Array:
    """Sum ``x`` over the devices of ``axis_name`` by passing chunks around a ring.

    Device i cuts x into N chunks. Reduce-scatter, steps s = 0..N-2: send chunk
    (i - s) mod N to device i+1, which adds it to its own. Device i then holds the full
    sum of chunk (i+1) mod N. All-gather, steps s = 0..N-2: send chunk (i+1-s) mod N
    on, the receiver keeps it. Each device sends 2(N-1)/N times the size of x in all
    (Patarasuk and Yuan, 2009). Call it inside ``jax.shard_map``.

    Args:
        x: this device's array (any shape; padded internally to a multiple of N).
        axis_name: the mesh axis to reduce over.

    Returns:
        ``lax.psum(x, axis_name)``, computed with ``2 (N - 1)`` ``lax.ppermute`` steps.

    Examples:
        >>> from jax.sharding import PartitionSpec as P
        >>> f = jax.shard_map(lambda v: ring_all_reduce(v, "data"), mesh=data_mesh(),
        ...                   in_specs=P("data"), out_specs=P("data"))
        >>> float(f(jnp.ones(jax.device_count())).sum()) == jax.device_count() ** 2
        True
    """
    n = jax.lax.axis_size(axis_name)
    i = jax.lax.axis_index(axis_name)
    flat = jnp.ravel(x)
    pad = (-flat.size) % n
    chunks = jnp.pad(flat, (0, pad)).reshape(n, -1)  # (N, ceil(size / N))
    ring = [(j, (j + 1) % n) for j in range(n)]  # device j sends to device j + 1
    for s in range(n - 1):  # reduce-scatter: partial sums travel around the ring
        incoming = jax.lax.ppermute(chunks[(i - s) % n], axis_name, ring)
        chunks = chunks.at[(i - s - 1) % n].add(incoming)
    for s in range(n - 1):  # all-gather: the finished chunks travel around the ring
        incoming = jax.lax.ppermute(chunks[(i + 1 - s) % n], axis_name, ring)
        chunks = chunks.at[(i - s) % n].set(incoming)
    return chunks.reshape(-1)[: flat.size].reshape(x.shape)


class RingSchedule(NamedTuple):
    """What :func:`ring_all_reduce` does on N devices, step by step (NumPy booleans)."""

    holds: np.ndarray  # (2N-1, N devices, N chunks, N sources): chunk holds source's part
    sends: np.ndarray  # (2N-2, N devices): index of the chunk each device sends at a step
    phase: tuple[str, ...]  # (2N-1,): "start", "reduce-scatter" or "all-gather"


def ring_schedule(n_devices: int) -> RingSchedule:
    """Replay the ring all-reduce's bookkeeping: which gradients each chunk contains.

    Examples:
        >>> sched = ring_schedule(4)
        >>> sched.holds.shape, bool(sched.holds[-1].all()), sched.phase[3]
        ((7, 4, 4, 4), True, 'reduce-scatter')
    """
    n = check_positive_int("n_devices", n_devices)
    holds = np.zeros((n, n, n), dtype=bool)
    for i in range(n):
        holds[i, :, i] = True  # at the start every chunk holds only its own device's part
    states, sends, phase = [holds.copy()], [], ["start"]
    for name in ("reduce-scatter", "all-gather"):
        for s in range(n - 1):
            send = np.array(
                [((i - s) if name == "reduce-scatter" else (i + 1 - s)) % n for i in range(n)]
            )
            new = holds.copy()
            for i in range(n):
                src = (i - 1) % n  # device i receives from its left neighbour
                recv = send[src]
                new[i, recv] = (
                    (holds[i, recv] | holds[src, recv])
                    if name == "reduce-scatter"
                    else holds[src, recv]
                )
            holds = new
            states.append(holds.copy())
            sends.append(send)
            phase.append(name)
    return RingSchedule(np.array(states), np.array(sends).reshape(-1, n), tuple(phase))
