"""Bad input, everywhere: every public function of the core modules called wrongly.

Each case names the call, the error type, the argument the message must start with,
and fragments of what it must say was expected and what it got. Every message has the
one form ``<argument>: expected <what>, got <what>``. The property tests at the end
check rules that cover whole families of inputs (every out-of-range label, every
non-positive size, every non-number hyper-parameter).

Kept as is on purpose (not errors; see the module docstrings): NaN or infinite
*intermediate* values (an activation's input, logits, parameters) propagate to a NaN
output, so a diverged model still evaluates; empty arrays pass through the elementwise
activations, which return an empty array.
"""

import re
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import activations as A
from nnbook import backprop as B
from nnbook import initializers as I
from nnbook import layers as L
from nnbook import losses as LS
from nnbook import neuron as N
from nnbook import optimizers as O
from nnbook import training as T
from nnbook._checks import (
    check_bool,
    check_key,
    check_labels,
    check_number,
    check_positive_int,
    check_same_tree,
    lookup,
)

pytestmark = pytest.mark.outside_annotations

KEY = jax.random.key(0)
KEYS = jax.random.split(KEY, 2)
NET = L.init_mlp(KEY, (2, 3, 2))
X2, Y2 = jnp.ones((4, 2)), jnp.array([0, 1, 1, 0])
LAYER = L.Dense(W=jnp.ones((2, 3)), b=jnp.zeros(3))
NEURON = N.Neuron(w=jnp.array([1.0, 2.0]), b=jnp.array(0.5))
NAN2 = jnp.array([[1.0, jnp.nan]] * 4)
Z3 = jnp.zeros((3, 3))


class Case(NamedTuple):
    id: str
    call: object  # a function of no arguments
    error: type
    arg: str  # the message starts with "<arg>: expected"
    expected: str = ""  # a fragment of what the message says was expected
    got: str = ""  # a fragment of what it says was received


def linear_loss(w, x, y):
    return jnp.mean((x @ w - y[:, None]) ** 2)


def logits_fn(p, x):
    return L.mlp(p, x)


def fit_call(**change):
    args = dict(
        key=KEY, params=jnp.zeros((2, 1)), loss_fn=linear_loss, optimizer=O.sgd(0.1),
        x=jnp.ones((10, 2)), y=jnp.zeros(10), epochs=1, batch_size=5,
    )  # fmt: skip
    args.update(change)
    return lambda: T.fit(**args)


def clf_fit_call(**change):
    """fit on a classifier (NET on X2, Y2), so labels can be checked against logits."""
    args = dict(
        key=KEY, params=NET, loss_fn=lambda p, x, y: LS.softmax_cross_entropy(L.mlp(p, x), y),
        optimizer=O.sgd(0.1), x=X2, y=Y2, epochs=1,
    )  # fmt: skip
    args.update(change)
    return lambda: T.fit(**args)


ELEMENTWISE = [A.step, A.sigmoid, A.tanh, A.relu, A.leaky_relu, A.gelu, A.identity]
NORMALISING = [A.softmax, A.log_softmax]
INITIALIZERS = [I.zeros, I.normal, I.glorot_uniform, I.glorot_normal, I.he_normal, I.he_uniform]
SCALED = INITIALIZERS[2:]

CASES: list[Case] = []
for f in ELEMENTWISE + NORMALISING:
    n = f.__name__
    CASES += [
        Case(f"{n}-int", lambda f=f: f(jnp.array([1, 2])), TypeError, "x", "floating", "int32"),
        Case(f"{n}-bool", lambda f=f: f(jnp.array([True])), TypeError, "x", "floating", "bool"),
        Case(f"{n}-complex", lambda f=f: f(jnp.ones(2, complex)), TypeError, "x", "float", "compl"),
        Case(f"{n}-str", lambda f=f: f("abc"), TypeError, "x", "an array", "str"),
        Case(f"{n}-none", lambda f=f: f(None), TypeError, "x", "an array", "NoneType"),
    ]
for f in NORMALISING:
    n = f.__name__
    CASES += [
        Case(f"{n}-axis-range", lambda f=f: f(Z3, axis=2), ValueError, "axis", "[-2, 1]", "2"),
        Case(f"{n}-axis-str", lambda f=f: f(Z3, axis="0"), TypeError, "axis", "integer", "str"),
        Case(f"{n}-0d", lambda f=f: f(1.0), ValueError, "x", "one dimension", "()"),
        Case(f"{n}-empty-axis", lambda f=f: f(jnp.ones((3, 0))), ValueError, "x", "one entry"),
    ]
