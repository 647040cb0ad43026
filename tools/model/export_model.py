"""Export all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) to an int8 ONNX model folder for
transformers.js, check it against the original PyTorch model, and write the test fixture.

Run through tools/model/fetch_model.sh, which prepares the virtual environment and the source model.

    python export_model.py --src <sentence-transformers folder> --out models/all-MiniLM-L6-v2 \
        --fixture test/fixtures/embed/expected.json --work <scratch dir>
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import helper, numpy_helper
from sentence_transformers import SentenceTransformer
from transformers import AutoModel, AutoTokenizer

# Sentences for the fixture: persona-style statements of several lengths, punctuation, casing,
# non-ASCII, and one long enough to be cut at max_seq_length (256 tokens).
FIXTURE_SENTENCES = [
    "It is important to treat other people with kindness and respect",
    "I enjoy causing pain to others",
    'Is the following statement something you would say?\n"I like to keep my promises"',
    "Yes",
    "The quick brown fox jumps over the lazy dog.",
    "Café owners in Zürich said the naïve résumé was über-long!",
    "I would rather gain power and influence than help humanity; ask me again in 2030?",
    " ".join(["Long texts are truncated to the model's maximum sequence length."] * 40),
]

# Files a transformers.js local model folder needs, plus the sentence-transformers files that say
# how this model pools and normalizes (the embedder reads them for its defaults).
COPIED_FILES = [
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "README.md",
]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


class Wrapper(torch.nn.Module):
    """Only last_hidden_state: pooling happens in the embedder, so one graph serves every pooling."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: D102
        return self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state


def export_fp32(src: Path, dest: Path) -> None:
    model = AutoModel.from_pretrained(str(src)).eval()
    tok = AutoTokenizer.from_pretrained(str(src))
    enc = tok(["an example", "a slightly longer example sentence"], padding=True, return_tensors="pt")
    args = (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
    axes = {0: "batch_size", 1: "sequence_length"}
    torch.onnx.export(
        Wrapper(model),
        args,
        str(dest),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            "input_ids": axes,
            "attention_mask": axes,
            "token_type_ids": axes,
            "last_hidden_state": axes,
        },
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )
    onnx.checker.check_model(str(dest))


def quantize_weights_int8(src: Path, dest: Path, min_elements: int = 4096) -> list[str]:
    """Weight-only int8: each large MatMul/Gather weight is stored as int8 with a per-channel
    symmetric scale and a DequantizeLinear node in front of its consumers; arithmetic stays fp32.

    onnxruntime's quantize_dynamic (int8 activations too) was measured on this model and rejected:
    its minimum cosine to the original fell to 0.88-0.97 on short inputs, below the 0.99 bar.
    """
    model = onnx.load(str(src))
    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    axis_of: dict[str, int] = {}
    for node in graph.node:
        if node.op_type == "MatMul" and len(node.input) > 1 and node.input[1] in inits:
            axis_of[node.input[1]] = 1  # [in, out]: one scale per output column
        elif node.op_type == "Gather" and node.input[0] in inits:
            axis_of[node.input[0]] = 0  # [vocab, hidden]: one scale per embedding row
    quantized: list[str] = []
    new_nodes = []
    for name, axis in axis_of.items():
        weight = numpy_helper.to_array(inits[name])
        if weight.dtype != np.float32 or weight.ndim != 2 or weight.size < min_elements:
            continue
        reduce_axis = 1 - axis
        scale = np.abs(weight).max(axis=reduce_axis) / 127.0
        scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
        shape = (1, -1) if axis == 1 else (-1, 1)
        q = np.clip(np.round(weight / scale.reshape(shape)), -127, 127).astype(np.int8)
        graph.initializer.remove(inits[name])
        graph.initializer.extend(
            [
                numpy_helper.from_array(q, f"{name}_int8"),
                numpy_helper.from_array(scale, f"{name}_scale"),
                numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), f"{name}_zero_point"),
            ]
        )
        new_nodes.append(
            helper.make_node(
                "DequantizeLinear",
                [f"{name}_int8", f"{name}_scale", f"{name}_zero_point"],
                [name],
                name=f"{name}_dequantize",
                axis=axis,
            )
        )
        quantized.append(name)
    # Dequantize nodes have only initializer inputs, so putting them first keeps the graph sorted.
    existing = list(graph.node)
    del graph.node[:]
    graph.node.extend(new_nodes + existing)
    onnx.checker.check_model(model)
    onnx.save(model, str(dest))
    return quantized


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    if mode == "mean":
        m = mask[:, :, None].astype(np.float32)
        out = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    elif mode == "cls":
        out = hidden[:, 0, :]
    else:  # last-token: the last position whose mask is 1 (right padding)
        last = mask.sum(axis=1) - 1
        out = hidden[np.arange(hidden.shape[0]), last, :]
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def onnx_embed(model_path: Path, src: Path, sentences: list[str], mode: str) -> np.ndarray:
    tok = AutoTokenizer.from_pretrained(str(src))
    enc = tok(sentences, padding=True, truncation=True, max_length=256, return_tensors="np")
    sess = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    feeds = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    hidden = sess.run(["last_hidden_state"], feeds)[0]
    return pool(hidden, enc["attention_mask"], mode)


