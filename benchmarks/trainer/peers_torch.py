"""PyTorch, eager and ``torch.compile``: the non-JAX peer."""

from __future__ import annotations

import numpy as np

from trainer.cases import CORES, Impl

TORCH_THREADS = CORES  # torch.set_num_threads; bench_trainer.py sets --torch-threads


class Torch(Impl):
    """PyTorch eager on the CPU (optionally torch.compile'd), fused optimizer when available."""

    def __init__(self, compiled: bool = False):
        self.compiled = compiled
        self.name = "torch.compile" if compiled else "torch eager"

    def setup(self, case, weights):
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(TORCH_THREADS)
        mods = []
        for i, (w, b) in enumerate(weights):
            lin = torch.nn.Linear(*w.shape)
            with torch.no_grad():  # copying the initial weights is not training
                lin.weight.copy_(torch.tensor(w.T))
                lin.bias.copy_(torch.tensor(b))
            mods.append(lin)
            if i < len(weights) - 1:
                mods.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*mods)
        kind = torch.optim.SGD if case.opt == "sgd" else torch.optim.Adam
        kw = {"lr": case.lr} if case.opt == "sgd" else {"lr": case.lr, "eps": 1e-8}
        try:  # fused kernels for CPU exist since torch 2.4; the fastest of torch's options
            self.opt = kind(model.parameters(), fused=True, **kw)
            self.opt_kind = "fused"
        except (RuntimeError, TypeError, ValueError):
            self.opt = kind(model.parameters(), **kw)
            self.opt_kind = "default"
        self.model = torch.compile(model, dynamic=False) if self.compiled else model
        self.F, self.torch, self.case = F, torch, case
        self.x = torch.from_numpy(case.x)
        self.y = torch.from_numpy(case.y.astype(np.int64))
        self.orders = [torch.from_numpy(o) for o in case.orders]

    def block(self):
        F, opt, model, out = self.F, self.opt, self.model, []
        for e in range(self.case.epochs):
            if self.case.full_batch:
                xs, ys = self.x[None], self.y[None]
            else:
                xs, ys = self.x[self.orders[e]], self.y[self.orders[e]]  # (nb, batch, ...)
            for xb, yb in zip(xs, ys, strict=True):
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(xb), yb)
                loss.backward()
                opt.step()
                out.append(loss.detach())
        return self.torch.stack(out).numpy().astype(np.float32)
