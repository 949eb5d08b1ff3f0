"""Network diagrams: neurons as circles, weights as lines (chapters 3, 4 and 6).

:func:`draw_network` draws a fully connected network in columns, one column per
layer. Given weights, line colour shows their sign and line width their magnitude;
given activations, each neuron is filled by its value and the value is printed
inside, which is how the book shows a forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from nnbook.plotting.style import NEGATIVE, POSITIVE

__all__ = ["draw_network"]

_R = 0.36  # neuron radius; neighbouring neurons in a column are 1 apart
_DX = 2.2  # distance between columns


def _as_list(arg: Any, name: str, n: int) -> list[Any]:
    items = list(arg)
    if len(items) != n:
        raise ValueError(f"{name} has {len(items)} entries; expected {n} (one per layer)")
    return items


def _check_weights(weights: Any, sizes: list[int]) -> list[np.ndarray]:
    # Accept a tuple of Dense params (anything with a `.W`) as well as plain arrays.
    ws = [np.asarray(getattr(w, "W", w), dtype=np.float64) for w in weights]
    if len(ws) != len(sizes) - 1:
        raise ValueError(
            f"weights has {len(ws)} matrices; expected {len(sizes) - 1} for layer_sizes {sizes}"
        )
    for i, w in enumerate(ws):
        if w.shape != (sizes[i], sizes[i + 1]):
            raise ValueError(
                f"weights[{i}] has shape {w.shape}; expected {(sizes[i], sizes[i + 1])} "
                f"(n_in, n_out) from layer_sizes {sizes}"
            )
    return ws


def _check_activations(activations: Any, sizes: list[int]) -> list[np.ndarray | None]:
    if hasattr(activations, "inputs") and hasattr(activations, "activations"):  # an MLPTrace
        activations = [activations.inputs, *activations.activations]
    acts = _as_list(activations, "activations", len(sizes))
    out: list[np.ndarray | None] = []
    for i, a in enumerate(acts):
        if a is None:
            out.append(None)
            continue
        a = np.asarray(a, dtype=np.float64)
        if a.size != sizes[i] or (a.ndim > 1 and a.shape[-1] != sizes[i]):
            raise ValueError(
                f"activations[{i}] has shape {a.shape}; expected ({sizes[i]},) from layer_sizes"
            )
        out.append(a.ravel())
    return out


def _fmt(v: float, integers: bool) -> str:
    if integers and abs(v) < 1e4:  # counts such as the spam inputs: "7", not "7.00"
        return f"{int(v)}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.3g}"


def _text_color(rgb: tuple[float, float, float]) -> str:
    """Black or white, whichever contrasts more with the fill (WCAG relative luminance)."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "black" if luminance > 0.18 else "white"


def _draw_connections(
    ax: Axes, xs: list[float], ys: list[np.ndarray], ws: list[np.ndarray] | None
) -> None:
    """One LineCollection per layer; segment order = row-major (n_in, n_out)."""
    w_max = max(float(np.abs(w).max()) for w in ws) if ws else 0.0
    for i in range(len(xs) - 1):
        segs = np.array([[(xs[i], y0), (xs[i + 1], y1)] for y0 in ys[i] for y1 in ys[i + 1]])
        if ws is None:
            ax.add_collection(
                LineCollection(list(segs), colors="#A0A0A0", linewidths=1.0, zorder=1)
            )
            continue
        w = ws[i].ravel()
        order = np.argsort(np.abs(w), kind="stable")  # strongest weights drawn on top
        scale = np.abs(w[order]) / w_max if w_max > 0 else np.zeros(w.size)
        colors = [POSITIVE if v >= 0 else NEGATIVE for v in w[order]]
        widths = 0.5 + 3.5 * scale
        ax.add_collection(
            LineCollection(
                list(segs[order]), colors=colors, linewidths=widths, alpha=0.85, zorder=1
            )
        )


