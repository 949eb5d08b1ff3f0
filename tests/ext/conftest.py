"""Fixtures for the in-process tests of the book's Sphinx extensions (``docs/_ext``).

The ``app`` and ``make_app`` fixtures are Sphinx's own (``sphinx.testing.fixtures``),
as in sphinx-exercise's tests: ``@pytest.mark.sphinx("html", testroot="quiz")`` builds
the tiny project ``roots/test-quiz/``. Tests that edit a project first copy it
(``copy_root``) into their own temporary folder, so no two tests share a build.

sphinx-exercise loads the fixtures with ``pytest_plugins`` in its top-level conftest.
Here that line would break ``pytest tests`` (pytest refuses ``pytest_plugins`` in a
conftest below the rootdir), so this file imports the fixtures and registers Sphinx's
markers itself, which keeps them local to ``tests/ext``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from sphinx.config import Config
from sphinx.testing import fixtures as sphinx_fixtures
from sphinx.testing.fixtures import (  # noqa: F401  (fixtures, found by name)
    _shared_result_cache,
    app,
    app_params,
    make_app,
    shared_result,
    sphinx_test_tempdir,
    test_params,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXT = ROOT / "docs" / "_ext"
if str(EXT) not in sys.path:
    sys.path.insert(0, str(EXT))  # the extensions import each other by module name

collect_ignore = ["roots"]  # the sample projects' conf.py are not test modules

# Sphinx 9 merges the suffixes extensions register into ``config.source_suffix``, which
# for a project that does not set it is the *class-level default dict*: after one app
# with myst-nb, every later app in the process maps ``.md`` to a parser it has not
# loaded ("Source parser for myst-nb not registered"). sphinx-build never meets this
# (one app per process); in-process tests must put the default back.
_SOURCE_SUFFIX = Config.config_values["source_suffix"].default
_PRISTINE_SOURCE_SUFFIX = dict(_SOURCE_SUFFIX)


def _restore_source_suffix() -> None:
    _SOURCE_SUFFIX.clear()
    _SOURCE_SUFFIX.update(_PRISTINE_SOURCE_SUFFIX)


def pytest_configure(config):
    sphinx_fixtures.pytest_configure(config)  # the sphinx(...) and test_params markers


@pytest.fixture(autouse=True)
def _sphinx_default_source_suffix():
    """Every test starts and ends with Sphinx's own default ``source_suffix``."""
    _restore_source_suffix()
    yield
    _restore_source_suffix()


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Where ``testroot="name"`` finds ``test-name/`` (read by Sphinx's ``app_params``)."""
    return HERE / "roots"


@pytest.fixture
def copy_root(tmp_path):
    """Copy ``roots/test-<name>`` into a fresh folder and return its path."""

    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(HERE / "roots" / f"test-{name}", dest)
        return dest

    return copy
