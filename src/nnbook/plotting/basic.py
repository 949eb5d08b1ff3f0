"""Everyday plots: decision boundaries (chapters 2 and 4), loss curves (chapters 5 and 7)
and image grids (chapter 9).

Every helper draws into an ``ax`` (or an array of them) that the caller created and
returns it, so a chapter keeps full control of its figure. Nothing here changes
matplotlib's global settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from nnbook.plotting.style import DIVERGING_CMAP, PALETTE

__all__ = ["plot_decision_boundary", "plot_image_grid", "plot_loss_curves"]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _class_probabilities(out: Any, n: int, proba: bool) -> np.ndarray:
    """Turn ``predict_fn`` output into probabilities: ``(n,)`` for 2 classes, else ``(n, k)``."""
    out = np.asarray(out, dtype=np.float64)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape[0] != n or out.ndim not in (1, 2):
        raise ValueError(
            f"predict_fn returned shape {out.shape} for {n} points; "
            f"expected ({n},) class-1 probabilities or ({n}, k) class scores"
        )
    if out.ndim == 1:
        return out if proba else 1.0 / (1.0 + np.exp(-out))
    if not proba:  # softmax of class scores
        out = np.exp(out - out.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
    return out[:, 1] if out.shape[1] == 2 else out


def plot_decision_boundary(
    ax: Axes,
    predict_fn: Callable[[np.ndarray], Any],
    x: Any,
    y: Any,
    *,
    resolution: int = 200,
    padding: float = 0.5,
    proba: bool = True,
    class_names: Sequence[str] | None = None,
) -> Axes:
    """Shade what a 2-D classifier predicts everywhere and overlay the data.

    For two classes the background is $p(y=1 \\mid x)$ on a diverging colour map with
    the decision boundary $p = 0.5$ drawn as a black line; for $k > 2$ classes each
    region takes its class colour and boundaries are drawn between regions.

    Args:
        ax: Axes to draw into.
        predict_fn: maps a ``(n, 2)`` float32 array to class-1 probabilities ``(n,)``
            (or ``(n, 1)``) or to class scores ``(n, k)``. NumPy or JAX outputs work.
        x: points, shape ``(n, 2)`` (NumPy or JAX array).
        y: integer class labels, shape ``(n,)``.
        resolution: grid points along each axis.
        padding: margin added around the data, in data units.
        proba: ``True`` if ``predict_fn`` returns probabilities, ``False`` for logits
            (sigmoid for one column, softmax for several).
        class_names: legend labels for the classes (default ``"class 0"``, ...).

    Returns:
        The same ``ax``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> x = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
        >>> y = np.array([0, 1, 1, 0])
        >>> fig, ax = plt.subplots()
        >>> ax = plot_decision_boundary(ax, lambda p: 1 / (1 + np.exp(-4 * (p[:, 1] - 0.5))), x, y)
        >>> type(ax).__name__
        'Axes'
        >>> plt.close(fig)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y).astype(int).ravel()
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x has shape {x.shape}; expected (n, 2)")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y has {y.shape[0]} labels; expected {x.shape[0]} (one per row of x)")
    if resolution < 2:
        raise ValueError(f"resolution is {resolution}; expected an integer >= 2")
    lo, hi = x.min(axis=0) - padding, x.max(axis=0) + padding
    g0, g1 = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1).astype(np.float32)
    p = _class_probabilities(predict_fn(grid), grid.shape[0], proba)
    n_classes = max(int(y.max()) + 1 if y.size else 0, 2 if p.ndim == 1 else p.shape[1])
    if p.ndim == 1:
        prob = p.reshape(g0.shape)
        ax.contourf(g0, g1, prob, levels=np.linspace(0, 1, 11), cmap=DIVERGING_CMAP, vmin=0, vmax=1)
        ax.contour(g0, g1, prob, levels=[0.5], colors="#222222", linewidths=1.6)
    else:
        from matplotlib.colors import ListedColormap, to_rgb

        light = [tuple(0.6 + 0.4 * np.array(to_rgb(c))) for c in PALETTE[:n_classes]]
        levels = np.arange(n_classes + 1) - 0.5
        ax.contourf(
            g0, g1, p.argmax(axis=1).reshape(g0.shape), levels=levels, cmap=ListedColormap(light)
        )
        for k in range(p.shape[1]):  # boundary of class k: p_k equals the largest other p_j
            margin = p[:, k] - np.delete(p, k, axis=1).max(axis=1)
            if margin.min() < 0 < margin.max():
                ax.contour(
                    g0, g1, margin.reshape(g0.shape), levels=[0.0], colors="#222222", linewidths=1.4
                )
    names = (
        list(class_names) if class_names is not None else [f"class {k}" for k in range(n_classes)]
    )
    for k in np.unique(y):
        pts = x[y == k]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=36,
            marker=_MARKERS[k % len(_MARKERS)],
            color=PALETTE[k % len(PALETTE)],
            edgecolors="white",
            linewidths=0.8,
            label=names[k] if k < len(names) else f"class {k}",
            zorder=3,
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.grid(False)
    if not ax.get_xlabel():
        ax.set_xlabel("$x_1$")
    if not ax.get_ylabel():
        ax.set_ylabel("$x_2$")
    ax.legend(loc="best", frameon=True, facecolor="white", edgecolor="#CCCCCC", framealpha=0.9)
    return ax


