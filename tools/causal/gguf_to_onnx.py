#!/usr/bin/env python3
"""Converts a Llama-architecture GGUF checkpoint into an ONNX causal LM in the onnx-community layout.

    gguf_to_onnx.py <model.gguf> <out dir> [--variants]

Writes <out>/onnx/model.onnx (float32; inputs input_ids, attention_mask, position_ids; output
logits; the LM head tied to the token embedding), config.json, tokenizer.json,
tokenizer_config.json, special_tokens_map.json and generation_config.json. With --variants also
the other shapes users bring (docs/causal-lm.md):

    onnx/model_fp16.onnx       float16 weights and compute, past_key_values.* inputs, present.* outputs
    onnx/model_quantized.onnx  the tied embedding as int8 + DequantizeLinear (per row), past/present
    onnx/model_q4.onnx         an untied LM head as a 4-bit MatMulNBits (block 32, uint8 zero points)

Only gguf, numpy and onnx are needed: the GGUF tensors are dequantized with the gguf package and the
graph is written node by node with onnx.helper. Everything is deterministic (no timestamps, fixed
order), so a re-run writes the same bytes.
"""
from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass

import numpy as np
import onnx
from gguf import GGUFReader
from gguf.quants import dequantize
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
# Llama's GGUF pre-tokenizers and the Hugging Face pre-tokenizer that splits the same way
# (llama.cpp's llama-vocab.cpp regexes for these types).
GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
PRE_TOKENIZERS = {
    # SmolLM: digits one by one, then GPT-2's byte-level split.
    "smollm": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    ],
    "gpt2": [{"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}],
}


def field_value(reader: GGUFReader, key: str):
    field = reader.fields.get(key)
    if field is None:
        return None
    if len(field.types) == 0:
        return None
    kind = field.types[0]
    if kind == 8:  # string
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    if kind == 9:  # array
        sub = field.types[1] if len(field.types) > 1 else None
        if sub == 8:
            return [bytes(field.parts[i]).decode("utf-8") for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    value = field.parts[field.data[0]].tolist()[0]
    return bool(value) if kind == 7 else value


@dataclass
class Hparams:
    d: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    eps: float
    rope_theta: float
    context: int


def read_hparams(reader: GGUFReader, vocab: int) -> Hparams:
    arch = field_value(reader, "general.architecture")
    if arch != "llama":
        raise SystemExit(f"Only the llama architecture is supported, not {arch}.")
    g = lambda k: field_value(reader, f"llama.{k}")  # noqa: E731
    d = int(g("embedding_length"))
    heads = int(g("attention.head_count"))
    return Hparams(
        d=d,
        layers=int(g("block_count")),
        heads=heads,
        kv_heads=int(g("attention.head_count_kv") or heads),
        head_dim=int(g("attention.key_length") or d // heads),
        ffn=int(g("feed_forward_length")),
        vocab=vocab,
        eps=float(g("attention.layer_norm_rms_epsilon")),
        rope_theta=float(g("rope.freq_base") or 10000.0),
        context=int(g("context_length")),
    )


def reverse_permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """Undoes llama.cpp's convert permutation of the Q/K rows (interleaved rotary pairs back to
    the halves layout Hugging Face's rotate_half expects), as transformers' GGUF loader does."""
    dim = w.shape[0] // n_head // 2
    return w.reshape(n_head, dim, 2, *w.shape[1:]).swapaxes(2, 1).reshape(w.shape)


def read_tensors(reader: GGUFReader, hp_heads: int, hp_kv: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for t in reader.tensors:
        shape = tuple(int(x) for x in reversed(t.shape.tolist()))  # GGUF dims are innermost first
        w = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(shape)
        if t.name.endswith("attn_q.weight"):
            w = reverse_permute(w, hp_heads)
        elif t.name.endswith("attn_k.weight"):
            w = reverse_permute(w, hp_kv)
        out[t.name] = np.ascontiguousarray(w)
    return out


class Graph:
    """onnx.helper with generated, stable node and value names."""

    def __init__(self, dtype: np.dtype):
        self.dtype = np.dtype(dtype)
        self.onnx_dtype = helper.np_dtype_to_tensor_dtype(self.dtype)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.names: set[str] = set()
        self.count = 0

    def init(self, name: str, array: np.ndarray) -> str:
        assert name not in self.names, name
        self.names.add(name)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def weight(self, name: str, array: np.ndarray) -> str:
        return self.init(name, array.astype(self.dtype))

    def const(self, array, dtype=np.int64) -> str:
        self.count += 1
        return self.init(f"/const_{self.count}", np.asarray(array, dtype=dtype))

    def op(self, op_type: str, inputs: list[str], scope: str, outputs: int = 1, domain: str | None = None, **attrs):
        self.count += 1
        name = f"{scope}/{op_type}_{self.count}"
        outs = [f"{name}/output_{i}" for i in range(outputs)]
        node = helper.make_node(op_type, inputs, outs, name=name, **attrs)
        if domain:
            node.domain = domain
        self.nodes.append(node)
        return outs[0] if outputs == 1 else outs

    def rename_output(self, value: str, name: str) -> str:
        """Gives the producer of `value` the graph-output name `name`."""
        for node in self.nodes:
            for i, o in enumerate(node.output):
                if o == value:
                    node.output[i] = name
            for i, x in enumerate(node.input):
                if x == value:
                    node.input[i] = name
        return name


def rms_norm(g: Graph, x: str, weight: str, eps: float, scope: str) -> str:
    # As transformers' LlamaRMSNorm: in float32 whatever the model's type, then weight * x.
    if g.dtype != np.float32:
        x = g.op("Cast", [x], scope, to=TensorProto.FLOAT)
    var = g.op("ReduceMean", [g.op("Pow", [x, g.const(2.0, np.float32)], scope)], scope, axes=[-1], keepdims=1)
    inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [var, g.const(eps, np.float32)], scope)], scope)], scope)
    y = g.op("Mul", [x, inv], scope)
    if g.dtype != np.float32:
        y = g.op("Cast", [y], scope, to=g.onnx_dtype)
    return g.op("Mul", [weight, y], scope)


