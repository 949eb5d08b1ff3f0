"""The execution cache: a chapter runs again exactly when something it used has changed.

jupyter-cache matches a notebook by the hash of its code cells (sources and cell
metadata) and nothing else, so on its own it would serve outputs computed with an
older ``nnbook``. This extension adds, as metadata of each chapter's first code cell,
a **dependency key** that covers everything else the outputs depend on:

* the Python version, ``requirements/lock.txt`` and ``pyproject.toml``;
* the source files of the ``nnbook`` modules the chapter imported when it last ran,
  recorded by the kernel itself (``nnbook.book.record_execution``, started by the
  chapter's ``setup_chapter()`` cell): everything in ``sys.modules`` under ``nnbook``,
  so transitive imports count;
* for a chapter that used ``nnbook.mnist``, which MNIST files the cache folder holds.

Events, in order:

0. ``env-get-outdated`` (once per build): chapters whose key changed since their
   record are read again, though their text did not change.

Then for each chapter read (all in the process that reads it):

1. ``source-read``: compute the key from the chapter's last record and write it into
   the first ``{code-cell}``; point the kernel at a fresh record file
   (``NNBOOK_RECORD_FILE``).
2. myst-nb parses the page: a cache hit serves stored outputs, a miss executes the
   notebook, and the kernel writes the record file after every cell.
3. ``doctree-read``: if the kernel wrote a record, it becomes the chapter's record,
   together with the key the outputs were computed under.

A record that does not exist yet (the first build) or whose files cannot be read keys
on *all* ``nnbook`` sources, so nothing is ever served stale; when a module the
chapter used changes, its key changes and the chapter runs again, while chapters that
never imported that module keep their key and are served from the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYED_FILES = ("requirements/lock.txt", "pyproject.toml")
KEY_METADATA = "nnbook_cache_key"  # cell metadata name; removed from the downloads
RECORD_ENV = "NNBOOK_RECORD_FILE"  # read by nnbook.book.record_execution in the kernel
_FIRST_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n", re.M)
_pending: dict[str, str] = {}  # docname -> key, in the process that reads the chapter


def _digest(parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _all_sources(root: Path) -> list[Path]:
    src = (root / "src" / "nnbook").resolve()
    return sorted(p for p in src.rglob("*.py") if p.is_file())


def files_hash(root: Path, files: list[Path]) -> str:
    """Hash of the given files' paths (relative to ``root/src``) and contents."""
    src = (root / "src").resolve()
    parts = []
    for path in files:
        parts += [path.resolve().relative_to(src), path.read_bytes()]
    return _digest(parts)


def environment_hash(root: Path) -> str:
    """Hash of what every chapter depends on: Python version, lock file, pyproject."""
    parts = [platform.python_version()]
    for name in KEYED_FILES:
        path = root / name
        parts += [name, path.read_bytes() if path.is_file() else b"missing"]
    return _digest(parts)


def mnist_state() -> str:
    """Which full-MNIST files the data cache holds (names and sizes), as a string.

    Mirrors ``nnbook.mnist.cache_dir`` without importing it (that would import JAX
    into the Sphinx process); ``tests/test_cache.py`` checks that the two agree.
    """
    if os.environ.get("NNBOOK_MNIST_DIR"):
        folder = Path(os.environ["NNBOOK_MNIST_DIR"]).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        folder = Path(base) / "nnbook" / "mnist"
    if not folder.is_dir():
        return "none"
    found = sorted(p for p in folder.iterdir() if p.is_file() and "idx" in p.name)
    return ";".join(f"{p.name}:{p.stat().st_size}" for p in found if not p.name.startswith("."))


def _record_files(root: Path, record: dict) -> list[Path] | None:
    """The recorded module files, or None if any is outside ``src/`` or gone."""
    src = (root / "src").resolve()
    files = []
    for name in record.get("files", []):
        path = Path(name)
        if not path.is_file() or src not in path.resolve().parents:
            return None
        files.append(path.resolve())
    return files or None


def chapter_key(root: Path, record: dict | None) -> str:
    """The dependency key for a chapter whose last record is ``record`` (or None).

    With a record whose files have not changed since it was written, the key is the one
    the stored outputs were computed under, so the cache serves them. Otherwise the key
    is computed afresh: from the recorded files, or from all sources without a record.
    """
    env = environment_hash(root)
    files = _record_files(root, record) if record else None
    if files is None:
        return _digest(["all", env, files_hash(root, _all_sources(root)), mnist_state()])
    uses_mnist = any(p.name in {"mnist.py", "fetch_mnist.py"} for p in files)
    now = _digest([env, files_hash(root, files), mnist_state() if uses_mnist else ""])
    if record.get("deps_hash") == now and record.get("key"):
        return record["key"]
    return now


