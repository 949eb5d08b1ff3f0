"""What the hardware can do, and what a program asks of it (chapter 15, "Why GPUs and TPUs").

Three groups of helpers:

- **Devices**: :func:`devices_to_compare` (the CPU, plus the first GPU or TPU when JAX
  sees one), :func:`device_name` (a readable name; on the CPU JAX reports only
  ``"cpu"``, so the model is read from ``/proc/cpuinfo``) and the width of the CPU's
  vector units (:func:`simd_float32_lanes`).
- **Counting work**: floating-point operations and bytes of a matrix product and of an
  MLP's forward and backward passes, and the **roofline** of Williams, Waterman and
  Patterson (2009): attainable rate = min(peak, intensity x bandwidth).
- **Measuring**: :func:`measure_matmul` (arithmetic rate of an n x n product) and
  :func:`measure_bandwidth` (bytes per second of a large elementwise add), both timed
  with :func:`nnbook.timing.time_fn`; and :func:`fusion_counts`, which reads how many
  operations XLA's fusion turned into how many kernels from the program text.
"""

from __future__ import annotations

import functools
import os
import platform
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from nnbook._checks import check_positive_int
from nnbook.timing import Timing, time_fn

__all__ = [
    "BOOKKEEPING_OPS",
    "FusionCounts",
    "HloOp",
    "Rate",
    "count_ops",
    "cpu_flags",
    "cpu_model",
    "device_name",
    "devices_to_compare",
    "entry_ops",
    "fusion_counts",
    "matmul_bytes",
    "matmul_flops",
    "measure_bandwidth",
    "measure_matmul",
    "mlp_matmul_flops",
    "roofline",
    "simd_float32_lanes",
]


# ---------------------------------------------------------------- devices


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The processor's model name from ``cpuinfo`` (Linux), else ``platform.processor()``.

    Examples:
        >>> isinstance(cpu_model(), str) and len(cpu_model()) > 0
        True
    """
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "cpu model") and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The instruction-set features the processor reports (``flags`` on x86, ``Features`` on Arm).

    Returns an empty set where ``cpuinfo`` cannot be read (macOS, Windows).

    Examples:
        >>> isinstance(cpu_flags(), frozenset)
        True
    """
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


#: Widest vector unit announced by a flag, in float32 lanes (widest first).
_LANES = (("avx512f", 16), ("avx2", 8), ("avx", 8), ("sve", 4), ("asimd", 4), ("sse2", 4))


def simd_float32_lanes(flags: frozenset[str] | set[str]) -> int | None:
    """float32 numbers one vector instruction of one core handles at once, from ``flags``.

    AVX-512 registers hold 512 bits = 16 float32 numbers, AVX2 256 bits = 8, SSE2 and
    Arm NEON 128 bits = 4 (SVE is at least 4). ``None`` when no flag is recognised.

    Examples:
        >>> simd_float32_lanes({"sse2", "avx2", "fma"}), simd_float32_lanes(set())
        (8, None)
    """
    if isinstance(flags, str) or not isinstance(flags, set | frozenset):
        raise TypeError(f"flags: expected a set of flag names, got {type(flags).__name__}")
    return next((lanes for flag, lanes in _LANES if flag in flags), None)


def device_name(device: jax.Device | None = None) -> str:
    """A readable name: the CPU's model and core count, or the GPU's or TPU's kind.

    For example ``"Intel(R) Xeon(R) Processor, 2 cores"``, ``"NVIDIA H100 80GB HBM3"``
    or ``"TPU v4"``: JAX's ``device_kind`` names accelerators but calls every CPU
    ``"cpu"``.

    Args:
        device: a JAX device; ``None`` means ``jax.devices()[0]``.

    Examples:
        >>> import jax
        >>> name = device_name(jax.devices("cpu")[0])
        >>> name.endswith("cores") or name.endswith("core")
        True
    """
    device = jax.devices()[0] if device is None else device
    if not isinstance(device, jax.Device):
        raise TypeError(f"device: expected a jax.Device or None, got {type(device).__name__}")
    if device.platform == "cpu":
        n = os.cpu_count() or 1
        return f"{cpu_model()}, {n} core{'s' if n != 1 else ''}"
    return device.device_kind


