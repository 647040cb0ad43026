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


def common_prefix(ids: list[list[int]]) -> int:
    """Length of the token prefix all prompts share (chat template, system prompt, question
    lead-in), kept one token short of the shortest prompt."""
    n = min(len(i) for i in ids) - 1
    for k in range(n):
        if any(i[k] != ids[0][k] for i in ids):
            return k
    return n


def last_hidden(model, ids: list[list[int]], prefix: int, grad: bool = False, layer: int | None = None):
    """Final normalized hidden state at each prompt's last token.

    The shared prefix runs once (batch 1) and its key/value cache is repeated over the batch; the
    suffixes are right-padded, so with causal attention no real token sees a pad and the positions
    are the unpadded ones. Same numbers as one prompt at a time (checked in check_features).
    With `layer`, also returns the hidden states entering that decoder layer (prefix [P, d] and
    the right-padded suffixes [B, W, d]), for exp_c's training of the last layers."""
    with torch.set_grad_enabled(grad):
        head = torch.tensor([ids[0][:prefix]])
        pre = model.model(input_ids=head, use_cache=True, output_hidden_states=layer is not None)
        cache = pre.past_key_values
        cache.batch_repeat_interleave(len(ids))
        tails = [i[prefix:] for i in ids]
        width = max(len(t) for t in tails)
        x = torch.zeros((len(ids), width), dtype=torch.long)
        for k, t in enumerate(tails):
            x[k, : len(t)] = torch.tensor(t)
        pos = torch.arange(prefix, prefix + width).expand(len(ids), -1)
        out = model.model(
            input_ids=x, past_key_values=cache, position_ids=pos, use_cache=True,
            output_hidden_states=layer is not None,
        )
        last = torch.tensor([len(t) - 1 for t in tails])
        g = out.last_hidden_state[torch.arange(len(ids)), last]
        if layer is None:
            return g
        return g, pre.hidden_states[layer][0], out.hidden_states[layer]


@torch.no_grad()
def check_features(model, ids: list[list[int]], g: np.ndarray) -> float:
    """Smallest cosine between the batched features and a plain one-prompt forward pass."""
    cos = []
    for k in range(len(ids)):
        h = model.model(input_ids=torch.tensor([ids[k]])).last_hidden_state[0, -1].double().numpy()
        cos.append(h @ g[k] / (np.linalg.norm(h) * np.linalg.norm(g[k])))
    return float(min(cos))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("behaviors", nargs="+")
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--layer", type=int, default=None, help="also save the states entering this layer")
    ap.add_argument("--check", type=int, default=2, help="rows re-run one at a time as a check")
    ap.add_argument("--subset-seed", type=int, default=0, help="seed of the balanced subset (common.subset)")
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
        rows = subset(name, args.per_class, args.subset_seed)
        write_subset_file(name, rows, OUT / "data")
        ids = [prompt_ids(tok, r["question"]) for r in rows]
        prefix = common_prefix(ids)
        tails: dict[int, np.ndarray] = {}
        # similar lengths in a batch: less padding
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        g = np.zeros((len(ids), model.config.hidden_size))
        for k in range(0, len(order), args.batch):
            chunk = order[k : k + args.batch]
            if args.layer is None:
                g[chunk] = last_hidden(model, [ids[i] for i in chunk], prefix).double().numpy()
                continue
            gb, pre_h, tail_h = last_hidden(model, [ids[i] for i in chunk], prefix, layer=args.layer)
            g[chunk] = gb.double().numpy()
            for j, i in enumerate(chunk):
                tails[i] = tail_h[j, : len(ids[i]) - prefix].numpy()
        check = check_features(model, ids[: args.check], g[: args.check]) if args.check else None
        lens = np.array([len(i) for i in ids])
        np.savez(OUT / "features" / f"{name}.npz", g=g, s=signs(rows), tokens=lens, prefix=prefix)
        if args.layer is not None:  # hidden states entering decoder layer `layer`, for exp_c
            width = max(len(t) for t in tails.values())
            tail = np.zeros((len(ids), width, g.shape[1]), dtype=np.float32)
            for i, t in tails.items():
                tail[i, : len(t)] = t
            np.savez(
                OUT / "features" / f"{name}.layer{args.layer}.npz",
                prefix_h=pre_h.numpy(), tail_h=tail, tail_len=lens - prefix,
                ids=np.array([i + [0] * (max(lens) - len(i)) for i in ids]), layer=args.layer,
            )
        print(
            f"{name}: {len(rows)} rows, {lens.mean():.1f} tokens ({prefix} shared), "
            f"min cosine vs unbatched {check}, {time.time() - t0:.1f}s",
            flush=True,
        )


if __name__ == "__main__":
    main()
