"""Data for the interactive figures of the web book (chapters 2, 4 and 7).

Part of the book's runtime (:mod:`nnbook.book`), not reference code: the figures show
what the reference modules compute, and this module only packs it for the page.

The page only *displays*; everything that matters is computed here, in JAX, when the
book is built. Each builder returns plain JSON-ready data, and :func:`widget` wraps it
in ``<div class="nnbook-widget" data-widget="...">`` with the data in a
``<script type="application/json">``, which ``docs/_static/widget-*.js`` turns into
sliders and pictures. Without JavaScript (or in a downloaded notebook) nothing shows,
and the chapter's normal figure, named by ``fallback``, stands in its place.

* ``neuron`` (chapter 2): three inputs, weights and a bias on sliders. One neuron is
  trivial arithmetic, so the page recomputes it; :func:`neuron_data` gives the start.
* ``forward-pass`` (chapter 4): :func:`forward_pass_data` keeps every value of
  :func:`nnbook.layers.mlp_trace`, which the page reveals one layer at a time.
* ``watch-learn`` (chapter 7): :func:`record_learning` trains inside ``lax.scan`` and
  keeps the decision boundary every few steps; :func:`learning_data` packs it with
  probabilities quantized to bytes (:func:`encode_probs`).
"""

import base64
import html
import json
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from nnbook._checks import check_array, check_positive_int
from nnbook.activations import ACTIVATIONS
from nnbook.layers import mlp_trace
from nnbook.neuron import Neuron, neuron, weighted_sum
from nnbook.training import make_train_step

WIDGET_KINDS = ("neuron", "forward-pass", "watch-learn")
NEURON_ACTIVATIONS = ("step", "sigmoid", "relu")


def _r(values: Any, digits: int = 5) -> Any:
    """Round an array (or number) to ``digits`` decimals as nested Python floats."""
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


def _name_of(fn: str | Callable, arg_name: str) -> str:
    if isinstance(fn, str):
        return fn
    names = [n for n, f in ACTIVATIONS.items() if f is fn]
    if not names and getattr(fn, "__module__", "") == "nnbook.activations":
        names = [fn.__name__]  # softmax, log_softmax: output activations only
    if not names:
        raise ValueError(
            f"{arg_name}: expected a name or a function of nnbook.activations, got {fn!r}"
        )
    return names[0]


def _slider(name: str, value: float, spec: Sequence[float]) -> dict[str, float]:
    try:
        lo, hi, step = (float(v) for v in spec)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: expected a (min, max, step) triple, got {spec!r}") from err
    if not (lo < hi and step > 0 and lo <= value <= hi):
        raise ValueError(
            f"{name}: expected min < max, step > 0 and min <= value <= max, "
            f"got (min, max, step) = {spec!r} for value {value:g}"
        )
    return {"value": round(value, 6), "min": lo, "max": hi, "step": step}


