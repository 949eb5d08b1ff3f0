"""An honest stopwatch for JAX code, taught in chapter 15 ("Why GPUs and TPUs").

Timing JAX naively gives wrong answers for three reasons, and :func:`time_fn` deals
with each:

1. **Compiling.** The first call of a ``jax.jit`` function traces and compiles it.
   That call is timed on its own (``first_call_s``) and never mixed with the rest.
2. **Asynchronous dispatch.** A JAX call returns as soon as the work is *queued*, not
   when it is done. Every timed call is waited on with ``jax.block_until_ready``
   before the clock stops, so a timing covers the computation itself.
3. **Noise.** Other programs, caches and the operating system disturb single runs.
   Several repeats are timed after a warm-up and summarised by their median (robust to
   a few slow outliers) and their spread: the quartiles, the minimum and the maximum.

The result is a :class:`Timing` that also names the device the work ran on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

__all__ = ["Timing", "summarize", "time_fn"]


class Timing(NamedTuple):
    """Steady-state timing of one function call, with its spread and its device."""

    median_s: float  # median of the timed repeats, in seconds
    q25_s: float  # lower quartile of the repeats
    q75_s: float  # upper quartile of the repeats
    min_s: float
    max_s: float
    first_call_s: float  # the first call alone: tracing + compiling + one run
    times_s: tuple[float, ...]  # every timed repeat, in order
    device: str  # e.g. "cpu:0" or "cuda:0"
    platform: str  # "cpu", "gpu" or "tpu"
    device_kind: str  # JAX's name for the chip: "cpu", "NVIDIA H100 80GB HBM3", ...

    @property
    def iqr_s(self) -> float:
        """Interquartile range ``q75_s - q25_s``: the spread of the middle half."""
        return self.q75_s - self.q25_s

    @property
    def compile_s(self) -> float:
        """Estimated one-off cost of the first call: ``first_call_s - median_s`` (>= 0)."""
        return max(self.first_call_s - self.median_s, 0.0)


def summarize(times: Sequence[float] | np.ndarray) -> tuple[float, float, float, float, float]:
    """Median, lower and upper quartile, minimum and maximum of repeated timings.

    Quartiles interpolate linearly between order statistics (NumPy's default), so
    for ``[1, 2, 3, 4]`` they are 1.75 and 3.25.

    Args:
        times: one or more durations in seconds.

    Returns:
        ``(median, q25, q75, min, max)`` as Python floats.

    Examples:
        >>> summarize([3.0, 1.0, 2.0, 10.0])
        (2.5, 1.75, 4.75, 1.0, 10.0)
    """
    if isinstance(times, str) or not isinstance(times, Sequence | np.ndarray):
        raise TypeError(f"times: expected a sequence of durations, got {type(times).__name__}")
    arr = np.asarray(times, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"times: expected a non-empty 1-D sequence, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"times: expected finite durations >= 0, got {arr.tolist()}")
    q25, median, q75 = np.percentile(arr, [25, 50, 75])
    return float(median), float(q25), float(q75), float(arr.min()), float(arr.max())


def _count(name: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name}: expected an integer >= {least}, got {type(value).__name__}")
    if value < least:
        raise ValueError(f"{name}: expected an integer >= {least}, got {value}")
    return int(value)


def _device_of(out: Any, fallback: jax.Device) -> jax.Device:
    """The device holding the first array of ``out``, else ``fallback``."""
    for leaf in jax.tree.leaves(out):
        if isinstance(leaf, jax.Array):
            devices = leaf.devices()
            if len(devices) == 1:
                return next(iter(devices))
    return fallback


def time_fn(
    fn: Callable[..., Any],
    *args: Any,
    repeats: int = 7,
    warmup: int = 1,
    device: jax.Device | None = None,
    clock: Callable[[], float] | None = None,
) -> Timing:
    """Time ``fn(*args)``: the first call apart, then ``repeats`` waited-on calls.

    Calls ``fn`` ``1 + warmup + repeats`` times. The first call (which compiles a
    jitted function) is timed as ``first_call_s``; the ``warmup`` calls after it are
    not timed; each of the ``repeats`` calls is timed from just before the call until
    ``jax.block_until_ready`` returns on its result.

    Args:
        fn: the function to time, usually ``jax.jit``-ed.
        *args: its arguments (moved to ``device`` first when one is given; that copy
            is not timed).
        repeats: timed calls, at least 1.
        warmup: untimed calls between the first call and the timed ones, at least 0.
        device: run on this device: the arguments are placed there first, and JAX
            runs a computation where its inputs live. (``jax.default_device`` is not
            set: it is part of ``jax.jit``'s cache key, so setting it would compile
            the function again for calls made without it.) ``None`` leaves the
            arguments where they are.
        clock: function returning seconds; ``None`` means ``time.perf_counter``.

    Returns:
        A :class:`Timing`; its ``device`` is where the first output array lives (else
        ``device`` or ``jax.devices()[0]``).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> t = time_fn(jax.jit(lambda a: a @ a), jnp.ones((64, 64)), repeats=3)
        >>> len(t.times_s), t.min_s <= t.median_s <= t.max_s, t.platform in {"cpu", "gpu", "tpu"}
        (3, True, True)
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")
    repeats = _count("repeats", repeats, 1)
    warmup = _count("warmup", warmup, 0)
    if device is not None and not isinstance(device, jax.Device):
        raise TypeError(f"device: expected a jax.Device or None, got {type(device).__name__}")
    clock = time.perf_counter if clock is None else clock
    if not callable(clock):
        raise TypeError(f"clock: expected a function returning seconds, got {clock!r}")

    if device is not None:
        args = jax.device_put(args, device)

    def timed_call() -> tuple[float, Any]:
        start = clock()
        out = jax.block_until_ready(fn(*args))
        return clock() - start, out

    first_call_s, out = timed_call()
    for _ in range(warmup):
        jax.block_until_ready(fn(*args))
    times = [timed_call()[0] for _ in range(repeats)]
    median, q25, q75, low, high = summarize(times)
    where = _device_of(out, device if device is not None else jax.devices()[0])
    return Timing(
        median_s=median,
        q25_s=q25,
        q75_s=q75,
        min_s=low,
        max_s=high,
        first_call_s=float(first_call_s),
        times_s=tuple(float(t) for t in times),
        device=f"{where.platform}:{where.id}",
        platform=where.platform,
        device_kind=where.device_kind,
    )