def devices_to_compare() -> list[jax.Device]:
    """The first CPU device, then the first device of JAX's default backend if it is not the CPU.

    Examples:
        >>> devices_to_compare()[0].platform
        'cpu'
    """
    devices = [jax.devices("cpu")[0]]
    if jax.default_backend() != "cpu":
        devices.append(jax.devices()[0])
    return devices


# ---------------------------------------------------------------- counting work


def _dims(**dims: object) -> list[int]:
    return [check_positive_int(name, value) for name, value in dims.items()]


def matmul_flops(m: int, k: int, n: int) -> int:
    """Floating-point operations of an (m, k) @ (k, n) product: ``2 m k n``.

    Each of the m n outputs is a sum of k products: k multiplications and k additions
    (counting a fused multiply-add as 2 operations, as peak ratings do).

    Examples:
        >>> matmul_flops(2, 3, 4)
        48
    """
    m, k, n = _dims(m=m, k=k, n=n)
    return 2 * m * k * n


def matmul_bytes(m: int, k: int, n: int, itemsize: int = 4) -> int:
    """Least memory traffic of an (m, k) @ (k, n) product: read both inputs, write the output.

    bytes = itemsize (m k + k n + m n)

    Examples:
        >>> matmul_bytes(2, 3, 4)  # float32: 4 bytes x (6 + 12 + 8)
        104
    """
    m, k, n, itemsize = _dims(m=m, k=k, n=n, itemsize=itemsize)
    return itemsize * (m * k + k * n + m * n)


def mlp_matmul_flops(sizes: Sequence[int], batch: int, *, backward: bool = False) -> int:
    """Matrix-product FLOPs of an MLP on a batch: forward only, or forward plus backward.

    Forward: each layer is an (batch, n_in) @ (n_in, n_out) product, 2 b n_in n_out.
    Backward: each layer's weight gradient x^T dz costs the same again, and so does the
    gradient for its input, dz W^T, except in the first layer (nothing to send back to
    the data). So training costs about 3 times the forward pass. Bias additions and
    activations (O(b n) each) are not counted.

    Args:
        sizes: layer widths ``(n_0, n_1, ..., n_L)``, at least two.
        batch: examples in the batch.
        backward: include the backward pass.

    Examples:
        >>> mlp_matmul_flops((3, 4, 2), 5)  # 2*5*(3*4 + 4*2)
        200
        >>> mlp_matmul_flops((3, 4, 2), 5, backward=True)  # 200 + 200 + 2*5*4*2
        480
    """
    if isinstance(sizes, str) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes: expected a sequence of at least 2 layer widths, got {sizes!r}")
    widths = [check_positive_int(f"sizes[{i}]", s) for i, s in enumerate(sizes)]
    batch = check_positive_int("batch", batch)
    layer = [2 * batch * a * b for a, b in zip(widths[:-1], widths[1:], strict=True)]
    forward = sum(layer)
    if not backward:
        return forward
    return forward + sum(layer) + sum(layer[1:])


def roofline(intensity: Any, peak: float, bandwidth: float) -> np.ndarray | np.float64:
    """Attainable rate ``min(peak, intensity * bandwidth)`` (Williams et al., 2009).

    Args:
        intensity: arithmetic intensity(ies), FLOPs per byte of memory traffic.
        peak: the machine's peak arithmetic rate, FLOP/s.
        bandwidth: its memory bandwidth, bytes/s.

    Returns:
        The roof at each intensity, FLOP/s (a NumPy scalar for one intensity). The two
        parts meet at the ridge point ``peak / bandwidth``: below it a program is
        memory-bound, above it compute-bound.

    Examples:
        >>> roofline([1.0, 10.0, 100.0], peak=200e9, bandwidth=10e9) / 1e9
        array([ 10., 100., 200.])
    """
    for name, value in (("peak", peak), ("bandwidth", bandwidth)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name}: expected a finite positive rate, got {value!r}")
    intensity = np.asarray(intensity, dtype=np.float64)
    if np.any(~np.isfinite(intensity)) or np.any(intensity < 0):
        raise ValueError(f"intensity: expected finite values >= 0, got {intensity}")
    return np.minimum(float(peak), intensity * float(bandwidth))


