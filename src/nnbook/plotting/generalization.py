"""Plot helpers for chapter 10 ("Generalization and overfitting"): runs over seeds.

A claim such as "dropout beats no regularization" is only as good as the spread of the
runs behind it, so the chapter draws every measured quantity as the mean over seeds with
the band from the lowest to the highest seed (:func:`plot_runs`), and a table's worth of
per-seed scores as one dot per seed (:func:`plot_seed_dots`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from nnbook.plotting.style import PALETTE

__all__ = ["plot_runs", "plot_seed_dots"]


def _as_runs(runs: Any, n_x: int | None) -> np.ndarray:
    values = np.asarray(runs, dtype=np.float64)
    if values.ndim == 1:
        values = values[None]
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"runs: expected an array (n_seeds, n_points), got shape {values.shape}")
    if n_x is not None and values.shape[1] != n_x:
        raise ValueError(
            f"runs: expected {n_x} points per seed (one per x), got shape {values.shape}"
        )
    return values


def plot_runs(
    ax: Axes,
    x: Sequence[float] | np.ndarray,
    runs: Any,
    *,
    label: str,
    color: str = PALETTE[0],
    marker: str | None = None,
    linestyle: str = "-",
) -> Axes:
    """Draw the mean of several runs as a line, with a band from the lowest to the highest.

    line = mean over seeds,  band = [min over seeds, max over seeds], at every x

    Args:
        ax: Axes to draw into.
        x: The x positions, shape (n_points,).
        runs: One row per seed, shape (n_seeds, n_points) (or (n_points,) for one run).
        label: Legend label of the line.
        color: Colour of line and band.
        marker: Optional marker at each point.
        linestyle: Line style of the mean.

    Returns:
        The same ``ax``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> ax = plot_runs(ax, [1, 2, 3], [[0.5, 0.6, 0.7], [0.4, 0.6, 0.8]], label="test")
        >>> ax.get_lines()[0].get_ydata().round(2).tolist()
        [0.45, 0.6, 0.75]
        >>> plt.close(fig)
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    values = _as_runs(runs, x.size)
    ax.plot(x, values.mean(axis=0), color=color, marker=marker, linestyle=linestyle, label=label)
    if values.shape[0] > 1:
        ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=color, alpha=0.2, lw=0)
    return ax


def plot_seed_dots(
    ax: Axes,
    scores: Mapping[str, Any],
    *,
    xlabel: str = "accuracy",
    colors: Sequence[str] | None = None,
) -> Axes:
    """One row per label, one dot per seed, and a bar at the mean: spread made visible.

    Args:
        ax: Axes to draw into.
        scores: label -> per-seed values (1-D); rows are drawn top to bottom in order.
        xlabel: Label of the x axis.
        colors: One colour per row (default: the book palette, in order).

    Returns:
        The same ``ax``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> ax = plot_seed_dots(ax, {"a": [0.6, 0.62], "b": [0.7, 0.71, 0.72]})
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['a', 'b']
        >>> plt.close(fig)
    """
    if not isinstance(scores, Mapping) or not scores:
        raise ValueError(f"scores: expected a non-empty dict label -> values, got {scores!r}")
    colors = list(colors) if colors is not None else list(PALETTE)
    labels = list(scores)
    for row, label in enumerate(labels):
        values = _as_runs(scores[label], None).ravel()
        color = colors[row % len(colors)]
        ax.plot(values, np.full(values.size, row), "o", color=color, ms=7, alpha=0.85)
        ax.plot([values.mean()] * 2, [row - 0.3, row + 0.3], color=color, lw=2.5)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)  # first label on top
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    return ax
