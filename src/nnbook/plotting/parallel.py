"""The ring all-reduce, drawn step by step (chapter 16, "Training on many devices").

:func:`plot_ring_step` draws one state of :func:`nnbook.parallel.ring_schedule` as a
grid, devices down and chunks across: each cell says how many devices' gradients that
chunk holds, and the chunks received in that step are outlined.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

__all__ = ["plot_ring_step"]


def plot_ring_step(
    ax: Axes, schedule, step: int, *, title: str | None = None, cmap: str = "viridis"
) -> Axes:
    """Draw state ``step`` of a ring schedule: ``holds[step].sum(-1)`` per device and chunk.

    Args:
        ax: Axes to draw into.
        schedule: a :class:`nnbook.parallel.RingSchedule`.
        step: which state, ``0`` (the start) to ``2 (N - 1)``.
        title: the panel's title (default: the phase and step number).
        cmap: colour map for 1..N contributions.

    Returns:
        ``ax``.

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> from nnbook.parallel import ring_schedule
        >>> fig, ax = plt.subplots()
        >>> _ = plot_ring_step(ax, ring_schedule(3), 2)
        >>> ax.get_title()
        'reduce 2'
        >>> plt.close(fig)
    """
    holds = np.asarray(schedule.holds)
    if isinstance(step, bool) or not isinstance(step, int | np.integer):
        raise TypeError(f"step: expected an integer, got {step!r}")
    if not 0 <= step < holds.shape[0]:
        raise ValueError(f"step: expected an integer in [0, {holds.shape[0] - 1}], got {step}")
    n = holds.shape[1]
    counts = holds[step].sum(axis=-1)  # (devices, chunks)
    ax.imshow(counts, cmap=cmap, vmin=1, vmax=n, origin="upper", aspect="equal")
    colours = np.asarray(ax.images[-1].cmap(ax.images[-1].norm(counts)))  # (n, n, RGBA)
    for i in range(n):
        for j in range(n):
            light = 0.299 * colours[i, j, 0] + 0.587 * colours[i, j, 1] + 0.114 * colours[i, j, 2]
            ax.text(j, i, str(counts[i, j]), ha="center", va="center",
                    color="black" if light > 0.5 else "white")  # fmt: skip
    if step > 0:  # outline the chunk each device received in this step
        sends = np.asarray(schedule.sends)[step - 1]
        for i in range(n):
            j = int(sends[(i - 1) % n])
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=3, ec="#D55E00"))
    phase = schedule.phase[step]
    if title is None:
        k = step if phase != "all-gather" else step - (n - 1)
        short = {"reduce-scatter": "reduce", "all-gather": "gather"}
        title = "start" if phase == "start" else f"{short[phase]} {k}"
    ax.set_title(title)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.grid(False)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    return ax