# ---------------------------------------------------------------- measuring


class Rate(NamedTuple):
    """A measured rate: ``work / timing.median_s`` (FLOP/s or bytes/s)."""

    per_second: float
    work: int  # FLOPs or bytes of one call
    timing: Timing


@functools.cache
def _matmul() -> Callable:
    return jax.jit(jnp.matmul)


def measure_matmul(
    n: int, *, dtype: Any = jnp.float32, device: jax.Device | None = None, repeats: int = 5
) -> Rate:
    """Time an (n, n) @ (n, n) product on ``device`` and return its FLOP/s (median call).

    Examples:
        >>> r = measure_matmul(32, repeats=2)
        >>> r.work, r.per_second > 0
        (65536, True)
    """
    n = check_positive_int("n", n)
    a = jnp.full((n, n), 0.5, dtype=dtype)
    b = jnp.full((n, n), 0.25, dtype=dtype)
    timing = time_fn(_matmul(), a, b, repeats=repeats, device=device)
    work = matmul_flops(n, n, n)
    return Rate(work / timing.median_s, work, timing)


@functools.cache
def _stream(passes: int) -> Callable:
    def run(x, y):  # each pass reads x and y and writes y: 3 arrays of traffic
        return jax.lax.fori_loop(0, passes, lambda i, y: 0.5 * y + x, y)

    return jax.jit(run)


def measure_bandwidth(
    n: int = 2**25, *, passes: int = 2, device: jax.Device | None = None, repeats: int = 5
) -> Rate:
    """Time ``y = 0.5 y + x`` on float32 vectors of length n, ``passes`` times in one call.

    The passes run inside one compiled loop, so after the first the output buffer is
    reused: the timing measures streaming through memory, not the operating system
    handing out fresh pages. Bytes per call: ``passes * 3 * 4 n``. Choose n so the
    arrays are much larger than the processor's caches.

    Examples:
        >>> r = measure_bandwidth(1024, passes=2, repeats=2)
        >>> r.work, r.per_second > 0
        (24576, True)
    """
    n, passes = _dims(n=n, passes=passes)
    x = jnp.full((n,), 1.0, jnp.float32)
    y = jnp.full((n,), 2.0, jnp.float32)
    timing = time_fn(_stream(passes), x, y, repeats=repeats, device=device)
    work = passes * 3 * 4 * n
    return Rate(work / timing.median_s, work, timing)


# ---------------------------------------------------------------- reading XLA programs


class HloOp(NamedTuple):
    """One instruction of an HLO computation: its name, opcode and result shape."""

    name: str
    opcode: str
    shape: str  # e.g. "f32[64,512]{1,0}"; a tuple shape is in parentheses


#: Instructions that move no data and launch no kernel: inputs, constants, tuples.
BOOKKEEPING_OPS = frozenset({"parameter", "constant", "tuple", "get-tuple-element", "bitcast"})

_INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%?([\w.\-]+)\s*=\s*(.*)$")
_HEADER = re.compile(r"^(ENTRY\s+)?%?([\w.\-]+)\s*(?:\(.*\)\s*->\s*.*)?\{\s*$")
_TO_APPLY = re.compile(r"to_apply=%?([\w.\-]+)")


def _split_shape(rhs: str) -> tuple[str, str]:
    """Split ``"f32[4]{0} add(a, b), ..."`` into the shape and the rest."""
    if rhs.startswith("("):  # tuple shape: find the matching parenthesis
        depth = 0
        for i, ch in enumerate(rhs):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0:
                return rhs[: i + 1], rhs[i + 1 :].lstrip()
    shape, _, rest = rhs.partition(" ")
    return shape, rest


