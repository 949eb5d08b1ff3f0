"""The execution cache never serves a result computed with an older nnbook or lock.

``docs/_ext/nnbook_cache.py`` keys each chapter on the ``nnbook`` modules it imported
when it ran (recorded by the kernel), the lock file, ``pyproject.toml`` and the Python
version. A tiny book with two chapters, each importing a module of its own from a copy
of ``nnbook``, is built again and again here; each chapter notes in a log when it
really executes:

* a rebuild with nothing changed executes nothing;
* editing the module one chapter imported executes that chapter and only that one,
  and its page shows the new result (never a stale one);
* editing the lock file, or a module every chapter imports, executes both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("myst_nb")
pytestmark = pytest.mark.slow  # a few Sphinx builds with real kernels: about 30 s

ROOT = Path(__file__).resolve().parents[1]
EXT = ROOT / "docs" / "_ext"

CONF = f"""\
import sys
from pathlib import Path
sys.path.insert(0, {str(EXT)!r})
import nnbook_cache
ROOTDIR = Path(__file__).resolve().parent.parent
extensions = ["myst_nb", "nnbook_cache"]
nnbook_root = str(ROOTDIR)
nb_execution_mode = "cache"
nb_execution_cache_path = str(nnbook_cache.cache_path(ROOTDIR))
nb_execution_raise_on_error = True
exclude_patterns = ["_build"]
"""

CHAPTER = """\
---
jupytext:
  text_representation: {{extension: .md, format_name: myst}}
kernelspec: {{display_name: Python 3, language: python, name: python3}}
---
# Chapter {name}

```{{code-cell}} ipython3
import os
from nnbook.book import record_execution
record_execution(os.environ.get("NNBOOK_RECORD_FILE"))
```

```{{code-cell}} ipython3
from nnbook import {module}
with open(os.environ["RUNLOG"], "a") as log:
    log.write("{name}\\n")
print("{module} is", {module}.VALUE)
```
"""


@pytest.fixture
def book(tmp_path):
    """A checkout-like folder: a copy of src/nnbook with two extra modules, a lock, docs."""
    shutil.copytree(
        ROOT / "src" / "nnbook",
        tmp_path / "src" / "nnbook",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for name, value in (("alpha", 1), ("beta", 2)):
        (tmp_path / "src" / "nnbook" / f"{name}.py").write_text(f"VALUE = {value}\n")
    (tmp_path / "requirements").mkdir()
    shutil.copy(ROOT / "requirements" / "lock.txt", tmp_path / "requirements" / "lock.txt")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    docs = tmp_path / "docs"
    (docs / "chapters").mkdir(parents=True)
    (docs / "conf.py").write_text(CONF)
    (docs / "index.md").write_text("# Book\n\n```{toctree}\nchapters/a\nchapters/b\n```\n")
    (docs / "chapters" / "a.md").write_text(CHAPTER.format(name="a", module="alpha"))
    (docs / "chapters" / "b.md").write_text(CHAPTER.format(name="b", module="beta"))
    return tmp_path


def build(root: Path) -> list[str]:
    """Build the tiny book; return the chapters that executed, in order."""
    log = root / "runlog.txt"
    log.write_text("")
    env = dict(os.environ, RUNLOG=str(log), PYTHONPATH=str(root / "src"))
    env.pop("NNBOOK_CACHE_DIR", None)
    cmd = [sys.executable, "-m", "sphinx", "-M", "html", "docs", "docs/_build", "-q", "-W"]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return log.read_text().split()


def page(root: Path, name: str) -> str:
    return (root / "docs" / "_build" / "html" / "chapters" / f"{name}.html").read_text()


def edit(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_cache_key_follows_what_each_chapter_imported(book):
    assert build(book) == ["a", "b"]
    assert build(book) == []  # nothing changed: nothing runs

    (book / "src" / "nnbook" / "beta.py").write_text("VALUE = 20\n")
    assert build(book) == ["b"]  # only the chapter that imported beta
    assert "beta is 20" in page(book, "b") and "alpha is 1" in page(book, "a")

    edit(book / "src" / "nnbook" / "mnist.py", "\n# a module neither chapter imported\n")
    assert build(book) == []

    edit(book / "src" / "nnbook" / "book" / "chapter.py", "\n# imported by both chapters\n")
    assert sorted(build(book)) == ["a", "b"]


def test_cache_key_covers_the_lock_file(book):
    assert build(book) == ["a", "b"]
    edit(book / "requirements" / "lock.txt", "\n# a new pin\n")
    assert sorted(build(book)) == ["a", "b"]
    edit(book / "pyproject.toml", "\n# a new dependency\n")
    assert sorted(build(book)) == ["a", "b"]


def test_mnist_state_mirrors_the_package(monkeypatch, tmp_path):
    sys.path.insert(0, str(EXT))
    import nnbook_cache

    from nnbook import mnist

    for env in ({"NNBOOK_MNIST_DIR": str(tmp_path / "m")}, {"XDG_CACHE_HOME": str(tmp_path)}):
        monkeypatch.delenv("NNBOOK_MNIST_DIR", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        folder = mnist.cache_dir()
        assert nnbook_cache.mnist_state() == "none"
        folder.mkdir(parents=True)
        (folder / "t10k-labels-idx1-ubyte").write_bytes(b"12345")
        assert nnbook_cache.mnist_state() == "t10k-labels-idx1-ubyte:5"


def test_insert_key_into_either_option_style():
    sys.path.insert(0, str(EXT))
    import nnbook_cache

    plain = "# T\n\n```{code-cell} ipython3\n:tags: [remove-cell]\nx = 1\n```\n"
    assert ":nnbook_cache_key: k1\n:tags:" in nnbook_cache.insert_key(plain, "k1")
    yaml = "```{code-cell} ipython3\n---\ntags: [x]\n---\nx = 1\n```\n"
    assert "---\nnnbook_cache_key: k2\ntags: [x]" in nnbook_cache.insert_key(yaml, "k2")
    assert nnbook_cache.insert_key("no code here", "k") == "no code here"