CASES += [
    Case("leaky-slope-str", lambda: A.leaky_relu(Z3, "a"), TypeError, "negative_slope", "real"),
    Case("leaky-slope-nan", lambda: A.leaky_relu(Z3, np.nan), ValueError, "negative_slope"),
    Case("gelu-no", lambda: A.gelu(Z3, approximate="no"), TypeError, "approximate", "True", "no"),
    Case("gelu-1", lambda: A.gelu(Z3, approximate=1), TypeError, "approximate", "True", "int"),
    Case("get_activation-name", lambda: A.get_activation("swish"), ValueError, "activation",
         "'relu'", "swish"),
    Case("get_activation-int", lambda: A.get_activation(3), TypeError, "activation", "function",
         "int 3"),
    Case("get_derivative-name", lambda: A.get_derivative("swish"), ValueError, "activation",
         "'tanh'", "swish"),
    Case("get_derivative-lambda", lambda: A.get_derivative(lambda z: z), ValueError, "activation",
         "hand-written", "lambda"),
    Case("get_derivative-int", lambda: A.get_derivative(3), TypeError, "activation", "", "int"),
]  # fmt: skip

for f in INITIALIZERS:
    n = f.__name__
    CASES += [
        Case(f"{n}-int-key", lambda f=f: f(0, (2, 3)), TypeError, "key", "jax.random.key", "int"),
        Case(f"{n}-str-key", lambda f=f: f("k", (2, 3)), TypeError, "key", "random.key", "str"),
        Case(f"{n}-keys", lambda f=f: f(KEYS, (2, 3)), ValueError, "key", "single", "(2,)"),
        Case(f"{n}-int-shape", lambda f=f: f(KEY, 5), TypeError, "shape", "tuple", "5"),
        Case(f"{n}-str-shape", lambda f=f: f(KEY, "ab"), TypeError, "shape", "tuple", "ab"),
        Case(f"{n}-zero", lambda f=f: f(KEY, (2, 0)), ValueError, "shape[1]", "positive", "0"),
        Case(f"{n}-negative", lambda f=f: f(KEY, (-2, 3)), ValueError, "shape[0]", "positive"),
        Case(f"{n}-float", lambda f=f: f(KEY, (2, 2.0)), TypeError, "shape[1]", "integer", "float"),
    ]
for f in SCALED:
    CASES.append(
        Case(f"{f.__name__}-3d", lambda f=f: f(KEY, (2, 3, 4)), ValueError, "shape", "fan_in", "4")
    )
CASES += [
    Case("normal-stddev-negative", lambda: I.normal(KEY, (2,), -1.0), ValueError, "stddev",
         ">= 0", "-1"),
    Case("normal-stddev-nan", lambda: I.normal(KEY, (2,), np.nan), ValueError, "stddev", ">= 0",
         "nan"),
    Case("normal-stddev-str", lambda: I.normal(KEY, (2,), "0.1"), TypeError, "stddev", "real",
         "str"),
    Case("get_initializer-name", lambda: I.get_initializer("xavier"), ValueError, "init",
         "he_normal", "xavier"),
    Case("get_initializer-int", lambda: I.get_initializer(1), TypeError, "init", "function", "int"),
]  # fmt: skip

