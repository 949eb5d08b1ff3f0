"""Pictures of digit classifiers: image grids, weight images, heat maps (chapter 9).

Chapter 9 ("Handwritten digits") draws MNIST digits, the first-layer weights of an
MLP as 28x28 images, a confusion matrix, pixel-importance heat maps and an ablation
curve with these helpers; chapters 10-12 and 17 reuse them. Each takes the axes to
draw in and returns them, changes no global setting, and infers the image size from
the number of pixels (784 -> 28x28, 64 -> 8x8) unless ``shape`` is given. Text is at
least 12 points, so that a figure about 6.5 inches wide stays readable when a phone
shows it 390 pixels wide.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from nnbook.plotting.style import PALETTE

__all__ = [
    "plot_ablation",
    "plot_confusion_matrix",
    "plot_digits",
    "plot_heatmap",
    "plot_weight_images",
]

FONTSIZE = 12  # the smallest text these helpers write


def _axes_list(axes: Any) -> list[Axes]:
    flat = list(np.ravel(np.asarray(axes, dtype=object)))
    if not flat or not all(isinstance(a, Axes) for a in flat):
        raise TypeError(
            f"axes: expected a matplotlib Axes or an array of them, got {type(axes).__name__}"
        )
    return flat


def _square(d: int, shape: tuple[int, int] | None, name: str) -> tuple[int, int]:
    if shape is not None:
        h, w = (int(s) for s in shape)
        if h * w != d:
            raise ValueError(
                f"{name}: expected {h * w} pixels per image for shape={shape}, got {d}"
            )
        return h, w
    side = math.isqrt(d)
    if side * side != d:
        raise ValueError(
            f"{name}: expected a square number of pixels (784, 64, ...) or shape=, got {d}"
        )
    return side, side


def _images(name: str, images: Any, shape: tuple[int, int] | None) -> np.ndarray:
    """(n, h, w) float array from (n, h*w) or (n, h, w)."""
    arr = np.asarray(images, dtype=np.float64)
    if arr.ndim == 2:
        h, w = _square(arr.shape[1], shape, name)
        arr = arr.reshape(-1, h, w)
    elif arr.ndim != 3:
        raise ValueError(f"{name}: expected shape (n, pixels) or (n, h, w), got {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one image, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: expected finite values, got NaN or infinity")
    return arr


def _bare(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("#BBBBBB")
        spine.set_linewidth(0.6)


def plot_digits(
    axes: Any,
    images: Any,
    *,
    titles: Sequence[Any] | None = None,
    shape: tuple[int, int] | None = None,
    cmap: str = "gray_r",
    vmin: float = 0.0,
    vmax: float = 1.0,
    title_color: Sequence[str] | None = None,
) -> Any:
    """Draw one digit per axes (dark ink on white), without ticks.

    Args:
        axes: An Axes or an array of Axes (``plt.subplots(2, 6)[1]``); axes beyond
            the images are hidden, images beyond the axes are left out.
        images: (n, h*w) flat images or (n, h, w), values in [vmin, vmax].
        titles: Optional text above each image (may hold a newline).
        shape: (h, w) of a flat image; ``None`` for a square.
        cmap: Colour map; ``"gray_r"`` draws 1 as black ink.
        vmin: Value drawn white.
        vmax: Value drawn black.
        title_color: Optional colour per title.

    Returns:
        The same ``axes``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
        >>> fig, axes = plt.subplots(1, 3)
        >>> _ = plot_digits(axes, np.zeros((2, 784)), titles=["a", "b"])
        >>> axes[2].axison
        False
        >>> plt.close(fig)
    """
    flat = _axes_list(axes)
    imgs = _images("images", images, shape)
    n = min(len(flat), imgs.shape[0])
    if titles is not None and len(titles) < n:
        raise ValueError(
            f"titles: expected at least {n} entries (one per image shown), got {len(titles)}"
        )
    for i, ax in enumerate(flat):
        if i >= n:
            ax.set_axis_off()
            continue
        ax.imshow(imgs[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        _bare(ax)
        if titles is not None:
            color = title_color[i] if title_color is not None else "#222222"
            ax.set_title(str(titles[i]), fontsize=FONTSIZE, pad=3, color=color)
    return axes


def plot_weight_images(
    axes: Any,
    weights: Any,
    *,
    shape: tuple[int, int] | None = None,
    cmap: str = "RdBu_r",
    scale: float | None = None,
) -> Any:
    """Draw each column of a first-layer weight matrix (pixels, units) as an image.

    Red is a positive weight (ink there raises the unit's input), blue a negative one,
    white zero; the colour scale is symmetric about 0.

    Args:
        axes: An Axes or array of Axes, one per unit shown.
        weights: (pixels, units), e.g. ``params[0].W`` of shape (784, 256): column j
            is unit j's weights. Pass ``W[:, chosen]`` to show some units.
        shape: (h, w) of an image; ``None`` for a square.
        cmap: A diverging colour map.
        scale: Weight drawn at full colour, the same for all images; ``None`` scales
            each image by its own largest absolute weight.

    Returns:
        The same ``axes``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
        >>> fig, axes = plt.subplots(1, 2)
        >>> _ = plot_weight_images(axes, np.random.default_rng(0).normal(size=(64, 2)))
        >>> axes[0].images[0].get_clim()[0] < 0
        True
        >>> plt.close(fig)
    """
    W = np.asarray(weights, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"weights: expected a 2-D (pixels, units) matrix, got shape {W.shape}")
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale: expected a positive number or None, got {scale!r}")
    imgs = _images("weights", W.T, shape)
    flat = _axes_list(axes)
    for i, ax in enumerate(flat):
        if i >= imgs.shape[0]:
            ax.set_axis_off()
            continue
        v = scale if scale is not None else float(np.abs(imgs[i]).max()) or 1.0
        ax.imshow(imgs[i], cmap=cmap, vmin=-v, vmax=v, interpolation="nearest")
        _bare(ax)
    return axes


def plot_heatmap(
    ax: Axes,
    values: Any,
    *,
    shape: tuple[int, int] | None = None,
    cmap: str = "magma",
    vmin: float | None = None,
    vmax: float | None = None,
    outline: Any = None,
    outline_level: float = 0.3,
    title: str | None = None,
    colorbar: bool = False,
    label: str | None = None,
) -> Axes:
    """Draw one per-pixel map (importance, a mean image) as a heat map.

    Args:
        ax: The Axes.
        values: (h*w,) or (h, w) values, e.g. :func:`nnbook.interpret.pixel_importance`.
        shape: (h, w); ``None`` for a square.
        cmap: Colour map (``"magma"``: dark is small, bright is large).
        vmin: Value at the bottom of the colour scale (default: the minimum).
        vmax: Value at the top (default: the maximum).
        outline: Optional image of the same size (a class's mean digit) drawn as a
            contour line at ``outline_level``, to compare the map with the ink.
        outline_level: Level of that contour.
        title: Optional title.
        colorbar: Add a colour bar beside the map.
        label: The colour bar's label.

    Returns:
        ``ax``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> _ = plot_heatmap(ax, np.arange(64.0), outline=np.eye(8).ravel(), colorbar=True)
        >>> len(ax.images), fig.axes[1].get_ylabel()
        (1, '')
        >>> plt.close(fig)
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}")
    img = _images("values", np.asarray(values, np.float64).reshape(1, -1), shape)[0]
    im = ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    if outline is not None:
        out = np.asarray(outline, np.float64).reshape(-1)
        if out.size != img.size:
            raise ValueError(f"outline: expected {img.size} pixels like values, got {out.size}")
        ax.contour(
            out.reshape(img.shape), levels=[outline_level], colors=PALETTE[5], linewidths=1.3
        )
    _bare(ax)
    if title is not None:
        ax.set_title(title, fontsize=FONTSIZE + 1, pad=4)
    if colorbar:
        bar = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
        bar.ax.tick_params(labelsize=FONTSIZE)
        if label:
            bar.set_label(label, fontsize=FONTSIZE)
    return ax


def plot_confusion_matrix(
    ax: Axes,
    matrix: Any,
    *,
    labels: Sequence[Any] | None = None,
    cmap: str = "Blues",
) -> Axes:
    """Draw a confusion matrix: true class down, predicted class across, counts written in.

    Each cell's colour is its share of its row (of the true class), so the same
    colour means the same error rate whatever the class size; zero cells are blank.

    Args:
        ax: The Axes.
        matrix: (k, k) counts, e.g. :func:`nnbook.interpret.confusion_matrix`.
        labels: Class names; default 0..k-1.
        cmap: Sequential colour map.

    Returns:
        ``ax``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> _ = plot_confusion_matrix(ax, [[5, 1], [0, 4]])
        >>> sorted(t.get_text() for t in ax.texts)
        ['1', '4', '5']
        >>> plt.close(fig)
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}")
    cm = np.asarray(matrix)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"matrix: expected a square (k, k) matrix of counts, got shape {cm.shape}")
    if not np.issubdtype(cm.dtype, np.integer) or (cm < 0).any():
        raise ValueError("matrix: expected non-negative integer counts")
    k = cm.shape[0]
    labels = list(range(k)) if labels is None else list(labels)
    if len(labels) != k:
        raise ValueError(f"labels: expected {k} names (one per class), got {len(labels)}")
    rows = cm.sum(axis=1, keepdims=True)
    share = cm / np.maximum(rows, 1)
    # a square root stretches the small off-diagonal shares so that they show
    ax.imshow(np.sqrt(share), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    for i in range(k):
        for j in range(k):
            if cm[i, j]:
                dark = np.sqrt(share[i, j]) > 0.6
                ax.text(
                    j,
                    i,
                    str(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=FONTSIZE,
                    color="white" if dark else "#222222",
                )
    ax.set_xticks(range(k), [str(s) for s in labels], fontsize=FONTSIZE)
    ax.set_yticks(range(k), [str(s) for s in labels], fontsize=FONTSIZE)
    ax.set_xlabel("predicted class", fontsize=FONTSIZE + 1)
    ax.set_ylabel("true class", fontsize=FONTSIZE + 1)
    ax.grid(False)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def plot_ablation(
    ax: Axes,
    curves: Mapping[str, tuple[Any, Any]],
    *,
    chance: float | None = 0.1,
) -> Axes:
    """Draw accuracy against the number of pixels removed, one line per ranking.

    Args:
        ax: The Axes.
        curves: ``{label: (ks, accuracies)}``, e.g. from
            :func:`nnbook.interpret.ablation_curve`: ``{"most important":
            (res.ks, res.important), "random inked": (res.ks, res.random)}``.
        chance: Accuracy of guessing, drawn as a dotted line (``None``: none).

    Returns:
        ``ax``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> _ = plot_ablation(ax, {"a": ([0, 10], [0.9, 0.5]), "b": ([0, 10], [0.9, 0.8])})
        >>> [t.get_text() for t in ax.get_legend().get_texts()]
        ['a', 'b', 'chance']
        >>> plt.close(fig)
    """
    if not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}")
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError("curves: expected a non-empty {label: (ks, accuracies)} mapping")
    markers = "os^Dv"
    for i, (label, pair) in enumerate(curves.items()):
        ks, acc = (np.asarray(a, np.float64) for a in pair)
        if ks.shape != acc.shape or ks.ndim != 1:
            raise ValueError(f"curves[{label!r}]: expected ks and accuracies of one equal length")
        ax.plot(
            ks,
            100 * acc,
            marker=markers[i % len(markers)],
            color=PALETTE[i % len(PALETTE)],
            label=str(label),
            ms=6,
        )
    if chance is not None:
        ax.axhline(100 * chance, color="#555555", ls=":", lw=1.4, label="chance")
    ax.set_xlabel("inked pixels removed per image", fontsize=FONTSIZE + 1)
    ax.set_ylabel("test accuracy (%)", fontsize=FONTSIZE + 1)
    ax.set_ylim(0, 100)
    ax.tick_params(labelsize=FONTSIZE)
    ax.legend(fontsize=FONTSIZE)
    return ax
