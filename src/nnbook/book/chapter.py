"""Every chapter's hidden first cell: setup, numbers for the prose, timings, cache record.

Part of the book's runtime (:mod:`nnbook.book`, which re-exports these functions:
chapters write ``from nnbook.book import setup_chapter, glue``), not reference code.

:func:`setup_chapter` gives a chapter the book's plot style, short NumPy printing and
PNG figures, and records on which device and JAX version it ran. :func:`glue` stores
a number for the prose through ``myst_nb.glue`` when the book is being built, and does
nothing in a downloaded notebook run without myst-nb. :func:`timeit` is the chapters'
short form of :func:`nnbook.timing.time_fn` (chapter 15), which times jitted code the
JAX way: first call apart, later calls waited on with ``block_until_ready``.
:func:`record_execution` tells the build's execution cache which modules a chapter used.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["glue", "record_execution", "runtime_info", "setup_chapter", "timeit"]


def _ipython() -> Any | None:
    """The running IPython shell, or ``None`` in a plain Python process."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Store ``value`` under ``name`` for ``{glue:text}`name``` in the chapter's prose.

    Calls ``myst_nb.glue(name, value, display)`` when myst-nb is importable and the
    code runs in IPython (a notebook kernel); otherwise does nothing.

    Args:
        name: glue key, unique within the chapter.
        value: any object; the prose shows its ``repr`` (format it with
            ``{glue:text}`name:.3f```).
        display: also show the value as the cell's output.

    Returns:
        ``value`` unchanged, so ``acc = glue("acc", float(acc))`` reads naturally.

    Examples:
        >>> glue("answer", 42)
        42
    """
    if _ipython() is None:
        return value
    # NumPy and JAX scalars print as "np.float64(0.5)", which {glue:text}`name:.1f` cannot
    # format; the prose gets the plain Python number (the caller keeps its own value).
    shown = (
        value.item() if getattr(value, "shape", None) == () and hasattr(value, "item") else value
    )
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, shown, display=display)
    return value


def runtime_info() -> dict[str, Any]:
    """Where this code runs: device kind, backend, device count, JAX and nnbook versions.

    Returns:
        ``dict(device=..., platform=..., n_devices=..., jax=..., nnbook=...)``, e.g.
        ``device="cpu"`` or ``"NVIDIA H100 80GB HBM3"``, ``platform`` one of
        ``"cpu"``, ``"gpu"``, ``"tpu"``.

    Examples:
        >>> sorted(runtime_info())
        ['device', 'jax', 'n_devices', 'nnbook', 'platform']
    """
    import jax

    import nnbook

    return {
        "device": jax.devices()[0].device_kind,
        "platform": jax.default_backend(),
        "n_devices": jax.device_count(),
        "jax": jax.__version__,
        "nnbook": nnbook.__version__,
    }


def _configure_inline_figures() -> None:
    """Equivalent of ``%config InlineBackend.figure_formats = ['png']`` plus print options.

    Inline PNGs are written at the style's ``savefig.dpi`` and without the
    "Software" metadata, so the same figure gives the same bytes on every build.
    """
    shell = _ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    try:
        from IPython.core.pylabtools import select_figure_formats
        from matplotlib_inline.config import InlineBackend
    except ImportError:
        return
    import matplotlib as mpl

    kwargs = {
        "bbox_inches": "tight",
        "dpi": mpl.rcParams["savefig.dpi"],
        "metadata": {"Software": None},
    }
    # Store the choice in the inline backend's (singleton) configuration, which it
    # re-applies when it is activated later, and apply it to the shell right now.
    cfg = InlineBackend.instance(parent=shell)
    with warnings.catch_warnings():  # matplotlib-inline's old-style trait observers warn
        warnings.simplefilter("ignore", DeprecationWarning)
        cfg.print_figure_kwargs = kwargs
        cfg.figure_formats = {"png"}
    select_figure_formats(shell, {"png"}, **kwargs)


def setup_chapter() -> dict[str, Any]:
    """Prepare a chapter: book style, NumPy print options, PNG figures, runtime glue.

    Applies :func:`nnbook.plotting.use_style` for the whole session, sets
    ``np.set_printoptions(precision=4, suppress=True)``, makes IPython render figures
    as PNG, and glues :func:`runtime_info` as ``"nnbook_runtime"`` (when myst-nb is
    available) so the page can say on which device it ran.

    Returns:
        The :func:`runtime_info` dictionary.

    Examples:
        >>> import matplotlib as mpl, numpy as np
        >>> with mpl.rc_context(), np.printoptions():  # undone after the block
        ...     info = setup_chapter()
        ...     print(mpl.rcParams["axes.spines.top"], np.get_printoptions()["precision"])
        False 4
        >>> info["platform"] in {"cpu", "gpu", "tpu"}
        True
    """
    import numpy as np

    from nnbook.plotting import use_style

    use_style()
    np.set_printoptions(precision=4, suppress=True)
    _configure_inline_figures()
    info = runtime_info()
    glue("nnbook_runtime", info, display=False)
    record_execution(os.environ.get(RECORD_ENV))
    return info


RECORD_ENV = "NNBOOK_RECORD_FILE"  # set by the book build for each chapter's kernel
_COMPILE_EVENTS = (  # JAX's compile phases: trace to a jaxpr, lower to MLIR, XLA compile
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)
_recording: dict[str, Any] = {}


def _nnbook_files() -> list[str]:
    """The source files of every ``nnbook`` module imported so far (transitively)."""
    for _ in range(10):  # another thread may import while we copy; try again then
        try:
            modules = list(sys.modules.items())
            break
        except RuntimeError:
            continue
    else:
        return []
    files = set()
    for name, module in modules:
        path = getattr(module, "__file__", None)
        if (name == "nnbook" or name.startswith("nnbook.")) and path:
            files.add(str(Path(path).resolve()))
    return sorted(files)


def _write_record(*_: Any) -> None:
    path = Path(_recording["path"])
    files = _nnbook_files()
    if not files:  # no record is safe: the build then keys the chapter on every module
        path.unlink(missing_ok=True)
        return
    record = {"files": files, "compile_s": round(_recording["compile_s"], 3)}
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(path)  # the build never reads a half-written record
    except OSError:  # never let the bookkeeping disturb the chapter's own output
        path.unlink(missing_ok=True)


def record_execution(path: str | os.PathLike | None) -> None:
    """While a chapter runs in the book build, record what its results depend on.

    After every cell, writes to ``path`` (JSON) the source files of every ``nnbook``
    module imported so far and the seconds JAX has spent compiling (tracing, lowering
    and XLA compilation, from ``jax.monitoring``). The build keys the chapter's cache
    entry on those files, so editing a module the chapter never imported does not run
    it again, and shows the compile share on the status page. Does nothing when
    ``path`` is empty or outside IPython (a downloaded notebook run elsewhere).
    """
    shell = _ipython()
    if not path or shell is None or not hasattr(shell, "events") or _recording:
        return
    import jax

    _recording.update(path=str(path), compile_s=0.0)

    def on_duration(event: str, duration_secs: float, **_: Any) -> None:
        if event in _COMPILE_EVENTS:
            _recording["compile_s"] += duration_secs

    jax.monitoring.register_event_duration_secs_listener(on_duration)
    shell.events.register("post_run_cell", _write_record)
    _write_record()


def timeit(fn: Callable[..., Any], *args: Any, repeats: int = 5, warmup: int = 1) -> dict[str, Any]:
    """The chapters' short form of :func:`nnbook.timing.time_fn`, as a plain dict.

    The first call (which compiles a jitted function) is timed apart; ``warmup - 1``
    untimed calls follow, then ``repeats`` calls, each waited on with
    ``jax.block_until_ready`` before the clock stops.

    Args:
        fn: function to time, usually ``jax.jit``-ed.
        *args: its arguments.
        repeats: timed calls, at least 1.
        warmup: calls before the timed ones, at least 1; the first is ``compile_s``.

    Returns:
        ``dict(compile_s=first call in s, median_s=median of the timed calls,
        times=list of the timed calls in s)``.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> t = timeit(jax.jit(lambda x: x @ x), jnp.ones((64, 64)), repeats=3)
        >>> sorted(t), len(t["times"]), t["compile_s"] > 0
        (['compile_s', 'median_s', 'times'], 3, True)
    """
    from nnbook.timing import time_fn

    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 1:
        raise ValueError(f"warmup: expected an integer >= 1 (the first call), got {warmup!r}")
    t = time_fn(fn, *args, repeats=repeats, warmup=warmup - 1)
    return {"compile_s": t.first_call_s, "median_s": t.median_s, "times": list(t.times_s)}