def rotate(g: Graph, x: str, cos: str, sin: str, half: int, scope: str) -> str:
    """x * cos + rotate_half(x) * sin over the last axis."""
    first = g.op("Slice", [x, g.const([0]), g.const([half]), g.const([-1])], scope)
    second = g.op("Slice", [x, g.const([half]), g.const([2 * half]), g.const([-1])], scope)
    rotated = g.op("Concat", [g.op("Neg", [second], scope), first], scope, axis=-1)
    return g.op("Add", [g.op("Mul", [x, cos], scope), g.op("Mul", [rotated, sin], scope)], scope)


def build_model(
    hp: Hparams,
    t: dict[str, np.ndarray],
    *,
    dtype=np.float32,
    past: bool = False,
    head: str = "tied",
) -> onnx.ModelProto:
    """head: 'tied' (Transpose of the embedding, MatMul), 'q8-tied' (int8 embedding + DequantizeLinear
    shared by the Gather and the head) or 'q4' (a separate MatMulNBits head)."""
    g = Graph(dtype)
    fdt = g.onnx_dtype
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", fdt, ["batch_size", "sequence_length", hp.vocab])]

    embed = t["token_embd.weight"]  # [V, d]
    if head == "q8-tied":
        scale = (np.abs(embed).max(axis=1) / 127.0).astype(np.float32)
        scale[scale == 0] = 1.0
        q = np.clip(np.rint(embed / scale[:, None]), -127, 127).astype(np.int8)
        table = g.op(
            "DequantizeLinear",
            [g.init("model.embed_tokens.weight_quantized", q), g.init("model.embed_tokens.weight_scale", scale),
             g.init("model.embed_tokens.weight_zero_point", np.zeros(hp.vocab, np.int8))],
            "/model/embed_tokens",
            axis=0,
        )
    else:
        table = g.weight("model.embed_tokens.weight", embed)
    h = g.op("Gather", [table, "input_ids"], "/model/embed_tokens", axis=0)

    # Rotary tables from position_ids, as LlamaRotaryEmbedding: float32 angles, then cos/sin.
    half = hp.head_dim // 2
    inv_freq = (1.0 / (np.float32(hp.rope_theta) ** (np.arange(0, hp.head_dim, 2, dtype=np.int64).astype(np.float32) / hp.head_dim))).astype(np.float32)
    pos = g.op("Unsqueeze", [g.op("Cast", ["position_ids"], "/model/rotary_emb", to=TensorProto.FLOAT), g.const([-1])], "/model/rotary_emb")
    freqs = g.op("Mul", [pos, g.init("model.rotary_emb.inv_freq", inv_freq)], "/model/rotary_emb")
    angles = g.op("Concat", [freqs, freqs], "/model/rotary_emb", axis=-1)  # [B, S, head_dim]
    cos, sin = (g.op(f, [angles], "/model/rotary_emb") for f in ("Cos", "Sin"))
    if dtype != np.float32:
        cos, sin = (g.op("Cast", [x], "/model/rotary_emb", to=fdt) for x in (cos, sin))
    cos_k, sin_k = (g.op("Unsqueeze", [x, g.const([1])], "/model/rotary_emb") for x in (cos, sin))  # [B,1,S,hd]
    cos_q, sin_q = (g.op("Unsqueeze", [x, g.const([1])], "/model/rotary_emb") for x in (cos_k, sin_k))  # [B,1,1,S,hd]

    # The additive mask [B, 1, 1, S, T]: key j is visible to query i (absolute position T - S + i)
    # when j <= T - S + i and attention_mask[b, j] is 1.
    sc = "/model/attn_mask"
    seq = g.op("Gather", [g.op("Shape", ["input_ids"], sc), g.const(1)], sc, axis=0)
    total = g.op("Gather", [g.op("Shape", ["attention_mask"], sc), g.const(1)], sc, axis=0)
    q_pos = g.op("Range", [g.op("Sub", [total, seq], sc), total, g.const(1)], sc)
    k_pos = g.op("Range", [g.const(0), total, g.const(1)], sc)
    causal = g.op("LessOrEqual", [g.op("Unsqueeze", [k_pos, g.const([0])], sc), g.op("Unsqueeze", [q_pos, g.const([1])], sc)], sc)
    padding = g.op("Cast", [g.op("Unsqueeze", ["attention_mask", g.const([1, 2, 3])], sc)], sc, to=TensorProto.BOOL)
    visible = g.op("And", [causal, padding], sc)  # [B, 1, 1, S, T]
    mask = g.op("Where", [visible, g.const(0.0, np.float32), g.const(np.finfo(np.float32).min, np.float32)], sc)

    n_rep = hp.heads // hp.kv_heads
    scale = np.float32(1.0 / np.sqrt(hp.head_dim))
    for i in range(hp.layers):
        p, s = f"blk.{i}.", f"/model/layers.{i}"
        w = lambda name, key: g.weight(f"model.layers.{i}.{name}", t[p + key].T)  # noqa: E731  MatMul B = W^T
        x = rms_norm(g, h, g.weight(f"model.layers.{i}.input_layernorm.weight", t[p + "attn_norm.weight"]), hp.eps, s + "/input_layernorm")
        a = s + "/self_attn"
        q = g.op("MatMul", [x, w("self_attn.q_proj.weight", "attn_q.weight")], a)
        k = g.op("MatMul", [x, w("self_attn.k_proj.weight", "attn_k.weight")], a)
        v = g.op("MatMul", [x, w("self_attn.v_proj.weight", "attn_v.weight")], a)
        # Queries grouped by the key/value head they share: [B, kv, n_rep, S, hd].
        q = g.op("Transpose", [g.op("Reshape", [q, g.const([0, 0, hp.kv_heads, n_rep, hp.head_dim])], a)], a, perm=[0, 2, 3, 1, 4])
        k = g.op("Transpose", [g.op("Reshape", [k, g.const([0, 0, hp.kv_heads, hp.head_dim])], a)], a, perm=[0, 2, 1, 3])
        v = g.op("Transpose", [g.op("Reshape", [v, g.const([0, 0, hp.kv_heads, hp.head_dim])], a)], a, perm=[0, 2, 1, 3])
        q = rotate(g, q, cos_q, sin_q, half, a)
        k = rotate(g, k, cos_k, sin_k, half, a)  # [B, kv, S, hd]
        if past:
            for kind in ("key", "value"):
                inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kind}", fdt, ["batch_size", hp.kv_heads, "past_sequence_length", hp.head_dim]))
                outputs.append(helper.make_tensor_value_info(f"present.{i}.{kind}", fdt, ["batch_size", hp.kv_heads, "total_sequence_length", hp.head_dim]))
            k = g.rename_output(g.op("Concat", [f"past_key_values.{i}.key", k], a, axis=2), f"present.{i}.key")
            v = g.rename_output(g.op("Concat", [f"past_key_values.{i}.value", v], a, axis=2), f"present.{i}.value")
        k5 = g.op("Unsqueeze", [k, g.const([2])], a)
        v5 = g.op("Unsqueeze", [v, g.const([2])], a)
        scores = g.op("MatMul", [q, g.op("Transpose", [k5], a, perm=[0, 1, 2, 4, 3])], a)  # [B, kv, n_rep, S, T]
        if dtype != np.float32:
            scores = g.op("Cast", [scores], a, to=TensorProto.FLOAT)
        scores = g.op("Add", [g.op("Mul", [scores, g.const(scale, np.float32)], a), mask], a)
        probs = g.op("Softmax", [scores], a, axis=-1)
        if dtype != np.float32:
            probs = g.op("Cast", [probs], a, to=fdt)
        ctx = g.op("MatMul", [probs, v5], a)  # [B, kv, n_rep, S, hd]
        ctx = g.op("Reshape", [g.op("Transpose", [ctx], a, perm=[0, 3, 1, 2, 4]), g.const([0, 0, hp.heads * hp.head_dim])], a)
        h = g.op("Add", [h, g.op("MatMul", [ctx, w("self_attn.o_proj.weight", "attn_output.weight")], a)], s)
        m = s + "/mlp"
        x = rms_norm(g, h, g.weight(f"model.layers.{i}.post_attention_layernorm.weight", t[p + "ffn_norm.weight"]), hp.eps, s + "/post_attention_layernorm")
        gate = g.op("MatMul", [x, w("mlp.gate_proj.weight", "ffn_gate.weight")], m)
        up = g.op("MatMul", [x, w("mlp.up_proj.weight", "ffn_up.weight")], m)
        act = g.op("Mul", [gate, g.op("Sigmoid", [gate], m)], m)
        h = g.op("Add", [h, g.op("MatMul", [g.op("Mul", [act, up], m), w("mlp.down_proj.weight", "ffn_down.weight")], m)], s)

    hidden = rms_norm(g, h, g.weight("model.norm.weight", t["output_norm.weight"]), hp.eps, "/model/norm")
    lm = "/lm_head"
    if head == "q4":
        if "output.weight" in t:
            unembed = t["output.weight"]
        else:
            unembed = embed
        packed, scales, zeros = quantize_nbits(unembed, 32)
        logits = g.op(
            "MatMulNBits",
            [hidden, g.init("lm_head.weight_Q4", packed), g.init("lm_head.weight_scales", scales), g.init("lm_head.weight_zp", zeros)],
            lm,
            domain="com.microsoft",
            K=hp.d,
            N=hp.vocab,
            bits=4,
            block_size=32,
        )
    else:
        if "output.weight" in t:
            raise SystemExit("This converter writes tied heads only (the checkpoint has a separate output.weight).")
        logits = g.op("MatMul", [hidden, g.op("Transpose", [table], lm, perm=[1, 0])], lm)
    g.rename_output(logits, "logits")

    graph = helper.make_graph(g.nodes, "main_graph", inputs, outputs, initializer=g.inits)
    opsets = [helper.make_opsetid("", OPSET)]
    if head == "q4":
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="preference-lens gguf_to_onnx", producer_version="1")
    model.ir_version = 8
    return model


