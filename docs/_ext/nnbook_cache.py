"""Where the notebook execution cache lives, keyed on what chapter results depend on.

jupyter-cache matches a chapter by the hash of its code cells only, so on its own it
would serve outputs computed with an older ``nnbook`` or older locked versions. We key
the cache *directory* on the ``nnbook`` sources, the lock file and the Python version:
change any of them and every chapter runs again; change a chapter's code and only that
chapter runs again (jupyter-cache's own key); change its prose and nothing runs.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
from pathlib import Path

KEYED_FILES = ("requirements/lock.txt", "pyproject.toml")
KEEP_OLD = 2


def fingerprint(root: Path) -> str:
    """A short hash of everything outside a chapter that its outputs depend on."""
    digest = hashlib.sha256(platform.python_version().encode())
    paths = sorted((root / "src" / "nnbook").rglob("*"))
    paths += [root / name for name in KEYED_FILES]
    for path in paths:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_path(root: Path, base: str | Path | None = None) -> Path:
    """Create (once) and return the cache folder for the current fingerprint.

    The jupyter-cache database is created here, before Sphinx forks parallel
    readers: two workers creating it at once is a known crash of ``sphinx-build -j``.
    Caches for other fingerprints can never be served again; all but the few most
    recent are removed (a recent one may belong to a build still running beside this).
    ``base`` puts the caches elsewhere (the reproducibility check builds a second time
    into a fresh cache, so every chapter runs again exactly as in a first build).
    """
    base = Path(base) if base else root / "docs" / "_build" / ".jupyter_cache"
    base.mkdir(parents=True, exist_ok=True)
    path = base / fingerprint(root)
    path.mkdir(parents=True, exist_ok=True)
    path.touch()
    others = sorted((p for p in base.iterdir() if p != path), key=lambda p: p.stat().st_mtime)
    for old in others[:-KEEP_OLD]:
        shutil.rmtree(old, ignore_errors=True)
    from jupyter_cache import get_cache

    _ = get_cache(str(path)).db  # creates the SQLite database and its tables now, in one process
    return path
