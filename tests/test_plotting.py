"""Tests for nnbook.plotting: style, decision boundaries, loss curves, image grids, networks."""

import matplotlib

matplotlib.use("Agg")

import importlib
import io
from importlib import resources
from typing import NamedTuple

import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.contour import ContourSet
from matplotlib.patches import Circle

from nnbook.plotting import (
    NEGATIVE,
    PALETTE,
    POSITIVE,
    STYLE_NAME,
    draw_network,
    plot_decision_boundary,
    plot_image_grid,
    plot_loss_curves,
    use_style,
)


@pytest.fixture(autouse=True)
def _isolate_matplotlib():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def _rc_snapshot():
    snap = dict(matplotlib.rcParams.copy())
    snap.pop("backend")
    return snap


# --- style ---------------------------------------------------------------------------


def test_style_file_ships_inside_the_package():
    path = resources.files("nnbook.plotting") / "nnbook.mplstyle"
    assert path.is_file()
    assert "svg.hashsalt" in path.read_text(encoding="utf-8")


def test_use_style_as_context_manager_restores_rcparams():
    before = _rc_snapshot()
    with use_style():
        assert matplotlib.rcParams["figure.facecolor"] == "white"
        assert matplotlib.rcParams["axes.facecolor"] == "white"
        assert matplotlib.rcParams["savefig.facecolor"] == "white"
        assert matplotlib.rcParams["axes.spines.top"] is False
        assert matplotlib.rcParams["axes.spines.right"] is False
        assert matplotlib.rcParams["figure.dpi"] == 100
        assert 110 <= matplotlib.rcParams["savefig.dpi"] <= 120
        assert matplotlib.rcParams["svg.hashsalt"] == "nnbook"
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] == list(PALETTE)
    assert _rc_snapshot() == before


def test_use_style_as_plain_call_stays_applied():
    use_style()
    assert matplotlib.rcParams["axes.spines.right"] is False
    fig, ax = plt.subplots()
    assert fig.get_facecolor() == (1.0, 1.0, 1.0, 1.0)  # opaque: readable in dark mode


def test_style_also_loads_by_dotted_name():
    plt.style.use(STYLE_NAME)
    assert matplotlib.rcParams["svg.hashsalt"] == "nnbook"


def test_palette_is_okabe_ito():
    okabe_ito = {
        "#000000",
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
    }
    assert set(PALETTE) == okabe_ito and len(PALETTE) == 8
    assert {POSITIVE, NEGATIVE} <= okabe_ito and POSITIVE != NEGATIVE


def test_import_changes_no_rcparams():
    # Re-run every module's top-level code in this process (cheaper than a fresh
    # interpreter) and check that it leaves matplotlib's settings alone.
    import nnbook.book
    import nnbook.plotting
    import nnbook.plotting.basic
    import nnbook.plotting.network
    import nnbook.plotting.style

    before = _rc_snapshot()
    for module in (
        nnbook.plotting.style,
        nnbook.plotting.basic,
        nnbook.plotting.network,
        nnbook.plotting,
        nnbook.book,
    ):
        importlib.reload(module)
    assert _rc_snapshot() == before


def _sample_figure():
    fig, ax = plt.subplots()
    plot_loss_curves(ax, {"a": np.linspace(2, 0.1, 50), "b": [1.0, 3.0, np.nan]})
    return fig


def test_png_output_is_deterministic():
    with use_style():
        pngs = []
        for _ in range(2):
            fig = _sample_figure()
            for _ in range(2):
                buf = io.BytesIO()
                fig.savefig(buf, format="png")
                pngs.append(buf.getvalue())
    assert pngs[0][:8] == b"\x89PNG\r\n\x1a\n"
    assert all(p == pngs[0] for p in pngs)


def test_svg_output_is_deterministic():
    with use_style():
        svgs = []
        for _ in range(2):
            buf = io.BytesIO()
            _sample_figure().savefig(buf, format="svg", metadata={"Date": None})
            svgs.append(buf.getvalue())
    assert svgs[0] == svgs[1]


# --- decision boundary -----------------------------------------------------------------


def _xor_like():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int32)
    return x, y


def _line_contours(ax):
    return [c for c in ax.collections if isinstance(c, ContourSet) and not c.filled]