def quantize_nbits(w: np.ndarray, block: int):
    """MatMulNBits' 4-bit layout of W [N, K]: per row and block of K, asymmetric round-to-nearest.
    B [N, K/block, block/2] (two values a byte, low nibble first), scales [N * K/block] float32,
    zero points [N * ceil((K/block)/2)] uint8 (two a byte, low nibble first)."""
    n, k = w.shape
    assert k % block == 0
    nb = k // block
    blocks = w.reshape(n, nb, block).astype(np.float32)
    lo = np.minimum(blocks.min(axis=2), 0.0)
    hi = np.maximum(blocks.max(axis=2), 0.0)
    scale = ((hi - lo) / 15.0).astype(np.float32)
    scale[scale == 0] = 1.0
    zp = np.clip(np.rint(-lo / scale), 0, 15).astype(np.uint8)
    q = np.clip(np.rint(blocks / scale[:, :, None]) + zp[:, :, None], 0, 15).astype(np.uint8)
    packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
    zp_padded = np.zeros((n, nb + (nb % 2)), np.uint8)
    zp_padded[:, :nb] = zp
    zeros = (zp_padded[:, 0::2] | (zp_padded[:, 1::2] << 4)).astype(np.uint8).reshape(-1)
    return packed, scale.reshape(-1), zeros


