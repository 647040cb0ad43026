#!/usr/bin/env python3
"""The causal benchmark's peer: PyTorch transformers (float32) embedding the same texts as
`npm run bench -- --causal`, on the same GGUF checkpoint: g(x) = hidden_states[-1] at the last
prompt token, the chat template applied (no BOS, as the GGUF says), sorted by length, batch 16,
right padding, torch.inference_mode.

    causal_peer.py <gguf> <texts.json>   -> one JSON line {"load_s", "embed_s", "texts", "threads"}
"""
import json
import os
import sys
import time


def main() -> None:
    t0 = time.perf_counter()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf, texts_path = sys.argv[1:3]
    folder, name = os.path.split(gguf)
    texts = json.load(open(texts_path, encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    load_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    ids = [
        tokenizer(
            tokenizer.apply_chat_template([{"role": "user", "content": t}], tokenize=False, add_generation_prompt=True),
            add_special_tokens=False,
        )["input_ids"]
        for t in texts
    ]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    out = [None] * len(ids)
    with torch.inference_mode():
        for start in range(0, len(order), 16):
            batch = [ids[i] for i in order[start : start + 16]]
            width = max(len(s) for s in batch)
            x = torch.tensor([s + [pad] * (width - len(s)) for s in batch])
            mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in batch])
            h = model(input_ids=x, attention_mask=mask, output_hidden_states=True).hidden_states[-1]
            for k, s in enumerate(batch):
                out[order[start + k]] = h[k, len(s) - 1]
    embed_s = time.perf_counter() - t1
    print(json.dumps({"load_s": load_s, "embed_s": embed_s, "texts": len(texts), "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
