"""The fp32 reference for the embedding fidelity check: each bundled persona behavior's
distinguishability ||mu+ - mu-|| under the original all-MiniLM-L6-v2 (PyTorch fp32, run by
sentence-transformers as its users run it), written to test/fixtures/embed/persona-distinguishability.json.

`npm run bench -- --embed-only` and test/unit/embed-fidelity.test.ts compare the project's pipeline
(the bundled quantized model) with these figures: per behavior the relative difference, and the
Spearman correlation of the 24 values.

Texts and labels are the ones the analysis uses: the `question` field of examples/persona/*.jsonl,
positive when `answer_matching_behavior` is " Yes". Embeddings are mean-pooled and L2-normalized
(the model's modules.json). Deterministic: no sampling, torch in eval mode.

    python tools/model/persona_reference.py --src <sentence-transformers folder> \
        [--persona examples/persona] [--out test/fixtures/embed/persona-distinguishability.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

repo = Path(__file__).resolve().parents[2]


def read_behavior(path: Path) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        texts.append(record["question"])
        labels.append(1 if record["answer_matching_behavior"].strip() == "Yes" else -1)
    return texts, np.array(labels)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", type=Path, required=True, help="the original model folder")
    parser.add_argument("--persona", type=Path, default=repo / "examples" / "persona")
    parser.add_argument(
        "--out", type=Path, default=repo / "test" / "fixtures" / "embed" / "persona-distinguishability.json"
    )
    args = parser.parse_args()

    torch.manual_seed(0)
    model = SentenceTransformer(str(args.src), device="cpu").eval()
    behaviors: dict[str, dict[str, float | int]] = {}
    for path in sorted(args.persona.glob("*.jsonl")):
        texts, labels = read_behavior(path)
        vectors = model.encode(texts, batch_size=32, convert_to_numpy=True).astype(np.float64)
        diff = vectors[labels > 0].mean(axis=0) - vectors[labels < 0].mean(axis=0)
        behaviors[path.stem] = {
            "nPositive": int((labels > 0).sum()),
            "nNegative": int((labels < 0).sum()),
            "distinguishability": round(float(np.linalg.norm(diff)), 8),
        }
        print(f"{path.stem}: {behaviors[path.stem]['distinguishability']:.6f}", flush=True)
    fixture = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "producedBy": "tools/model/persona_reference.py (PyTorch fp32, sentence-transformers encode)",
        "versions": {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__},
        "texts": "the question field of examples/persona/*.jsonl; positive = answer_matching_behavior ' Yes'",
        "behaviors": behaviors,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(fixture, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