CASES += [
    Case("init_dense-key", lambda: L.init_dense(0, 2, 3), TypeError, "key", "random.key", "int"),
    Case("init_dense-n_in", lambda: L.init_dense(KEY, 0, 3), ValueError, "n_in", "positive", "0"),
    Case("init_dense-n_out", lambda: L.init_dense(KEY, 2, -1), ValueError, "n_out", "", "-1"),
    Case("init_dense-float", lambda: L.init_dense(KEY, 2.5, 3), TypeError, "n_in", "integer"),
    Case("init_dense-init", lambda: L.init_dense(KEY, 2, 3, "lecun"), ValueError, "init",
         "he_normal", "lecun"),
    Case("init_dense-init-shape", lambda: L.init_dense(KEY, 2, 3, lambda k, s: jnp.ones(3)),
         ValueError, "init", "(2, 3)", "(3,)"),
    Case("init_mlp-key", lambda: L.init_mlp("k", (2, 3)), TypeError, "key", "random.key", "str"),
    Case("init_mlp-short", lambda: L.init_mlp(KEY, (3,)), ValueError, "sizes", "2+", "(3,)"),
    Case("init_mlp-int", lambda: L.init_mlp(KEY, 3), TypeError, "sizes", "tuple", "3"),
    Case("init_mlp-zero", lambda: L.init_mlp(KEY, (3, 0, 2)), ValueError, "sizes[1]", "", "0"),
    Case("dense-params", lambda: L.dense((1, 2), X2), TypeError, "params", "Dense", "tuple"),
    Case("dense-int-W", lambda: L.dense(LAYER._replace(W=jnp.ones((2, 3), int)), X2), TypeError,
         "params.W", "floating", "int"),
    Case("dense-b", lambda: L.dense(LAYER._replace(b=jnp.zeros(2)), X2), ValueError, "params.b",
         "(3,)", "(2,)"),
    Case("dense-W-1d", lambda: L.dense(LAYER._replace(W=jnp.ones(3)), X2), ValueError, "params.W",
         "2-D", "(3,)"),
    Case("dense-x-dim", lambda: L.dense(LAYER, jnp.ones((4, 3))), ValueError, "x",
         "last dimension 2", "(4, 3)"),
    Case("dense-x-3d", lambda: L.dense(LAYER, jnp.ones((1, 4, 2))), ValueError, "x", "1-D or 2-D",
         "(1, 4, 2)"),
    Case("dense-x-empty", lambda: L.dense(LAYER, jnp.ones((0, 2))), ValueError, "x", "non-empty",
         "(0, 2)"),
    Case("dense-x-nan", lambda: L.dense(LAYER, NAN2), ValueError, "x", "finite", "4 NaN"),
    Case("dense-x-int", lambda: L.dense(LAYER, jnp.ones((4, 2), int)), TypeError, "x", "floating",
         "int"),
    Case("dense-x-str", lambda: L.dense(LAYER, "x"), TypeError, "x", "an array", "str"),
    Case("check_mlp_params-elem", lambda: L.check_mlp_params([LAYER, (1, 2)]), TypeError,
         "params[1]", "Dense", "tuple"),
    Case("count_params-str", lambda: L.count_params({"a": "abc"}), TypeError, "params['a']",
         "an array", "str"),
]  # fmt: skip
for f in [L.mlp, L.mlp_trace]:
    n = f.__name__
    CASES += [
        Case(f"{n}-empty", lambda f=f: f((), X2), ValueError, "params", "non-empty", "()"),
        Case(f"{n}-dense", lambda f=f: f(LAYER, X2), TypeError, "params", "tuple of Dense"),
        Case(f"{n}-chain", lambda f=f: f((LAYER, LAYER), X2), ValueError, "params",
             "params[1].W with 3 rows", "(2, 3)"),
        Case(f"{n}-x-dim", lambda f=f: f(NET, jnp.ones((4, 5))), ValueError, "x",
             "last dimension 2", "(4, 5)"),
        Case(f"{n}-x-nan", lambda f=f: f(NET, NAN2), ValueError, "x", "finite", "NaN"),
        Case(f"{n}-x-bool", lambda f=f: f(NET, X2 > 0), TypeError, "x", "floating", "bool"),
        Case(f"{n}-act", lambda f=f: f(NET, X2, "swish"), ValueError, "activation", "relu"),
        Case(f"{n}-act-int", lambda f=f: f(NET, X2, 7), TypeError, "activation", "", "int 7"),
        Case(f"{n}-out", lambda f=f: f(NET, X2, "relu", "soft"), ValueError, "output_activation"),
    ]  # fmt: skip

CASES += [
    Case("mse-int", lambda: LS.mse(jnp.ones(3, int), jnp.ones(3)), TypeError, "predictions",
         "floating", "int"),
    Case("mse-shape", lambda: LS.mse(jnp.ones(3), jnp.ones(4)), ValueError, "targets", "(3,)",
         "(4,)"),
    Case("mse-nan", lambda: LS.mse(jnp.ones(2), jnp.array([1.0, np.nan])), ValueError, "targets",
         "finite", "1 NaN"),
    Case("mse-empty", lambda: LS.mse(jnp.ones(0), jnp.ones(0)), ValueError, "predictions",
         "non-empty"),
    Case("mse-bool", lambda: LS.mse(jnp.ones(2), jnp.ones(2, bool)), TypeError, "targets", "",
         "bool"),
]  # fmt: skip
for f in [LS.binary_cross_entropy_with_logits, LS.binary_cross_entropy_naive]:
    n = f.__name__
    CASES += [
        Case(f"{n}-shape", lambda f=f: f(jnp.ones(3), jnp.ones(2)), ValueError, "labels", "(3,)"),
        Case(f"{n}-int", lambda f=f: f(jnp.ones(3, int), jnp.ones(3)), TypeError, "logits"),
        Case(f"{n}-nan", lambda f=f: f(jnp.ones(1), jnp.array([np.nan])), ValueError, "labels",
             "finite", "NaN"),
        Case(f"{n}-str", lambda f=f: f(jnp.ones(1), "1"), TypeError, "labels", "an array", "str"),
    ]  # fmt: skip
