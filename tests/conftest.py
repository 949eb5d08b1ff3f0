"""Shared fixtures for the nnbook tests, and the switch for run-time type checking.

``NNBOOK_JAXTYPING=1 pytest ...`` checks every jaxtyping annotation of ``nnbook`` while
the tests run (shapes, dtypes and the consistency of named dimensions such as ``batch``
across the arguments of one call), as equinox's test suite does. A comma-separated list
instead of ``1`` checks only those modules: ``NNBOOK_JAXTYPING=nnbook.layers,nnbook.losses``.
The checker is beartype if it is installed, else typeguard, else the copy of typeguard
that ships inside jaxtyping. The hook must be in place before ``nnbook`` is imported,
which is why it lives here, at the top of the first conftest pytest loads.

The annotations state what a reader should pass. Tests that pass something else on
purpose, to check nnbook's own error messages (what a reader sees without a type
checker), are marked ``@pytest.mark.outside_annotations`` and run with the run-time
checks switched off.
"""

import importlib.util
import os
import sys


def _typechecker() -> str:
    """The import path of the best run-time type checker installed."""
    for module, checker in [
        # PEP 484's numeric tower: an int is a valid float (deadline_s=60, vmin=0)
        ("beartype", "beartype.beartype(conf=beartype.BeartypeConf(is_pep484_tower=True))"),
        ("typeguard", "typeguard.typechecked"),
    ]:
        if importlib.util.find_spec(module) is not None:
            return checker
    import jaxtyping._typeguard  # noqa: F401  (makes the attribute below resolvable)

    return "jaxtyping._typeguard.typechecked"


_JAXTYPING = os.environ.get("NNBOOK_JAXTYPING", "").strip().removeprefix("0")
if _JAXTYPING:
    from jaxtyping import install_import_hook

    _modules = ["nnbook"] if _JAXTYPING == "1" else [m.strip() for m in _JAXTYPING.split(",")]
    if any(m in sys.modules for m in _modules):
        raise RuntimeError(f"NNBOOK_JAXTYPING: {_modules} were imported before the hook")
    install_import_hook(_modules, _typechecker())

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "outside_annotations: passes input outside the type annotations on purpose "
        "(run-time type checks are off for it under NNBOOK_JAXTYPING)",
    )


@pytest.fixture(autouse=True)
def _annotations_unchecked_for_bad_input(request):
    """Switch jaxtyping's run-time checks off for tests marked ``outside_annotations``."""
    if not _JAXTYPING or request.node.get_closest_marker("outside_annotations") is None:
        yield
        return
    from jaxtyping import config as jaxtyping_config

    before = jaxtyping_config.jaxtyping_disable
    jaxtyping_config.update("jaxtyping_disable", True)
    try:
        yield
    finally:
        jaxtyping_config.update("jaxtyping_disable", before)


@pytest.fixture
def x64():
    """Run a test with 64-bit floats enabled, restoring the previous setting afterwards.

    Gradient checks by finite differences need float64: in float32 the rounding error of
    a difference quotient, about 1e-7 / eps, swamps the truncation error we test for.
    """
    with jax.enable_x64(True):
        yield


@pytest.fixture
def rng():
    """A seeded NumPy generator, so every test draws the same 'random' data."""
    return np.random.default_rng(0)
