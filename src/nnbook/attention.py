"""Attention and transformers, taught in chapter 14 ("Attention and transformers").

Scaled dot-product attention (Vaswani et al. 2017) lets every position of a sequence
look at every other one in a single matrix product::

    Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V

:func:`self_attention` computes Q, K and V from the same sequence with learned
projections, one set per head; :func:`causal_mask` stops a position from looking
ahead. Attention alone cannot tell positions apart (permuting the input permutes the
output), so :func:`transformer` adds position vectors (:func:`sinusoidal_positions` or
learned ones) to the token embeddings before its blocks. A block is pre-norm:
``x + attention(layer_norm(x))``, then ``x + mlp(layer_norm(x))``.

Shapes: a sequence is ``(T, d_model)`` or a batch ``(batch, T, d_model)``; attention
weights are ``(*batch, heads, T, T)``, rows (queries) summing to 1 over columns (keys).
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int, PRNGKeyArray

from nnbook._checks import check_array, check_finite, check_positive_int, is_tracer
from nnbook.layers import Dense, MLPParams, mlp


class Attention(NamedTuple):
    """Projections of one self-attention layer with ``heads`` heads of width ``d_head``."""

    W_q: Float[Array, "d_model heads d_head"]
    W_k: Float[Array, "d_model heads d_head"]
    W_v: Float[Array, "d_model heads d_head"]
    W_o: Float[Array, "heads d_head d_model"]


class LayerNorm(NamedTuple):
    """Per-feature scale (gain) and offset (bias) applied after normalizing."""

    scale: Float[Array, " d_model"]
    offset: Float[Array, " d_model"]


class TransformerBlock(NamedTuple):
    """Pre-norm block: layer norm, attention, residual; layer norm, MLP, residual."""

    ln1: LayerNorm
    attn: Attention
    ln2: LayerNorm
    mlp: MLPParams  # (Dense(d_model, d_mlp), Dense(d_mlp, d_model)), ReLU between


class Transformer(NamedTuple):
    """A token model: embeddings, optional positions, blocks, final norm, unembedding."""

    embed: Float[Array, "vocab d_model"]
    pos: Float[Array, "max_len d_model"] | None  # None: the model gets no positions
    blocks: tuple[TransformerBlock, ...]
    ln_f: LayerNorm
    unembed: Dense  # (d_model, vocab)


class TransformerTrace(NamedTuple):
    """Logits of :func:`transformer_trace` and every block's attention weights."""

    logits: Float[Array, "*batch T vocab"]
    attention: tuple[Float[Array, "*batch heads T T"], ...]


# ----------------------------------------------------------------------------- checks


def _check_mask(mask: ArrayLike, shape: tuple[int, ...], what: str) -> Array:
    """A boolean mask whose shape ends in shape[-2:] and broadcasts against ``shape``."""
    m = check_array("mask", mask, dtype_kind="b")
    ok = m.ndim >= 2 and m.shape[-2:] == shape[-2:]
    if ok:
        try:
            ok = np.broadcast_shapes(m.shape, shape) == tuple(shape)
        except ValueError:
            ok = False
    if not ok:
        raise ValueError(
            f"mask: expected a bool array of shape {shape[-2:]} (queries, keys) that "
            f"broadcasts to {tuple(shape)} ({what}), got shape {m.shape}"
        )
    return m


def _check_sequence(x: ArrayLike, d_model: int | None, what: str = "") -> Array:
    x = check_array("x", x, ndim=(2, 3), shape_hint="(T, d_model) or (batch, T, d_model)")
    if x.shape[-2] == 0 or x.shape[-1] == 0 or (x.ndim == 3 and x.shape[0] == 0):
        raise ValueError(f"x: expected a non-empty sequence (T >= 1), got shape {x.shape}")
    if d_model is not None and x.shape[-1] != d_model:
        raise ValueError(f"x: expected last dimension d_model = {d_model} ({what}), got {x.shape}")
    return check_finite("x", x)


