"""nnbook.plotting.digits: digit grids, weight images, heat maps, confusion matrix, ablation."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnbook.plotting.digits import (  # noqa: E402
    FONTSIZE,
    plot_ablation,
    plot_confusion_matrix,
    plot_digits,
    plot_heatmap,
    plot_weight_images,
)


@pytest.fixture
def fig_axes():
    fig, axes = plt.subplots(2, 3)
    yield fig, axes
    plt.close(fig)


def test_plot_digits_shapes_titles_and_hidden_axes(fig_axes, rng):
    _, axes = fig_axes
    images = rng.uniform(size=(4, 784))
    out = plot_digits(axes, images, titles=list("abcd"), title_color=["red"] * 4)
    assert out is axes
    flat = axes.ravel()
    assert [len(ax.images) for ax in flat] == [1, 1, 1, 1, 0, 0]
    assert flat[0].images[0].get_array().shape == (28, 28)
    assert flat[0].get_title() == "a" and flat[0].title.get_fontsize() >= FONTSIZE
    assert not flat[5].axison
    np.testing.assert_allclose(flat[1].images[0].get_array(), images[1].reshape(28, 28))


def test_plot_digits_other_sizes(fig_axes):
    _, axes = fig_axes
    plot_digits(axes, np.zeros((6, 64)))  # 8x8 inferred
    assert axes[0, 0].images[0].get_array().shape == (8, 8)
    plot_digits(axes[0], np.zeros((3, 12)), shape=(3, 4))
    assert axes[0, 1].images[-1].get_array().shape == (3, 4)


@pytest.mark.parametrize(
    ("images", "kwargs", "err", "match"),
    [
        (np.zeros((2, 50)), {}, ValueError, "images: expected a square number of pixels"),
        (np.zeros((2, 12)), {"shape": (3, 3)}, ValueError, "images: expected 9 pixels"),
        (np.zeros(784), {}, ValueError, r"images: expected shape \(n, pixels\)"),
        (np.zeros((0, 784)), {}, ValueError, "images: expected at least one image"),
        (np.full((1, 4), np.nan), {}, ValueError, "images: expected finite values"),
        (np.zeros((3, 4)), {"titles": ["a"]}, ValueError, "titles: expected at least 3"),
    ],
)
def test_plot_digits_bad_input(fig_axes, images, kwargs, err, match):
    with pytest.raises(err, match=match):
        plot_digits(fig_axes[1], images, **kwargs)


def test_plot_digits_needs_axes():
    with pytest.raises(TypeError, match="axes: expected a matplotlib Axes"):
        plot_digits("ax", np.zeros((1, 4)))


def test_plot_weight_images_symmetric_scale(fig_axes, rng):
    _, axes = fig_axes
    W = rng.normal(size=(784, 5))
    plot_weight_images(axes, W)
    lo, hi = axes[0, 0].images[0].get_clim()
    assert lo == pytest.approx(-np.abs(W[:, 0]).max()) and hi == -lo
    np.testing.assert_allclose(axes[0, 2].images[0].get_array(), W[:, 2].reshape(28, 28))
    assert not axes[1, 2].axison  # 5 units, 6 axes
    plot_weight_images(axes, W, scale=0.5)
    assert axes[0, 0].images[-1].get_clim() == (-0.5, 0.5)


def test_plot_weight_images_bad_input(fig_axes):
    _, axes = fig_axes
    with pytest.raises(ValueError, match=r"weights: expected a 2-D \(pixels, units\)"):
        plot_weight_images(axes, np.zeros(784))
    with pytest.raises(ValueError, match="weights: expected a square number of pixels"):
        plot_weight_images(axes, np.zeros((50, 2)))
    with pytest.raises(ValueError, match="scale: expected a positive number"):
        plot_weight_images(axes, np.zeros((64, 2)), scale=0.0)


def test_plot_heatmap_outline_and_colorbar():
    fig, ax = plt.subplots()
    values = np.arange(784.0)
    out = plot_heatmap(
        ax, values, outline=np.eye(28).ravel(), title="map", colorbar=True, label="importance"
    )
    assert out is ax and len(ax.images) == 1 and ax.get_title() == "map"
    np.testing.assert_allclose(ax.images[0].get_array(), values.reshape(28, 28))
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "importance"
    assert len(ax.collections) >= 1  # the contour
    plt.close(fig)


@pytest.mark.outside_annotations
def test_plot_heatmap_bad_input():
    fig, ax = plt.subplots()
    with pytest.raises(TypeError, match="ax: expected a matplotlib Axes"):
        plot_heatmap([ax], np.zeros(784))
    with pytest.raises(ValueError, match="values: expected a square number of pixels"):
        plot_heatmap(ax, np.zeros(10))
    with pytest.raises(ValueError, match="outline: expected 784 pixels"):
        plot_heatmap(ax, np.zeros(784), outline=np.zeros(64))
    plt.close(fig)


def test_plot_confusion_matrix_counts_written():
    fig, ax = plt.subplots()
    cm = np.array([[5, 0, 1], [0, 7, 0], [2, 0, 3]])
    plot_confusion_matrix(ax, cm, labels=["a", "b", "c"])
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "3", "5", "7"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    # colour is the share of the row (square root): the full row 2 reads 1.0
    np.testing.assert_allclose(ax.images[0].get_array()[1, 1], 1.0)
    plt.close(fig)


@pytest.mark.parametrize(
    ("matrix", "labels", "match"),
    [
        (np.zeros((2, 3), int), None, r"matrix: expected a square \(k, k\)"),
        (np.array([[1, -1], [0, 2]]), None, "matrix: expected non-negative integer counts"),
        (np.ones((2, 2)), None, "matrix: expected non-negative integer counts"),
        (np.ones((2, 2), int), ["a"], "labels: expected 2 names"),
    ],
)
def test_plot_confusion_matrix_bad_input(matrix, labels, match):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=match):
        plot_confusion_matrix(ax, matrix, labels=labels)
    plt.close(fig)


def test_plot_ablation_lines_in_percent():
    fig, ax = plt.subplots()
    plot_ablation(
        ax, {"important": ([0, 10, 20], [0.9, 0.5, 0.2]), "random": ([0, 10, 20], [0.9, 0.85, 0.8])}
    )
    lines = ax.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), [90, 50, 20])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["important", "random", "chance"]
    assert ax.get_ylim() == (0, 100)
    plt.close(fig)


def test_plot_ablation_bad_input():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="curves: expected a non-empty"):
        plot_ablation(ax, {})
    with pytest.raises(ValueError, match=r"curves\['a'\]: expected ks and accuracies"):
        plot_ablation(ax, {"a": ([0, 1], [0.5])})
    plt.close(fig)
