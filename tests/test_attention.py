"""nnbook.attention against jax.nn.dot_product_attention and NumPy: gradients, symmetry, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.test_util import check_grads

from nnbook import losses, optimizers, training
from nnbook.attention import (
    Attention,
    LayerNorm,
    Transformer,
    attention_weights,
    causal_mask,
    init_attention,
    init_layer_norm,
    init_transformer,
    init_transformer_block,
    layer_norm,
    scaled_dot_product_attention,
    self_attention,
    sinusoidal_positions,
    transformer,
    transformer_block,
    transformer_trace,
)

KEY = jax.random.key(0)
# Jitted versions for the numerical tests: eager JAX compiles every small operation
# separately, which is slower than compiling each function once. The bad-input tests
# call the plain functions, whose value checks (NaN, token ids) only run eagerly.
sdpa = jax.jit(scaled_dot_product_attention)
self_attn = jax.jit(self_attention)
block_fn = jax.jit(transformer_block)
model_fn = jax.jit(transformer)
EQ_ATTN = init_attention(jax.random.key(1), 4, n_heads=2)
EQ_BLOCK = init_transformer_block(jax.random.key(2), 4, n_heads=2)


# ------------------------------------------------------------ independent references


def _np_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _np_attention(q, k, v, mask=None):
    """Scaled dot-product attention in float64 NumPy, one explicit loop over queries."""
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    out = np.zeros(q.shape[:-1] + (v.shape[-1],))
    weights = np.zeros(q.shape[:-1] + (k.shape[-2],))
    for i in range(q.shape[-2]):
        s = np.einsum("...d,...kd->...k", q[..., i, :], k) / np.sqrt(q.shape[-1])
        if mask is not None:
            s = np.where(np.asarray(mask)[..., i, :], s, -np.inf)
        w = _np_softmax(s)
        weights[..., i, :] = w
        out[..., i, :] = np.einsum("...k,...kd->...d", w, v)
    return out, weights


def _np_self_attention(p, x, mask=None):
    """Multi-head self-attention, head by head, with NumPy matrix products."""
    x = np.asarray(x, np.float64)
    total = 0.0
    for h in range(p.W_q.shape[1]):
        q, k, v = (x @ np.asarray(W[:, h], np.float64) for W in (p.W_q, p.W_k, p.W_v))
        out, _ = _np_attention(q, k, v, mask)
        total = total + out @ np.asarray(p.W_o[h], np.float64)
    return total


def _np_layer_norm(scale, offset, x, eps=1e-5):
    x = np.asarray(x, np.float64)
    mu = x.mean(-1, keepdims=True)
    return np.asarray(scale) * (x - mu) / np.sqrt(x.var(-1, keepdims=True) + eps) + np.asarray(
        offset
    )


def _qkv(rng, shape_q=(2, 3, 5, 4), t_k=None, d_v=6, dtype=np.float32):
    *batch, t_q, d = shape_q
    t_k = t_q if t_k is None else t_k
    q = rng.normal(size=shape_q)
    k = rng.normal(size=(*batch, t_k, d))
    v = rng.normal(size=(*batch, t_k, d_v))
    return (jnp.asarray(a, dtype) for a in (q, k, v))


# ------------------------------------------------------------------ initialization


def test_inits_are_deterministic_and_scaled():
    a, b = init_attention(KEY, 64, d_head=32, n_heads=4), init_attention(KEY, 64, 32, 4)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)
    other = init_attention(jax.random.key(1), 64, 32, 4)
    assert not np.allclose(a.W_q, other.W_q)
    assert not np.allclose(a.W_q, a.W_k)  # independent draws within one layer
    np.testing.assert_allclose(float(a.W_q.std()), 64**-0.5, rtol=0.05)
    np.testing.assert_allclose(float(a.W_o.std()), 128**-0.5, rtol=0.05)
    block = init_transformer_block(KEY, 64, d_mlp=256)
    np.testing.assert_allclose(float(block.mlp[0].W.std()), (2 / 64) ** 0.5, rtol=0.05)
    assert block.mlp[0].b.shape == (256,) and not np.any(np.asarray(block.mlp[0].b))
    legacy = init_attention(jax.random.PRNGKey(0), 8)  # raw uint32 keys work too
    assert legacy.W_q.shape == (8, 1, 8)
    with jax.enable_x64(True):
        assert init_attention(KEY, 4).W_q.dtype == jnp.float64


def test_init_needs_a_concrete_key():
    with pytest.raises(TypeError, match=r"key: expected a concrete jax.random.key"):
        jax.jit(lambda k: init_attention(k, 4))(KEY)


# ------------------------------------------------------------- attention itself


@pytest.mark.parametrize("causal", [False, True])
def test_matches_jax_dot_product_attention(rng, causal):
    q, k, v = _qkv(rng, (2, 3, 7, 4), d_v=4)  # (batch, heads, T, d)
    mask = causal_mask(7) if causal else None
    ours, _ = sdpa(q, k, v, mask)

    def bthd(a):  # jax.nn wants (batch, T, heads, d)
        return jnp.swapaxes(a, 1, 2)

    theirs = jax.nn.dot_product_attention(bthd(q), bthd(k), bthd(v), is_causal=causal)
    np.testing.assert_allclose(ours, bthd(theirs), rtol=1e-5, atol=1e-5)
    # the same causal mask passed explicitly as a boolean mask
    explicit = jax.nn.dot_product_attention(
        bthd(q), bthd(k), bthd(v), mask=None if mask is None else mask[None, None]
    )
    np.testing.assert_allclose(ours, bthd(explicit), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("t_k", [5, 9])
def test_matches_numpy_with_and_without_mask(rng, t_k):
    q, k, v = _qkv(rng, (3, 5, 4), t_k=t_k)
    mask = jnp.asarray(rng.random((5, t_k)) < 0.7).at[:, 0].set(True)  # no row fully masked
    for m in (None, mask):
        out, w = sdpa(q, k, v, m)
        ref_out, ref_w = _np_attention(q, k, v, m)
        np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(w, ref_w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-6)
    assert np.all(np.asarray(w)[:, ~np.asarray(mask)] == 0)


def test_fully_masked_row_gives_equal_weights_not_nan(rng):
    q, k, v = _qkv(rng, (4, 3))
    mask = jnp.ones((4, 4), bool).at[2].set(False)
    out, w = sdpa(q, k, v, mask)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(w[2], 0.25, rtol=1e-6)


def test_causal_mask_is_lower_triangular():
    np.testing.assert_array_equal(causal_mask(6), np.tril(np.ones((6, 6), bool)))
    assert causal_mask(1).tolist() == [[True]]


def test_self_attention_matches_numpy_multi_head(rng):
    p = init_attention(KEY, d_model=6, d_head=3, n_heads=2)
    x = jnp.asarray(rng.normal(size=(2, 5, 6)), jnp.float32)
    for mask in (None, causal_mask(5)):
        np.testing.assert_allclose(
            self_attn(p, x, mask), _np_self_attention(p, x, mask), rtol=1e-4, atol=1e-5
        )
    w = attention_weights(p, x, causal_mask(5))
    assert w.shape == (2, 2, 5, 5)
    assert np.all(np.triu(np.asarray(w), k=1) == 0)


def test_per_sequence_mask_broadcasts_over_heads(rng):
    p = init_attention(KEY, d_model=4, n_heads=2)
    x = jnp.asarray(rng.normal(size=(2, 3, 4)), jnp.float32)
    mask = jnp.stack([causal_mask(3), jnp.ones((3, 3), bool)])  # (batch, T, T)
    out = self_attn(p, x, mask)
    np.testing.assert_allclose(out[0], self_attn(p, x[0], causal_mask(3)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[1], self_attn(p, x[1]), rtol=1e-5, atol=1e-6)


def test_causal_outputs_ignore_the_future(rng):
    p = init_attention(KEY, d_model=4)
    x = jnp.asarray(rng.normal(size=(6, 4)), jnp.float32)
    changed = x.at[4:].add(10.0)  # change positions 4 and 5 only
    a, b = self_attn(p, x, causal_mask(6)), self_attn(p, changed, causal_mask(6))
    np.testing.assert_allclose(a[:4], b[:4], rtol=1e-6, atol=1e-6)
    assert not np.allclose(a[4:], b[4:])


def test_jit_equals_eager(rng):
    p = init_attention(KEY, d_model=8, n_heads=2)
    x = jnp.asarray(rng.normal(size=(3, 5, 8)), jnp.float32)
    np.testing.assert_allclose(
        self_attn(p, x, causal_mask(5)),
        self_attention(p, x, causal_mask(5)),
        rtol=1e-5,
        atol=1e-6,
    )
    b = init_transformer_block(KEY, d_model=8, n_heads=2)
    np.testing.assert_allclose(block_fn(b, x), transformer_block(b, x), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------- gradients


def test_gradients_float64(x64, rng):
    """check_grads (finite differences) on attention, its weights, layer norm and a block.

    One jitted function holds the smooth pieces, so the check compiles once per mode; the
    block is checked to first order only, since ReLU's kink has no second derivative.
    """
    q, k, v = _qkv(rng, (2, 4, 3), dtype=np.float64)
    x = jnp.asarray(rng.normal(size=(2, 4, 6)))
    ln = LayerNorm(scale=jnp.asarray(rng.normal(size=6)), offset=jnp.asarray(rng.normal(size=6)))
    mask = causal_mask(4)

    def smooth(q, k, v, ln, x):
        masked_out = scaled_dot_product_attention(q, k, v, mask)[0]
        return masked_out, scaled_dot_product_attention(q, k, v)[1], layer_norm(ln, x)

    check_grads(jax.jit(smooth), (q, k, v, ln, x), order=1, modes=("fwd", "rev"))
    # second order on attention itself (the softmax's curvature), reverse over reverse
    check_grads(
        jax.jit(lambda q: scaled_dot_product_attention(q, k, v, mask)[0]),
        (q,),
        order=2,
        modes=("rev",),
    )
    block = jax.tree.map(lambda a: a.astype(jnp.float64), init_transformer_block(KEY, 6, n_heads=2))
    check_grads(
        jax.jit(lambda b, x: transformer_block(b, x, mask)),
        (block, x),
        order=1,
        modes=("rev",),
        eps=1e-6,  # small enough not to step over a ReLU kink
    )


def test_layer_norm_matches_numpy(rng):
    x = jnp.asarray(rng.normal(size=(3, 5)) * 4 + 2, jnp.float32)
    ln = LayerNorm(scale=jnp.arange(1.0, 6.0), offset=jnp.full(5, 0.5))
    np.testing.assert_allclose(
        layer_norm(ln, x), _np_layer_norm(ln.scale, ln.offset, x), rtol=1e-5, atol=1e-5
    )
    y = layer_norm(init_layer_norm(5), x)
    np.testing.assert_allclose(y.mean(-1), 0.0, atol=1e-6)
    np.testing.assert_allclose(y.std(-1), 1.0, rtol=1e-4)


# -------------------------------------------------------------- positions, symmetry


@pytest.mark.parametrize("d_model", [6, 7])
def test_sinusoidal_positions_match_the_formula(d_model):
    P = np.asarray(sinusoidal_positions(10, d_model))
    ref = np.zeros((10, d_model))
    for t in range(10):
        for j in range(d_model):
            angle = t / 10000 ** (2 * (j // 2) / d_model)
            ref[t, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
    np.testing.assert_allclose(P, ref, rtol=1e-5, atol=1e-5)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), T=st.sampled_from([2, 5]), seed=st.integers(0, 2**16))
def test_attention_and_block_are_permutation_equivariant(data, T, seed):
    """Without positions, permuting the sequence permutes the outputs: f(x[π]) = f(x)[π]."""
    perm = np.array(data.draw(st.permutations(range(T))))
    x = jnp.asarray(np.random.default_rng(seed).normal(size=(T, 4)), jnp.float32)
    np.testing.assert_allclose(
        self_attn(EQ_ATTN, x[perm]), self_attn(EQ_ATTN, x)[perm], rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(
        block_fn(EQ_BLOCK, x[perm]), block_fn(EQ_BLOCK, x)[perm], rtol=1e-4, atol=1e-4
    )


def test_positions_break_the_symmetry(rng):
    tokens = jnp.array([3, 1, 4, 1, 5, 9])
    perm = np.array([5, 4, 3, 2, 1, 0])
    bag = init_transformer(KEY, 10, 6, 8, positions=None)
    np.testing.assert_allclose(
        model_fn(bag, tokens[perm]), model_fn(bag, tokens)[perm], rtol=1e-4, atol=1e-5
    )
    for positions in ("learned", "sinusoidal"):
        model = init_transformer(KEY, 10, 6, 8, positions=positions)
        assert not np.allclose(
            model_fn(model, tokens[perm]), model_fn(model, tokens)[perm], atol=1e-3
        )
    np.testing.assert_allclose(
        init_transformer(KEY, 10, 6, 8, positions="sinusoidal").pos, sinusoidal_positions(6, 8)
    )


def test_transformer_shapes_and_trace():
    model = init_transformer(KEY, vocab_size=7, max_len=5, d_model=8, n_layers=2, n_heads=2)
    assert isinstance(model, Transformer) and len(model.blocks) == 2
    tokens = jnp.zeros((3, 4), jnp.int32)
    trace = jax.eval_shape(transformer_trace, model, tokens, causal_mask(4))  # shapes only
    assert trace.logits.shape == (3, 4, 7)
    assert [w.shape for w in trace.attention] == [(3, 2, 4, 4)] * 2
    assert jax.eval_shape(transformer, model, tokens[0]).shape == (4, 7)


def test_learns_sequence_reversal_quickly():
    """A 1-layer, 1-head model learns to reverse length-4 sequences of 5 symbols."""
    rng = np.random.default_rng(1)
    x, x_test = rng.integers(0, 5, (2048, 4)), rng.integers(0, 5, (256, 4))
    model = init_transformer(jax.random.key(1), vocab_size=5, max_len=4, d_model=16, d_mlp=32)

    def loss_fn(p, x, y):
        return losses.softmax_cross_entropy(transformer(p, x).reshape(-1, 5), y.reshape(-1))

    # One compiled step in a Python loop (fit's compiled epochs are tested with it in
    # test_training; here the step's compile time is all we can afford).
    adam = optimizers.adam(0.01)
    step = training.make_train_step(loss_fn, adam)
    params, state, first = model, adam.init(model), None
    for i in range(150):
        batch = x[(i * 64) % 2048 : (i * 64) % 2048 + 64]
        params, state, loss = step(params, state, batch, batch[:, ::-1])
        first = float(loss) if first is None else first
    assert float(loss) < 0.2 * first
    trace = jax.jit(transformer_trace)(params, x_test)
    assert np.mean(np.asarray(trace.logits).argmax(-1) == x_test[:, ::-1]) > 0.95
    looked_at = np.asarray(trace.attention[0])[:, 0].argmax(-1)  # (256, 4): key per query
    assert np.mean(looked_at == np.array([3, 2, 1, 0])) > 0.9


# ------------------------------------------------------------------- bad input


@pytest.mark.outside_annotations
def test_bad_inputs_to_scaled_dot_product_attention(rng):
    q, k, v = _qkv(rng, (4, 3))
    with pytest.raises(ValueError, match=r"q: expected shape \(\*batch, T, d\).*got \(3,\)"):
        scaled_dot_product_attention(q[0], k, v)
    with pytest.raises(ValueError, match=r"k: expected last dimension d_k = 3.*\(4, 2\)"):
        scaled_dot_product_attention(q, k[:, :2], v)
    with pytest.raises(ValueError, match=r"v: expected shape \(4,\) \+ \(d_v,\).*\(5, 6\)"):
        scaled_dot_product_attention(q, k, jnp.ones((5, 6)))
    with pytest.raises(ValueError, match=r"k: expected batch dimensions \(\)"):
        scaled_dot_product_attention(q, k[None], v[None])
    with pytest.raises(ValueError, match=r"q: expected T >= 1.*\(0, 3\)"):
        scaled_dot_product_attention(q[:0], k, v)
    with pytest.raises(
        ValueError, match=r"mask: expected a bool array of shape \(4, 4\).*\(3, 3\)"
    ):
        scaled_dot_product_attention(q, k, v, causal_mask(3))
    with pytest.raises(ValueError, match=r"mask: .*broadcasts to \(4, 4\).*got shape \(2, 4, 4\)"):
        scaled_dot_product_attention(q, k, v, jnp.ones((2, 4, 4), bool))
    with pytest.raises(TypeError, match=r"mask: expected a bool array, got dtype float32"):
        scaled_dot_product_attention(q, k, v, jnp.ones((4, 4)))
    with pytest.raises(TypeError, match=r"q: expected a floating-point array"):
        scaled_dot_product_attention(jnp.ones((4, 3), jnp.int32), k, v)


@pytest.mark.outside_annotations
def test_bad_inputs_to_self_attention(rng):
    p = init_attention(KEY, d_model=4)
    with pytest.raises(ValueError, match=r"x: expected a 2-D or 3-D array.*got shape \(4,\)"):
        self_attention(p, jnp.ones(4))
    with pytest.raises(
        ValueError, match=r"x: expected a 2-D or 3-D array.*got shape \(1, 2, 3, 4\)"
    ):
        self_attention(p, jnp.ones((1, 2, 3, 4)))
    with pytest.raises(ValueError, match=r"x: expected last dimension d_model = 4.*got \(5, 3\)"):
        self_attention(p, jnp.ones((5, 3)))
    with pytest.raises(
        ValueError, match=r"x: expected a non-empty sequence \(T >= 1\), got shape \(0, 4\)"
    ):
        self_attention(p, jnp.ones((0, 4)))
    with pytest.raises(ValueError, match=r"x: expected a non-empty sequence.*\(2, 0, 4\)"):
        self_attention(p, jnp.ones((2, 0, 4)))
    with pytest.raises(
        ValueError, match=r"mask: expected a bool array of shape \(5, 5\).*got shape \(4, 4\)"
    ):
        self_attention(p, jnp.ones((5, 4)), causal_mask(4))
    with pytest.raises(
        ValueError, match=r"mask: .*broadcasts to \(2, 5, 5\).*got shape \(3, 5, 5\)"
    ):
        self_attention(p, jnp.ones((2, 5, 4)), jnp.ones((3, 5, 5), bool))
    with pytest.raises(ValueError, match=r"x: expected finite values"):
        self_attention(p, jnp.full((3, 4), jnp.nan))
    bad = p._replace(W_o=jnp.ones((1, 4, 5)))
    with pytest.raises(
        ValueError, match=r"params.W_o: expected shape \(1, 4, 4\).*got \(1, 4, 5\)"
    ):
        self_attention(bad, jnp.ones((3, 4)))
    with pytest.raises(ValueError, match=r"params.W_k: expected shape \(4, 1, 4\) like W_q"):
        self_attention(p._replace(W_k=jnp.ones((4, 1, 3))), jnp.ones((3, 4)))
    with pytest.raises(TypeError, match=r"params: expected an Attention"):
        self_attention((p.W_q, p.W_k), jnp.ones((3, 4)))


def test_bad_inputs_to_constructors_and_layer_norm():
    with pytest.raises(ValueError, match=r"d_head: give it, since d_model = 5"):
        init_attention(KEY, 5, n_heads=2)
    with pytest.raises(ValueError, match=r"d_model: expected a positive integer, got 0"):
        init_attention(KEY, 0)
    with pytest.raises(ValueError, match=r"T: expected a positive integer, got 0"):
        causal_mask(0)
    with pytest.raises(ValueError, match=r"T: expected a positive integer, got 0"):
        sinusoidal_positions(0, 4)
    with pytest.raises(ValueError, match=r"positions: expected 'learned', 'sinusoidal' or None"):
        init_transformer(KEY, 5, 4, 8, positions="rotary")
    with pytest.raises(ValueError, match=r"x: expected last dimension 3.*got shape \(2, 4\)"):
        layer_norm(init_layer_norm(3), jnp.ones((2, 4)))
    with pytest.raises(ValueError, match=r"x: expected a non-empty array"):
        layer_norm(init_layer_norm(3), jnp.ones((0, 3)))


@pytest.mark.outside_annotations
def test_bad_tokens():
    model = init_transformer(KEY, vocab_size=5, max_len=4, d_model=8)
    with pytest.raises(
        ValueError, match=r"tokens: expected a sequence length T in \[1, 4\], got shape \(1, 6\)"
    ):
        transformer(model, jnp.zeros((1, 6), jnp.int32))
    with pytest.raises(
        ValueError, match=r"tokens: expected a sequence length T in \[1, 4\], got shape \(0,\)"
    ):
        transformer(model, jnp.zeros((0,), jnp.int32))
    with pytest.raises(ValueError, match=r"tokens: expected ids in \[0, 4\].*from 0 to 7"):
        transformer(model, jnp.array([0, 7]))
    with pytest.raises(
        TypeError, match=r"tokens: expected a signed integer or unsigned integer array"
    ):
        transformer(model, jnp.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"tokens: expected a 1-D or 2-D array"):
        transformer(model, jnp.zeros((1, 1, 3), jnp.int32))
    with pytest.raises(ValueError, match=r"mask: expected a bool array of shape \(3, 3\)"):
        transformer(model, jnp.array([0, 1, 2]), causal_mask(4))
    with pytest.raises(TypeError, match=r"params: expected a Transformer"):
        transformer(Attention(*model.blocks[0].attn), jnp.array([0, 1]))