def _computations(hlo_text: str) -> tuple[dict[str, list[tuple[HloOp, str | None]]], str]:
    """Every computation's instructions (with the target of each ``call``) and ENTRY's name."""
    computations: dict[str, list[tuple[HloOp, str | None]]] = {}
    entry, current = None, None
    for line in hlo_text.splitlines():
        if current is None:
            header = _HEADER.match(line.strip())
            if header:
                current = computations.setdefault(header.group(2), [])
                entry = header.group(2) if header.group(1) else entry
            continue
        if line.strip() == "}":
            current = None
            continue
        match = _INSTRUCTION.match(line)
        if match:
            shape, rest = _split_shape(match.group(2))
            opcode = rest.partition("(")[0].strip()
            target = _TO_APPLY.search(rest) if opcode == "call" else None
            current.append((HloOp(match.group(1), opcode, shape), target and target.group(1)))
    if entry is None:
        raise ValueError("hlo_text: expected HLO text with an ENTRY computation, got none")
    return computations, entry


def entry_ops(hlo_text: str, *, inline_calls: bool = True) -> list[HloOp]:
    """The instructions of the ENTRY computation of an HLO module's text.

    Works on the unoptimized HLO (``jax.jit(f).lower(x).as_text(dialect="hlo")``) and
    on the compiled one (``.compile().as_text()``). A ``call`` of another computation
    is replaced by that computation's instructions (``inline_calls``), as XLA's
    optimizer does; other nested computations (the insides of fusions, loop bodies)
    are not listed: on an accelerator each ENTRY instruction that does work is one
    kernel launch.

    Examples:
        >>> text = "ENTRY main {\\n x = f32[4]{0} parameter(0)\\n ROOT y = f32[4]{0} add(x, x)\\n}"
        >>> [op.opcode for op in entry_ops(text)]
        ['parameter', 'add']
    """
    if not isinstance(hlo_text, str):
        raise TypeError(f"hlo_text: expected HLO module text, got {type(hlo_text).__name__}")
    computations, entry = _computations(hlo_text)

    def expand(name: str, depth: int) -> list[HloOp]:
        ops: list[HloOp] = []
        for op, target in computations.get(name, []):
            if inline_calls and target in computations and depth < 32:
                ops.extend(o for o in expand(target, depth + 1) if o.opcode != "parameter")
            else:
                ops.append(op)
        return ops

    return expand(entry, 0)


def count_ops(hlo_text: str, ignore: frozenset[str] = BOOKKEEPING_OPS) -> Counter:
    """Opcodes of the ENTRY computation that do work, counted.

    Examples:
        >>> lines = ["a = f32[] parameter(0)", "b = f32[] add(a, a)", "ROOT c = f32[] add(b, a)"]
        >>> count_ops("ENTRY m {\\n" + "\\n".join(lines) + "\\n}")
        Counter({'add': 2})
    """
    return Counter(op.opcode for op in entry_ops(hlo_text) if op.opcode not in ignore)


class FusionCounts(NamedTuple):
    """Operations before XLA's optimizations and kernels after, by opcode."""

    before: Counter  # unoptimized HLO: one entry per operation the program asks for
    after: Counter  # compiled HLO: fusions, library calls, copies...


def fusion_counts(fn: Callable, *args: Any) -> FusionCounts:
    """Count the ENTRY operations of ``fn``'s program before and after XLA compiles it.

    Args:
        fn: a function (wrapped in ``jax.jit`` here unless it already has ``.lower``).
        *args: example arguments (only their shapes and dtypes matter).

    Examples:
        >>> import jax.numpy as jnp
        >>> counts = fusion_counts(lambda x: jnp.tanh(2.0 * x + 1.0), jnp.ones(8))
        >>> counts.before["tanh"], sum(counts.after.values())
        (1, 1)
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")
    lowered = (fn if hasattr(fn, "lower") else jax.jit(fn)).lower(*args)
    before = count_ops(lowered.as_text(dialect="hlo"))
    after = count_ops(lowered.compile().as_text())
    return FusionCounts(before, after)
