"""Synthetic inputs for the memory-at-scale measurement (docs/performance.md): a pairwise JSONL
mixture of B behaviors x P pairs, and, after `preference-lens export-rows`, NPY shards of seeded
random vectors (float16 storage, row ids shuffled across shards) for its rows.

  python tools/scale/make_inputs.py jsonl OUT.jsonl --behaviors 8 --pairs 20000
  preference-lens export-rows OUT.jsonl --out rows.parquet
  python tools/scale/make_inputs.py shards rows.parquet SHARD_DIR --dim 4096 --shards 8
"""

import argparse
import json
import os

import numpy as np
import pyarrow.parquet as pq

p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
j = sub.add_parser("jsonl")
j.add_argument("out")
j.add_argument("--behaviors", type=int, default=8)
j.add_argument("--pairs", type=int, default=20000)
s = sub.add_parser("shards")
s.add_argument("rows")
s.add_argument("out")
s.add_argument("--dim", type=int, default=4096)
s.add_argument("--shards", type=int, default=8)
s.add_argument("--dtype", default="float16")
a = p.parse_args()

if a.cmd == "jsonl":
    with open(a.out, "w") as f:
        for b in range(a.behaviors):
            for k in range(a.pairs):
                f.write(json.dumps({"behavior": f"b{b}", "prompt": f"Question {b}-{k}?", "chosen": f"good {k}", "rejected": f"bad {k}"}) + "\n")
else:
    t = pq.read_table(a.rows, columns=["behavior", "label"]).to_pydict()
    names = sorted(set(t["behavior"]))
    beh = np.array([names.index(x) for x in t["behavior"]])
    labels = np.array(t["label"], dtype=np.float32)
    n = len(labels)
    rng = np.random.default_rng(2024)
    shift = rng.normal(size=(len(names), a.dim)).astype(np.float32) * np.linspace(0.02, 0.1, len(names), dtype=np.float32)[:, None]
    os.makedirs(a.out, exist_ok=True)
    for k, ids in enumerate(np.array_split(rng.permutation(n), a.shards)):
        x = rng.standard_normal((len(ids), a.dim), dtype=np.float32) * 0.05
        x += labels[ids, None] * shift[beh[ids]] / 2
        np.save(os.path.join(a.out, f"part-{k:03d}.npy"), x.astype(a.dtype))
        np.save(os.path.join(a.out, f"part-{k:03d}.row_id.npy"), ids.astype(np.int64))
        del x
