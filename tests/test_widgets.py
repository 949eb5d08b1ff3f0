"""nnbook.book.widgets: the data behind the book's interactive figures."""

from __future__ import annotations

import json
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnbook.activations import sigmoid, softmax
from nnbook.book.widgets import (
    decode_probs,
    encode_probs,
    forward_pass_data,
    learning_data,
    neuron_data,
    record_learning,
    widget,
    widget_html,
)
from nnbook.layers import Dense, init_mlp, mlp_trace
from nnbook.losses import binary_cross_entropy_with_logits
from nnbook.neuron import Neuron, neuron
from nnbook.optimizers import adam, sgd


def embedded(html: str) -> dict:
    """The JSON a page script would read back from the widget's <script> element."""
    m = re.fullmatch(
        r'<div class="nnbook-widget" data-widget="[a-z-]+"[^>]*>'
        r'<script type="application/json">(.*)</script></div>',
        html,
        flags=re.S,
    )
    assert m, html[:200]
    assert "</" not in m.group(1), "the data could close its <script> early"
    return json.loads(m.group(1))


# -- neuron ---------------------------------------------------------------------------


def test_neuron_data_matches_nnbook_neuron_for_every_activation():
    x, w, b = [0.8, 1.0, 15.0], [2.0, 3.0, -0.1], -2.0
    d = neuron_data(x, w, b, x_ranges=[(0, 1, 0.05), (0, 1, 1), (0, 30, 1)])
    p = Neuron(w=jnp.array(w), b=jnp.array(b))
    assert d["z"] == pytest.approx(1.1, abs=1e-5)
    for f in ("step", "sigmoid", "relu"):
        assert d["outputs"][f] == pytest.approx(
            float(neuron(p, jnp.array(x), activation=f)), abs=1e-5
        )
    assert [s["value"] for s in d["inputs"]] == [0.8, 1.0, 15.0]
    assert d["inputs"][2] == {"value": 15.0, "min": 0.0, "max": 30.0, "step": 1.0}
    assert d["names"] == ["x1", "x2", "x3"]
    assert embedded(widget_html("neuron", d)) == d  # JSON round trip


@pytest.mark.parametrize(
    ("kwargs", "arg"),
    [
        ({"w": [1.0, 2.0]}, "w"),
        ({"x_ranges": [(0, 1, 0.1)] * 2}, "x_ranges"),
        ({"x_ranges": [(0, 1, 0.1), (0, 1, 0.1), (2, 3, 0.1)]}, "x_ranges[2]"),
        ({"x_ranges": [(0, 1, 0.1), (0, 1, 0.1), (1, 0, 0.1)]}, "x_ranges[2]"),
        ({"w_range": (-1, 1, 0.1)}, "w_range"),
        ({"b_range": (0, 1, 0)}, "b_range"),
        ({"activation": "tanh"}, "activation"),
        ({"names": ["a"]}, "names"),
    ],
)
def test_neuron_data_bad_input_names_the_argument(kwargs, arg):
    args = {"x": [0.5, 0.5, 0.5], "w": [2.0, 0.5, 0.5], "b": 0.0} | kwargs
    with pytest.raises(ValueError, match=re.escape(arg)):
        neuron_data(args.pop("x"), args.pop("w"), args.pop("b"), **args)


# -- forward pass ----------------------------------------------------------------------


def test_forward_pass_data_is_mlp_trace():
    params = init_mlp(jax.random.key(0), (4, 6, 6, 3))
    x = jax.random.normal(jax.random.key(1), (5, 4))
    d = forward_pass_data("wide", params, x, output_activation=softmax)
    trace = mlp_trace(params, x, output_activation=softmax)
    assert d["sizes"] == [4, 6, 6, 3]
    assert d["activations"] == ["relu", "relu", "softmax"]
    assert [np.shape(w) for w in d["weights"]] == [(4, 6), (6, 6), (6, 3)]
    assert len(d["examples"]) == 5 and d["examples"][4]["name"] == "example 5"
    for k, ex in enumerate(d["examples"]):
        np.testing.assert_allclose(ex["input"], x[k], atol=1e-5)
        for i in range(3):
            np.testing.assert_allclose(ex["z"][i], trace.pre_activations[i][k], atol=1e-5)
            np.testing.assert_allclose(ex["a"][i], trace.activations[i][k], atol=1e-5)
        assert sum(ex["a"][-1]) == pytest.approx(1.0, abs=1e-4)
    assert embedded(widget_html("forward-pass", {"networks": [d]})) == {"networks": [d]}