def test_decision_boundary_draws_filled_contour_and_half_level():
    x, y = _xor_like()
    fig, ax = plt.subplots()
    out = plot_decision_boundary(
        ax, lambda p: 1 / (1 + np.exp(-(p[:, 0] + p[:, 1]))), x, y, resolution=50
    )
    assert out is ax
    filled = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled]
    assert len(filled) == 1
    (line,) = _line_contours(ax)
    np.testing.assert_allclose(line.levels, [0.5])
    assert len(line.get_paths()[0].vertices) > 1  # the 0.5 line is really there
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]


def test_decision_boundary_accepts_jax_logits_and_column_output():
    x, y = _xor_like()
    fig, ax = plt.subplots()
    plot_decision_boundary(
        ax,
        lambda p: p @ jnp.ones((2, 1)),
        jnp.asarray(x),
        jnp.asarray(y),
        proba=False,
        resolution=30,
        class_names=["ham", "spam"],
    )
    np.testing.assert_allclose(_line_contours(ax)[0].levels, [0.5])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ham", "spam"]


def test_decision_boundary_multiclass_scores():
    rng = np.random.default_rng(1)
    centers = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    y = np.repeat(np.arange(3), 20)
    x = centers[y] + 0.3 * rng.normal(size=(60, 2))
    fig, ax = plt.subplots()
    scores = lambda p: -((p[:, None, :] - centers[None]) ** 2).sum(-1)  # noqa: E731
    assert plot_decision_boundary(ax, scores, x, y, proba=False, resolution=40) is ax
    assert len(_line_contours(ax)) == 3  # one boundary contour per class
    assert len(ax.get_legend().get_texts()) == 3


def test_decision_boundary_rejects_bad_input():
    x, y = _xor_like()
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="x has shape"):
        plot_decision_boundary(ax, lambda p: p[:, 0], x[:, :1], y)
    with pytest.raises(ValueError, match="y has 59 labels"):
        plot_decision_boundary(ax, lambda p: p[:, 0], x, y[:-1])
    with pytest.raises(ValueError, match="predict_fn returned shape"):
        plot_decision_boundary(ax, lambda p: p[:10, 0], x, y, resolution=10)


# --- loss curves -----------------------------------------------------------------------


def test_loss_curves_one_line_per_label():
    fig, ax = plt.subplots()
    out = plot_loss_curves(
        ax,
        {"sgd": np.linspace(1, 0, 20), "adam": jnp.linspace(1, 0, 10)},
        xlabel="epoch",
        log=False,
    )
    assert out is ax
    assert [ln.get_label() for ln in ax.get_lines()] == ["sgd", "adam"]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgd", "adam"]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_loss_curves_truncate_and_mark_divergence(bad):
    fig, ax = plt.subplots()
    losses = np.array([1.0, 2.0, 5.0, 40.0, bad, 3.0, np.nan])
    plot_loss_curves(ax, {"lr = 10": losses, "ok": [1.0, 0.5, 0.2]}, log=True)
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 2.0, 5.0, 40.0])
    markers = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
    assert len(markers) == 1
    assert markers[0].get_xdata()[0] == 3 and markers[0].get_ydata()[0] == 40.0
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["diverged at step 4"]
    assert ax.get_yscale() == "log"
    assert len(ax.get_legend().get_texts()) == 2  # the marker is not a legend entry


def test_loss_curves_diverged_from_the_start():
    fig, ax = plt.subplots()
    plot_loss_curves(ax, {"bad": [np.nan, np.nan], "ok": [1.0, 0.5]}, xlabel="epoch")
    assert [t.get_text() for t in ax.texts] == ["diverged at epoch 0"]


@pytest.mark.outside_annotations
def test_loss_curves_rejects_non_dict():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="curves"):
        plot_loss_curves(ax, [1.0, 2.0])


# --- image grid ------------------------------------------------------------------------


def test_image_grid_flat_images_and_extra_axes():
    fig, axes = plt.subplots(2, 3)
    images = np.random.default_rng(0).random((5, 64))
    out = plot_image_grid(axes, images, titles=list(range(5)))
    assert out is axes
    flat = axes.ravel()
    for ax in flat[:5]:
        assert len(ax.get_images()) == 1
        assert ax.get_images()[0].get_array().shape == (8, 8)
        assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    assert [ax.get_title() for ax in flat[:5]] == ["0", "1", "2", "3", "4"]
    assert not flat[5].axison and not flat[5].get_images()
    # one colour scale shared by all panels
    assert {ax.get_images()[0].get_clim() for ax in flat[:5]} == {
        (float(images.min()), float(images.max()))
    }


