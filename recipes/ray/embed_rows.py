"""Ray Data batch inference for Preference Lens: rows.parquet in, embedding shards out.

Reads the rows file written by `preference-lens export-rows`, embeds each row's `text` with the
definition the local run uses, and writes Parquet shards with `row_id` (int64) and `embedding`
(fixed-size list of float32) that `preference-lens analyze --embeddings DIR --rows rows.parquet`
reads back. See README.md beside this file.

  sentence models (an ONNX sentence-transformers folder, e.g. the bundled models/all-MiniLM-L6-v2):
      onnxruntime + tokenizers; a text over the model's max length is cut as the local run cuts it
      (src/core/embed/encoder-backend.ts): a pairwise row (its `prompt_chars` set) loses the start
      of its prompt and keeps its response whole, any other row loses its end; the special tokens
      stay; the pooling of the folder's 1_Pooling, L2 normalization when modules.json has a
      Normalize module. Runs on CPU.
  causal LMs (a transformers model folder or Hub id): the final normalized hidden state at the last
      prompt token (hidden_states[-1] of transformers' causal LMs is taken after the final norm),
      special tokens added, prompts longer than the limit keep their last tokens; plus the two
      answer rows W_U[y+], W_U[y-] (first non-blank token of " Yes" / " No") and the model
      identity. Needs torch + transformers (requirements-causal.txt); not exercised by CI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# The ONNX files of a sentence-embedding folder, most faithful first (src/core/embed/encoder-backend.ts).
ONNX_CANDIDATES = [
    "onnx/model.onnx",
    "model.onnx",
    "onnx/model_quantized.onnx",
    "onnx/model_int8.onnx",
    "onnx/model_uint8.onnx",
    "onnx/model_fp16.onnx",
]


def read_json(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def utf16_length(text: str) -> int:
    """JavaScript's string length: the local run sorts its batches by it."""
    return len(text.encode("utf-16-le")) // 2


def batches_like_local(texts, batch_size):
    """Unique texts sorted by length (stable), cut into batches: the local embedder's batches.

    A text may be a (text, prompt_chars) key; its length is the text's.
    """
    unique = list(dict.fromkeys(texts))
    length = lambda t: utf16_length(t[0] if isinstance(t, tuple) else t)  # noqa: E731
    order = sorted(range(len(unique)), key=lambda u: length(unique[u]))
    for start in range(0, len(order), batch_size):
        yield [unique[u] for u in order[start : start + batch_size]]


def utf16_prefix(text: str, units: int) -> int:
    """The Python index of a JavaScript string index (UTF-16 code units): `prompt_chars` counts those."""
    return len(text.encode("utf-16-le")[: 2 * units].decode("utf-16-le", errors="ignore"))


def special_lengths(tokenizer):
    """How many special tokens the tokenizer puts before and after a text (as the local run finds them)."""
    plain = tokenizer.encode("a", add_special_tokens=False).ids
    full = tokenizer.encode("a").ids
    suffix = 0
    for start in range(len(full) - len(plain) + 1):
        if full[start : start + len(plain)] == plain:
            suffix = len(full) - start - len(plain)
            break
    return max(0, len(full) - len(plain) - suffix), suffix


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sentence_settings(model_dir):
    """Pooling, normalization and max length, read as src/core/embed/encoder-backend.ts reads them."""
    modules = read_json(os.path.join(model_dir, "modules.json")) or []
    normalize = any(str(m.get("type", "")).endswith(".Normalize") for m in modules)
    pooling_path = next(
        (m.get("path") for m in modules if str(m.get("type", "")).endswith(".Pooling")), "1_Pooling"
    )
    p = read_json(os.path.join(model_dir, pooling_path, "config.json")) or {}
    pooling = (
        "cls"
        if p.get("pooling_mode_cls_token")
        else "last-token"
        if p.get("pooling_mode_lasttoken")
        else "mean"
    )
    st = read_json(os.path.join(model_dir, "sentence_bert_config.json")) or {}
    tok_config = read_json(os.path.join(model_dir, "tokenizer_config.json")) or {}
    config = read_json(os.path.join(model_dir, "config.json")) or {}
    model_max = tok_config.get("model_max_length", 512)
    max_length = min(
        st.get("max_seq_length") or model_max or 512,
        config.get("max_position_embeddings", 512),
        model_max if model_max else float("inf"),
    )
    return pooling, normalize, int(max_length)