CASES += [
    Case("bce-label-2", lambda: LS.binary_cross_entropy_with_logits(jnp.ones(2), jnp.array([0, 2])),
         ValueError, "labels", "[0, 1]", "max 2"),
    Case("bce-label-neg", lambda: LS.binary_cross_entropy_with_logits(jnp.ones(1), jnp.array([-1])),
         ValueError, "labels", "[0, 1]", "min -1"),
]  # fmt: skip
for f in [LS.softmax_cross_entropy, LS.accuracy]:
    n = f.__name__
    CASES += [
        Case(f"{n}-label-k", lambda f=f: f(Z3, jnp.array([0, 1, 3])), ValueError, "labels",
             "[0, 2]", "max 3"),
        Case(f"{n}-label-7", lambda f=f: f(Z3, jnp.array([0, 1, 7])), ValueError, "labels",
             "3 columns", "max 7"),
        Case(f"{n}-label-neg", lambda f=f: f(Z3, jnp.array([0, -1, 2])), ValueError, "labels",
             "class ids", "min -1"),
        Case(f"{n}-label-float", lambda f=f: f(Z3, jnp.zeros(3)), TypeError, "labels", "integer",
             "float32"),
        Case(f"{n}-label-2d", lambda f=f: f(Z3, jnp.zeros((3, 1), int)), ValueError, "labels",
             "1-D", "(3, 1)"),
        Case(f"{n}-rows", lambda f=f: f(Z3, jnp.zeros(2, int)), ValueError, "labels", "(3,)",
             "(2,)"),
        Case(f"{n}-logits-3d", lambda f=f: f(jnp.zeros((1, 3, 3)), jnp.zeros(1, int)), ValueError,
             "logits", "2-D", "(1, 3, 3)"),
        Case(f"{n}-logits-int", lambda f=f: f(jnp.zeros((3, 3), int), jnp.zeros(3, int)),
             TypeError, "logits", "floating", "int"),
        Case(f"{n}-empty", lambda f=f: f(jnp.zeros((0, 3)), jnp.zeros(0, int)), ValueError,
             "logits", "non-empty", "(0, 3)"),
    ]  # fmt: skip
CASES += [
    Case("sce-logits-1d", lambda: LS.softmax_cross_entropy(jnp.zeros(3), jnp.zeros(3, int)),
         ValueError, "logits", "2-D", "(3,)"),
    Case("accuracy-binary-2", lambda: LS.accuracy(jnp.zeros((2, 1)), jnp.array([0, 2])),
         ValueError, "labels", "[0, 1]", "max 2"),
    Case("onehot-shape", lambda: LS.softmax_cross_entropy_onehot(Z3, jnp.zeros((3, 2))),
         ValueError, "targets", "(3, 3)", "(3, 2)"),
    Case("onehot-negative", lambda: LS.softmax_cross_entropy_onehot(Z3, -jnp.eye(3)),
         ValueError, "targets", "[0, 1]", "min -1"),
    Case("onehot-sum", lambda: LS.softmax_cross_entropy_onehot(Z3, jnp.ones((3, 3)) / 1.5),
         ValueError, "targets", "sum to 1", "2"),
    Case("onehot-nan", lambda: LS.softmax_cross_entropy_onehot(Z3, Z3.at[0, 0].set(np.nan)),
         ValueError, "targets", "finite", "1 NaN"),
    Case("onehot-3d", lambda: LS.softmax_cross_entropy_onehot(jnp.zeros((1, 1, 3)), Z3),
         ValueError, "logits", "1-D or 2-D", "(1, 1, 3)"),
    Case("get_loss-name", lambda: LS.get_loss("mae"), ValueError, "loss", "'mse'", "mae"),
    Case("get_loss-int", lambda: LS.get_loss(3), TypeError, "loss", "function", "int 3"),
]  # fmt: skip

