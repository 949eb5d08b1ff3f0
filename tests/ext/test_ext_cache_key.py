"""The cache-key rule of ``nnbook_cache``, fast and without kernels.

A chapter is executed again exactly when something its outputs depend on changed: a
source file of an ``nnbook`` module it imported (as its kernel recorded), the lock
file, ``pyproject.toml``, the Python version, and the MNIST files for a chapter that
used them; editing a module it did not import leaves its key, and the cache serves it.
``tests/test_cache.py`` checks the same rule end to end with real kernels (slow); here
the key is computed on a temporary checkout and the extension's event handlers are
driven by hand, as a build would call them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import nnbook_cache
import pytest
from nnbook_cache import KEY_METADATA, RECORD_ENV, chapter_key, deps_hash

MODULES = ("__init__", "book", "alpha", "beta", "mnist")


@pytest.fixture(autouse=True)
def _no_mnist(monkeypatch, tmp_path):
    """No MNIST files, whatever this machine's cache holds; no record file set."""
    monkeypatch.setenv("NNBOOK_MNIST_DIR", str(tmp_path / "mnist-data"))
    monkeypatch.delenv(RECORD_ENV, raising=False)


@pytest.fixture
def checkout(tmp_path) -> Path:
    """The files the key reads: src/nnbook/*.py, requirements/lock.txt, pyproject.toml."""
    root = tmp_path / "checkout"
    (root / "src" / "nnbook").mkdir(parents=True)
    for name in MODULES:
        (root / "src" / "nnbook" / f"{name}.py").write_text(f"VALUE = {name!r}\n")
    (root / "requirements").mkdir()
    (root / "requirements" / "lock.txt").write_text("jax==0.10.2\nnumpy==2.3.1\n")
    (root / "pyproject.toml").write_text('[project]\nname = "nnbook"\n')
    return root


def module(root: Path, name: str) -> Path:
    return root / "src" / "nnbook" / f"{name}.py"


def flip_a_byte(path: Path) -> None:
    """Change one byte, keeping the size (a key on names and sizes would miss it)."""
    data = bytearray(path.read_bytes())
    data[-2] = ord("X") if data[-2] != ord("X") else ord("Y")
    path.write_bytes(bytes(data))


def stored_record(root: Path, imported: list[str]) -> dict:
    """The record a build stores after a chapter ran, importing ``imported``."""
    ran = {"files": [str(module(root, name)) for name in imported], "compile_s": 0.1}
    ran["key"] = chapter_key(root, None)  # the key it ran under (a first build)
    ran["deps_hash"] = deps_hash(root, ran)
    return ran


def is_stale(root: Path, record: dict) -> bool:
    """The rule of ``on_env_get_outdated``: run again when the key moved."""
    return chapter_key(root, record) != record["key"]


IMPORTED = ["__init__", "book", "alpha"]


def test_nothing_changed_serves_the_stored_key(checkout):
    record = stored_record(checkout, IMPORTED)
    assert chapter_key(checkout, record) == record["key"]
    assert not is_stale(checkout, record)


@pytest.mark.parametrize(
    "edited",
    ["src/nnbook/alpha.py", "src/nnbook/__init__.py", "requirements/lock.txt", "pyproject.toml"],
)
def test_a_byte_changed_in_what_the_chapter_depends_on_changes_its_key(checkout, edited):
    record = stored_record(checkout, IMPORTED)
    before = chapter_key(checkout, record)
    flip_a_byte(checkout / edited)
    assert chapter_key(checkout, record) != before
    assert is_stale(checkout, record)


@pytest.mark.parametrize("edited", ["beta", "mnist"])
def test_a_module_the_chapter_did_not_import_leaves_its_key(checkout, edited):
    record = stored_record(checkout, IMPORTED)
    flip_a_byte(module(checkout, edited))
    (checkout / "src" / "nnbook" / "gamma.py").write_text("VALUE = 3\n")  # a new module
    assert chapter_key(checkout, record) == record["key"]


def test_without_a_record_the_key_covers_every_module(checkout):
    first = chapter_key(checkout, None)
    flip_a_byte(module(checkout, "beta"))
    second = chapter_key(checkout, None)
    assert second != first
    flip_a_byte(checkout / "requirements" / "lock.txt")
    assert chapter_key(checkout, None) != second


def test_a_recorded_module_that_is_gone_runs_the_chapter_again(checkout):
    record = stored_record(checkout, IMPORTED)
    module(checkout, "alpha").unlink()
    assert is_stale(checkout, record)


