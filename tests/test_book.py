"""Tests for nnbook.book (the book's runtime): glue, runtime info, chapter setup, timing."""

import matplotlib

matplotlib.use("Agg")

import base64
import subprocess
import sys
import types

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnbook
import nnbook.book
from nnbook.book import chapter


@pytest.fixture(autouse=True)
def _isolate_global_state():
    with matplotlib.rc_context(), np.printoptions():
        yield
    plt.close("all")


@pytest.fixture
def fake_myst_nb(monkeypatch):
    """A stand-in ``myst_nb`` module that records glue calls."""
    calls = []
    module = types.ModuleType("myst_nb")
    module.glue = lambda name, value, display=True: calls.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", module)
    return calls


@pytest.fixture
def in_ipython(monkeypatch):
    monkeypatch.setattr(chapter, "_ipython", lambda: types.SimpleNamespace())


def test_glue_without_myst_nb_is_a_no_op(monkeypatch, in_ipython):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # makes `import myst_nb` fail
    value = {"accuracy": 0.97}
    assert chapter.glue("acc", value) is value


def test_glue_calls_myst_nb_in_a_kernel(fake_myst_nb, in_ipython):
    assert chapter.glue("acc", 0.5) == 0.5
    assert chapter.glue("fig", "x", display=True) == "x"
    assert fake_myst_nb == [("acc", 0.5, False), ("fig", "x", True)]


def test_glue_outside_ipython_skips_myst_nb(fake_myst_nb, monkeypatch):
    monkeypatch.setattr(chapter, "_ipython", lambda: None)
    assert chapter.glue("acc", 1.0) == 1.0
    assert fake_myst_nb == []


def test_runtime_info_keys_and_values():
    info = chapter.runtime_info()
    assert set(info) == {"device", "platform", "n_devices", "jax", "nnbook"}
    assert info["platform"] == jax.default_backend() and info["platform"] in {"cpu", "gpu", "tpu"}
    assert info["device"] == jax.devices()[0].device_kind
    assert info["n_devices"] == jax.device_count() >= 1
    assert info["jax"] == jax.__version__ and info["nnbook"] == nnbook.__version__


def test_setup_chapter_applies_style_printoptions_and_glues(fake_myst_nb, in_ipython):
    info = chapter.setup_chapter()
    assert info == chapter.runtime_info()
    assert matplotlib.rcParams["axes.spines.top"] is False
    assert matplotlib.rcParams["figure.facecolor"] == "white"
    opts = np.get_printoptions()
    assert opts["precision"] == 4 and opts["suppress"] is True
    assert fake_myst_nb == [("nnbook_runtime", info, False)]


def test_setup_chapter_works_in_plain_python(monkeypatch):
    monkeypatch.setattr(chapter, "_ipython", lambda: None)
    monkeypatch.setitem(sys.modules, "myst_nb", None)
    assert set(chapter.setup_chapter()) == {"device", "platform", "n_devices", "jax", "nnbook"}


def test_setup_chapter_makes_ipython_render_deterministic_pngs(monkeypatch, fake_myst_nb):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        monkeypatch.setattr(chapter, "_ipython", lambda: shell)
        chapter.setup_chapter()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        formatters = shell.display_formatter.formatters
        png = base64.b64decode(formatters["image/png"](fig))
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"Software" not in png and b"Matplotlib" not in png
        assert png == base64.b64decode(formatters["image/png"](fig))
        assert formatters["image/svg+xml"](fig) is None  # PNG only
    finally:
        InteractiveShell.clear_instance()


def test_timeit_separates_compile_from_steady_state():
    calls = []

    def f(x):
        calls.append(1)
        return jnp.sin(x) * 2

    t = chapter.timeit(f, jnp.ones(8), repeats=4, warmup=2)
    assert set(t) == {"compile_s", "median_s", "times"}
    assert len(t["times"]) == 4 and len(calls) == 2 + 4
    assert t["compile_s"] > 0 and t["median_s"] == pytest.approx(float(np.median(t["times"])))


def test_timeit_always_times_the_first_call_apart():
    calls = []
    t = chapter.timeit(lambda: calls.append(1) or jnp.zeros(()), repeats=3, warmup=1)
    assert len(calls) == 1 + 3 and len(t["times"]) == 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"repeats": 0}, "repeats"), ({"warmup": -1}, "warmup"), ({"warmup": 0}, "warmup")],
)
def test_timeit_rejects_bad_counts(kwargs, match):
    with pytest.raises(ValueError, match=match):
        chapter.timeit(lambda: 0, **kwargs)


def test_the_package_re_exports_the_chapter_runtime():
    assert nnbook.book.__all__ == chapter.__all__
    for name in nnbook.book.__all__:
        assert getattr(nnbook.book, name) is getattr(chapter, name)
    assert nnbook.book.RECORD_ENV == chapter.RECORD_ENV == "NNBOOK_RECORD_FILE"
    assert "runtime" in nnbook.book.__doc__ and "not reference code" in nnbook.book.__doc__


def test_importing_the_runtime_loads_neither_widgets_nor_tables():
    # The execution cache keys each chapter on the nnbook modules it imported, so the
    # setup cell must not pull in the widget builders (and through them jax and layers).
    code = (
        "import sys, nnbook.book; print(sorted(m for m in sys.modules if m.startswith('nnbook')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["['nnbook',", "'nnbook.book',", "'nnbook.book.chapter']"]


def test_the_old_widgets_module_is_gone():
    with pytest.raises(ModuleNotFoundError):
        __import__("nnbook.widgets")
    assert "book" not in nnbook.__all__  # the lazy list names reference modules only