W = jnp.array([1.0, 2.0])
CASES += [
    Case("sgd-str", lambda: O.sgd("0.1"), TypeError, "learning_rate", "real number", "str '0.1'"),
    Case("sgd-bool", lambda: O.sgd(True), TypeError, "learning_rate", "real number", "bool"),
    Case("sgd-none", lambda: O.sgd(None), TypeError, "learning_rate", "real number", "NoneType"),
    Case("sgd-array", lambda: O.sgd(jnp.ones(2)), TypeError, "learning_rate", "real", "(2,)"),
    Case("sgd-zero", lambda: O.sgd(0), ValueError, "learning_rate", "> 0", "0"),
    Case("sgd-negative", lambda: O.sgd(-0.1), ValueError, "learning_rate", "> 0", "-0.1"),
    Case("sgd-nan", lambda: O.sgd(np.nan), ValueError, "learning_rate", "finite", "nan"),
    Case("sgd-inf", lambda: O.sgd(np.inf), ValueError, "learning_rate", "finite", "inf"),
    Case("momentum-lr", lambda: O.momentum("fast"), TypeError, "learning_rate", "real", "str"),
    Case("momentum-beta-1", lambda: O.momentum(0.1, 1.0), ValueError, "beta", "[0, 1)", "1.0"),
    Case("momentum-beta-str", lambda: O.momentum(0.1, "0.9"), TypeError, "beta", "real", "str"),
    Case("adam-lr", lambda: O.adam(-1.0), ValueError, "learning_rate", "> 0", "-1.0"),
    Case("adam-b1", lambda: O.adam(0.1, b1=1.5), ValueError, "b1", "[0, 1)", "1.5"),
    Case("adam-b2", lambda: O.adam(0.1, b2=-0.1), ValueError, "b2", "[0, 1)", "-0.1"),
    Case("adam-eps", lambda: O.adam(0.1, eps=-1e-8), ValueError, "eps", ">= 0", "-1e-08"),
    Case("adam-eps-str", lambda: O.adam(0.1, eps="tiny"), TypeError, "eps", "real", "str"),
    Case("apply_updates-int", lambda: O.apply_updates(jnp.array([1, 2]), W), TypeError, "params",
         "floating", "int32"),
    Case("apply_updates-shape", lambda: O.apply_updates(W, jnp.ones((3, 2))), ValueError,
         "updates", "(2,)", "(3, 2)"),
    Case("apply_updates-tree", lambda: O.apply_updates({"a": W}, {"b": W}), ValueError, "updates",
         "tree structure of params", "'b'"),
    Case("sgd-update-state", lambda: O.sgd(0.1).update(W, O.adam(0.1).init(W)), TypeError,
         "state", "SGDState", "AdamState"),
    Case("momentum-update-tree", lambda: O.momentum(0.1).update({"a": W}, O.momentum(0.1).init(W)),
         ValueError, "grads", "state.velocity"),
    Case("adam-update-shape", lambda: O.adam(0.1).update(jnp.ones(3), O.adam(0.1).init(W)),
         ValueError, "grads", "(2,)", "(3,)"),
    Case("adam-update-none", lambda: O.adam(0.1).update(W, None), TypeError, "state", "AdamState",
         "NoneType"),
]  # fmt: skip

