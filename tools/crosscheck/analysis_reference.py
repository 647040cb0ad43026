"""Independent numpy reimplementation of the reference definitions (docs/reference.md).

Writes test/fixtures/analysis/crosscheck.json: a fixed random float32 matrix with labels and
behaviors, and what the reference definitions give for it. test/unit/analysis-crosscheck.test.ts
recomputes everything with src/core/analysis and must agree to ~1e-12 relative.

Run: python3 tools/crosscheck/analysis_reference.py   (needs numpy; float64 throughout), then
     npx prettier --write test/fixtures/analysis/crosscheck.json   (the repository's format check).
The random draws are numpy's (default_rng(20240601)); the fixture, not this script, is the test input.
"""

import json
import os

import numpy as np

rng = np.random.default_rng(20240601)
D = 12
SIZES = [(19, 18), (9, 15), (30, 21)]  # (positives, negatives) per behavior, deliberately unequal
BETA, LR, STEPS = 0.5, 0.05, 40

rows, labels, behavior = [], [], []
for b, (npos, nneg) in enumerate(SIZES):
    direction = rng.normal(size=D) * (0.4 + 0.3 * b)
    scale = rng.uniform(0.5, 2.0, size=D)  # anisotropic, so the covariance has a clear top eigenvalue
    for s, n in ((1, npos), (-1, nneg)):
        x = rng.normal(size=(n, D)) * scale + 0.5 + s * direction / 2
        rows.append(x)
        labels += [s] * n
        behavior += [b] * n
# Interleave the classes so that rows of one behavior are not sorted by label.
X = np.concatenate(rows).astype(np.float32)
labels = np.array(labels)
behavior = np.array(behavior)
perm = rng.permutation(len(X))
X, labels, behavior = X[perm], labels[perm], behavior[perm]
G = X.astype(np.float64)  # the float32 values, exactly, in float64

head = (rng.normal(size=(3, D)) * 0.3).astype(np.float32).astype(np.float64)  # rows: yes, no, other
YES, NO = 0, 1


def stats(b):
    pos = G[(behavior == b) & (labels > 0)]
    neg = G[(behavior == b) & (labels < 0)]
    mp, mn = pos.mean(0), neg.mean(0)
    diff = mp - mn
    cp, cn = np.cov(pos, rowvar=False, ddof=1), np.cov(neg, rowvar=False, ddof=1)
    conc = max(np.linalg.eigvalsh(cp).max(), np.linalg.eigvalsh(cn).max())
    tr = max(np.trace(cp), np.trace(cn))
    wb = head[YES] - head[NO]
    return {
        "nPositive": int(len(pos)),
        "nNegative": int(len(neg)),
        "meanDiff": diff.tolist(),
        "distinguishability": float(np.linalg.norm(diff)),
        "concentration": float(conc),
        "trace": float(tr),
        "normalizedDistinguishability": float(np.linalg.norm(diff) / np.sqrt(tr)),
        "phi": float(wb @ diff / (np.linalg.norm(wb) * np.linalg.norm(diff))),
    }


S = [stats(b) for b in range(len(SIZES))]
B = [np.array(s["meanDiff"]) for s in S]
n = np.array([sum(sz) for sz in SIZES], dtype=np.float64)


def levels(weights):
    bbar = sum(w * b for w, b in zip(weights, B)) / sum(weights)
    bstar = max(np.linalg.norm(b) for b in B)
    return [float(bbar @ b / (np.linalg.norm(bbar) * bstar)) for b in B]


def gap(i, j):
    bbar = (B[i] + B[j]) / 2
    pi = bbar @ B[i] / np.linalg.norm(bbar)
    pj = bbar @ B[j] / np.linalg.norm(bbar)
    return float((pi - pj) / max(np.linalg.norm(B[i]), np.linalg.norm(B[j])))


def weighted_gap(i, j):
    # The example-weighted gap (docs/reference.md): b_bar = (n_i b_i + n_j b_j) / (n_i + n_j).
    bbar = (n[i] * B[i] + n[j] * B[j]) / (n[i] + n[j])
    pi = bbar @ B[i] / np.linalg.norm(bbar)
    pj = bbar @ B[j] / np.linalg.norm(bbar)
    return float((pi - pj) / max(np.linalg.norm(B[i]), np.linalg.norm(B[j])))


m = len(SIZES)
gaps = [[0.0 if i == j else gap(i, j) for j in range(m)] for i in range(m)]
gaps_weighted = [[0.0 if i == j else weighted_gap(i, j) for j in range(m)] for i in range(m)]

