"""(c) Full fine-tuning with DPO, each behavior alone (paper Fig. 6), small and CPU-sized.

Usage: python tools/validate/exp_c.py --train 64 --batch 8 --steps 24 BEHAVIOR...  (features.py first)
All parameters train (AdamW). The answer is one token, so chosen and rejected share the prompt's
forward pass: the DPO log-ratio difference is s * ((l_yes - l_no) - (l_yes - l_no)_ref) with l the
logits at the last prompt token (the normalizer cancels within each model). The reference logits
are the base model's, from the features computed by features.py.
Writes tools/validate/results/c.json.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from common import OUT, REPO, answer_ids, load_model, prompt_ids, spearman, split, subset
from head import behavior_stats

RESULTS = REPO / "tools" / "validate" / "results"


def logit_diff(model, ids: list[list[int]], pad_id: int, yes: int, no: int) -> torch.Tensor:
    """l_yes - l_no at each prompt's last token (left padding, explicit positions)."""
    width = max(len(i) for i in ids)
    x = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(x)
    for k, i in enumerate(ids):
        x[k, width - len(i) :] = torch.tensor(i)
        mask[k, width - len(i) :] = 1
    h = model.model(input_ids=x, attention_mask=mask, position_ids=(mask.cumsum(-1) - 1).clamp(min=0))
    last = h.last_hidden_state[:, -1, :]
    w = model.lm_head.weight
    return last @ (w[yes] - w[no])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("behaviors", nargs="+")
    ap.add_argument("--per-class", type=int, default=100, help="as given to features.py")
    ap.add_argument("--train", type=int, default=64)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--eval-every", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    head = np.load(OUT / "head.npz")
    w_b = head["yes"] - head["no"]
    out = {"settings": vars(args), "behaviors": []}
    t_all = time.time()
    for name in args.behaviors:
        t0 = time.time()
        torch.manual_seed(args.seed)
        model, tok = load_model()
        yes, no = answer_ids(tok)
        rows = subset(name, args.per_class)
        f = np.load(OUT / "features" / f"{name}.npz")
        g, s = f["g"], f["s"]
        ref = torch.tensor(g @ w_b)  # base model's l_yes - l_no
        train, test = split(len(s))
        rng = np.random.default_rng(args.seed)
        train = rng.choice(train, size=min(args.train, len(train)), replace=False)
        ids = [prompt_ids(tok, r["question"]) for r in rows]
        st = torch.tensor(s)

        def dpo_loss(idx):
            d = logit_diff(model, [ids[i] for i in idx], tok.pad_token_id, yes, no).double()
            z = args.beta * st[idx] * (d - ref[idx])
            return torch.nn.functional.softplus(-z).mean()

        def test_loss():
            model.eval()
            with torch.no_grad():
                return float(dpo_loss(test))

        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
        curve = [(0, test_loss())]
        order = []
        for step in range(1, args.steps + 1):
            if not order:  # epochs over the training subset, reshuffled each time
                order = list(rng.permutation(train))
            idx, order = order[: args.batch], order[args.batch :]
            model.train()
            opt.zero_grad()
            loss = dpo_loss(np.array(idx))
            loss.backward()
            opt.step()
            if step % args.eval_every == 0 or step == args.steps:
                curve.append((step, test_loss()))
                print(f"{name} step {step}: train {float(loss):.4f} test {curve[-1][1]:.4f} ({time.time() - t0:.0f}s)", flush=True)
        stats = behavior_stats(g, s, w_b)
        out["behaviors"].append(
            {
                "name": name,
                "distinguishability": stats["distinguishability"],
                "normalized": stats["distinguishability"] / np.sqrt(stats["trace"]),
                "curve": curve,
                "drop": curve[0][1] - curve[-1][1],
                "mean_drop": float(np.mean([curve[0][1] - c for _, c in curve])),
                "seconds": time.time() - t0,
            }
        )
        del model, opt
    bs = out["behaviors"]
    out["seconds"] = time.time() - t_all
    out["spearman"] = {}
    for pred in ("distinguishability", "normalized"):
        for real in ("drop", "mean_drop"):
            rho, p = spearman([b[pred] for b in bs], [b[real] for b in bs])
            out["spearman"][f"{pred} vs real {real}"] = {"rho": rho, "p": p, "n": len(bs)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "c.json").write_text(json.dumps(out, indent=1, default=float) + "\n")
    print("| behavior | dist. | normalized | test loss start | test loss end | drop | seconds |")
    print("|---|---|---|---|---|---|---|")
    for b in bs:
        print(f"| {b['name']} | {b['distinguishability']:.3f} | {b['normalized']:.3f} | {b['curve'][0][1]:.4f} | {b['curve'][-1][1]:.4f} | {b['drop']:.4f} | {b['seconds']:.0f} |")
    for k, v in out["spearman"].items():
        print(f"- {k}: rho = {v['rho']:.3f}, p = {v['p']:.4f}, n = {v['n']}")


if __name__ == "__main__":
    main()