def test_forward_pass_data_one_example_and_labels():
    spam = (
        Dense(jnp.array([[0.5, 0.1], [0.1, 0.8]]), jnp.array([-2.0, -2.0])),
        Dense(jnp.array([[1.2], [1.0]]), jnp.array([-2.0])),
    )
    d = forward_pass_data(
        "spam",
        spam,
        jnp.array([7.0, 3.0]),
        output_activation=sigmoid,
        example_names=["email A"],
        node_labels=[["words", "links"], None, ["P(spam)"]],
    )
    (ex,) = d["examples"]
    assert ex["z"][0] == pytest.approx([1.8, 1.1], abs=1e-5)
    assert ex["a"][1][0] == pytest.approx(float(sigmoid(1.2 * 1.8 + 1.1 - 2.0)), abs=1e-5)
    assert d["node_labels"] == [["words", "links"], None, ["P(spam)"]]
    assert d["activations"] == ["relu", "sigmoid"]


@pytest.mark.parametrize(
    ("kwargs", "arg"),
    [
        ({"example_names": ["only one"]}, "example_names"),
        ({"layer_labels": ["in", "out"]}, "layer_labels"),
        ({"node_labels": [None]}, "node_labels"),
        ({"output_activation": lambda z: z}, "output_activation"),
        ({"x": jnp.ones((2, 3))}, "x"),
    ],
)
def test_forward_pass_data_bad_input_names_the_argument(kwargs, arg):
    params = init_mlp(jax.random.key(0), (2, 3, 1))
    args = {"x": jnp.ones((2, 2))} | kwargs
    with pytest.raises(ValueError, match=re.escape(arg)):
        forward_pass_data("net", params, args.pop("x"), **args)


# -- watch it learn --------------------------------------------------------------------