# A fixed train/test split per behavior (every 5th row of the behavior is a test row).
split = {}
for b in range(m):
    idx = np.flatnonzero(behavior == b)
    split[b] = {"train": [int(i) for k, i in enumerate(idx) if k % 5 != 0], "test": [int(i) for k, i in enumerate(idx) if k % 5 == 0]}


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def dpo_full_batch(groups, start):
    """Full-batch SGD on all three rows of the head with explicit log-softmax and autograd-by-hand."""
    train = np.concatenate([split[b]["train"] for b in groups])
    test = np.concatenate([split[b]["test"] for b in groups])
    W = start.copy()
    W0 = start.copy()

    def chosen_rejected(idx):
        c = np.where(labels[idx] > 0, YES, NO)
        r = np.where(labels[idx] > 0, NO, YES)
        return c, r

    def per_example(W, idx):
        lp = log_softmax(G[idx] @ W.T)
        lp0 = log_softmax(G[idx] @ W0.T)
        c, r = chosen_rejected(idx)
        k = np.arange(len(idx))
        z = BETA * ((lp[k, c] - lp0[k, c]) - (lp[k, r] - lp0[k, r]))
        loss = np.logaddexp(0, -z)  # -log sigmoid(z)
        correct = lp[k, c] > lp[k, r]
        return z, loss, correct

    def mean_diff(idx):
        return G[idx][labels[idx] > 0].mean(0) - G[idx][labels[idx] < 0].mean(0)

    bj = mean_diff(train)
    out = {"step": [], "trainLoss": [], "testLoss": [], "testAccuracy": [], "headChange": [], "bound": [], "cosine": []}
    per = {b: {"trainLoss": [], "testLoss": [], "testAccuracy": [], "cosine": []} for b in groups}
    for t in range(STEPS + 1):
        z, loss, _ = per_example(W, train)
        _, tl, tc = per_example(W, test)
        w = W[YES] - W[NO]
        out["step"].append(t)
        out["trainLoss"].append(float(loss.mean()))
        out["testLoss"].append(float(tl.mean()))
        out["testAccuracy"].append(float(tc.mean()))
        out["headChange"].append(float(np.linalg.norm(W - W0)))
        out["bound"].append(float(6 * BETA * LR * t * np.linalg.norm(bj)))
        out["cosine"].append(float(w @ bj / (np.linalg.norm(w) * np.linalg.norm(bj))))
        for b in groups:
            _, l1, _ = per_example(W, np.array(split[b]["train"]))
            _, l2, c2 = per_example(W, np.array(split[b]["test"]))
            bb = mean_diff(np.array(split[b]["train"]))
            per[b]["trainLoss"].append(float(l1.mean()))
            per[b]["testLoss"].append(float(l2.mean()))
            per[b]["testAccuracy"].append(float(c2.mean()))
            per[b]["cosine"].append(float(w @ bb / (np.linalg.norm(w) * np.linalg.norm(bb))))
        if t == STEPS:
            break
        # d loss_i / d W_k = -sigmoid(-z_i) * beta * ([k == c] - [k == r]) * g_i  (softmax terms cancel).
        c, r = chosen_rejected(train)
        coef = -(1 / (1 + np.exp(z))) * BETA / len(train)
        grad = np.zeros_like(W)
        for k in range(3):
            sel = (c == k).astype(float) - (r == k).astype(float)
            grad[k] = (coef * sel) @ G[train]
        W = W - LR * grad
    return out, per


alone = {}
for b in range(m):
    curve, _ = dpo_full_batch([b], head)
    alone[str(b)] = curve
joint_curve, joint_per = dpo_full_batch(list(range(m)), head)

fixture = {
    "dim": D,
    "data": [float(v) for v in X.reshape(-1)],
    "labels": labels.tolist(),
    "behavior": behavior.tolist(),
    "head": {"yes": head[YES].tolist(), "no": head[NO].tolist(), "other": head[2].tolist()},
    "simulation": {"beta": BETA, "lr": LR, "steps": STEPS},
    "split": {str(b): split[b] for b in range(m)},
    "expected": {
        "stats": S,
        "levelsUniform": levels(np.ones(m)),
        "levelsExampleWeighted": levels(n),
        "gaps": gaps,
        "gapsExampleWeighted": gaps_weighted,
        "alone": alone,
        "joint": {"curve": joint_curve, "perBehavior": {str(b): joint_per[b] for b in range(m)}},
    },
}
root = os.path.join(os.path.dirname(__file__), "..", "..")
with open(os.path.join(root, "test", "fixtures", "analysis", "crosscheck.json"), "w") as f:
    json.dump(fixture, f, indent=None, separators=(",", ":"))
print("wrote crosscheck.json:", len(X), "rows")