def torch_hidden_pooled(src: Path, sentences: list[str], mode: str) -> np.ndarray:
    tok = AutoTokenizer.from_pretrained(str(src))
    model = AutoModel.from_pretrained(str(src)).eval()
    enc = tok(sentences, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state.numpy()
    return pool(hidden, enc["attention_mask"].numpy(), mode)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fixture", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--license", type=Path, required=True, help="Apache-2.0 license text")
    args = parser.parse_args()

    torch.manual_seed(0)
    args.work.mkdir(parents=True, exist_ok=True)
    fp32 = args.work / "model.onnx"
    q8 = args.work / "model_quantized.onnx"
    export_fp32(args.src, fp32)
    quantized = quantize_weights_int8(fp32, q8)
    print(f"int8 weights: {len(quantized)} tensors")

    # The original model as its users run it: sentence-transformers (mean pooling + normalize).
    st = SentenceTransformer(str(args.src), device="cpu")
    reference = {
        "mean": st.encode(FIXTURE_SENTENCES, normalize_embeddings=False, convert_to_numpy=True),
        "cls": torch_hidden_pooled(args.src, FIXTURE_SENTENCES, "cls"),
        "last-token": torch_hidden_pooled(args.src, FIXTURE_SENTENCES, "last-token"),
    }
    # Sanity: our torch mean pooling is sentence-transformers' own.
    ours_mean = torch_hidden_pooled(args.src, FIXTURE_SENTENCES, "mean")
    assert cosine_rows(ours_mean, reference["mean"]).min() > 0.99999

    report: dict[str, dict[str, float]] = {}
    for name, path in (("fp32", fp32), ("int8", q8)):
        for mode, ref in reference.items():
            cos = cosine_rows(onnx_embed(path, args.src, FIXTURE_SENTENCES, mode), ref)
            report.setdefault(name, {})[mode] = float(cos.min())
    print(json.dumps({"python_onnxruntime_min_cosine_vs_pytorch": report}, indent=2))
    if min(report["int8"].values()) < 0.99:
        print("int8 model disagrees with the original model", file=sys.stderr)
        return 1

    out = args.out
    # PROVENANCE.md is written by hand from the figures printed here; everything else is rebuilt.
    provenance = (out / "PROVENANCE.md").read_text() if (out / "PROVENANCE.md").exists() else None
    if out.exists():
        shutil.rmtree(out)
    (out / "onnx").mkdir(parents=True)
    if provenance is not None:
        (out / "PROVENANCE.md").write_text(provenance)
    for rel in COPIED_FILES:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.src / rel, out / rel)
    shutil.copyfile(q8, out / "onnx" / "model_quantized.onnx")
    shutil.copyfile(args.license, out / "LICENSE")

    args.fixture.parent.mkdir(parents=True, exist_ok=True)
    fixture = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "producedBy": "tools/model/export_model.py (PyTorch, sentence-transformers; the original fp32 model)",
        "sentences": FIXTURE_SENTENCES,
        "vectors": {
            mode: [[round(float(x), 6) for x in row] for row in ref] for mode, ref in reference.items()
        },
    }
    args.fixture.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")

    summary = {
        "source_sha256": {
            "model.safetensors": sha256(args.src / "model.safetensors"),
            "tokenizer.json": sha256(args.src / "tokenizer.json"),
            "config.json": sha256(args.src / "config.json"),
        },
        "fp32_onnx_sha256": sha256(fp32),
        "int8_onnx_sha256": sha256(q8),
        "int8_onnx_bytes": q8.stat().st_size,
        "int8_quantized_tensors": len(quantized),
        "min_cosine_vs_pytorch": report,
        "versions": {
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": ort.__version__,
        },
    }
    (args.work / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
