"""(d) The CLI's two-model comparison next to the real checkpoints' numbers.

Usage: python tools/validate/cli_compare_d.py LABEL=REPORT.json [LABEL=REPORT.json ...] [--aligned-emb DIR]

Each REPORT is `analyze <subsets> --model <base> --aligned-model <trained copy> --json` (one per
simulation setting, e.g. ref=..., lr10=...). With --aligned-emb, DIR is `--save-embeddings` of an
`analyze --model <trained copy>` run: its rows are compared (cosine) with exp_d.py's aligned g(x),
which checks the ONNX copy against the PyTorch checkpoint it was written from.
Adds the figures to tools/validate/results/d.json under "cli".
"""

from __future__ import annotations

import json
import sys

import numpy as np

from common import OUT, REPO

RESULTS = REPO / "tools" / "validate" / "results"


def side(s: dict) -> dict:
    run = s["run"]
    acc = run.get("originalAccuracy") or []
    return {
        "distinguishability": s["distinguishability"],
        "concentration": s["concentration"],
        "trace": s["trace"],
        "steps_to_below_half": run["stepsToBelowHalf"],
        "preference_at_start": run.get("preferenceAtStart"),
        "original_accuracy_start": acc[0] if acc else None,
        "original_accuracy_end": acc[-1] if acc else None,
        "flipped_test_loss_drop": run["curve"]["testLoss"][0] - run["curve"]["testLoss"][-1],
    }


def main() -> None:
    args = sys.argv[1:]
    emb_dir = None
    if "--aligned-emb" in args:
        k = args.index("--aligned-emb")
        emb_dir = args[k + 1]
        del args[k : k + 2]
    d = json.loads((RESULTS / "d.json").read_text())
    cli = {}
    for arg in args:
        label, path = arg.split("=", 1)
        rep = json.loads(open(path, encoding="utf-8").read())
        cli[label] = {
            "model": rep["model"],
            "simulation_options": rep["simulation"]["options"],
            "behaviors": {t["behavior"]: {"base": side(t["base"]), "aligned": side(t["aligned"])} for t in rep["twoModel"]},
        }
        for name, t in cli[label]["behaviors"].items():
            print(label, name, json.dumps(t))
    if emb_dir:
        emb = np.load(f"{emb_dir}/embeddings.npy").astype(np.float64)
        rows = [json.loads(line) for line in open(f"{emb_dir}/rows.jsonl", encoding="utf-8")]
        cos_min = {}
        for name in d["behaviors"]:
            ga = np.load(OUT / "features" / f"{name}.aligned.npz")["g"]
            idx = [i for i, r in enumerate(rows) if r["behavior"] == name]
            lines = np.array([rows[i]["line"] for i in idx]) - 1
            e, g = emb[idx], ga[lines]
            cos = np.sum(e * g, 1) / (np.linalg.norm(e, axis=1) * np.linalg.norm(g, axis=1))
            cos_min[name] = float(cos.min())
        cli["aligned_onnx_vs_pytorch_cos_min"] = cos_min
        print("cosine of the ONNX copy's g(x) vs PyTorch's, smallest per behavior:", cos_min)
    d["cli"] = cli
    (RESULTS / "d.json").write_text(json.dumps(d, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()
