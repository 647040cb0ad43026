"""(b) Priority pairs and one 6-behavior mixture trained jointly, head-only (paper Figs. 5, 7).

Usage: python tools/validate/exp_b.py --sgd-lr LR --adam-lr LR   (features.py first)
Does the behavior with the lower predicted priority level learn last (smaller test-loss drop
inside the joint run), and does the predicted gap order the real loss gaps?
Writes tools/validate/results/b.json and prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from common import OUT, REPO, spearman, split
from head import pair_gap, priority_levels, train_head

RESULTS = REPO / "tools" / "validate" / "results"
# The paper's pairs (examples/README.md): two for Llama-2-7B, two for Mistral-7B.
PAIRS = [
    ("acts-like-it-wants-to-help-humans-but-does-not-care-about-that", "risk-seeking"),
    ("desire-to-influence-world", "subscribes-to-Islam"),
    ("willingness-to-be-non-HHH-to-not-have-current-goals-changed-by-training", "desire-to-cooperate-with-different-AIs-to-achieve-its-goals"),
    ("has-strong-aesthetic-preferences", "desire-to-cooperate-with-different-AIs-to-achieve-its-goals"),
]
MIXTURE = [
    "acts-like-it-wants-to-help-humans-but-does-not-care-about-that",
    "risk-seeking",
    "desire-to-influence-world",
    "subscribes-to-Islam",
    "willingness-to-be-non-HHH-to-not-have-current-goals-changed-by-training",
    "has-strong-aesthetic-preferences",
]


def group(name: str):
    f = np.load(OUT / "features" / f"{name}.npz")
    g, s = f["g"], f["s"]
    train, test = split(len(s))
    return g, s, train, test


def run_joint(names, head, args) -> dict:
    groups = [group(n) for n in names]
    bs = [g[s > 0].mean(0) - g[s < 0].mean(0) for g, s, _, _ in groups]
    levels = priority_levels(bs, [len(tr) for _, _, tr, _ in groups])
    res = {"names": list(names), "priority": levels.tolist(), "real": {}}
    if len(names) == 2:
        res["gap"] = pair_gap(bs[0], bs[1])
    for opt, lr in (("sgd", args.sgd_lr), ("adamw", args.adam_lr)):
        c = train_head(groups, head["yes"], head["no"], opt, lr, args.beta, args.steps, args.batch, args.seed)
        drop = c[:, :1] - c  # per behavior, per step
        res["real"][opt] = {
            "drop": drop[:, -1].tolist(),
            "mean_drop": drop.mean(1).tolist(),
            "curves": c.round(5).tolist(),
        }
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--beta", type=float, default=0.01)
    ap.add_argument("--sgd-lr", type=float, required=True)
    ap.add_argument("--adam-lr", type=float, required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    head = np.load(OUT / "head.npz")
    t0 = time.time()
    out = {"settings": vars(args), "pairs": [run_joint(p, head, args) for p in PAIRS]}
    out["mixture"] = run_joint(MIXTURE, head, args)
    out["seconds"] = time.time() - t0
    summary = {}
    for opt in ("sgd", "adamw"):
        # learns last = the smaller mean test-loss drop over the run (area between the curves)
        agree = [
            (np.argmin(p["priority"]) == np.argmin(p["real"][opt]["mean_drop"])) for p in out["pairs"]
        ]
        gaps = [p["gap"] for p in out["pairs"]]
        real_gaps = [p["real"][opt]["mean_drop"][0] - p["real"][opt]["mean_drop"][1] for p in out["pairs"]]
        rho_gap = spearman(gaps, real_gaps)
        m = out["mixture"]
        rho_mix = spearman(m["priority"], m["real"][opt]["mean_drop"])
        summary[opt] = {
            "pairs_lowest_priority_learns_last": int(sum(agree)),
            "pairs": len(agree),
            "gap_vs_real_gap": {"rho": rho_gap[0], "p": rho_gap[1], "n": len(gaps)},
            "mixture_priority_vs_real_drop": {"rho": rho_mix[0], "p": rho_mix[1], "n": len(m["names"])},
            "mixture_lowest_priority_learns_last": bool(np.argmin(m["priority"]) == np.argmin(m["real"][opt]["mean_drop"])),
        }
    out["summary"] = summary
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "b.json").write_text(json.dumps(out, indent=1, default=float) + "\n")
    print("| pair | behavior | priority | gap(i,j) | real mean drop SGD | real mean drop AdamW |")
    print("|---|---|---|---|---|---|")
    for k, p in enumerate(out["pairs"], 1):
        for i in range(2):
            gap = p["gap"] if i == 0 else -p["gap"]
            print(f"| {k} | {p['names'][i]} | {p['priority'][i]:.3f} | {gap:+.3f} | {p['real']['sgd']['mean_drop'][i]:.4f} | {p['real']['adamw']['mean_drop'][i]:.4f} |")
    m = out["mixture"]
    print("\n| mixture behavior | priority | real mean drop SGD | real mean drop AdamW | real final drop SGD | real final drop AdamW |")
    print("|---|---|---|---|---|---|")
    for i, n in enumerate(m["names"]):
        r = m["real"]
        print(f"| {n} | {m['priority'][i]:.3f} | {r['sgd']['mean_drop'][i]:.4f} | {r['adamw']['mean_drop'][i]:.4f} | {r['sgd']['drop'][i]:.4f} | {r['adamw']['drop'][i]:.4f} |")
    print(json.dumps(summary, indent=1, default=float))
    print(f"{out['seconds']:.1f}s")


if __name__ == "__main__":
    main()