def neuron_data(
    x: Sequence[float],
    w: Sequence[float],
    b: float,
    *,
    names: Sequence[str] | None = None,
    x_ranges: Sequence[Sequence[float]] | None = None,
    w_range: Sequence[float] = (-3.0, 3.0, 0.1),
    b_range: Sequence[float] = (-5.0, 5.0, 0.1),
    activation: str = "sigmoid",
) -> dict[str, Any]:
    """Start values and slider ranges of the neuron widget, with nnbook's outputs there.

    z = w · x + b,  y = f(z) for f in (step, sigmoid, relu)

    Examples:
        >>> d = neuron_data([1.0, 0.0, 2.0], [0.5, 1.0, -1.0], 0.5)
        >>> d["z"], d["outputs"]["relu"], d["outputs"]["step"]
        (-1.0, 0.0, 0.0)
    """
    xv = np.asarray(check_array("x", x, ndim=1, allow_empty=False), np.float64)
    wv = np.asarray(check_array("w", w, ndim=1, allow_empty=False), np.float64)
    if wv.shape != xv.shape:
        raise ValueError(f"w: expected shape {xv.shape} (one weight per input), got {wv.shape}")
    names = [f"x{i + 1}" for i in range(xv.size)] if names is None else [str(n) for n in names]
    x_ranges = [(-2.0, 2.0, 0.1)] * xv.size if x_ranges is None else list(x_ranges)
    if len(names) != xv.size or len(x_ranges) != xv.size:
        raise ValueError(f"names, x_ranges: expected {xv.size} entries each (one per input)")
    if activation not in NEURON_ACTIVATIONS:
        raise ValueError(f"activation: expected one of {NEURON_ACTIVATIONS}, got {activation!r}")
    params = Neuron(w=jnp.asarray(wv, jnp.float32), b=jnp.asarray(float(b), jnp.float32))
    xj = jnp.asarray(xv, jnp.float32)
    return {
        "names": names,
        "inputs": [
            _slider(f"x_ranges[{i}]", float(v), r)
            for i, (v, r) in enumerate(zip(xv, x_ranges, strict=True))
        ],
        "weights": [_slider("w_range", float(v), w_range) for v in wv],
        "bias": _slider("b_range", float(b), b_range),
        "activation": activation,
        "z": _r(weighted_sum(params, xj)),
        "outputs": {f: _r(neuron(params, xj, activation=f)) for f in NEURON_ACTIVATIONS},
    }


def forward_pass_data(
    name: str,
    params: Any,
    x: Any,
    *,
    example_names: Sequence[str] | None = None,
    activation: str | Callable = "relu",
    output_activation: str | Callable = "identity",
    layer_labels: Sequence[str] | None = None,
    node_labels: Sequence[Sequence[str] | None] | None = None,
) -> dict[str, Any]:
    """One network and the full ``mlp_trace`` of each example, for the forward-pass widget.

    z_i = a_{i-1} W_i + b_i,  a_i = f(z_i)  (every z_i and a_i kept, per example)

    Examples:
        >>> from nnbook.layers import init_mlp
        >>> d = forward_pass_data("tiny", init_mlp(jax.random.key(0), (2, 3, 1)), [[1.0, 2.0]])
        >>> d["sizes"], len(d["examples"][0]["a"]), d["activations"]
        ([2, 3, 1], 2, ['relu', 'identity'])
    """
    xb = check_array("x", x, ndim=(1, 2), allow_empty=False)
    xb = xb[None] if xb.ndim == 1 else xb
    trace = mlp_trace(params, xb, activation, output_activation)
    sizes = [int(params[0].W.shape[0])] + [int(layer.W.shape[1]) for layer in params]
    example_names = (
        [f"example {i + 1}" for i in range(xb.shape[0])]
        if example_names is None
        else list(example_names)
    )
    if len(example_names) != xb.shape[0]:
        raise ValueError(
            f"example_names: expected {xb.shape[0]} names (one per row of x), "
            f"got {len(example_names)}"
        )
    for arg, labels in (("layer_labels", layer_labels), ("node_labels", node_labels)):
        if labels is not None and len(labels) != len(sizes):
            raise ValueError(
                f"{arg}: expected {len(sizes)} entries (one per layer), got {len(labels)}"
            )
    hidden, out = (
        _name_of(activation, "activation"),
        _name_of(output_activation, "output_activation"),
    )
    return {
        "name": str(name),
        "sizes": sizes,
        "activations": [hidden] * (len(params) - 1) + [out],
        "layer_labels": list(layer_labels) if layer_labels is not None else None,
        "node_labels": [None if n is None else list(n) for n in node_labels]
        if node_labels
        else None,
        "weights": [_r(layer.W) for layer in params],
        "biases": [_r(layer.b) for layer in params],
        "examples": [
            {
                "name": str(example_names[k]),
                "input": _r(trace.inputs[k]),
                "z": [_r(z[k]) for z in trace.pre_activations],
                "a": [_r(a[k]) for a in trace.activations],
            }
            for k in range(xb.shape[0])
        ],
    }


