"""Roofline plots (chapter 15, "Why GPUs and TPUs").

:func:`plot_roofline` draws a machine's roof, min(peak, intensity x bandwidth), on
log-log axes that the chapter created; the chapter adds its measured points on top.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from nnbook.hardware import roofline

__all__ = ["plot_roofline"]


def plot_roofline(
    ax: Axes,
    peak: float,
    bandwidth: float,
    *,
    intensity_range: tuple[float, float] = (0.01, 1000.0),
    color: str = "black",
    label: str | None = None,
    annotate: bool = True,
) -> Axes:
    """Draw the roof ``min(peak, I * bandwidth)`` over ``intensity_range``, in GFLOP/s.

    Args:
        ax: Axes to draw into (set to log-log scales here).
        peak: peak arithmetic rate, FLOP/s.
        bandwidth: memory bandwidth, bytes/s.
        intensity_range: (lowest, highest) arithmetic intensity drawn, FLOP/byte.
        color: line colour.
        label: legend label of the roof.
        annotate: mark the ridge point ``peak / bandwidth`` with a dotted line.

    Returns:
        ``ax``.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> ax = plot_roofline(ax, 200e9, 10e9, label="toy machine")
        >>> len(ax.lines), ax.get_xscale()
        (2, 'log')
        >>> plt.close(fig)
    """
    low, high = intensity_range
    if not (0 < low < high and np.isfinite(high)):
        raise ValueError(f"intensity_range: expected 0 < low < high, got {intensity_range}")
    ridge = peak / bandwidth
    intensity = np.geomspace(low, high, 200)
    intensity = np.sort(np.append(intensity, ridge if low < ridge < high else []))
    ax.plot(intensity, roofline(intensity, peak, bandwidth) / 1e9, color=color, lw=2, label=label)
    if annotate and low < ridge < high:
        ax.plot([ridge, ridge], [peak / 1e9 / 30, peak / 1e9], ":", color=color, lw=1.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP per byte moved)")
    ax.set_ylabel("GFLOP/s")
    return ax
