"""Computes g(x) (final normalized hidden state at the last prompt token) once per example.

Usage: python tools/validate/features.py --per-class 100 BEHAVIOR...
Writes out/features/<behavior>.npz (g, s, token counts) and out/data/<behavior>.jsonl (the same
subset, for the CLI), and out/head.npz (the tied unembedding rows of " Yes" and " No").
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from common import OUT, answer_ids, load_model, prompt_ids, signs, subset, write_subset_file


@torch.no_grad()
def last_hidden(model, batches: list[list[int]], pad_id: int) -> np.ndarray:
    """Final normalized hidden state at each prompt's last token (left padding, explicit positions
    so that padding does not shift the rotary positions)."""
    width = max(len(ids) for ids in batches)
    input_ids = torch.full((len(batches), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batches), width), dtype=torch.long)
    for i, ids in enumerate(batches):
        input_ids[i, width - len(ids) :] = torch.tensor(ids)
        mask[i, width - len(ids) :] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    out = model.model(input_ids=input_ids, attention_mask=mask, position_ids=positions)
    return out.last_hidden_state[:, -1, :].double().numpy()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("behaviors", nargs="+")
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model, tok = load_model()
    yes, no = answer_ids(tok)
    w = model.lm_head.weight.detach().double().numpy()
    tied = model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    (OUT / "features").mkdir(parents=True, exist_ok=True)
    np.savez(OUT / "head.npz", yes=w[yes], no=w[no], yes_id=yes, no_id=no, tied=tied)
    print(f"answer ids yes={yes} no={no}, tied head: {tied}", flush=True)
    for name in args.behaviors:
        t0 = time.time()
        rows = subset(name, args.per_class)
        write_subset_file(name, rows, OUT / "data")
        ids = [prompt_ids(tok, r["question"]) for r in rows]
        # similar lengths in a batch: less padding
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        g = np.zeros((len(ids), model.config.hidden_size))
        for k in range(0, len(order), args.batch):
            chunk = order[k : k + args.batch]
            g[chunk] = last_hidden(model, [ids[i] for i in chunk], tok.pad_token_id)
        lens = np.array([len(i) for i in ids])
        np.savez(OUT / "features" / f"{name}.npz", g=g, s=signs(rows), tokens=lens)
        print(f"{name}: {len(rows)} rows, {lens.mean():.1f} tokens, {time.time() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