def tokenizer_files(reader: GGUFReader, hp: Hparams) -> dict[str, dict]:
    model = field_value(reader, "tokenizer.ggml.model")
    if model != "gpt2":
        raise SystemExit(f"Only byte-level BPE (gpt2) GGUF tokenizers are supported, not {model}.")
    tokens = field_value(reader, "tokenizer.ggml.tokens")
    types = field_value(reader, "tokenizer.ggml.token_type")
    merges = field_value(reader, "tokenizer.ggml.merges")
    pre = field_value(reader, "tokenizer.ggml.pre") or "gpt2"
    if pre not in PRE_TOKENIZERS:
        raise SystemExit(f"Unknown GGUF pre-tokenizer {pre} (known: {', '.join(PRE_TOKENIZERS)}).")
    tok_id = lambda key: field_value(reader, f"tokenizer.ggml.{key}_token_id")  # noqa: E731
    bos, eos, unk, pad = tok_id("bos"), tok_id("eos"), tok_id("unknown"), tok_id("padding")
    add_bos = field_value(reader, "tokenizer.ggml.add_bos_token")
    add_eos = field_value(reader, "tokenizer.ggml.add_eos_token")
    name = lambda i: None if i is None else tokens[i]  # noqa: E731
    # GGUF token types: 3 control, 4 user-defined: the added tokens of tokenizer.json.
    added = [
        {"id": i, "content": tokens[i], "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": types[i] == 3}
        for i in range(len(tokens))
        if types[i] in (3, 4)
    ]
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": PRE_TOKENIZERS[pre]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": name(unk),
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {tok: i for i, tok in enumerate(tokens)},
            "merges": merges,
        },
    }
    config = {
        "add_bos_token": bool(add_bos),
        "add_eos_token": bool(add_eos),
        "added_tokens_decoder": {str(a["id"]): {k: v for k, v in a.items() if k != "id"} for a in added},
        "bos_token": name(bos),
        "chat_template": field_value(reader, "tokenizer.chat_template"),
        "clean_up_tokenization_spaces": False,
        "eos_token": name(eos),
        "model_max_length": hp.context,
        "pad_token": name(pad if pad is not None else eos),
        "tokenizer_class": "GPT2Tokenizer",
        "unk_token": name(unk),
    }
    special = {k: config[k] for k in ("bos_token", "eos_token", "pad_token", "unk_token") if config[k] is not None}
    return {
        "tokenizer.json": tokenizer,
        "tokenizer_config.json": config,
        "special_tokens_map.json": special,
        "_ids": {"bos": bos, "eos": eos, "pad": pad if pad is not None else eos},
    }