def plot_loss_curves(
    ax: Axes,
    curves: Mapping[str, Any],
    *,
    xlabel: str = "step",
    ylabel: str = "loss",
    log: bool = False,
) -> Axes:
    """Plot one loss curve per label, marking runs that diverged.

    Curve ``c`` is drawn at steps $t = 0, 1, \\dots$ up to its first non-finite value
    (NaN or inf); a diverged run ends in an ``x`` marker and a "diverged at step t" note
    (``xlabel`` replaces "step").

    Args:
        ax: Axes to draw into.
        curves: label -> 1-D array of losses (NumPy, JAX or a list).
        xlabel: x-axis label.
        ylabel: y-axis label.
        log: use a logarithmic y axis.

    Returns:
        The same ``ax``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> fig, ax = plt.subplots()
        >>> curves = {"lr = 0.1": [1.0, 0.5, 0.3], "lr = 10": [1.0, 8.0, np.nan]}
        >>> ax = plot_loss_curves(ax, curves)
        >>> [line.get_label() for line in ax.get_lines()][:2]
        ['lr = 0.1', 'lr = 10']
        >>> plt.close(fig)
    """
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError(
            f"curves is {type(curves).__name__}; expected a non-empty dict label -> array"
        )
    markers = []
    for i, (label, values) in enumerate(curves.items()):
        v = np.asarray(values, dtype=np.float64).ravel()
        bad = np.flatnonzero(~np.isfinite(v))
        stop = int(bad[0]) if bad.size else v.size
        color = PALETTE[i % len(PALETTE)]
        (line,) = ax.plot(np.arange(stop), v[:stop], color=color, label=label)
        if bad.size:
            markers.append((stop, v[:stop], color))
    if log:
        ax.set_yscale("log")
    longest = max(len(np.ravel(v)) for v in curves.values())
    for stop, finite, color in markers:  # after all lines, so the y-limits are settled
        xm = stop - 1 if stop else 0
        ym = finite[-1] if stop else ax.get_ylim()[1]
        ax.plot(
            [xm],
            [ym],
            marker="x",
            markersize=10,
            markeredgewidth=2.5,
            color=color,
            linestyle="none",
            label="_nolegend_",
            clip_on=False,
            zorder=4,
        )
        left = xm > 0.7 * longest  # keep the note inside the axes
        ax.annotate(
            f"diverged at {xlabel} {stop}",
            (xm, ym),
            xytext=(-9 if left else 9, 0),
            textcoords="offset points",
            ha="right" if left else "left",
            va="center",
            color=color,
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def plot_image_grid(
    axes: Any,
    images: Any,
    *,
    titles: Sequence[Any] | None = None,
    cmap: str = "gray_r",
    shape: tuple[int, int] = (8, 8),
    vmin: float | None = None,
    vmax: float | None = None,
) -> Any:
    """Show images in a grid of axes, one image per axes, without ticks.

    All images share one colour scale (``vmin``/``vmax``, default the minimum and
    maximum over the images shown), so brightness is comparable between panels.

    Args:
        axes: an Axes, or an array/list of Axes (e.g. from ``plt.subplots(2, 8)``).
            Axes beyond the number of images are hidden; images beyond the number of
            axes are not shown.
        images: ``(n, h * w)`` flat images (reshaped to ``shape``), ``(n, h, w)``
            or ``(n, h, w, 3)``.
        titles: optional title per image (strings or numbers).
        cmap: colour map for single-channel images (``"gray_r"``: dark ink on white).
        shape: ``(h, w)`` used to reshape flat images.
        vmin: value mapped to the lowest colour.
        vmax: value mapped to the highest colour.

    Returns:
        The same ``axes``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> fig, axes = plt.subplots(1, 3)
        >>> axes = plot_image_grid(axes, np.eye(3, 64), titles=["a", "b", "c"])
        >>> axes.shape
        (3,)
        >>> plt.close(fig)
    """
    flat_axes = list(np.ravel(np.asarray(axes, dtype=object)))
    imgs = np.asarray(images)
    if imgs.ndim == 2:
        if imgs.shape[1] != shape[0] * shape[1]:
            raise ValueError(
                f"images has shape {imgs.shape}; flat images need {shape[0] * shape[1]} "
                f"columns to reshape to shape={tuple(shape)}"
            )
        imgs = imgs.reshape(-1, *shape)
    elif imgs.ndim not in (3, 4):
        raise ValueError(
            f"images has shape {imgs.shape}; expected (n, h*w), (n, h, w) or (n, h, w, 3)"
        )
    n = min(len(flat_axes), imgs.shape[0])
    if titles is not None and len(titles) < n:
        raise ValueError(f"titles has {len(titles)} entries; expected at least {n}")
    shown = imgs[:n]
    lo = float(shown.min()) if vmin is None and n else vmin
    hi = float(shown.max()) if vmax is None and n else vmax
    for i, ax in enumerate(flat_axes):
        if i >= n:
            ax.set_axis_off()
            continue
        ax.imshow(shown[i], cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("#BBBBBB")
            spine.set_linewidth(0.6)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize="medium", pad=3)
    return axes
