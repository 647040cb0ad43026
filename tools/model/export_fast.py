"""Build the `fast` precision of the bundled model: onnxruntime dynamic int8 (MatMulInteger, int8
activations quantized at run time, per-channel weight scales) on the MatMuls whose quantization
does not move the statistics, weight-only int8 (as the `exact` model) on the others.

Which MatMuls: each of the encoder's 36 weight MatMuls is quantized dynamically on its own and
the 24 bundled persona behaviors' distinguishability (on a sample of their texts) is compared
with the fp32 export; the MatMuls are ranked by that error, and the longest prefix of the ranking
whose model keeps every behavior's distinguishability (all texts) within --budget of the fp32
figures in test/fixtures/embed/persona-distinguishability.json is kept. --dynamic ALL skips the
search and quantizes every MatMul dynamically; --dynamic NAME,NAME fixes the set.

The embedding tables are weight-only int8 as in the `exact` model. (Gathering them as int8 and
scaling after the Gather, instead of a DequantizeLinear of the whole table, was measured no faster.)

Run through tools/model/fetch_model.sh (it prepares the virtual environment and the source model):

    python export_fast.py --src <sentence-transformers folder> --out models/all-MiniLM-L6-v2 \
        --work <scratch dir> [--budget 0.009] [--dynamic ALL|ATTENTION|name,...|@file]
        [--chosen-out FILE] [--name model_fast.onnx]

fetch_model.sh passes --dynamic ALL (the shipped fast graph). The search (no --dynamic) costs about
40 model runs over the persona texts; on a busy 2-core machine it did not fit a session, so the
mixed candidate measured so far is the fixed ATTENTION set (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoTokenizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_model import export_fp32, quantize_weights_int8, sha256  # noqa: E402

repo = Path(__file__).resolve().parents[2]
FAST_NAME = "model_fast.onnx"


def read_behaviors(persona: Path) -> list[tuple[str, list[str], np.ndarray]]:
    out = []
    for path in sorted(persona.glob("*.jsonl")):
        texts, labels = [], []
        for line in path.read_text(encoding="utf8").splitlines():
            if line.strip():
                record = json.loads(line)
                texts.append(record["question"])
                labels.append(1 if record["answer_matching_behavior"].strip() == "Yes" else -1)
        out.append((path.stem, texts, np.array(labels)))
    return out


class Embedder:
    """Mean-pooled, L2-normalized rows, in length-sorted batches of 32 (as the project's embedder)."""

    def __init__(self, src: Path, threads: int) -> None:
        self.tok = AutoTokenizer.from_pretrained(str(src))
        self.threads = threads

    def session(self, model: Path | bytes) -> ort.InferenceSession:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        src = str(model) if isinstance(model, Path) else model
        return ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])

    def embed(self, sess: ort.InferenceSession, texts: list[str], batch: int = 32) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float64)
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            enc = self.tok([texts[i] for i in idx], padding=True, truncation=True, max_length=256, return_tensors="np")
            feeds = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
            hidden = sess.run(["last_hidden_state"], feeds)[0]
            m = enc["attention_mask"][:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled
        return out


def distinguishability(vectors: np.ndarray, labels: np.ndarray) -> float:
    return float(np.linalg.norm(vectors[labels > 0].mean(axis=0) - vectors[labels < 0].mean(axis=0)))


def spearman(a: list[float], b: list[float]) -> float:
    ra = np.argsort(np.argsort(a)).astype(np.float64)
    rb = np.argsort(np.argsort(b)).astype(np.float64)
    return float(np.corrcoef(ra, rb)[0, 1])


def fidelity(emb: Embedder, sess, behaviors, reference: dict[str, float]) -> dict:
    rel, ours = {}, {}
    for name, texts, labels in behaviors:
        d = distinguishability(emb.embed(sess, texts), labels)
        ours[name] = d
        rel[name] = abs(d / reference[name] - 1)
    values = sorted(rel.values())
    names = [b[0] for b in behaviors]
    return {
        "max_relative": values[-1],
        "max_behavior": max(rel, key=rel.get),
        "median_relative": float(np.median(values)),
        "spearman": spearman([reference[n] for n in names], [ours[n] for n in names]),
        "relative": rel,
    }


def weight_matmuls(model: onnx.ModelProto) -> list[str]:
    """The MatMul nodes with an initializer weight, in graph order (6 per layer: Q, K, V, out, FFN in, FFN out)."""
    inits = {i.name for i in model.graph.initializer}
    return [n.name for n in model.graph.node if n.op_type == "MatMul" and len(n.input) > 1 and n.input[1] in inits]


def build(fp32: Path, dest: Path, dynamic: list[str], work: Path) -> dict:
    """Dynamic int8 on `dynamic`, weight-only int8 (per channel) on every other MatMul and the embedding tables."""
    all_mm = weight_matmuls(onnx.load(str(fp32)))
    excluded = [n for n in all_mm if n not in dynamic]
    step = work / "step_dynamic.onnx"
    if dynamic:
        quantize_dynamic(
            str(fp32),
            str(step),
            per_channel=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=excluded,
            extra_options={"MatMulConstBOnly": True},
        )
    else:
        step.write_bytes(fp32.read_bytes())
    # Weight-only int8, as in the exact model, on the MatMuls left in fp32 and the embedding tables.
    weight_only = quantize_weights_int8(step, dest)
    onnx.checker.check_model(str(dest))
    return {"dynamic": len(dynamic), "weight_only": len(weight_only)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="the bundled model folder")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--persona", type=Path, default=repo / "examples" / "persona")
    parser.add_argument(
        "--reference", type=Path, default=repo / "test" / "fixtures" / "embed" / "persona-distinguishability.json"
    )
    parser.add_argument("--budget", type=float, default=0.009, help="max relative distinguishability error")
    parser.add_argument(
        "--dynamic", default=None, help="ALL, ATTENTION, name,name,... or @file (one name a line): skip the search"
    )
    parser.add_argument("--name", default=FAST_NAME, help="file name under <out>/onnx")
    parser.add_argument("--chosen-out", type=Path, default=None, help="after a search, write the chosen names here")
    parser.add_argument("--sample", type=int, default=100, help="texts per behavior in the per-MatMul scan")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    fp32 = args.work / "model.onnx"
    if not fp32.exists():
        export_fp32(args.src, fp32)
    matmuls = weight_matmuls(onnx.load(str(fp32)))
    reference = {k: v["distinguishability"] for k, v in json.loads(args.reference.read_text())["behaviors"].items()}
    behaviors = read_behaviors(args.persona)
    emb = Embedder(args.src, args.threads)
    candidate = args.work / "candidate.onnx"
    log: dict = {"matmuls": matmuls}

    def full(dynamic: list[str]) -> dict:
        info = build(fp32, candidate, dynamic, args.work)
        fid = fidelity(emb, emb.session(candidate), behaviors, reference)
        print(
            f"{len(dynamic):2d} dynamic: max {100 * fid['max_relative']:.2f}% ({fid['max_behavior']}), "
            f"median {100 * fid['median_relative']:.2f}%, Spearman {fid['spearman']:.5f}",
            flush=True,
        )
        return {**info, **fid, "dynamic_names": dynamic}

    if args.dynamic == "ALL":
        chosen = full(matmuls)
    elif args.dynamic == "ATTENTION":
        # Q, K, V and the attention output dynamic; both FFN MatMuls weight-only (the mixed candidate
        # of docs/performance.md).
        chosen = full([n for n in matmuls if "/attention/" in n])
    elif args.dynamic:
        names = Path(args.dynamic[1:]).read_text().split() if args.dynamic.startswith("@") else args.dynamic.split(",")
        unknown = [n for n in names if n not in matmuls]
        if unknown:
            raise SystemExit(f"not MatMuls of the fp32 export: {unknown}")
        chosen = full([n for n in names if n])
    else:
        # The scan: each MatMul dynamic alone (the rest fp32), on a sample of every behavior.
        sample = [(n, t[: args.sample], l[: args.sample]) for n, t, l in behaviors]
        base_sess = emb.session(fp32)
        base = {n: distinguishability(emb.embed(base_sess, t), l) for n, t, l in sample}
        scan = {}
        for name in matmuls:
            quantize_dynamic(
                str(fp32),
                str(candidate),
                per_channel=True,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=["MatMul"],
                nodes_to_quantize=[name],
                extra_options={"MatMulConstBOnly": True},
            )
            sess = emb.session(candidate)
            errs = [abs(distinguishability(emb.embed(sess, t), l) / base[n] - 1) for n, t, l in sample]
            scan[name] = float(np.sqrt(np.mean(np.square(errs))))
            print(f"scan {name}: rms rel. error {100 * scan[name]:.3f}%", flush=True)
        ranking = sorted(matmuls, key=lambda n: scan[n])
        log["scan"] = scan
        log["ranking"] = ranking
        # Binary search on the prefix length: the error grows with the prefix, so the longest
        # prefix within the budget is found with about log2(36) full evaluations.
        lo, hi = 0, len(ranking)
        tried: dict[int, dict] = {}
        while lo < hi:
            mid = (lo + hi + 1) // 2
            tried[mid] = full(ranking[:mid])
            if tried[mid]["max_relative"] <= args.budget and tried[mid]["spearman"] >= 0.999:
                lo = mid
            else:
                hi = mid - 1
        log["tried"] = {k: {x: v[x] for x in ("max_relative", "median_relative", "spearman")} for k, v in tried.items()}
        chosen = tried[lo] if lo in tried else full(ranking[:lo])

    # Rebuild the chosen set (the search's last build may have been another one).
    build(fp32, candidate, chosen["dynamic_names"], args.work)
    dest = args.out / "onnx" / args.name
    dest.write_bytes(candidate.read_bytes())
    summary = {
        **log,
        "chosen": {k: v for k, v in chosen.items() if k != "relative"},
        "relative": chosen["relative"],
        "fast_onnx_sha256": sha256(dest),
        "fast_onnx_bytes": dest.stat().st_size,
        "versions": {"onnx": onnx.__version__, "onnxruntime": ort.__version__},
        "seconds": time.process_time(),
    }
    if args.chosen_out:
        args.chosen_out.write_text("".join(f"{n}\n" for n in chosen["dynamic_names"]))
    (args.work / "fast-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary["chosen"], indent=2))
    print(f"wrote {dest} ({summary['fast_onnx_bytes']} bytes, sha256 {summary['fast_onnx_sha256']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