def model_config(hp: Hparams, ids: dict) -> dict:
    return {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "bos_token_id": ids["bos"],
        "eos_token_id": ids["eos"],
        "head_dim": hp.head_dim,
        "hidden_act": "silu",
        "hidden_size": hp.d,
        "intermediate_size": hp.ffn,
        "max_position_embeddings": hp.context,
        "model_type": "llama",
        "num_attention_heads": hp.heads,
        "num_hidden_layers": hp.layers,
        "num_key_value_heads": hp.kv_heads,
        "pad_token_id": ids["pad"],
        "rms_norm_eps": hp.eps,
        "rope_scaling": None,
        "rope_theta": hp.rope_theta,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": hp.vocab,
    }


def write_json(path: str, value) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(value, f, ensure_ascii=False, indent=2)
        f.write("\n")


def save(model: onnx.ModelProto, path: str) -> None:
    with open(path, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gguf")
    ap.add_argument("out")
    ap.add_argument("--variants", action="store_true", help="also write the fp16/past, int8 and 4-bit variants")
    args = ap.parse_args()

    reader = GGUFReader(args.gguf)
    tokens = field_value(reader, "tokenizer.ggml.tokens")
    hp = read_hparams(reader, len(tokens))
    t = read_tensors(reader, hp.heads, hp.kv_heads)
    if t["token_embd.weight"].shape != (hp.vocab, hp.d):
        raise SystemExit(f"token_embd.weight has shape {t['token_embd.weight'].shape}, expected {(hp.vocab, hp.d)}.")
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)

    files = tokenizer_files(reader, hp)
    ids = files.pop("_ids")
    for name, value in files.items():
        write_json(os.path.join(args.out, name), value)
    write_json(os.path.join(args.out, "config.json"), model_config(hp, ids))
    write_json(
        os.path.join(args.out, "generation_config.json"),
        {"bos_token_id": ids["bos"], "eos_token_id": ids["eos"], "pad_token_id": ids["pad"]},
    )

    builds = [("model.onnx", {})]
    if args.variants:
        builds += [
            ("model_fp16.onnx", {"dtype": np.float16, "past": True}),
            ("model_quantized.onnx", {"past": True, "head": "q8-tied"}),
            ("model_q4.onnx", {"head": "q4"}),
        ]
    for name, kw in builds:
        model = build_model(hp, t, **kw)
        onnx.checker.check_model(model)
        save(model, os.path.join(args.out, "onnx", name))
        print(f"wrote onnx/{name}")


if __name__ == "__main__":
    main()