STEP = T.make_train_step(linear_loss, O.sgd(0.1), donate=False)
CASES += [
    Case("step-loss-fn", lambda: T.make_train_step("mse", O.sgd(0.1)), TypeError, "loss_fn",
         "function", "mse"),
    Case("step-optimizer", lambda: T.make_train_step(linear_loss, 0.1), TypeError, "optimizer",
         "(init, update)", "float"),
    Case("step-donate", lambda: T.make_train_step(linear_loss, O.sgd(0.1), donate="yes"),
         TypeError, "donate", "True or False", "str"),
    Case("step-key-flag", lambda: T.make_train_step(linear_loss, O.sgd(0.1), loss_takes_key=1),
         TypeError, "loss_takes_key", "True or False", "int"),
    Case("step-vector-loss", lambda: T.make_train_step(lambda w, x, y: x @ w, O.sgd(0.1))(
        jnp.zeros((2, 1)), O.SGDState(), X2, Y2), ValueError, "loss_fn", "scalar", "(4, 1)"),
    Case("step-int-loss", lambda: T.make_train_step(lambda w, x, y: jnp.sum(y), O.sgd(0.1))(
        jnp.zeros((2, 1)), O.SGDState(), X2, Y2), TypeError, "loss_fn", "floating", "int32"),
    Case("step-int-params", lambda: STEP(jnp.zeros((2, 1), int), O.SGDState(), X2, Y2 * 1.0),
         TypeError, "params", "floating", "int32"),
    Case("evaluate-fn", lambda: T.evaluate("mlp", NET, X2, Y2), TypeError, "apply_fn", "function"),
    Case("evaluate-label-k", lambda: T.evaluate(logits_fn, NET, X2, jnp.array([0, 1, 2, 0])),
         ValueError, "y", "[0, 1]", "max 2"),
    Case("evaluate-label-neg", lambda: T.evaluate(logits_fn, NET, X2, jnp.array([0, -1, 1, 0])),
         ValueError, "y", "2 logit columns", "min -1"),
    Case("evaluate-label-float", lambda: T.evaluate(logits_fn, NET, X2, Y2 * 1.0), TypeError, "y",
         "integer", "float32"),
    Case("evaluate-rows", lambda: T.evaluate(logits_fn, NET, X2, Y2[:3]), ValueError, "y",
         "as many rows as x", "(3,)"),
    Case("evaluate-x-empty", lambda: T.evaluate(logits_fn, NET, X2[:0], Y2[:0]), ValueError, "x",
         "non-empty", "(0, 2)"),
    Case("evaluate-x-nan", lambda: T.evaluate(logits_fn, NET, NAN2, Y2), ValueError, "x", "finite"),
    Case("evaluate-logits", lambda: T.evaluate(lambda p, x: jnp.zeros((3, 2)), NET, X2, Y2),
         ValueError, "apply_fn", "(4, k)", "(3, 2)"),
    Case("evaluate-binary", lambda: T.evaluate(lambda p, x: x[:, 0], NET, X2, Y2 * 2),
         ValueError, "y", "0/1", "max 2"),
    Case("fit-key-int", fit_call(key=0), TypeError, "key", "jax.random.key(0)", "int 0"),
    Case("fit-key-str", fit_call(key="seed"), TypeError, "key", "jax.random.key", "str"),
    Case("fit-keys", fit_call(key=KEYS), ValueError, "key", "single", "(2,)"),
    Case("fit-vector-loss", fit_call(loss_fn=lambda w, x, y: x @ w), ValueError, "loss_fn",
         "scalar", "(5, 1)"),
    Case("fit-loss-fn", fit_call(loss_fn=None), TypeError, "loss_fn", "function", "None"),
    Case("fit-optimizer", fit_call(optimizer="adam"), TypeError, "optimizer", "(init, update)"),
    Case("fit-epochs-0", fit_call(epochs=0), ValueError, "epochs", "positive", "0"),
    Case("fit-epochs-float", fit_call(epochs=1.5), TypeError, "epochs", "positive", "float"),
    Case("fit-batch-0", fit_call(batch_size=0), ValueError, "batch_size", "[1, 10]", "0"),
    Case("fit-batch-11", fit_call(batch_size=11), ValueError, "batch_size", "[1, 10]", "11"),
    Case("fit-batch-float", fit_call(batch_size=2.5), TypeError, "batch_size", "integer", "2.5"),
    Case("fit-x-nan", fit_call(x=jnp.full((10, 2), np.nan)), ValueError, "x", "finite", "20 NaN"),
    Case("fit-y-rows", fit_call(y=jnp.zeros(9)), ValueError, "y", "as many rows", "(9,)"),
    Case("fit-x-str", fit_call(x="data"), TypeError, "x", "an array", "str"),
    Case("fit-eval-pair", fit_call(eval_data=X2, apply_fn=logits_fn), TypeError, "eval_data",
         "pair", "Array"),
    Case("fit-eval-no-fn", fit_call(eval_data=(X2, Y2)), ValueError, "apply_fn", "eval_data"),
    Case("fit-apply-fn", fit_call(apply_fn="mlp"), TypeError, "apply_fn", "function", "mlp"),
    Case("fit-label-k", clf_fit_call(y=jnp.array([0, 1, 2, 0]), apply_fn=logits_fn), ValueError,
         "y", "2 logit columns", "max 2"),
    Case("fit-eval-label", clf_fit_call(eval_data=(X2, -Y2 - 1), apply_fn=logits_fn), ValueError,
         "eval_data[1]", "class ids", "min -2"),
    Case("fit-opt-state-tree", fit_call(optimizer=O.adam(0.1), opt_state=O.SGDState()),
         ValueError, "opt_state", "state of this optimizer", "SGDState"),
    Case("fit-opt-state-shape", fit_call(optimizer=O.adam(0.1),
         opt_state=O.adam(0.1).init(jnp.zeros((3, 1)))), ValueError, "opt_state.mu", "(2, 1)",
         "(3, 1)"),
    Case("fit-key-flag", fit_call(loss_takes_key="yes"), TypeError, "loss_takes_key", "True"),
    Case("fit-int-params", fit_call(params=jnp.zeros((2, 1), int)), TypeError, "params",
         "floating", "int32"),
]  # fmt: skip

CASES += [
    Case("weighted_sum-params", lambda: N.weighted_sum((W, 0.5), X2), TypeError, "params",
         "Neuron(w, b)", "tuple"),
    Case("weighted_sum-w-2d", lambda: N.weighted_sum(NEURON._replace(w=jnp.ones((2, 1))), X2),
         ValueError, "params.w", "1-D", "(2, 1)"),
    Case("weighted_sum-b-1d", lambda: N.weighted_sum(NEURON._replace(b=jnp.ones(1)), X2),
         ValueError, "params.b", "0-D", "(1,)"),
    Case("weighted_sum-w-int", lambda: N.weighted_sum(NEURON._replace(w=jnp.ones(2, int)), X2),
         TypeError, "params.w", "floating", "int"),
    Case("weighted_sum-x-dim", lambda: N.weighted_sum(NEURON, jnp.ones((4, 3))), ValueError, "x",
         "last dimension 2", "(4, 3)"),
    Case("weighted_sum-x-nan", lambda: N.weighted_sum(NEURON, NAN2), ValueError, "x", "finite"),
    Case("weighted_sum-x-int", lambda: N.weighted_sum(NEURON, jnp.ones(2, int)), TypeError, "x",
         "floating", "int"),
    Case("weighted_sum-x-3d", lambda: N.weighted_sum(NEURON, jnp.ones((1, 1, 2))), ValueError, "x",
         "1-D or 2-D", "(1, 1, 2)"),
    Case("weighted_sum-x-empty", lambda: N.weighted_sum(NEURON, jnp.ones((0, 2))), ValueError, "x",
         "non-empty", "(0, 2)"),
    Case("neuron-act", lambda: N.neuron(NEURON, X2, "swish"), ValueError, "activation", "sigmoid"),
    Case("neuron-act-int", lambda: N.neuron(NEURON, X2, 0), TypeError, "activation", "", "int 0"),
    Case("boundary-3w", lambda: N.boundary_line(NEURON._replace(w=jnp.ones(3)), W), ValueError,
         "params.w", "(2,)", "(3,)"),
    Case("boundary-w1-0", lambda: N.boundary_line(NEURON._replace(w=jnp.array([1.0, 0.0])), W),
         ValueError, "params.w", "w[1] != 0", "w[1] = 0"),
    Case("boundary-x1-nan", lambda: N.boundary_line(NEURON, jnp.array([np.nan])), ValueError, "x1",
         "finite", "1 NaN"),
    Case("boundary-x1-int", lambda: N.boundary_line(NEURON, jnp.array([1])), TypeError, "x1",
         "floating", "int"),
]  # fmt: skip

