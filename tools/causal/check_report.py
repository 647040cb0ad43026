#!/usr/bin/env python3
"""Recomputes a causal-LM report's per-behavior statistics with numpy from its exported embeddings.

    python tools/causal/check_report.py <report.json> <--save-embeddings dir> <model dir>

Reads embeddings.npy and rows.jsonl (what `analyze --save-embeddings` wrote), and W_U[" Yes"],
W_U[" No"] straight from the model's ONNX initializer (the tied embedding, onnx.numpy_helper), then
for every behavior: mu+ - mu-, distinguishability ||mu+ - mu-|| and phi = cos(W_B, mu+ - mu-)
with W_B = W_U[yes] - W_U[no], in float64, and compares them with the report (relative 1e-5).
Needs numpy and onnx (the build venv, .models/.venv, has both).
"""
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main() -> int:
    report_path, emb_dir, model_dir = sys.argv[1:4]
    report = json.load(open(report_path, encoding="utf-8"))
    x = np.load(f"{emb_dir}/embeddings.npy").astype(np.float64)
    rows = [json.loads(line) for line in open(f"{emb_dir}/rows.jsonl", encoding="utf-8") if line.strip()]
    assert x.shape == (len(rows), report["model"]["dimension"]), (x.shape, len(rows))
    vocab = json.load(open(f"{model_dir}/tokenizer.json", encoding="utf-8"))["model"]["vocab"]
    model = onnx.load(f"{model_dir}/onnx/model.onnx")
    table = next(numpy_helper.to_array(t) for t in model.graph.initializer if t.name == "model.embed_tokens.weight")
    w_b = table[vocab["ĠYes"]].astype(np.float64) - table[vocab["ĠNo"]].astype(np.float64)
    worst = 0.0
    print(f"{'behavior':60} {'dist':>9} {'numpy':>9} {'phi':>9} {'numpy':>9}")
    for b in report["behaviors"]:
        idx = [i for i, r in enumerate(rows) if r["behavior"] == b["name"]]
        lab = np.array([rows[i]["label"] for i in idx])
        d = x[idx][lab > 0].mean(axis=0) - x[idx][lab < 0].mean(axis=0)
        dist = np.linalg.norm(d)
        phi = float(w_b @ d / (np.linalg.norm(w_b) * dist))
        print(f"{b['name'][:60]:60} {b['distinguishability']:9.5f} {dist:9.5f} {b.get('phi', float('nan')):9.5f} {phi:9.5f}")
        worst = max(worst, abs(b["distinguishability"] - dist) / dist, abs(b["phi"] - phi))
    print(f"largest difference (relative for dist, absolute for phi): {worst:.2e}")
    return 0 if worst < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
