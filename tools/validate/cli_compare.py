"""Compares the CLI's own predictions (a --json report on the out/data subsets, with
--save-embeddings) with the Python features and the real DPO results.

Usage: python tools/validate/cli_compare.py REPORT.json EMBEDDINGS_DIR
Prints: the cosine between the CLI's g(x) and transformers' for every row, the CLI's
distinguishability / phi / simulated drop next to the numpy reference, and Spearman of the CLI's
predictions against the real drops in results/a.json (and results/c.json when present).
Writes tools/validate/results/cli.json.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from common import OUT, REPO, spearman
from head import behavior_stats

RESULTS = REPO / "tools" / "validate" / "results"


def main() -> None:
    report = json.loads(open(sys.argv[1], encoding="utf-8").read())
    emb = np.load(f"{sys.argv[2]}/embeddings.npy").astype(np.float64)
    rows = [json.loads(l) for l in open(f"{sys.argv[2]}/rows.jsonl", encoding="utf-8")]
    head = np.load(OUT / "head.npz")
    w_b = head["yes"] - head["no"]
    out = {"model": report["model"], "behaviors": {}}
    by_name = {b["name"]: b for b in report["behaviors"]}
    sims = report["simulation"]["perBehavior"]
    cos_all = []
    for name, b in by_name.items():
        f = np.load(OUT / "features" / f"{name}.npz")
        # rows.jsonl `line` is the 1-based line of the subset file, which features.py wrote in order
        idx = [i for i, r in enumerate(rows) if r["behavior"] == name]
        lines = np.array([rows[i]["line"] for i in idx]) - 1
        e, g = emb[idx], f["g"][lines]
        cos = np.sum(e * g, 1) / (np.linalg.norm(e, axis=1) * np.linalg.norm(g, axis=1))
        cos_all.extend(cos.tolist())
        st = behavior_stats(g, f["s"][lines], w_b)
        tl = sims[name]["testLoss"]
        out["behaviors"][name] = {
            "cos_min": float(cos.min()),
            "cli_distinguishability": b["distinguishability"],
            "numpy_distinguishability": st["distinguishability"],
            "cli_phi": b.get("phi"),
            "numpy_phi": st["phi"],
            "cli_sim_drop": tl[0] - tl[-1],
        }
    out["cos_min"] = float(min(cos_all))
    out["priority"] = report["priority"]
    out["simulation_options"] = report["simulation"]["options"]
    for exp in ("a", "c"):
        path = RESULTS / f"{exp}.json"
        if not path.exists():
            continue
        res = json.loads(path.read_text())
        bs = [b for b in res["behaviors"] if b["name"] in by_name]
        real = [b["real"]["sgd"]["drop"] if exp == "a" else b["drop"] for b in bs]
        for pred in ("cli_distinguishability", "cli_sim_drop"):
            rho, p = spearman([out["behaviors"][b["name"]][pred] for b in bs], real)
            out[f"spearman {exp}: {pred} vs real drop"] = {"rho": rho, "p": p, "n": len(bs)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cli.json").write_text(json.dumps(out, indent=1, default=float) + "\n")
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
