"""Write the small intersphinx inventories in docs/_inventories/ (no network at build time).

The book links the API reference's types and the names its docstrings cite to the
JAX, NumPy and optax documentation. Sphinx's intersphinx normally downloads each
project's ``objects.inv``; builds here never download anything, so this script writes
an inventory holding just the names the book uses, with their published addresses.
Run it after adding a name: ``python tools/make_inventories.py``.
"""

from __future__ import annotations

import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "_inventories"

# project -> (version, [(name, role, relative uri)]); "$" stands for the name (Sphinx's rule).
INVENTORIES = {
    "jax": (
        "0.10",
        [
            ("jax.Array", "py:class", "_autosummary/jax.Array.html"),
            ("jax.jit", "py:function", "_autosummary/jax.jit.html"),
            ("jax.grad", "py:function", "_autosummary/jax.grad.html"),
            ("jax.value_and_grad", "py:function", "_autosummary/jax.value_and_grad.html"),
            ("jax.vmap", "py:function", "_autosummary/jax.vmap.html"),
            ("jax.block_until_ready", "py:function", "_autosummary/jax.block_until_ready.html"),
            ("jax.random.key", "py:function", "_autosummary/jax.random.key.html"),
            ("jax.random.split", "py:function", "_autosummary/jax.random.split.html"),
            ("jax.random.fold_in", "py:function", "_autosummary/jax.random.fold_in.html"),
            ("jax.lax.scan", "py:function", "_autosummary/jax.lax.scan.html"),
            (
                "jax.lax.conv_general_dilated",
                "py:function",
                "_autosummary/jax.lax.conv_general_dilated.html",
            ),
            (
                "jax.nn.dot_product_attention",
                "py:function",
                "_autosummary/jax.nn.dot_product_attention.html",
            ),
            ("jax.sharding.Mesh", "py:class", "jax.sharding.html#$"),
            ("jax.sharding.NamedSharding", "py:class", "jax.sharding.html#$"),
            ("jax.sharding.PartitionSpec", "py:class", "jax.sharding.html#$"),
            (
                "jax.distributed.initialize",
                "py:function",
                "_autosummary/jax.distributed.initialize.html",
            ),
            (
                "jax.test_util.check_grads",
                "py:function",
                "_autosummary/jax.test_util.check_grads.html",
            ),
        ],
    ),
    "numpy": (
        "2.3",
        [
            ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html"),
            ("numpy.loadtxt", "py:function", "reference/generated/numpy.loadtxt.html"),
            (
                "numpy.random.default_rng",
                "py:function",
                "reference/random/generator.html#numpy.random.default_rng",
            ),
        ],
    ),
    "optax": (
        "0.2",
        [
            ("optax.GradientTransformation", "py:class", "api/transformations.html#$"),
            ("optax.sgd", "py:function", "api/optimizers.html#$"),
            ("optax.adam", "py:function", "api/optimizers.html#$"),
            ("optax.apply_updates", "py:function", "api/utilities.html#$"),
        ],
    ),
}


def inventory(project: str, version: str, entries) -> bytes:
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in sorted(entries))
    return header.encode() + zlib.compress(body.encode(), 9)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for project, (version, entries) in INVENTORIES.items():
        (OUT / f"{project}.inv").write_bytes(inventory(project, version, entries))
        print(OUT / f"{project}.inv", len(entries), "names")


if __name__ == "__main__":
    main()