def _check_attention(name: str, p: Attention) -> tuple[int, int, int]:
    """Check an Attention's shapes; return (d_model, heads, d_head)."""
    if not all(hasattr(p, f) for f in Attention._fields):
        raise TypeError(
            f"{name}: expected an Attention(W_q, W_k, W_v, W_o), got {type(p).__name__}"
        )
    hint = "(d_model, heads, d_head)"
    W_q = check_array(f"{name}.W_q", p.W_q, ndim=3, allow_empty=False, shape_hint=hint)
    for field in ("W_k", "W_v"):
        W = check_array(f"{name}.{field}", getattr(p, field), ndim=3, shape_hint=hint)
        if W.shape != W_q.shape:
            raise ValueError(f"{name}.{field}: expected shape {W_q.shape} like W_q, got {W.shape}")
    d_model, heads, d_head = W_q.shape
    W_o = check_array(f"{name}.W_o", p.W_o, ndim=3, shape_hint="(heads, d_head, d_model)")
    if W_o.shape != (heads, d_head, d_model):
        raise ValueError(
            f"{name}.W_o: expected shape {(heads, d_head, d_model)} to match W_q {W_q.shape}, "
            f"got {W_o.shape}"
        )
    return d_model, heads, d_head


# ------------------------------------------------------------------- attention itself


def scaled_dot_product_attention(
    q: Float[ArrayLike, "*batch T_q d_k"],
    k: Float[ArrayLike, "*batch T_k d_k"],
    v: Float[ArrayLike, "*batch T_k d_v"],
    mask: Bool[ArrayLike, "*mask_batch T_q T_k"] | None = None,
) -> tuple[Float[Array, "*batch T_q d_v"], Float[Array, "*batch T_q T_k"]]:
    """Each query takes a weighted average of the values, weighted by query-key match.

    weights = softmax(q kᵀ / √d_k) over the keys,  outputs = weights v

    Args:
        q: Queries, shape ``(*batch, T_q, d_k)``.
        k: Keys, shape ``(*batch, T_k, d_k)``.
        v: Values, shape ``(*batch, T_k, d_v)``.
        mask: Optional bool array, ``True`` where query i may look at key j; shape
            ``(T_q, T_k)`` or any shape broadcasting to ``(*batch, T_q, T_k)``. A
            masked-out pair gets weight 0 (a row masked out entirely gets equal weights).

    Returns:
        ``(outputs, weights)`` with shapes ``(*batch, T_q, d_v)`` and
        ``(*batch, T_q, T_k)``; every row of ``weights`` sums to 1.

    Examples:
        >>> q = k = jnp.array([[1.0, 0.0], [0.0, 1.0]])
        >>> out, w = scaled_dot_product_attention(q, k, jnp.array([[10.0], [20.0]]))
        >>> print(np.asarray(w).round(2))
        [[0.67 0.33]
         [0.33 0.67]]
        >>> print(np.asarray(out).round(1).ravel())  # 0.67 * 10 + 0.33 * 20, and back
        [13.3 16.7]
    """
    q = check_array("q", q, ndim=None, allow_empty=True)
    k = check_array("k", k)
    v = check_array("v", v)
    for name, a in (("q", q), ("k", k), ("v", v)):
        if a.ndim < 2:
            raise ValueError(f"{name}: expected shape (*batch, T, d) with 2+ dims, got {a.shape}")
        if a.shape[-2] == 0 or a.shape[-1] == 0:
            raise ValueError(f"{name}: expected T >= 1 and d >= 1, got shape {a.shape}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"k: expected last dimension d_k = {q.shape[-1]} like q {q.shape}, got {k.shape}"
        )
    if v.shape[:-1] != k.shape[:-1]:
        raise ValueError(
            f"v: expected shape {k.shape[:-1]} + (d_v,) to match k {k.shape}, got {v.shape}"
        )
    if q.shape[:-2] != k.shape[:-2]:
        raise ValueError(
            f"k: expected batch dimensions {q.shape[:-2]} like q {q.shape}, got {k.shape}"
        )
    scores = jnp.einsum("...qd,...kd->...qk", q, k) / jnp.sqrt(q.shape[-1]).astype(q.dtype)
    if mask is not None:
        mask = _check_mask(mask, scores.shape, "(*batch, T_q, T_k) of the scores")
        # the lowest finite number, not -inf: a fully masked row gives equal weights, not NaN
        scores = jnp.where(mask, scores, jnp.finfo(scores.dtype).min)
    weights = jax.nn.softmax(scores, axis=-1)
    return weights @ v, weights