def deps_hash(root: Path, record: dict) -> str | None:
    files = _record_files(root, record)
    if files is None:
        return None
    uses_mnist = any(p.name in {"mnist.py", "fetch_mnist.py"} for p in files)
    return _digest(
        [environment_hash(root), files_hash(root, files), mnist_state() if uses_mnist else ""]
    )


def records_dir(app) -> Path:
    return Path(app.config.nb_execution_cache_path).parent / "records"


def _record_path(app, docname: str) -> Path:
    return records_dir(app) / (docname.replace("/", "--") + ".json")


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def insert_key(source: str, key: str) -> str:
    """Add ``nnbook_cache_key`` to the options of the first ``{code-cell}`` of MyST text."""
    match = _FIRST_CELL.search(source)
    if match is None:
        return source
    at = match.end()
    if source.startswith("---\n", at):  # options as a YAML block
        return source[: at + 4] + f"{KEY_METADATA}: {key}\n" + source[at + 4 :]
    return source[:at] + f":{KEY_METADATA}: {key}\n" + source[at:]


def _root(app) -> Path:
    return Path(app.config.nnbook_root or ROOT)


def on_env_get_outdated(app, env, added, changed, removed):
    """Chapters whose dependency key changed (an imported module, the lock, MNIST data).

    Sphinx itself re-reads a page only when its own source changed; without this, an
    edit to ``nnbook`` would leave every page as it was.
    """
    if app.config.nb_execution_mode != "cache":
        return []
    stale = []
    for docname in sorted(env.found_docs - added - changed - removed):
        if docname.startswith("chapters/"):
            record = _read_json(_record_path(app, docname))
            if record is None or chapter_key(_root(app), record) != record.get("key"):
                stale.append(docname)
    return stale


def on_source_read(app, docname, source):
    if not docname.startswith("chapters/") or app.config.nb_execution_mode != "cache":
        return
    record = _read_json(_record_path(app, docname))
    key = chapter_key(_root(app), record)
    source[0] = insert_key(source[0], key)
    kernel_file = _record_path(app, docname).with_suffix(".kernel.json")
    kernel_file.parent.mkdir(parents=True, exist_ok=True)
    kernel_file.unlink(missing_ok=True)
    os.environ[RECORD_ENV] = str(kernel_file)  # inherited by the kernel myst-nb starts next
    _pending[docname] = key


def on_doctree_read(app, doctree):
    docname = app.env.docname
    key = _pending.pop(docname, None)
    if key is None:
        return
    os.environ.pop(RECORD_ENV, None)
    kernel_file = _record_path(app, docname).with_suffix(".kernel.json")
    ran = _read_json(kernel_file)
    if ran is None:  # served from the cache: the record stays as it was
        return
    ran["key"] = key
    ran["deps_hash"] = deps_hash(_root(app), ran)
    _write_json(_record_path(app, docname), ran)
    kernel_file.unlink(missing_ok=True)


def chapter_record(app, docname: str) -> dict:
    """The last record of a chapter: ``files`` it imported, ``compile_s``, ``key``."""
    return _read_json(_record_path(app, docname)) or {}


def cache_path(root: Path, base: str | Path | None = None) -> Path:
    """Create (once) and return the jupyter-cache folder.

    The jupyter-cache database is created here, before Sphinx forks parallel
    readers: two workers creating it at once is a known crash of ``sphinx-build -j``.
    ``base`` puts the cache elsewhere (the reproducibility check builds a second time
    into a fresh cache, so every chapter runs again exactly as in a first build).
    """
    base = Path(base) if base else root / "docs" / "_build" / ".jupyter_cache"
    path = base / "notebooks"
    path.mkdir(parents=True, exist_ok=True)
    for old in base.iterdir():  # caches of nnbook <= 0.1 were one folder per source hash
        if old.is_dir() and old.name not in {"notebooks", "records"}:
            shutil.rmtree(old, ignore_errors=True)
    from jupyter_cache import get_cache

    _ = get_cache(str(path)).db  # creates the SQLite database and its tables now, in one process
    return path


def setup(app):
    app.add_config_value("nnbook_root", "", "env")  # the checkout holding src/ (tests change it)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("source-read", on_source_read)
    app.connect("doctree-read", on_doctree_read, priority=400)  # before nnbook_status's (600)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}