class LearningFrames(NamedTuple):
    """A training run seen every ``every`` steps (see :func:`record_learning`)."""

    steps: np.ndarray  # (frames,) step numbers 0, every, 2 every, ..., n_steps
    loss: np.ndarray  # (n_steps + 1,) loss after t steps, t = 0 ... n_steps
    probs: np.ndarray  # (frames, resolution, resolution) p(class 1), row i = grid_y[i]
    params: Any  # the parameters at each frame (leading axis = frames)
    grid_x: np.ndarray  # (resolution,)
    grid_y: np.ndarray  # (resolution,)


def record_learning(
    params: Any,
    loss_fn: Callable,
    optimizer: Any,
    x: Any,
    y: Any,
    predict_fn: Callable,
    *,
    n_steps: int,
    every: int,
    resolution: int = 48,
    padding: float = 0.5,
) -> LearningFrames:
    """Train full-batch for ``n_steps`` in one compiled ``lax.scan``, keeping frames.

    θ_{t+1} = θ_t + update(∇L(θ_t)); every ``every`` steps keep p = predict_fn(θ_t, grid)

    Examples:
        >>> from nnbook.optimizers import sgd
        >>> x = jnp.array([[0.0, 0.0], [1.0, 1.0]]); y = jnp.array([0.0, 1.0])
        >>> loss = lambda w, x, y: jnp.mean((jax.nn.sigmoid(x @ w) - y) ** 2)
        >>> predict = lambda w, grid: jax.nn.sigmoid(grid @ w)
        >>> f = record_learning(jnp.zeros(2), loss, sgd(1.0), x, y, predict,
        ...                     n_steps=20, every=5, resolution=8)
        >>> f.steps.tolist(), f.loss.shape, f.probs.shape
        ([0, 5, 10, 15, 20], (21,), (5, 8, 8))
    """
    n_steps, every = check_positive_int("n_steps", n_steps), check_positive_int("every", every)
    resolution = check_positive_int("resolution", resolution)
    if n_steps % every:
        raise ValueError(f"n_steps: expected a multiple of every={every}, got {n_steps}")
    if resolution < 2:
        raise ValueError(f"resolution: expected an integer >= 2, got {resolution}")
    x = check_array("x", x, ndim=2, dtype_kind="f", allow_empty=False)
    if x.shape[1] != 2:
        raise ValueError(f"x: expected shape (n, 2) for a 2-D classification run, got {x.shape}")
    lo, hi = np.asarray(x.min(axis=0)) - padding, np.asarray(x.max(axis=0)) + padding
    gx = np.linspace(lo[0], hi[0], resolution, dtype=np.float32)
    gy = np.linspace(lo[1], hi[1], resolution, dtype=np.float32)
    grid = jnp.asarray(np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2))
    step = make_train_step(loss_fn, optimizer, donate=False)

    def frame(carry, _):  # `every` training steps, then one picture of the boundary
        def one(c, _):
            p, s, loss = step(*c, x, y)
            return (p, s), loss

        carry, losses = jax.lax.scan(one, carry, length=every)
        return carry, (losses, carry[0], predict_fn(carry[0], grid))

    @jax.jit
    def run(p):
        (p_end, _), (losses, ps, probs) = jax.lax.scan(
            frame, (p, optimizer.init(p)), length=n_steps // every
        )
        with_start = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), p, ps)
        probs = jnp.concatenate([predict_fn(p, grid)[None], probs])
        return jnp.append(losses.ravel(), loss_fn(p_end, x, y)), with_start, probs

    loss, history, probs = run(params)
    probs = np.asarray(probs, np.float32).reshape(-1, resolution, resolution)
    return LearningFrames(
        np.arange(0, n_steps + 1, every), np.asarray(loss), probs, history, gx, gy
    )


