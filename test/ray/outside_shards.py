"""An outside job's shards: random vectors for the rows of a rows file, written with pyarrow
(Parquet, fixed-size lists) and numpy (NPY pairs), in shuffled order, plus the numpy statistics of
the same vectors (reference definitions, float64) that the analysis must reproduce.

Usage: python outside_shards.py ROWS.parquet OUT_DIR EXPECTED.json
"""

import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

rows_file, out, expected_file = sys.argv[1:4]
rows = pq.read_table(rows_file).to_pydict()
n, d = len(rows["row_id"]), 16
rng = np.random.default_rng(7)
behaviors = sorted(set(rows["behavior"]), key=rows["behavior"].index)
labels = np.array(rows["label"])
beh = np.array([behaviors.index(b) for b in rows["behavior"]])
shift = rng.normal(size=(len(behaviors), d)) * np.array([0.3, 0.6, 1.0])[: len(behaviors), None]
X = (rng.normal(size=(n, d)) + labels[:, None] * shift[beh] / 2).astype(np.float32)
head = rng.normal(size=(2, d)).astype(np.float32)

os.makedirs(out, exist_ok=True)
perm = rng.permutation(n)
parts = np.split(perm, [n // 5, n // 2])
for k, ids in enumerate(parts[:2]):
    emb = pa.FixedSizeListArray.from_arrays(pa.array(X[ids].ravel(), pa.float32()), d)
    pq.write_table(pa.table({"row_id": pa.array(ids, pa.int64()), "embedding": emb}), f"{out}/job-{k}.parquet", row_group_size=17)
np.save(f"{out}/job-2.npy", X[parts[2]])
np.save(f"{out}/job-2.row_id.npy", parts[2].astype(np.int64))
np.save(f"{out}/../answer_rows.npy", head)

G = X.astype(np.float64)
wb = head[0].astype(np.float64) - head[1].astype(np.float64)
expected, diffs, sizes = {}, [], []
for b, name in enumerate(behaviors):
    pos, neg = G[(beh == b) & (labels > 0)], G[(beh == b) & (labels < 0)]
    diff = pos.mean(0) - neg.mean(0)
    cp, cn = np.cov(pos, rowvar=False), np.cov(neg, rowvar=False)
    tr = max(np.trace(cp), np.trace(cn))
    expected[name] = {
        "distinguishability": float(np.linalg.norm(diff)),
        "trace": tr,
        "concentration": float(max(np.linalg.eigvalsh(cp).max(), np.linalg.eigvalsh(cn).max())),
        "normalizedDistinguishability": float(np.linalg.norm(diff) / np.sqrt(tr)),
        "phi": float(wb @ diff / (np.linalg.norm(wb) * np.linalg.norm(diff))),
    }
    diffs.append(diff)
    sizes.append(len(pos) + len(neg))
bbar = sum(w * b for w, b in zip(sizes, diffs)) / sum(sizes)
bstar = max(np.linalg.norm(b) for b in diffs)
for name, b in zip(behaviors, diffs):
    expected[name]["priorityLevel"] = float(bbar @ b / (np.linalg.norm(bbar) * bstar))
with open(expected_file, "w") as f:
    json.dump(expected, f, indent=2)
