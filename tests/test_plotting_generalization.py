"""nnbook.plotting.generalization: mean-and-band lines and per-seed dot plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nnbook.plotting import PALETTE, legibility, use_style  # noqa: E402
from nnbook.plotting.generalization import plot_runs, plot_seed_dots  # noqa: E402


@pytest.fixture
def ax():
    with use_style():
        fig, ax = plt.subplots()
        yield ax
    plt.close(fig)


def test_plot_runs_draws_mean_and_min_max_band(ax):
    runs = np.array([[0.1, 0.5, 0.9], [0.3, 0.7, 0.5]])
    assert plot_runs(ax, [1, 2, 3], runs, label="a", color=PALETTE[2]) is ax
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), runs.mean(axis=0))
    assert line.get_label() == "a"
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.1) and band.max() == pytest.approx(0.9)


def test_plot_runs_single_run_has_no_band(ax):
    plot_runs(ax, [1, 2], [0.5, 0.6], label="one")
    assert not ax.collections
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.5, 0.6])


def test_plot_runs_bad_shapes(ax):
    with pytest.raises(ValueError, match=r"runs: expected 3 points per seed"):
        plot_runs(ax, [1, 2, 3], [[1.0, 2.0]], label="x")
    with pytest.raises(ValueError, match=r"runs: expected an array \(n_seeds, n_points\)"):
        plot_runs(ax, [1], np.ones((1, 1, 1)), label="x")


def test_plot_seed_dots_rows_top_to_bottom(ax):
    plot_seed_dots(ax, {"first": [60, 61, 62], "second": [70, 72]}, xlabel="test (%)")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["first", "second"]
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    np.testing.assert_allclose(dots[1].get_xdata(), [70, 72])
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # first row on top
    assert ax.get_xlabel() == "test (%)"
    assert legibility.smallest_font_pt(ax.figure) >= legibility.MIN_FONT_PT


@pytest.mark.outside_annotations
def test_plot_seed_dots_bad_input(ax):
    with pytest.raises(ValueError, match="scores: expected a non-empty dict"):
        plot_seed_dots(ax, {})
    with pytest.raises(ValueError, match="scores: expected a non-empty dict"):
        plot_seed_dots(ax, [[1, 2]])