def test_image_grid_3d_images_custom_shape_and_single_axes():
    fig, ax = plt.subplots()
    assert plot_image_grid(ax, np.ones((1, 4, 6)), vmin=0, vmax=2, cmap="gray") is ax
    assert ax.get_images()[0].get_clim() == (0, 2)
    fig, axes = plt.subplots(1, 2)
    plot_image_grid(axes, np.zeros((2, 12)), shape=(3, 4))
    assert axes[0].get_images()[0].get_array().shape == (3, 4)


def test_image_grid_rejects_bad_shapes():
    fig, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="images has shape"):
        plot_image_grid(axes, np.zeros((2, 10)))
    with pytest.raises(ValueError, match="titles"):
        plot_image_grid(axes, np.zeros((2, 64)), titles=["only one"])


# --- network diagrams ------------------------------------------------------------------


def _n_segments(ax):
    return sum(len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection))


@pytest.mark.parametrize("sizes", [(2, 2, 1), (4, 6, 6, 3), (3,)])
def test_draw_network_counts_neurons_and_connections(sizes):
    fig, ax = plt.subplots()
    assert draw_network(ax, sizes) is ax
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == sum(sizes)
    assert _n_segments(ax) == sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    assert not ax.axison
    assert ax.get_aspect() == 1.0
    labels = [t.get_text() for t in ax.texts]
    expected = {
        (2, 2, 1): ["input", "hidden", "output"],
        (4, 6, 6, 3): ["input", "hidden 1", "hidden 2", "output"],
        (3,): ["input"],
    }
    assert labels == expected[sizes]


def test_draw_network_weights_set_colour_and_width():
    w = [np.array([[1.0, -2.0], [0.5, 0.0]]), np.array([[4.0], [-1.0]])]
    fig, ax = plt.subplots()
    draw_network(ax, (2, 2, 1), weights=w)
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    colours = np.concatenate([c.get_colors()[:, :3] for c in lines])
    widths = np.concatenate([c.get_linewidths() for c in lines])
    # segments are sorted by |w| within each layer: 0, 0.5, 1, -2 then -1, 4
    expected = [POSITIVE, POSITIVE, POSITIVE, NEGATIVE, NEGATIVE, POSITIVE]
    np.testing.assert_allclose(colours, [matplotlib.colors.to_rgb(c) for c in expected])
    assert widths[-1] == widths.max() and widths[0] == widths.min()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "positive weight",
        "negative weight",
    ]


def test_draw_network_activations_fill_and_values():
    fig, ax = plt.subplots()
    draw_network(
        ax,
        (2, 2, 1),
        activations=[[7, 3], [0.934, 0.0], [1.0]],
        cmap="viridis",
        node_labels=[["suspicious words", "external links"], None, ["p(spam)"]],
        colorbar=True,
    )
    texts = {t.get_text(): t for t in ax.texts}
    for value in ["7", "3", "0.93", "0.00", "1", "suspicious words", "p(spam)"]:
        assert value in texts
    # 7 is the maximum (yellow fill: black text), 0 the minimum (dark purple: white text)
    assert texts["7"].get_color() == "black" and texts["0.00"].get_color() == "white"
    assert len(fig.axes) == 2  # the colour bar


def test_draw_network_show_values_false_and_hidden_names_inside():
    fig, ax = plt.subplots()
    draw_network(
        ax,
        (2, 2, 1),
        activations=[[1, 0], [0.5, 0.5], [0.2]],
        show_values=False,
        node_labels=[None, ["h1", "h2"], None],
        layer_labels=["a", "b", "c"],
    )
    assert sorted(t.get_text() for t in ax.texts) == ["a", "b", "c", "h1", "h2"]


def test_draw_network_accepts_dense_params_and_trace():
    class Dense(NamedTuple):
        W: np.ndarray
        b: np.ndarray

    class Trace(NamedTuple):
        inputs: np.ndarray
        pre_activations: tuple
        activations: tuple

    params = (Dense(np.ones((2, 3)), np.zeros(3)), Dense(-np.ones((3, 1)), np.zeros(1)))
    trace = Trace(jnp.ones((1, 2)), (), (jnp.ones((1, 3)), jnp.ones((1, 1))))
    fig, ax = plt.subplots()
    draw_network(ax, (2, 3, 1), weights=params, activations=trace)
    assert _n_segments(ax) == 9 and len(ax.patches) == 6


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": [np.ones((2, 2))]}, r"weights has 1 matrices; expected 2"),
        ({"weights": [np.ones((2, 2)), np.ones((3, 1))]}, r"weights\[1\] has shape \(3, 1\)"),
        ({"activations": [[1, 2], [1, 2]]}, r"activations has 2 entries; expected 3"),
        ({"activations": [[1, 2], [1, 2, 3], [1]]}, r"activations\[1\] has shape \(3,\)"),
        ({"node_labels": [["a"], None, None]}, r"node_labels\[0\] has 1 names; expected 2"),
        ({"layer_labels": ["in", "out"]}, r"layer_labels has 2 entries; expected 3"),
    ],
)
def test_draw_network_rejects_mismatched_arguments(kwargs, match):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=match):
        draw_network(ax, (2, 2, 1), **kwargs)