def encode_probs(probs: Any) -> str:
    """Probabilities in [0, 1] as base64 bytes, round(255 p); error at most 1/510.

    Examples:
        >>> text = encode_probs([0.0, 0.5, 1.0])
        >>> text, decode_probs(text, (3,)).round(3).tolist()
        ('AID/', [0.0, 0.502, 1.0])
    """
    p = np.asarray(probs, dtype=np.float64)
    bad = int(np.sum(~((p >= 0) & (p <= 1))))  # NaN fails both comparisons
    if p.size == 0 or bad:
        raise ValueError(
            f"probs: expected a non-empty array of probabilities in [0, 1], got {bad} of "
            f"{p.size} values outside [0, 1] or not a number"
        )
    return base64.b64encode(np.round(p * 255).astype(np.uint8).tobytes()).decode("ascii")


def decode_probs(text: str, shape: Sequence[int]) -> np.ndarray:
    """Inverse of :func:`encode_probs` (what the page does): bytes / 255."""
    raw = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    return (raw.astype(np.float64) / 255).reshape(shape)


def learning_data(
    frames: LearningFrames, x: Any, y: Any, class_names: Sequence[str] = ("class 0", "class 1")
) -> dict[str, Any]:
    """Pack a :func:`record_learning` run and its data points for the watch-learn widget.

    Examples:
        >>> f = LearningFrames(np.array([0, 5]), np.zeros(6), np.full((2, 4, 4), 0.5), None,
        ...                    np.linspace(0, 1, 4), np.linspace(0, 1, 4))
        >>> d = learning_data(f, [[0.5, 0.5]], [1])
        >>> d["resolution"], d["steps"], len(d["probs"])
        (4, [0, 5], 44)
    """
    xs = np.asarray(check_array("x", x, ndim=2, allow_empty=False))
    ys = np.asarray(y).astype(int).ravel()
    if xs.shape[1] != 2 or ys.shape[0] != xs.shape[0]:
        raise ValueError(f"y: expected one label per row of x {xs.shape}, got shape {ys.shape}")
    res = frames.probs.shape[-1]
    return {
        "resolution": int(res),
        "x_range": _r([frames.grid_x[0], frames.grid_x[-1]], 4),
        "y_range": _r([frames.grid_y[0], frames.grid_y[-1]], 4),
        "steps": [int(s) for s in frames.steps],
        "loss": _r(frames.loss, 5),
        "probs": encode_probs(frames.probs),
        "points": [[*_r(p, 3), int(c)] for p, c in zip(xs, ys, strict=True)],
        "class_names": [str(c) for c in class_names],
    }


def widget_html(
    kind: str, data: dict[str, Any], *, fallback: str | None = None, title: str = ""
) -> str:
    """The ``<div>`` the page's scripts turn into a widget; ``fallback`` is a figure id.

    Examples:
        >>> text = widget_html("neuron", {"a": "</script>"}, fallback="fig-x")
        >>> text.startswith('<div class="nnbook-widget" data-widget="neuron"')
        True
        >>> r"<\\/script>" in text
        True
    """
    if kind not in WIDGET_KINDS:
        raise ValueError(f"kind: expected one of {WIDGET_KINDS}, got {kind!r}")
    if not isinstance(data, dict):
        raise TypeError(f"data: expected a dict, got {type(data).__name__}")
    try:
        text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    except ValueError as err:
        raise ValueError(f"data: expected finite numbers only (JSON has no NaN): {err}") from err
    text = text.replace("</", "<\\/")  # cannot close the <script> early
    attrs = f'class="nnbook-widget" data-widget="{kind}"'
    if fallback:
        attrs += f' data-fallback="{html.escape(fallback, quote=True)}"'
    if title:
        attrs += f' data-title="{html.escape(title, quote=True)}"'
    return f'<div {attrs}><script type="application/json">{text}</script></div>'


def widget(kind: str, data: dict[str, Any], *, fallback: str | None = None, title: str = "") -> Any:
    """:func:`widget_html` as ``IPython.display.HTML``: a chapter cell's last line shows it."""
    from IPython.display import HTML

    return HTML(widget_html(kind, data, fallback=fallback, title=title))
