"""NumPy by hand (forward, backward, optimizer): the BLAS floor."""

from __future__ import annotations

import numpy as np

from trainer.cases import Impl


class NumpyHand(Impl):
    """Forward, backward, SGD and Adam written by hand in NumPy (float32, in place)."""

    name = "numpy by hand"

    def setup(self, case, weights):
        self.case = case
        self.W = [w.copy() for w, _ in weights]
        self.b = [b.copy() for _, b in weights]
        if case.opt == "adam":
            self.m = [np.zeros_like(p) for p in self.W + self.b]
            self.v = [np.zeros_like(p) for p in self.W + self.b]
            self.t = 0

    def _step(self, x, y):
        W, b, L, n = self.W, self.b, len(self.W), x.shape[0]
        acts = [x]
        h = x
        for i in range(L):
            z = h @ W[i]
            z += b[i]
            if i < L - 1:
                np.maximum(z, 0.0, out=z)  # relu; its derivative is (a > 0), 0 at 0 as in nnbook
            acts.append(z)
            h = z
        z = acts[-1]
        zmax = z.max(axis=1, keepdims=True)
        e = np.exp(z - zmax)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.mean(np.log(s[:, 0]) + zmax[:, 0] - z[rows, y]))
        d = e / s  # dL/dz = (softmax - onehot) / n
        d[rows, y] -= 1.0
        d *= np.float32(1.0 / n)
        grads = [None] * (2 * L)
        for i in reversed(range(L)):
            grads[i] = acts[i].T @ d
            grads[L + i] = d.sum(axis=0)
            if i > 0:
                d = d @ W[i].T
                d *= acts[i] > 0
        self._update(grads)
        return loss

    def _update(self, grads):
        params, lr = self.W + self.b, np.float32(self.case.lr)
        if self.case.opt == "sgd":
            for p, g in zip(params, grads, strict=True):
                g *= lr
                p -= g
            return
        b1, b2, eps = 0.9, 0.999, 1e-8
        self.t += 1
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            g *= g
            g *= 1 - b2
            v += g
            den = v * np.float32(1.0 / c2)
            np.sqrt(den, out=den)
            den += np.float32(eps)
            np.divide(m, den, out=den)
            den *= np.float32(lr / c1)
            p -= den

    def block(self):
        c, out = self.case, []
        for e in range(c.epochs):
            if c.full_batch:
                xs, ys = c.x[None], c.y[None]
            else:
                xs, ys = c.x[c.orders[e]], c.y[c.orders[e]]  # (nb, batch, ...)
            for xb, yb in zip(xs, ys, strict=True):
                out.append(self._step(xb, yb))
        return np.asarray(out, np.float32)