def test_draw_network_rejects_bad_layer_sizes():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="layer_sizes"):
        draw_network(ax, (2, 0, 1))


def test_every_helper_returns_a_matplotlib_axes():
    fig, ax = plt.subplots()
    assert isinstance(draw_network(ax, (1, 1)), Axes)


# --- legibility: the figure-text rule --------------------------------------------------

from nnbook.plotting import legibility  # noqa: E402


def test_style_sets_no_text_below_the_floor():
    sizes = legibility.style_font_sizes()
    assert min(sizes.values()) == legibility.MIN_FONT_PT, sizes


def test_default_figure_width_meets_the_phone_rule():
    with use_style():
        width = matplotlib.rcParams["figure.figsize"][0]
    assert width <= legibility.max_width_in(legibility.MIN_FONT_PT)


def _helper_figures():
    x = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    fig, ax = plt.subplots()
    plot_decision_boundary(ax, lambda p: 1 / (1 + np.exp(-4 * (p[:, 1] - 0.5))), x, y)
    yield "plot_decision_boundary", fig
    fig, ax = plt.subplots()
    plot_loss_curves(ax, {"ok": [1.0, 0.5, 0.3], "bad": [1.0, 8.0, np.nan]})
    yield "plot_loss_curves", fig
    fig, axes = plt.subplots(1, 3)
    plot_image_grid(axes, np.eye(3, 64), titles=["a", "b", "c"])
    yield "plot_image_grid", fig
    fig, ax = plt.subplots(figsize=(4, 3))  # small: the value font must not shrink below 12
    w = [np.array([[1.0, -2.0], [0.5, 1.5]]), np.array([[2.0], [-1.0]])]
    draw_network(
        ax,
        (2, 2, 1),
        weights=w,
        activations=[[1, 0], [0.7, 0.2], [0.8]],
        node_labels=[["a", "b"], ["h1", "h2"], ["out"]],
        colorbar=True,
    )
    yield "draw_network", fig


def test_plot_helpers_use_no_text_below_the_floor():
    with use_style():
        for name, fig in _helper_figures():
            assert legibility.smallest_font_pt(fig) >= legibility.MIN_FONT_PT, name
            plt.close(fig)


def test_smallest_font_ignores_hidden_axes_and_finds_small_text():
    fig, (a, b) = plt.subplots(1, 2)
    a.set_axis_off()
    b.set_visible(False)
    a.text(0.5, 0.5, "x", fontsize=20)
    assert legibility.smallest_font_pt(fig) == 20
    a.text(0.1, 0.1, "y", fontsize=7)
    assert legibility.smallest_font_pt(fig) == 7


@pytest.mark.parametrize(
    "source, sizes, unreadable",
    [
        ('ax.text(0, 0, "a", fontsize=9)', [9.0], []),
        ("ax.tick_params(labelsize=8.5)", [8.5], []),
        ('ax.legend(prop={"size": 7})', [7.0], []),
        ('ax.set_title("t", fontsize="x-large")', [17.28], []),
        ("ax.annotate('t', (0, 0), fontsize=big)", [], ["big"]),
        ("fig, ax = plt.subplots(figsize=(5, 3)); ax.plot(x, ms=4, markersize=3)", [], []),
    ],
)
def test_font_sizes_in_source(source, sizes, unreadable):
    assert legibility.font_sizes_in_source(source, base=12) == (sizes, unreadable)


def test_css_px_and_max_width():
    # 12 pt at 120 dpi is 20 px; a 1200 px PNG shown at 600 px halves it
    assert legibility.css_px(12, 120, 600, 1200) == pytest.approx(10.0)
    assert legibility.max_width_in(12, column_px=342) == pytest.approx(5.7)
    with pytest.raises(ValueError, match="natural_width"):
        legibility.css_px(12, 120, 600, 0)
