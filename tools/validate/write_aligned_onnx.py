"""Writes a DPO-trained checkpoint as an ONNX copy of the base export, for `analyze --aligned-model`.

Usage: python tools/validate/write_aligned_onnx.py BASE_DIR TRAINED.npz OUT_DIR

BASE_DIR is the export of tools/causal/gguf_to_onnx.py (.models/smollm2-135m-instruct). Its
initializers carry the Hugging Face parameter names (model.layers.<i>.self_attn.q_proj.weight, ...,
model.norm.weight); the linear layers are stored transposed (MatMul's B = W^T) and the Q/K rows
are in transformers' layout (gguf_to_onnx undoes llama.cpp's rotary permutation, as transformers'
GGUF loader does). TRAINED.npz holds the trained tensors under those names, as PyTorch has them
(exp_d.py writes out/aligned/top.npz). Every named initializer is replaced (transposed where the
a linear layer's, *_proj.weight), every other one and the graph are kept byte for byte; a name that is not
an initializer, or a shape that does not fit, is an error. Only onnx/model.onnx (float32) is
written (the CLI loads it by default) plus the tokenizer, config and chat-template files; the
copy gets a PROVENANCE.md of its own and a fresh SHA256SUMS.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper


def main() -> None:
    base, trained, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    tensors = dict(np.load(trained))
    model = onnx.load(base / "onnx" / "model.onnx")
    inits = {t.name: i for i, t in enumerate(model.graph.initializer)}
    changed = 0
    max_delta = 0.0
    for name, w in tensors.items():
        if name not in inits:
            raise SystemExit(f"{name} is not an initializer of {base}/onnx/model.onnx")
        old = model.graph.initializer[inits[name]]
        cur = numpy_helper.to_array(old)
        new = w.astype(cur.dtype)
        if name.endswith("_proj.weight"):
            new = new.T  # a linear layer: ONNX holds W^T (by name: q_proj and o_proj are square)
        if new.shape != cur.shape:
            raise SystemExit(f"{name}: trained shape {w.shape} does not fit {cur.shape}")
        max_delta = max(max_delta, float(np.abs(new - cur).max()))
        model.graph.initializer[inits[name]].CopyFrom(numpy_helper.from_array(np.ascontiguousarray(new), name))
        changed += 1
    if out.exists():
        shutil.rmtree(out)
    (out / "onnx").mkdir(parents=True)
    for f in sorted(base.iterdir()):
        if f.is_file() and f.name not in ("SHA256SUMS", "PROVENANCE.md"):
            shutil.copyfile(f, out / f.name)
    with open(out / "onnx" / "model.onnx", "wb") as f:
        f.write(model.SerializeToString(deterministic=True))
    trained_sha = hashlib.sha256(trained.read_bytes()).hexdigest()
    (out / "PROVENANCE.md").write_text(
        "# SmolLM2-135M-Instruct, DPO-trained copy (validation only)\n\n"
        f"- The base export ({base.name}, see its PROVENANCE.md) with {changed} initializers replaced by "
        f"the tensors of `{trained.name}` (SHA-256 `{trained_sha}`), written by "
        "tools/validate/write_aligned_onnx.py; largest change of any weight "
        f"{max_delta:.3g}.\n- Made by tools/validate/exp_d.py (docs/validation.md, section (d)).\n"
    )
    lines = []
    for f in sorted(p for p in out.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        lines.append(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  ./{f.relative_to(out).as_posix()}")
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    print(f"replaced {changed} initializers (largest change {max_delta:.3g}); wrote {out}")


if __name__ == "__main__":
    main()
