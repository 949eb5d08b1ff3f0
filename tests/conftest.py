"""Shared fixtures for the nnbook tests."""

import jax
import numpy as np
import pytest


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