def draw_network(
    ax: Axes,
    layer_sizes: Sequence[int],
    *,
    weights: Sequence[Any] | None = None,
    activations: Sequence[Any] | None = None,
    node_labels: Sequence[Sequence[str] | None] | None = None,
    layer_labels: Sequence[str] | None = None,
    cmap: str = "viridis",
    show_values: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = False,
) -> Axes:
    """Draw a fully connected network as circles (neurons) and lines (weights).

    Layer $l$ feeds layer $l+1$ through $a^{(l+1)} = f(a^{(l)} W^{(l)} + b^{(l)})$, so
    ``weights[l]`` has shape ``(layer_sizes[l], layer_sizes[l+1])``; line colour shows
    the sign of $W^{(l)}_{ij}$ (blue positive, vermillion negative) and line width $|W^{(l)}_{ij}|$.

    Args:
        ax: Axes to draw into (made equal-aspect, axis lines off).
        layer_sizes: neurons per layer, input first, e.g. ``(2, 2, 1)``.
        weights: one ``(n_in, n_out)`` array per connection layer, or a tuple of
            ``Dense`` params. Without weights all lines are thin and grey.
        activations: one ``(n_l,)`` array (or ``None``) per layer, input included, or
            an ``MLPTrace`` of a single example. Neurons are filled through ``cmap``
            on one scale shared by all layers (``vmin``/``vmax``, default the data range).
        node_labels: per layer a list of names or ``None``. Input names go left of
            the first column, output names right of the last; hidden names go inside
            their neuron, or above it when it shows a value.
        layer_labels: text under each column (default "input", "hidden"/"hidden 1",
            ..., "output").
        cmap: colour map for activations.
        show_values: print each activation inside its neuron.
        vmin: activation mapped to the lowest colour.
        vmax: activation mapped to the highest colour.
        colorbar: add a colour bar for the activations next to ``ax``.

    Returns:
        The same ``ax``.

    Raises:
        ValueError: if ``weights``, ``activations``, ``node_labels`` or
            ``layer_labels`` do not match ``layer_sizes``.

    Examples:
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> fig, ax = plt.subplots()
        >>> w = [np.array([[1.0, -2.0], [0.5, 1.5]]), np.array([[2.0], [-1.0]])]
        >>> ax = draw_network(ax, (2, 2, 1), weights=w, activations=[[1, 0], [0.7, 0.2], [0.8]])
        >>> len(ax.patches), sum(len(c.get_segments()) for c in ax.collections)
        (5, 6)
        >>> plt.close(fig)
    """
    sizes = [int(s) for s in layer_sizes]
    if not sizes or min(sizes) < 1:
        raise ValueError(f"layer_sizes is {list(layer_sizes)}; expected positive integers")
    n_layers = len(sizes)
    ws = _check_weights(weights, sizes) if weights is not None else None
    acts = _check_activations(activations, sizes) if activations is not None else None
    if layer_labels is None:
        hidden = ["hidden"] if n_layers == 3 else [f"hidden {i}" for i in range(1, n_layers - 1)]
        layer_labels = ["input", *hidden, "output"][-n_layers:] if n_layers > 1 else ["input"]
    layer_labels = _as_list(layer_labels, "layer_labels", n_layers)
    names = _as_list(node_labels, "node_labels", n_layers) if node_labels is not None else None
    for i, layer_names in enumerate(names or []):
        if layer_names is not None and len(layer_names) != sizes[i]:
            raise ValueError(f"node_labels[{i}] has {len(layer_names)} names; expected {sizes[i]}")

    xs = [_DX * i for i in range(n_layers)]
    ys = [(n - 1) / 2 - np.arange(n) for n in sizes]  # each column centred on y = 0

    _draw_connections(ax, xs, ys, ws)

    # Neurons.
    values = [a for a in (acts or []) if a is not None]
    lo = vmin if vmin is not None else min((float(a.min()) for a in values), default=0.0)
    hi = vmax if vmax is not None else max((float(a.max()) for a in values), default=1.0)
    norm = Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1.0)
    colormap = _get_cmap(cmap)
    fontsize = _value_fontsize(ax, sizes, n_layers)
    for i in range(n_layers):
        a = acts[i] if acts is not None else None
        integers = a is not None and bool(np.all(a == np.round(a)))
        for j, y in enumerate(ys[i]):
            fill = to_rgb(colormap(norm(a[j]))) if a is not None else (1.0, 1.0, 1.0)
            ax.add_patch(
                Circle((xs[i], y), _R, facecolor=fill, edgecolor="#333333", linewidth=1.2, zorder=2)
            )
            if a is not None and show_values:
                ax.text(
                    xs[i],
                    y,
                    _fmt(a[j], integers),
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color=_text_color(fill),
                    zorder=3,
                )
            if names is not None and names[i] is not None:
                inside = a is None or not show_values
                _node_label(ax, str(names[i][j]), xs[i], y, i, n_layers, inside, fontsize)

    bottom = -(max(sizes) - 1) / 2 - _R
    for i, label in enumerate(layer_labels):
        if label:
            ax.text(xs[i], bottom - 0.3, str(label), ha="center", va="top", color="#444444")
    ax.set_xlim(-_R - 0.2, xs[-1] + _R + 0.2)
    above = names is not None and any(  # hidden-layer names printed above their neurons
        names[i] is not None and acts is not None and acts[i] is not None and show_values
        for i in range(1, n_layers - 1)
    )
    ax.set_ylim(bottom - 0.75, -bottom + (0.4 if above else 0.1))
    ax.set_aspect("equal")
    ax.set_axis_off()
    if ws is not None:
        handles = [
            Line2D([], [], color=POSITIVE, lw=2.5, label="positive weight"),
            Line2D([], [], color=NEGATIVE, lw=2.5, label="negative weight"),
        ]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=2,
            frameon=False,
            handlelength=1.6,
        )
    if colorbar and values:
        from matplotlib.cm import ScalarMappable

        ax.figure.colorbar(
            ScalarMappable(norm=norm, cmap=colormap), ax=ax, shrink=0.7, label="activation"
        )
    return ax


def _get_cmap(cmap: Any) -> Any:
    return matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap


def _value_fontsize(ax: Axes, sizes: list[int], n_layers: int) -> float:
    """Font size (points) that fits a value like "-0.73" inside a neuron.

    Never below the style's ``font.size`` (the book's legibility floor): a figure too
    small for its values must be drawn larger, not with unreadable text.
    """
    fig_w, fig_h = ax.figure.get_figure(root=True).get_size_inches()
    pos = ax.get_position()
    width_units = _DX * (n_layers - 1) + 2 * _R + 1.5
    height_units = max(sizes) - 1 + 2 * _R + 1.2
    points_per_unit = 72 * min(fig_w * pos.width / width_units, fig_h * pos.height / height_units)
    floor = float(matplotlib.rcParams["font.size"])
    return float(np.clip(0.68 * _R * points_per_unit, floor, max(floor, 14.0)))


def _node_label(
    ax: Axes, text: str, x: float, y: float, layer: int, n_layers: int, inside: bool, size: float
) -> None:
    if layer == 0:
        ax.text(x - _R - 0.12, y, text, ha="right", va="center")
    elif layer == n_layers - 1:
        ax.text(x + _R + 0.12, y, text, ha="left", va="center")
    elif inside:  # hidden neuron without a value: its name goes inside
        ax.text(x, y, text, ha="center", va="center", fontsize=size, zorder=3)
    else:
        ax.text(x, y + _R + 0.06, text, ha="center", va="bottom")
