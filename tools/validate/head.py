"""Head-only DPO and the numpy re-implementation of the tool's predictions (docs/reference.md).

Two different things live here, on purpose side by side:
- `predict_*`: the tool's predictions re-implemented in numpy from docs/reference.md (labelled
  "numpy reference" in docs/validation.md), used until the CLI's own numbers are available;
- `train_head`: the real head-only DPO run in PyTorch (autograd on the two answer rows of the LM's
  unembedding matrix, with an optimizer), the ground truth of experiments (a) and (b).
"""

from __future__ import annotations

import numpy as np
import torch


# ---- the tool's predictions, re-implemented (numpy reference) ----


def behavior_stats(g: np.ndarray, s: np.ndarray, w_b: np.ndarray) -> dict:
    """distinguishability ||mu+ - mu-||, phi = cos(W_B, mu+ - mu-), b = mu+ - mu- (reference.md)."""
    b = g[s > 0].mean(0) - g[s < 0].mean(0)
    dist = float(np.linalg.norm(b))
    phi = float(w_b @ b / (np.linalg.norm(w_b) * dist))
    cov = [np.cov(g[s * k > 0].T) for k in (1, -1)]
    concentration = max(float(np.linalg.eigvalsh(c)[-1]) for c in cov)
    trace = max(float(np.trace(c)) for c in cov)
    return {"b": b, "distinguishability": dist, "phi": phi, "concentration": concentration, "trace": trace}


def priority_levels(bs: list[np.ndarray], sizes: list[int] | None = None) -> np.ndarray:
    """P_i = (b_bar . b_i) / (||b_bar|| ||b_star||), b_bar example-weighted (reference.md eq. 5)."""
    sizes = sizes or [1] * len(bs)
    b_bar = sum(n * b for n, b in zip(sizes, bs)) / sum(sizes)
    b_star = max(np.linalg.norm(b) for b in bs)
    return np.array([b_bar @ b / (np.linalg.norm(b_bar) * b_star) for b in bs])


def pair_gap(b_i: np.ndarray, b_j: np.ndarray) -> float:
    """gap(i, j) = (p_i - p_j) / max(||b_i||, ||b_j||), equal-size form (reference.md)."""
    b_bar = (b_i + b_j) / 2
    p = [b_bar @ b / np.linalg.norm(b_bar) for b in (b_i, b_j)]
    return float((p[0] - p[1]) / max(np.linalg.norm(b_i), np.linalg.norm(b_j)))


def simulate_sgd(g, s, train, test, beta, lr, steps, batch, seed) -> np.ndarray:
    """The tool's head-only simulation (simulate.ts) in numpy: plain SGD on delta = w - w0, a fresh
    batch without replacement every step, the reference policy the start head. Returns the test
    and the whole training set's loss after each of 0..steps updates. Its RNG is numpy's, not the
    CLI's."""
    rng = np.random.default_rng(seed)
    delta = np.zeros(g.shape[1])
    curve, train_curve = [], []
    for t in range(steps + 1):
        z = beta * s[test] * (g[test] @ delta)
        curve.append(float(np.mean(np.logaddexp(0, -z))))
        z = beta * s[train] * (g[train] @ delta)
        train_curve.append(float(np.mean(np.logaddexp(0, -z))))
        if t == steps:
            break
        rows = rng.choice(train, size=min(batch, len(train)), replace=False)
        z = beta * s[rows] * (g[rows] @ delta)
        weight = 1 / (1 + np.exp(z))  # sigma(-z)
        delta += 2 * lr * beta * np.mean((weight * s[rows])[:, None] * g[rows], axis=0)
    return np.array(curve), np.array(train_curve)


# ---- real head-only DPO (PyTorch) ----


def train_head(
    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    w_yes: np.ndarray,
    w_no: np.ndarray,
    optimizer: str,
    lr: float,
    beta: float,
    steps: int,
    batch: int,
    seed: int,
) -> np.ndarray:
    """DPO on the two answer rows of W_U; groups = [(g, s, train_idx, test_idx)] trained jointly
    (training sets concatenated, a fresh random batch of the union every step). Returns the test
    loss of each group after 0..steps updates, shape (len(groups), steps + 1).

    log pi(y|x) = log_softmax(W_U g)_y; in the DPO log-ratio difference the normalizer of the full
    vocabulary cancels, so the loss needs only the two rows (check_two_row_loss verifies this on
    the real head)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rows0 = torch.tensor(np.stack([w_yes, w_no]))
    rows = torch.nn.Parameter(rows0.clone())
    opt = (
        torch.optim.SGD([rows], lr=lr)
        if optimizer == "sgd"
        else torch.optim.AdamW([rows], lr=lr, weight_decay=0.0)
    )
    g_train = torch.tensor(np.concatenate([g[tr] for g, _, tr, _ in groups]))
    s_train = torch.tensor(np.concatenate([s[tr] for _, s, tr, _ in groups]))
    tests = [(torch.tensor(g[te]), torch.tensor(s[te])) for g, s, _, te in groups]

    def loss(gx, sx, w):
        # (log pi(c) - log pi_ref(c)) - (log pi(r) - log pi_ref(r)) = s (dW_yes - dW_no) . g
        d = w - rows0
        z = beta * sx * (gx @ (d[0] - d[1]))
        return torch.nn.functional.softplus(-z).mean()

    curves = np.zeros((len(groups), steps + 1))
    for t in range(steps + 1):
        with torch.no_grad():
            for k, (gx, sx) in enumerate(tests):
                curves[k, t] = float(loss(gx, sx, rows))
        if t == steps:
            break
        pick = torch.randperm(len(s_train), generator=gen)[:batch]
        opt.zero_grad()
        loss(g_train[pick], s_train[pick], rows).backward()
        opt.step()
    return curves


def check_two_row_loss(w_full: torch.Tensor, yes: int, no: int, g: np.ndarray, s: np.ndarray) -> float:
    """|full-vocabulary DPO loss - two-row loss| after a random change of the two rows."""
    gen = torch.Generator().manual_seed(0)
    gx, sx = torch.tensor(g, dtype=torch.float64), torch.tensor(s)
    w0 = w_full.double()
    w1 = w0.clone()
    w1[[yes, no]] += 0.05 * torch.randn(2, w0.shape[1], generator=gen, dtype=torch.float64)
    lp0, lp1 = torch.log_softmax(gx @ w0.T, -1), torch.log_softmax(gx @ w1.T, -1)
    chosen = torch.where(sx > 0, yes, no)
    rejected = torch.where(sx > 0, no, yes)
    idx = torch.arange(len(sx))
    full = (lp1[idx, chosen] - lp0[idx, chosen]) - (lp1[idx, rejected] - lp0[idx, rejected])
    d = w1[[yes, no]] - w0[[yes, no]]
    two = sx * (gx @ (d[0] - d[1]))
    return float((full - two).abs().max())
