"""What onnxruntime runs for the bundled `exact` graph, and the MatMulNBits graph equal to it.

onnxruntime (at graph optimization level `all`, the embedder's) rewrites each DequantizeLinear ->
MatMul pair of onnx/model_quantized.onnx into one MatMulNBits (8-bit weights, blocks of 32 along K,
accuracy level 4 = the session option `session.qdq_matmulnbits_accuracy_level`'s default: the
activations are quantized to int8 per block of 32 at run time and multiplied in int8). So the
weights are not dequantized at every inference, and the exact graph's arithmetic is not fp32.

This script (tools only) prints the op types of the graph onnxruntime optimizes the exact graph
into, and writes the same graph with explicit MatMulNBits nodes (`--accuracy-level`, `--block`)
to --out, built from the int8 weights and per-channel scales of the weight-only graph (the same
dequantized weights: zero point 128 on the unsigned codes). With the defaults (level 4, block 32)
its outputs equal the exact graph's bit for bit (docs/performance.md, "Embedding precision").

    python runtime_graph.py --model models/all-MiniLM-L6-v2/onnx/model_quantized.onnx \
        --work <scratch dir> [--out nbits.onnx] [--accuracy-level 4] [--block 32]
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper


def optimized_op_types(model: Path, dest: Path) -> collections.Counter:
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.optimized_model_filepath = str(dest)
    ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    return collections.Counter(n.op_type for n in onnx.load(str(dest)).graph.node)


def to_matmul_nbits(src: Path, dest: Path, accuracy_level: int, block: int) -> int:
    """Each MatMul whose weight is a DequantizeLinear of int8 (zero point 0, axis 1) -> MatMulNBits."""
    m = onnx.load(str(src))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    dq_of = {n.output[0]: n for n in g.node if n.op_type == "DequantizeLinear"}
    nodes, dropped_dq, dropped_inits = [], set(), set()
    for n in g.node:
        dq = dq_of.get(n.input[1]) if n.op_type == "MatMul" and len(n.input) > 1 else None
        if dq is None:
            nodes.append(n)
            continue
        q = numpy_helper.to_array(inits[dq.input[0]]).astype(np.int16)  # [K, N]
        scale = numpy_helper.to_array(inits[dq.input[1]]).astype(np.float32)  # [N]
        if len(dq.input) > 2 and np.any(numpy_helper.to_array(inits[dq.input[2]]) != 0):
            raise SystemExit(f"{dq.name}: a nonzero zero point")
        k, n_out = q.shape
        if k % block:
            raise SystemExit(f"{n.name}: K = {k} is not a multiple of the block {block}")
        blocks = k // block
        codes = (q.T + 128).astype(np.uint8).reshape(n_out, blocks, block)
        scales = np.repeat(scale[:, None], blocks, axis=1).reshape(-1)
        b_name, s_name = f"{n.input[1]}_nbits", f"{n.input[1]}_nbits_scales"
        g.initializer.extend([numpy_helper.from_array(codes, b_name), numpy_helper.from_array(scales, s_name)])
        nodes.append(
            helper.make_node(
                "MatMulNBits",
                [n.input[0], b_name, s_name],
                list(n.output),
                name=f"{n.name}_nbits",
                domain="com.microsoft",
                K=k,
                N=n_out,
                bits=8,
                block_size=block,
                accuracy_level=accuracy_level,
            )
        )
        dropped_dq.add(dq.name)
        dropped_inits.update(dq.input)
    kept = [n for n in nodes if n.name not in dropped_dq]
    del g.node[:]
    g.node.extend(kept)
    initializers = [i for i in g.initializer if i.name not in dropped_inits]
    del g.initializer[:]
    g.initializer.extend(initializers)
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(m, str(dest))
    return len(dropped_dq)


def max_difference(a: Path, b: Path, seed: int = 0) -> float:
    """Largest |difference| of last_hidden_state on random token ids (4 x 48, vocabulary ids < 30000)."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, 30000, size=(4, 48), dtype=np.int64)
    ids[:, 0], ids[:, -1] = 101, 102
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    out = []
    for model in (a, b):
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        out.append(ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"]).run(None, feeds)[0])
    return float(np.abs(out[0] - out[1]).max())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True, help="the weight-only int8 graph")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=None, help="write the explicit MatMulNBits graph here")
    parser.add_argument("--accuracy-level", type=int, default=4)
    parser.add_argument("--block", type=int, default=32)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    counts = optimized_op_types(args.model, args.work / "optimized.onnx")
    print("onnxruntime", ort.__version__, "runs:", dict(counts.most_common()))
    out = args.out or args.work / "nbits.onnx"
    replaced = to_matmul_nbits(args.model, out, args.accuracy_level, args.block)
    print(f"wrote {out}: {replaced} MatMulNBits (accuracy level {args.accuracy_level}, block {args.block})")
    print(f"max |difference| of last_hidden_state against {args.model.name}: {max_difference(args.model, out):.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