def causal_mask(T: int) -> Bool[Array, "T T"]:
    """Lower-triangular mask: query t may look at keys 0..t, never at later ones.

    mask[t, s] = (s <= t)

    Examples:
        >>> causal_mask(3).astype(int).tolist()
        [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    T = check_positive_int("T", T)
    return jnp.asarray(np.tril(np.ones((T, T), dtype=bool)))  # built in NumPy: no compile


def init_attention(
    key: PRNGKeyArray, d_model: int, d_head: int | None = None, n_heads: int = 1
) -> Attention:
    """Random projections for :func:`self_attention` (``d_head`` defaults to d_model / heads).

    W_q, W_k, W_v ~ N(0, 1/d_model),  W_o ~ N(0, 1/(heads · d_head))

    Examples:
        >>> p = init_attention(jax.random.key(0), d_model=8, d_head=4, n_heads=2)
        >>> p.W_q.shape, p.W_o.shape
        ((8, 2, 4), (2, 4, 8))
    """
    d_model = check_positive_int("d_model", d_model)
    n_heads = check_positive_int("n_heads", n_heads)
    if d_head is None:
        if d_model % n_heads:
            raise ValueError(
                f"d_head: give it, since d_model = {d_model} is not divisible by {n_heads} heads"
            )
        d_head = d_model // n_heads
    return _draw_attention(_generator(key), d_model, check_positive_int("d_head", d_head), n_heads)


# The init functions draw with NumPy, from a generator seeded by the key's bits: a JAX
# random draw is compiled the first time it meets a shape (about a second on a small
# CPU), which costs far more than drawing the few thousand numbers of a small model.
def _generator(key: PRNGKeyArray) -> np.random.Generator:
    """A NumPy generator seeded by the bits of a JAX key (call it outside ``jit``)."""
    if isinstance(key, jax.Array) and jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    try:
        bits = np.asarray(key, dtype=np.uint32).ravel()
    except (TypeError, jax.errors.TracerArrayConversionError) as err:
        raise TypeError(f"key: expected a concrete jax.random.key(seed), got {key!r}") from err
    return np.random.default_rng(bits.tolist())


def _normal(rng: np.random.Generator, shape: tuple[int, ...], std: float) -> Array:
    """N(0, std²) weights as a JAX array of the default float dtype."""
    return jnp.asarray(std * rng.standard_normal(shape), dtype=float)


def _constant(value: float, n: int) -> Array:
    return jnp.asarray(np.full(n, value), dtype=float)


def _draw_attention(rng: np.random.Generator, d_model: int, d_head: int, n_heads: int) -> Attention:
    shape = (d_model, n_heads, d_head)
    std_in, std_out = d_model**-0.5, (n_heads * d_head) ** -0.5
    return Attention(
        W_q=_normal(rng, shape, std_in),
        W_k=_normal(rng, shape, std_in),
        W_v=_normal(rng, shape, std_in),
        W_o=_normal(rng, (n_heads, d_head, d_model), std_out),
    )


def _self_attention(params: Attention, x: ArrayLike, mask: ArrayLike | None) -> tuple[Array, Array]:
    d_model, _, _ = _check_attention("params", params)
    x = _check_sequence(x, d_model, f"rows of params.W_q, shape {params.W_q.shape}")
    if mask is not None:  # one mask for every head: (*batch, T, T) -> (*batch, 1, T, T)
        T = x.shape[-2]
        mask = _check_mask(mask, x.shape[:-2] + (T, T), "(*batch, T, T) of x")[..., None, :, :]
    # (*batch, T, d_model) @ (d_model, heads, d_head) -> (*batch, heads, T, d_head)
    q, k, v = (jnp.einsum("...td,dhe->...hte", x, W) for W in params[:3])
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    return jnp.einsum("...hte,hed->...td", out, params.W_o), weights  # heads summed


def self_attention(
    params: Attention,
    x: Float[ArrayLike, "*batch T d_model"],
    mask: Bool[ArrayLike, "*mask_batch T T"] | None = None,
) -> Float[Array, "*batch T d_model"]:
    """Multi-head self-attention: queries, keys and values all computed from ``x``.

    head_h = Attention(x W_q[h], x W_k[h], x W_v[h]),  output = Σ_h head_h W_o[h]

    Args:
        params: An :class:`Attention` from :func:`init_attention`.
        x: A sequence ``(T, d_model)`` or a batch of them ``(batch, T, d_model)``.
        mask: Optional bool ``(T, T)`` (or ``(batch, T, T)``), e.g. :func:`causal_mask`.

    Returns:
        The same shape as ``x``.

    Examples:
        >>> p = init_attention(jax.random.key(0), d_model=4)
        >>> self_attention(p, jnp.ones((2, 5, 4)), mask=causal_mask(5)).shape
        (2, 5, 4)
    """
    return _self_attention(params, x, mask)[0]


def attention_weights(
    params: Attention,
    x: Float[ArrayLike, "*batch T d_model"],
    mask: Bool[ArrayLike, "*mask_batch T T"] | None = None,
) -> Float[Array, "*batch heads T T"]:
    """The weights of :func:`self_attention`: row t says how much query t takes from each key.

    weights[h, t, s] = softmax_s(q_t · k_s / √d_head)

    Examples:
        >>> p = init_attention(jax.random.key(0), d_model=4, n_heads=2)
        >>> w = attention_weights(p, jnp.ones((5, 4)), mask=causal_mask(5))
        >>> w.shape, w[0, 0].round(2).tolist()  # the first query can only see key 0
        ((2, 5, 5), [1.0, 0.0, 0.0, 0.0, 0.0])
    """
    return _self_attention(params, x, mask)[1]


# -------------------------------------------------------------------------- positions


def sinusoidal_positions(T: int, d_model: int) -> Float[Array, "T d_model"]:
    """Fixed position vectors of Vaswani et al. (2017), one row per position.

    P[t, 2i] = sin(t / 10000^(2i/d)),  P[t, 2i+1] = cos(t / 10000^(2i/d))

    Examples:
        >>> P = sinusoidal_positions(4, 6)
        >>> P.shape, P[0].tolist()  # position 0: sin 0 = 0, cos 0 = 1
        ((4, 6), [0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    """
    T = check_positive_int("T", T)
    d_model = check_positive_int("d_model", d_model)
    i = np.arange((d_model + 1) // 2)
    angles = np.arange(T)[:, None] / 10000.0 ** (2 * i / d_model)  # (T, ceil(d/2))
    P = np.stack([np.sin(angles), np.cos(angles)], axis=-1).reshape(T, -1)[:, :d_model]
    return jnp.asarray(P, dtype=float)  # a table of constants: NumPy, nothing to compile


# ------------------------------------------------------------------------ the block


def init_layer_norm(d_model: int) -> LayerNorm:
    """Layer norm that starts as plain normalization: scale 1, offset 0.

    Examples:
        >>> ln = init_layer_norm(3)
        >>> ln.scale.tolist(), ln.offset.tolist()
        ([1.0, 1.0, 1.0], [0.0, 0.0, 0.0])
    """
    d_model = check_positive_int("d_model", d_model)
    return LayerNorm(scale=_constant(1.0, d_model), offset=_constant(0.0, d_model))


def layer_norm(
    params: LayerNorm, x: Float[ArrayLike, "*batch d"], eps: float = 1e-5
) -> Float[Array, "*batch d"]:
    """Normalize each vector over its features, then scale and shift (Ba et al. 2016).

    y = scale · (x - mean(x)) / √(var(x) + eps) + offset

    Examples:
        >>> print(np.asarray(layer_norm(init_layer_norm(3), jnp.array([1.0, 2.0, 3.0]))).round(3))
        [-1.225  0.     1.225]
    """
    x = check_array("x", x, allow_empty=False)
    scale = check_array("params.scale", params.scale, ndim=1)
    if x.ndim == 0 or x.shape[-1] != scale.shape[0] or params.offset.shape != scale.shape:
        raise ValueError(
            f"x: expected last dimension {scale.shape[0]} (params.scale {scale.shape}, "
            f"params.offset {jnp.shape(params.offset)}), got shape {x.shape}"
        )
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return scale * (x - mean) / jnp.sqrt(var + eps) + params.offset


def init_transformer_block(
    key: PRNGKeyArray,
    d_model: int,
    n_heads: int = 1,
    d_head: int | None = None,
    d_mlp: int | None = None,
) -> TransformerBlock:
    """One block; the MLP is ``d_model -> d_mlp -> d_model`` (default d_mlp = 4 d_model).

    Attention as in :func:`init_attention`; MLP weights He-normal, N(0, 2/fan_in), and
    zero biases, as :func:`nnbook.layers.init_mlp` makes them.

    Examples:
        >>> b = init_transformer_block(jax.random.key(0), d_model=8, n_heads=2)
        >>> b.attn.W_q.shape, [layer.W.shape for layer in b.mlp]
        ((8, 2, 4), [(8, 32), (32, 8)])
    """
    return _draw_block(_generator(key), *_block_dims(d_model, n_heads, d_head, d_mlp))


def _block_dims(d_model, n_heads, d_head, d_mlp) -> tuple[int, int, int, int]:
    """Checked (d_model, n_heads, d_head, d_mlp), with the defaults filled in."""
    d_model = check_positive_int("d_model", d_model)
    n_heads = check_positive_int("n_heads", n_heads)
    if d_head is None and d_model % n_heads:
        raise ValueError(
            f"d_head: give it, since d_model = {d_model} is not divisible by {n_heads} heads"
        )
    d_head = d_model // n_heads if d_head is None else check_positive_int("d_head", d_head)
    d_mlp = 4 * d_model if d_mlp is None else check_positive_int("d_mlp", d_mlp)
    return d_model, n_heads, d_head, d_mlp


def _draw_block(rng: np.random.Generator, d_model: int, n_heads: int, d_head: int, d_mlp: int):
    attn = _draw_attention(rng, d_model, d_head, n_heads)
    W1 = _normal(rng, (d_model, d_mlp), (2 / d_model) ** 0.5)  # He normal, as init_mlp
    W2 = _normal(rng, (d_mlp, d_model), (2 / d_mlp) ** 0.5)
    return TransformerBlock(
        ln1=init_layer_norm(d_model),
        attn=attn,
        ln2=init_layer_norm(d_model),
        mlp=(Dense(W=W1, b=_constant(0.0, d_mlp)), Dense(W=W2, b=_constant(0.0, d_model))),
    )


def _block(params: TransformerBlock, x: ArrayLike, mask: ArrayLike | None) -> tuple[Array, Array]:
    attn_out, weights = _self_attention(params.attn, layer_norm(params.ln1, x), mask)
    x = jnp.asarray(x) + attn_out  # residual: attention adds to the stream, not replaces it
    h = layer_norm(params.ln2, x)
    return x + mlp(params.mlp, h.reshape(-1, h.shape[-1])).reshape(h.shape), weights


def transformer_block(
    params: TransformerBlock,
    x: Float[ArrayLike, "*batch T d_model"],
    mask: Bool[ArrayLike, "*mask_batch T T"] | None = None,
) -> Float[Array, "*batch T d_model"]:
    """Pre-norm transformer block: attention mixes positions, the MLP works on each one.

    h = x + SelfAttention(LN₁(x)),  output = h + MLP(LN₂(h))

    Examples:
        >>> b = init_transformer_block(jax.random.key(0), d_model=8)
        >>> transformer_block(b, jnp.ones((3, 6, 8))).shape
        (3, 6, 8)
    """
    return _block(params, x, mask)[0]


# ------------------------------------------------------------------------ the model


def init_transformer(
    key: PRNGKeyArray,
    vocab_size: int,
    max_len: int,
    d_model: int,
    *,
    n_layers: int = 1,
    n_heads: int = 1,
    d_head: int | None = None,
    d_mlp: int | None = None,
    positions: str | None = "learned",
) -> Transformer:
    """A small transformer over tokens ``0 .. vocab_size - 1``, sequences up to ``max_len``.

    ``positions``: ``"learned"`` (random vectors, trained), ``"sinusoidal"`` (starts
    from :func:`sinusoidal_positions`; trained like any parameter) or ``None`` (no
    position information at all). Embeddings and learned positions start N(0, 1), the
    unembedding Glorot-normal with zero bias, the blocks as :func:`init_transformer_block`.

    Examples:
        >>> m = init_transformer(jax.random.key(0), vocab_size=10, max_len=8, d_model=16)
        >>> m.embed.shape, m.pos.shape, len(m.blocks), m.unembed.W.shape
        ((10, 16), (8, 16), 1, (16, 10))
    """
    vocab_size = check_positive_int("vocab_size", vocab_size)
    max_len = check_positive_int("max_len", max_len)
    d_model = check_positive_int("d_model", d_model)
    n_layers = check_positive_int("n_layers", n_layers)
    if positions not in ("learned", "sinusoidal", None):
        raise ValueError(f"positions: expected 'learned', 'sinusoidal' or None, got {positions!r}")
    dims = _block_dims(d_model, n_heads, d_head, d_mlp)
    return _draw_transformer(_generator(key), vocab_size, max_len, n_layers, positions, *dims)


def _draw_transformer(
    rng, vocab_size, max_len, n_layers, positions, d_model, n_heads, d_head, d_mlp
):
    embed = _normal(rng, (vocab_size, d_model), 1.0)
    pos = _normal(rng, (max_len, d_model), 1.0)
    W_out = _normal(rng, (d_model, vocab_size), (2 / (d_model + vocab_size)) ** 0.5)  # Glorot
    if positions == "sinusoidal":
        pos = sinusoidal_positions(max_len, d_model)
    return Transformer(
        embed=embed,
        pos=None if positions is None else pos,
        blocks=tuple(_draw_block(rng, d_model, n_heads, d_head, d_mlp) for _ in range(n_layers)),
        ln_f=init_layer_norm(d_model),
        unembed=Dense(W=W_out, b=_constant(0.0, vocab_size)),
    )


def transformer_trace(
    params: Transformer,
    tokens: Int[ArrayLike, "*batch T"],
    mask: Bool[ArrayLike, "*mask_batch T T"] | None = None,
) -> TransformerTrace:
    """Logits at every position, with every block's attention weights.

    x₀ = embed[tokens] + pos[:T],  x_l = Block_l(x_{l-1}),  logits = LN(x_L) W + b

    Examples:
        >>> m = init_transformer(jax.random.key(0), vocab_size=10, max_len=8, d_model=16)
        >>> t = transformer_trace(m, jnp.array([[3, 1, 4, 1, 5]]))
        >>> t.logits.shape, t.attention[0].shape
        ((1, 5, 10), (1, 1, 5, 5))
    """
    if not isinstance(params, Transformer):
        raise TypeError(f"params: expected a Transformer, got {type(params).__name__}")
    tokens = check_array(
        "tokens", tokens, ndim=(1, 2), dtype_kind="iu", shape_hint="(T,) or (batch, T)"
    )
    vocab, d_model = params.embed.shape
    T = tokens.shape[-1]
    max_len = None if params.pos is None else params.pos.shape[0]
    if T == 0 or tokens.size == 0 or (max_len is not None and T > max_len):
        raise ValueError(
            f"tokens: expected a sequence length T in [1, {max_len or 'any'}], "
            f"got shape {tokens.shape}"
        )
    if not is_tracer(tokens) and (int(tokens.min()) < 0 or int(tokens.max()) >= vocab):
        raise ValueError(
            f"tokens: expected ids in [0, {vocab - 1}] (rows of params.embed), got "
            f"values from {int(tokens.min())} to {int(tokens.max())}"
        )
    x = params.embed[tokens]  # (*batch, T, d_model)
    if params.pos is not None:
        x = x + params.pos[:T]
    weights = []
    for block in params.blocks:
        x, w = _block(block, x, mask)
        weights.append(w)
    h = layer_norm(params.ln_f, x)
    logits = h @ params.unembed.W + params.unembed.b
    return TransformerTrace(logits=logits, attention=tuple(weights))


def transformer(
    params: Transformer,
    tokens: Int[ArrayLike, "*batch T"],
    mask: Bool[ArrayLike, "*mask_batch T T"] | None = None,
) -> Float[Array, "*batch T vocab"]:
    """Logits over the vocabulary at every position (see :func:`transformer_trace`).

    Examples:
        >>> m = init_transformer(jax.random.key(0), vocab_size=10, max_len=8, d_model=16)
        >>> transformer(m, jnp.array([3, 1, 4]), mask=causal_mask(3)).shape
        (3, 10)
    """
    return transformer_trace(params, tokens, mask).logits