def test_a_record_naming_a_file_outside_src_keys_on_every_module(checkout):
    outside = {"files": [str(module(checkout, "alpha")), "/etc/hostname"]}
    assert chapter_key(checkout, outside) == chapter_key(checkout, None)  # never trusted
    before = chapter_key(checkout, outside)
    flip_a_byte(module(checkout, "beta"))  # not in the record, still in the key
    assert chapter_key(checkout, outside) != before


def test_the_python_version_is_in_the_key(checkout, monkeypatch):
    record = stored_record(checkout, IMPORTED)
    monkeypatch.setattr(nnbook_cache.platform, "python_version", lambda: "3.99.0")
    assert is_stale(checkout, record)


def test_mnist_files_count_only_for_a_chapter_that_used_mnist(checkout, tmp_path):
    with_mnist = stored_record(checkout, [*IMPORTED, "mnist"])
    without = stored_record(checkout, IMPORTED)
    folder = tmp_path / "mnist-data"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(b"\0" * 16)
    assert is_stale(checkout, with_mnist)
    assert not is_stale(checkout, without)


# -- the same rule through the event handlers, as a build calls them --------------------


def _app(root: Path, tmp_path: Path, docname: str = ""):
    config = SimpleNamespace(
        nb_execution_mode="cache",
        nb_execution_cache_path=str(tmp_path / "cache" / "notebooks"),
        nnbook_root=str(root),
    )
    return SimpleNamespace(config=config, env=SimpleNamespace(docname=docname))


SOURCE = "# Chapter\n\n```{code-cell} ipython3\nimport nnbook\n```\n"


def _run_chapter(root: Path, tmp_path: Path, docname: str, imported: list[str]) -> str:
    """``source-read``, the kernel writing its record, ``doctree-read``; return the source."""
    app = _app(root, tmp_path, docname)
    source = [SOURCE]
    nnbook_cache.on_source_read(app, docname, source)
    kernel_file = Path(os.environ[RECORD_ENV])
    kernel_file.write_text(json.dumps({"files": [str(module(root, n)) for n in imported]}))
    nnbook_cache.on_doctree_read(app, None)
    assert RECORD_ENV not in os.environ and not kernel_file.exists()
    return source[0]


def _outdated(root: Path, tmp_path: Path) -> list[str]:
    env = SimpleNamespace(found_docs={"index", "chapters/a", "chapters/b"})
    return nnbook_cache.on_env_get_outdated(_app(root, tmp_path), env, set(), set(), set())


def test_the_build_events_rerun_exactly_the_chapters_whose_key_moved(checkout, tmp_path):
    assert _outdated(checkout, tmp_path) == ["chapters/a", "chapters/b"]  # no records yet
    text = _run_chapter(checkout, tmp_path, "chapters/a", ["__init__", "book", "alpha"])
    _run_chapter(checkout, tmp_path, "chapters/b", ["__init__", "book", "beta"])
    record = nnbook_cache.chapter_record(_app(checkout, tmp_path), "chapters/a")
    assert f":{KEY_METADATA}: {record['key']}\n" in text  # the key is in the first cell
    assert _outdated(checkout, tmp_path) == []

    flip_a_byte(module(checkout, "beta"))
    assert _outdated(checkout, tmp_path) == ["chapters/b"]
    _run_chapter(checkout, tmp_path, "chapters/b", ["__init__", "book", "beta"])
    assert _outdated(checkout, tmp_path) == []

    flip_a_byte(module(checkout, "mnist"))  # neither chapter imported it
    assert _outdated(checkout, tmp_path) == []
    flip_a_byte(checkout / "requirements" / "lock.txt")
    assert _outdated(checkout, tmp_path) == ["chapters/a", "chapters/b"]


def test_a_chapter_served_from_the_cache_keeps_its_record(checkout, tmp_path):
    _run_chapter(checkout, tmp_path, "chapters/a", IMPORTED)
    app = _app(checkout, tmp_path, "chapters/a")
    before = nnbook_cache.chapter_record(app, "chapters/a")
    source = [SOURCE]
    nnbook_cache.on_source_read(app, "chapters/a", source)
    nnbook_cache.on_doctree_read(app, None)  # the kernel never started: a cache hit
    assert nnbook_cache.chapter_record(app, "chapters/a") == before
    assert f":{KEY_METADATA}: {before['key']}\n" in source[0]  # same key: the cache matches