def _moons_like():
    x = jax.random.normal(jax.random.key(0), (64, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(jnp.int32)
    return x, y


def _loss(params, x, y):
    from nnbook.layers import mlp

    return binary_cross_entropy_with_logits(mlp(params, x, activation="tanh")[:, 0], y)


def _proba(params, x):
    from nnbook.layers import mlp

    return jax.nn.sigmoid(mlp(params, x, activation="tanh")[:, 0])


def test_record_learning_frames_shapes_and_values():
    x, y = _moons_like()
    params = init_mlp(jax.random.key(1), (2, 8, 1))
    f = record_learning(
        params, _loss, adam(0.05), x, y, _proba, n_steps=40, every=10, resolution=12
    )
    assert f.steps.tolist() == [0, 10, 20, 30, 40]
    assert f.loss.shape == (41,) and f.probs.shape == (5, 12, 12)
    assert f.grid_x[0] == pytest.approx(float(x[:, 0].min()) - 0.5, abs=1e-5)
    assert f.grid_y[-1] == pytest.approx(float(x[:, 1].max()) + 0.5, abs=1e-5)
    assert f.loss[-1] < f.loss[0]
    # frame k is the network after steps[k] steps, evaluated on the grid (row i = grid_y[i])
    grid = jnp.asarray(np.stack(np.meshgrid(f.grid_x, f.grid_y), -1).reshape(-1, 2))
    for k in (0, 4):
        p_k = jax.tree.map(lambda a, k=k: a[k], f.params)
        np.testing.assert_allclose(f.probs[k].ravel(), _proba(p_k, grid), atol=1e-5)
        assert f.loss[f.steps[k]] == pytest.approx(float(_loss(p_k, x, y)), rel=1e-4)
    np.testing.assert_allclose(jax.tree.leaves(f.params)[0][0], jax.tree.leaves(params)[0])


def test_record_learning_matches_plain_sgd_steps():
    x, y = _moons_like()
    params = init_mlp(jax.random.key(2), (2, 4, 1))
    f = record_learning(params, _loss, sgd(0.1), x, y, _proba, n_steps=6, every=3, resolution=4)
    p = params
    for t in range(6):
        loss, grads = jax.value_and_grad(_loss)(p, x, y)
        assert f.loss[t] == pytest.approx(float(loss), rel=1e-5)
        p = jax.tree.map(lambda a, g: a - 0.1 * g, p, grads)
    np.testing.assert_allclose(
        jax.tree.leaves(f.params)[0][-1], jax.tree.leaves(p)[0], rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    ("kwargs", "arg"),
    [
        ({"n_steps": 45}, "n_steps"),
        ({"every": 0}, "every"),
        ({"resolution": 1}, "resolution"),
        ({"x": jnp.ones((4, 3))}, "x"),
    ],
)
def test_record_learning_bad_input_names_the_argument(kwargs, arg):
    x, y = _moons_like()
    args = {"x": x, "n_steps": 40, "every": 10, "resolution": 8} | kwargs
    params = init_mlp(jax.random.key(1), (2, 4, 1))
    with pytest.raises(ValueError, match=re.escape(arg)):
        record_learning(params, _loss, sgd(0.1), args.pop("x"), y, _proba, **args)


def test_encode_probs_quantization_error_is_bounded():
    p = np.random.default_rng(0).uniform(size=(3, 48, 48))
    p[0, 0, :3] = [0.0, 0.5, 1.0]
    text = encode_probs(p)
    assert len(text) == 4 * int(np.ceil(p.size / 3))  # one byte per probability
    back = decode_probs(text, p.shape)
    assert np.max(np.abs(back - p)) <= 1 / 510 + 1e-12
    assert back[0, 0, 0] == 0.0 and back[0, 0, 2] == 1.0


@pytest.mark.parametrize("bad", [[0.5, 1.2], [-0.1], [np.nan], []])
def test_encode_probs_rejects_values_outside_0_1(bad):
    with pytest.raises(ValueError, match="probs"):
        encode_probs(bad)


def test_learning_data_round_trip_and_size():
    x, y = _moons_like()
    params = init_mlp(jax.random.key(1), (2, 8, 1))
    f = record_learning(params, _loss, adam(0.05), x, y, _proba, n_steps=40, every=5, resolution=48)
    d = learning_data(f, x, y, ["class 0", "class 1"])
    back = embedded(widget_html("watch-learn", d, fallback="fig-x"))
    assert back == d
    assert back["steps"] == list(range(0, 41, 5)) and len(back["loss"]) == 41
    probs = decode_probs(back["probs"], (len(back["steps"]), 48, 48))
    assert np.max(np.abs(probs - f.probs)) <= 1 / 510 + 1e-6
    assert back["points"][0] == pytest.approx([*np.round(np.asarray(x[0]), 3), int(y[0])])
    assert len(widget_html("watch-learn", d)) < 9 * 48 * 48 * 4 // 3 + 20_000  # small page
    with pytest.raises(ValueError, match="y"):
        learning_data(f, x, y[:10])


# -- the HTML -------------------------------------------------------------------------


def test_widget_html_attributes_and_escaping():
    html = widget_html("forward-pass", {"s": "</script><b>"}, fallback='fig-"a"', title="A & B")
    assert 'data-fallback="fig-&quot;a&quot;"' in html and 'data-title="A &amp; B"' in html
    assert embedded(html) == {"s": "</script><b>"}
    assert widget("neuron", {"a": 1}).data == widget_html("neuron", {"a": 1})


@pytest.mark.parametrize(
    ("kind", "data", "arg", "error"),
    [
        ("slider", {}, "kind", ValueError),
        ("neuron", [1, 2], "data", TypeError),
        ("neuron", {"x": float("nan")}, "data", ValueError),
    ],
)
def test_widget_html_bad_input_names_the_argument(kind, data, arg, error):
    with pytest.raises(error, match=f"^{arg}"):
        widget_html(kind, data)


def test_every_widget_kind_has_its_script_and_the_extension_finds_it():
    import sys
    from pathlib import Path

    from nnbook.book.widgets import WIDGET_KINDS

    docs = Path(__file__).resolve().parents[1] / "docs"
    sys.path.insert(0, str(docs / "_ext"))
    try:
        import nnbook_widgets
    finally:
        sys.path.remove(str(docs / "_ext"))
    assert set(nnbook_widgets.KINDS) == set(WIDGET_KINDS)  # the scripts are the list
    for name in ["widget-core.js", "widgets.css"] + [f"widget-{k}.js" for k in WIDGET_KINDS]:
        assert (docs / "_static" / name).is_file(), name
    body = widget_html("watch-learn", {}) + "<p>text</p>" + widget_html("neuron", {})
    assert nnbook_widgets.kinds_in(body) == ["neuron", "watch-learn"]
    assert nnbook_widgets.kinds_in("<p>no widget</p>") == []
    with pytest.raises(ValueError, match="slider"):
        nnbook_widgets.kinds_in('<div class="nnbook-widget" data-widget="slider">')