CASES += [
    Case("mlp_loss-loss", lambda: B.mlp_loss(NET, X2, Y2, loss="hinge"), ValueError, "loss",
         "'mse'", "hinge"),
    Case("mlp_loss-loss-fn", lambda: B.mlp_loss(NET, X2, Y2, loss=LS.mse), TypeError, "loss",
         "'mse'", "function"),
    Case("mlp_loss-x-1d", lambda: B.mlp_loss(NET, X2[0], Y2), ValueError, "x", "2-D", "(2,)"),
    Case("mlp_loss-y-k", lambda: B.mlp_loss(NET, X2, Y2 + 1), ValueError, "y", "[0, 1]", "max 2"),
    Case("mlp_loss-y-float", lambda: B.mlp_loss(NET, X2, Y2 * 1.0), TypeError, "y", "integer"),
    Case("mlp_loss-act", lambda: B.mlp_loss(NET, X2, Y2, activation="swish"), ValueError,
         "activation"),
    Case("value_and_grad-act", lambda: B.mlp_value_and_grad(NET, X2, Y2, activation=jnp.sin),
         ValueError, "activation", "hand-written"),
    Case("value_and_grad-loss", lambda: B.mlp_value_and_grad(NET, X2, Y2, loss=None), TypeError,
         "loss", "'softmax_cross_entropy'", "NoneType"),
    Case("value_and_grad-y-neg", lambda: B.mlp_value_and_grad(NET, X2, Y2 - 1), ValueError, "y",
         "class ids", "min -1"),
    Case("value_and_grad-mse-y", lambda: B.mlp_value_and_grad(NET, X2, jnp.ones(4), loss="mse"),
         ValueError, "y", "(4, 2)", "(4,)"),
    Case("value_and_grad-params", lambda: B.mlp_value_and_grad(LAYER, X2, Y2), TypeError,
         "params", "tuple of Dense"),
    Case("fd-f", lambda: B.finite_difference_grad({"w": W}, {"w": W}), TypeError, "f", "function",
         "dict"),
    Case("fd-eps-0", lambda: B.finite_difference_grad(jnp.sum, W, eps=0), ValueError, "eps", "> 0",
         "0"),
    Case("fd-eps-str", lambda: B.finite_difference_grad(jnp.sum, W, eps="1e-3"), TypeError, "eps",
         "real", "str"),
    Case("fd-vector", lambda: B.finite_difference_grad(lambda p: p, W), ValueError, "f", "scalar",
         "(2,)"),
    Case("fd-int", lambda: B.finite_difference_grad(jnp.sum, jnp.ones(2, int)), TypeError,
         "params", "floating", "int"),
    Case("fd-empty", lambda: B.finite_difference_grad(jnp.sum, {}), ValueError, "params",
         "non-empty"),
]  # fmt: skip

