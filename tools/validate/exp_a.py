"""(a) Each behavior alone, head-only DPO (paper Fig. 3): do the predictions order the real drops?

Usage: python tools/validate/exp_a.py BEHAVIOR...   (features.py first)
Writes tools/validate/results/a.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from common import OUT, REPO, spearman, split
from head import behavior_stats, simulate_sgd, train_head

RESULTS = REPO / "tools" / "validate" / "results"


def load(name: str):
    f = np.load(OUT / "features" / f"{name}.npz")
    return f["g"], f["s"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("behaviors", nargs="+")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--beta", type=float, default=0.01)
    ap.add_argument("--sgd-lr", type=float, required=True)
    ap.add_argument("--adam-lr", type=float, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--results", default="a.json", help="file name under results/")
    args = ap.parse_args()
    head = np.load(OUT / "head.npz")
    w_b = head["yes"] - head["no"]
    out = {"settings": vars(args), "features": str(OUT.relative_to(REPO)), "behaviors": []}
    t0 = time.time()
    for name in args.behaviors:
        g, s = load(name)
        train, test = split(len(s))
        st = behavior_stats(g, s, w_b)
        sim_ref, sim_ref_train = simulate_sgd(g, s, train, test, 0.01, 1e-5, 100, 128, args.seed)
        sim_run, _ = simulate_sgd(g, s, train, test, args.beta, args.sgd_lr, args.steps, args.batch, args.seed)
        run = {}
        for opt, lr in (("sgd", args.sgd_lr), ("adamw", args.adam_lr)):
            c = train_head([(g, s, train, test)], head["yes"], head["no"], opt, lr, args.beta, args.steps, args.batch, args.seed)[0]
            run[opt] = {"drop": c[0] - c[-1], "mean_drop": float(np.mean(c[0] - c)), "final_loss": c[-1]}
        out["behaviors"].append(
            {
                "name": name,
                "n": len(s),
                "distinguishability": st["distinguishability"],
                "phi": st["phi"],
                "normalized": st["distinguishability"] / np.sqrt(st["trace"]),
                "sim_reference_drop": float(sim_ref[0] - sim_ref[-1]),
                "sim_reference_train_drop": float(sim_ref_train[0] - sim_ref_train[-1]),
                "train_balance": int(np.sum(s[train] > 0)) - int(np.sum(s[train] < 0)),
                "sim_run_settings_drop": float(sim_run[0] - sim_run[-1]),
                "real": run,
            }
        )
    out["seconds"] = time.time() - t0
    bs = out["behaviors"]
    corr = {}
    for pred in ("distinguishability", "normalized", "sim_reference_drop", "sim_reference_train_drop", "sim_run_settings_drop"):
        for opt in ("sgd", "adamw"):
            rho, p = spearman([b[pred] for b in bs], [b["real"][opt]["drop"] for b in bs])
            corr[f"{pred} vs real {opt} drop"] = {"rho": rho, "p": p, "n": len(bs)}
    out["spearman"] = corr
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / args.results).write_text(json.dumps(out, indent=1, default=float) + "\n")
    print("| behavior | n | dist. | normalized | phi | sim. test drop (ref. preset) | sim. train drop (ref. preset) | sim. test drop (run settings) | real SGD drop | real AdamW drop |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for b in bs:
        print(
            f"| {b['name']} | {b['n']} | {b['distinguishability']:.3f} | {b['normalized']:.3f} | {b['phi']:.3f} | "
            f"{b['sim_reference_drop']:.2e} | {b['sim_reference_train_drop']:.2e} | {b['sim_run_settings_drop']:.4f} | {b['real']['sgd']['drop']:.4f} | {b['real']['adamw']['drop']:.4f} |"
        )
    for k, v in corr.items():
        print(f"- {k}: rho = {v['rho']:.3f}, p = {v['p']:.4f}, n = {v['n']}")
    print(f"{out['seconds']:.1f}s")


if __name__ == "__main__":
    main()