def find_onnx(model_dir):
    for c in ONNX_CANDIDATES:
        if os.path.exists(os.path.join(model_dir, c)):
            return os.path.join(model_dir, c)
    raise FileNotFoundError(f"No ONNX model in {model_dir} (looked for {', '.join(ONNX_CANDIDATES)})")


def embedding_table(row_ids, vectors):
    """row_id int64 + embedding fixed_size_list<float32>[d]: the documented shard columns."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    flat = pa.array(vectors.reshape(-1), type=pa.float32())
    return pa.table(
        {
            "row_id": pa.array(np.asarray(row_ids, dtype=np.int64), type=pa.int64()),
            "embedding": pa.FixedSizeListArray.from_arrays(flat, vectors.shape[1]),
        }
    )


class SentenceEmbedder:
    """A Ray actor: one onnxruntime session per actor, reused for every batch it gets."""

    def __init__(self, model_dir, model_batch_size=32, threads=None, device="cpu"):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.pooling, self.normalize, max_length = sentence_settings(model_dir)
        self.tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        # The local run pads each batch to its longest row and cuts to the model's max length
        # itself (fit below); the tokenizer.json of a model may carry other settings (MiniLM's:
        # fixed 128).
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.max_length = max_length
        self.prefix, self.suffix = special_lengths(self.tokenizer)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.inter_op_num_threads = 1
        if threads:
            options.intra_op_num_threads = threads
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]
        self.session = ort.InferenceSession(find_onnx(model_dir), options, providers=providers)
        self.inputs = [i.name for i in self.session.get_inputs()]
        names = [o.name for o in self.session.get_outputs()]
        self.output = "last_hidden_state" if "last_hidden_state" in names else names[0]
        self.model_batch_size = model_batch_size

    def fit(self, ids, text, prompt_chars):
        """Token ids that fit the model, cut where the local run cuts (encoder-backend.ts `fit`).

        With a prompt boundary the prompt loses its first tokens and the response stays whole, since
        the response is what DPO compares (a response alone over the budget keeps its start);
        without one the text loses its end. The special tokens stay.
        """
        if len(ids) <= self.max_length:
            return ids
        head, tail = ids[: self.prefix], ids[len(ids) - self.suffix :]
        budget = self.max_length - self.prefix - self.suffix
        if not prompt_chars or prompt_chars <= 0:
            return ids[: self.max_length - self.suffix] + tail
        cut = utf16_prefix(text, prompt_chars)
        reply = self.tokenizer.encode(text[cut:], add_special_tokens=False).ids
        if len(reply) >= budget:
            return head + reply[:budget] + tail
        prompt = self.tokenizer.encode(text[:cut], add_special_tokens=False).ids
        kept = prompt[len(prompt) - (budget - len(reply)) :]
        return head + kept + reply + tail

    def embed_texts(self, texts, prompt_chars=None):
        enc = self.tokenizer.encode_batch(list(texts))
        chars = prompt_chars or [None] * len(texts)
        seqs = [self.fit(e.ids, t, c) for e, t, c in zip(enc, texts, chars)]
        batch, seq = len(seqs), max(1, max(len(s) for s in seqs))
        ids = np.zeros((batch, seq), dtype=np.int64)  # pad id 0, as the local run pads
        mask = np.zeros((batch, seq), dtype=np.int64)
        types = np.zeros((batch, seq), dtype=np.int64)  # one segment: type 0, as the local run feeds
        for b, s in enumerate(seqs):
            ids[b, : len(s)] = s
            mask[b, : len(s)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self.session.run([self.output], {k: feeds[k] for k in self.inputs})[0]
        if self.pooling == "mean":
            m = mask[:, :, None].astype(np.float32)
            rows = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        elif self.pooling == "cls":
            rows = hidden[:, 0]
        else:
            rows = hidden[np.arange(batch), mask.sum(axis=1) - 1]
        rows = rows.astype(np.float32)
        if self.normalize:
            rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        return rows

    def __call__(self, batch: pa.Table) -> pa.Table:
        texts = batch.column("text").to_pylist()
        names = batch.column_names
        chars = batch.column("prompt_chars").to_pylist() if "prompt_chars" in names else [None] * len(texts)
        # A text is embedded once per prompt boundary: the local cache keys a vector by both.
        keys = list(zip(texts, chars))
        vectors = {}
        for chunk in batches_like_local(keys, self.model_batch_size):
            rows = self.embed_texts([k[0] for k in chunk], [k[1] for k in chunk])
            for key, row in zip(chunk, rows):
                vectors[key] = row
        return embedding_table(batch.column("row_id").to_numpy(), np.stack([vectors[k] for k in keys]))


def answer_token_id(tokenizer, answer):
    """The first token of an answer that is not whitespace (src/core/embed/causal/answer-tokens.ts)."""
    ids = tokenizer.encode(answer, add_special_tokens=False)
    for i in ids:
        if tokenizer.decode([i]).strip() != "":
            return i, tokenizer.convert_ids_to_tokens(i)
    raise ValueError(f'The answer "{answer}" has no token that is not whitespace.')


class CausalEmbedder:
    """g(x) of a causal LM with transformers: final normalized hidden state at the last prompt token."""

    def __init__(self, model, model_batch_size=8, max_tokens=1024, device="cuda", dtype="bfloat16"):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.model = AutoModelForCausalLM.from_pretrained(model, torch_dtype=getattr(torch, dtype)).to(device)
        self.model.eval()
        self.device, self.max_tokens, self.model_batch_size = device, max_tokens, model_batch_size
        self.pad = self.tokenizer.pad_token_id or self.tokenizer.eos_token_id or 0

    def embed_texts(self, texts):
        torch = self.torch
        seqs = [self.tokenizer.encode(t, add_special_tokens=True)[-self.max_tokens :] for t in texts]
        seq = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), seq), self.pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), seq), dtype=torch.long)
        for b, s in enumerate(seqs):  # left padding: the last prompt token is the last position
            ids[b, seq - len(s) :] = torch.tensor(s)
            mask[b, seq - len(s) :] = 1
        with torch.no_grad():
            out = self.model(
                input_ids=ids.to(self.device), attention_mask=mask.to(self.device), output_hidden_states=True
            )
        return out.hidden_states[-1][:, -1, :].float().cpu().numpy()

    def __call__(self, batch: pa.Table) -> pa.Table:
        texts = batch.column("text").to_pylist()
        vectors = {}
        for chunk in batches_like_local(texts, self.model_batch_size):
            for text, row in zip(chunk, self.embed_texts(chunk)):
                vectors[text] = row
        return embedding_table(batch.column("row_id").to_numpy(), np.stack([vectors[t] for t in texts]))


def write_causal_side_files(model, out, yes, no):
    """_answer_rows.parquet (W_U[y+], W_U[y-]) and the model identity, from the driver."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    lm = AutoModelForCausalLM.from_pretrained(model, torch_dtype="auto", low_cpu_mem_usage=True)
    head = lm.get_output_embeddings().weight
    rows = []
    for answer, text in (("yes", yes), ("no", no)):
        token_id, token = answer_token_id(tokenizer, text)
        rows.append((answer, token, head[token_id].float().detach().numpy()))
    table = pa.table(
        {
            "answer": [r[0] for r in rows],
            "token": [r[1] for r in rows],
            "embedding": pa.FixedSizeListArray.from_arrays(
                pa.array(np.concatenate([r[2] for r in rows]).astype(np.float32)), len(rows[0][2])
            ),
        }
    )
    pq.write_table(table, os.path.join(out, "_answer_rows.parquet"))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", required=True, help="rows.parquet written by preference-lens export-rows")
    p.add_argument("--out", required=True, help="folder for the shards (created; must be empty)")
    p.add_argument("--model", required=True, help="sentence model folder (ONNX) or causal LM folder / Hub id")
    p.add_argument("--kind", choices=["auto", "sentence", "causal"], default="auto")
    p.add_argument("--batch-size", type=int, default=1024, help="rows per Ray batch (per actor call)")
    p.add_argument("--model-batch-size", type=int, default=None, help="texts per forward pass (local default: 32 sentence, 8 causal)")
    p.add_argument("--concurrency", type=int, default=1, help="actors in the pool (one model copy each)")
    p.add_argument("--num-gpus", type=float, default=0, help="GPUs per actor (1 for a model per GPU)")
    p.add_argument("--num-cpus", type=float, default=1, help="CPUs per actor")
    p.add_argument("--threads", type=int, default=None, help="onnxruntime threads per actor (sentence models)")
    p.add_argument("--max-tokens", type=int, default=None, help="causal LMs: prompt limit (default: the rows file's)")
    p.add_argument("--dtype", default="bfloat16", help="causal LMs: torch dtype")
    p.add_argument("--local-cpus", type=int, default=None, help="CPUs of a local Ray cluster started by this script")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    import ray

    meta = {k.decode(): v.decode() for k, v in (pq.read_metadata(args.rows).metadata or {}).items()}
    if meta.get("preference_lens.format") != "preference-lens.rows/1":
        raise SystemExit(f"{args.rows} is not a rows file of preference-lens export-rows")
    kind = args.kind
    if kind == "auto":
        kind = "sentence" if os.path.exists(os.path.join(args.model, "modules.json")) else "causal"
    if os.path.exists(args.out) and os.listdir(args.out):
        raise SystemExit(f"{args.out} is not empty: shards of two runs must not mix")

    # Inside `ray job submit` RAY_ADDRESS names the cluster; alone, this starts a local one.
    if "RAY_ADDRESS" in os.environ:
        ray.init()
    else:
        ray.init(num_cpus=args.local_cpus, include_dashboard=False, object_store_memory=256 * 1024 * 1024)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False

    columns = ["row_id", "text"]
    if kind == "sentence" and "prompt_chars" in pq.read_schema(args.rows).names:
        columns.append("prompt_chars")  # pairwise rows: where the prompt ends (a long text loses its start)
    ds = ray.data.read_parquet(args.rows).select_columns(columns)
    model_dir = os.path.abspath(args.model) if os.path.exists(args.model) else args.model
    if kind == "sentence":
        fn, kwargs = SentenceEmbedder, {
            "model_dir": model_dir,
            "model_batch_size": args.model_batch_size or 32,
            "threads": args.threads,
            "device": "cuda" if args.num_gpus else "cpu",
        }
    else:
        fn, kwargs = CausalEmbedder, {
            "model": model_dir,
            "model_batch_size": args.model_batch_size or 8,
            "max_tokens": args.max_tokens or int(meta.get("preference_lens.prompt.causalMaxTokens", "1024")),
            "device": "cuda" if args.num_gpus else "cpu",
            "dtype": args.dtype,
        }
    out = ds.map_batches(
        fn,
        fn_constructor_kwargs=kwargs,
        batch_size=args.batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=args.concurrency),
        num_gpus=args.num_gpus,
        num_cpus=args.num_cpus,
    )
    out.write_parquet(os.path.abspath(args.out))

    identity = {"id": args.model, "kind": "sentence-embedding" if kind == "sentence" else "causal-lm"}
    if kind == "sentence":
        pooling, _, _ = sentence_settings(model_dir)
        identity.update(pooling=pooling, sha256=sha256_file(find_onnx(model_dir)))
    else:
        identity.update(pooling="last-token")
        write_causal_side_files(
            model_dir,
            args.out,
            meta.get("preference_lens.prompt.answerYes", " Yes"),
            meta.get("preference_lens.prompt.answerNo", " No"),
        )
    identity["device"] = "ray: " + ("gpu" if args.num_gpus else "cpu")
    with open(os.path.join(args.out, "_model.json"), "w", encoding="utf-8") as f:
        json.dump(identity, f, indent=2)
    rows = pq.read_metadata(args.rows).num_rows
    print(f"embedded {rows} rows into {args.out} ({kind} model {args.model})")


if __name__ == "__main__":
    main()