CASES += [
    Case("check_key-int", lambda: check_key("key", 42), TypeError, "key", "random.key", "int 42"),
    Case("check_key-float", lambda: check_key("key", jnp.ones(2)), TypeError, "key", "random.key",
         "float32"),
    Case("check_number-bool", lambda: check_number("lr", False), TypeError, "lr", "real", "bool"),
    Case("check_bool-str", lambda: check_bool("flag", "no"), TypeError, "flag", "True", "str"),
    Case("check_labels-float", lambda: check_labels("y", jnp.ones(2), 3), TypeError, "y",
         "integer"),
    Case("check_positive_int-bool", lambda: check_positive_int("n", True), TypeError, "n",
         "positive", "bool"),
    Case("check_same_tree", lambda: check_same_tree("u", [W], (W,), "p"), ValueError, "u",
         "tree structure of p", "PyTreeDef"),
    Case("lookup-none", lambda: lookup("init", None, {"a": abs}), TypeError, "init", "'a'", "None"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_a_clear_error(case):
    with pytest.raises(case.error) as info:
        case.call()
    assert type(info.value) is case.error  # exactly, not a subclass from deeper down
    message = str(info.value)
    pattern = rf"{re.escape(case.arg)}: expected .*{re.escape(case.expected)}.*, got .*"
    assert re.match(pattern, message, re.DOTALL), message
    received = re.split(r",? got ", message, maxsplit=1)[1]
    assert case.got in received, message


def test_the_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def test_a_mislabelled_class_stops_fit_at_step_0_without_blaming_the_learning_rate():
    """Without apply_fn, fit cannot see the label range; the loss turns NaN under jit."""
    for bad in (jnp.array([0, 1, 2, 0]), jnp.array([0, -1, 1, 0])):
        with pytest.raises(FloatingPointError, match=r"at step 0 .*not the learning rate.*labels"):
            clf_fit_call(y=bad)()


# Properties: one rule, a whole family of inputs each.
SMALL = settings(max_examples=25, deadline=None)


@SMALL
@given(
    k=st.integers(2, 5),
    labels=st.lists(st.integers(-50, 50), min_size=1, max_size=6),
)
def test_every_label_outside_the_classes_is_refused(k, labels):
    y, z = jnp.asarray(labels), jnp.zeros((len(labels), k))
    inside = all(0 <= v < k for v in labels)
    for f in (LS.softmax_cross_entropy, LS.accuracy):
        if inside:
            assert np.isfinite(float(f(z, y)))
            assert np.isfinite(float(jax.jit(f)(z, y)))
        else:
            with pytest.raises(ValueError, match=rf"^labels: expected class ids in \[0, {k - 1}\]"):
                f(z, y)
            # Under jit no error can be raised: the answer is NaN, never a wrong number.
            assert np.isnan(float(jax.jit(f)(z, y)))


@SMALL
@given(value=st.one_of(st.text(max_size=5), st.none(), st.booleans(), st.lists(st.floats())))
def test_every_non_number_hyperparameter_is_a_type_error(value):
    for make, name in [
        (lambda v: O.sgd(v), "learning_rate"),
        (lambda v: O.momentum(0.1, beta=v), "beta"),
        (lambda v: O.adam(0.1, b2=v), "b2"),
        (lambda v: I.normal(KEY, (2,), v), "stddev"),
    ]:
        with pytest.raises(TypeError, match=rf"^{name}: expected a real number, got "):
            make(value)


@SMALL
@given(lr=st.floats(allow_nan=True, allow_infinity=True))
def test_learning_rates_are_finite_and_positive(lr):
    if np.isfinite(lr) and lr > 0:
        O.sgd(lr)
    else:
        with pytest.raises(ValueError, match="^learning_rate: expected a finite number > 0, got"):
            O.sgd(lr)


@SMALL
@given(seed=st.integers(-(2**40), 2**40))
def test_an_integer_seed_is_never_taken_for_a_key(seed):
    for call in (lambda: I.he_normal(seed, (2, 2)), lambda: L.init_mlp(seed, (2, 2))):
        with pytest.raises(TypeError, match=r"^key: expected a jax.random.key, e.g. jax"):
            call()


@SMALL
@given(shape=st.lists(st.integers(-3, 3), min_size=2, max_size=2))
def test_initializer_sizes_must_be_positive(shape):
    bad = [i for i, n in enumerate(shape) if n <= 0]
    for f in INITIALIZERS:
        if bad:
            with pytest.raises(ValueError, match=rf"^shape\[{bad[0]}\]: expected a positive"):
                f(KEY, tuple(shape))
        else:
            assert f(KEY, tuple(shape)).shape == tuple(shape)


@SMALL
@given(
    p_shape=st.lists(st.integers(1, 3), min_size=1, max_size=2),
    u_shape=st.lists(st.integers(1, 3), min_size=0, max_size=2),
)
def test_updates_never_change_a_parameters_shape(p_shape, u_shape):
    params, updates = jnp.zeros(p_shape), jnp.ones(u_shape)
    if tuple(p_shape) == tuple(u_shape):
        assert O.apply_updates(params, updates).shape == tuple(p_shape)
    else:
        with pytest.raises(ValueError, match=r"^updates: expected shape"):
            O.apply_updates(params, updates)


@SMALL
@given(dtype=st.sampled_from(["int8", "int32", "uint8", "bool"]))
def test_every_activation_refuses_integer_and_bool_arrays(dtype):
    x = np.ones(3, dtype=dtype)
    for f in ELEMENTWISE + NORMALISING:
        with pytest.raises(
            TypeError, match=rf"^x: expected a floating-point array, got dtype {dtype}"
        ):
            f(x)
