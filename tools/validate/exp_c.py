"""(c) DPO fine-tuning of the model's last transformer blocks, each behavior alone (paper Fig. 6,
scaled down to 2 busy CPU cores).

Usage: python tools/validate/exp_c.py --train 60 --batch 8 --steps 40 BEHAVIOR...
(features.py --layer L first). The last 30 - L decoder blocks and the final norm train (AdamW);
the blocks below L are frozen, so the hidden states entering block L are computed once by
features.py and the training runs only the top of the network. The tied embedding / head stays
frozen. The answer is one token, so chosen and rejected share the prompt's forward pass: the DPO
log-ratio difference is s * ((l_yes - l_no) - (l_yes - l_no)_ref), l the logits at the last prompt
token (the normalizer cancels within each model); the reference is the base model's, from the
features. Writes tools/validate/results/c.json.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from common import OUT, REPO, answer_ids, load_model, spearman, split
from head import behavior_stats

RESULTS = REPO / "tools" / "validate" / "results"


def top_logit_diff(model, cached, idx, yes: int, no: int) -> torch.Tensor:
    """l_yes - l_no at the last prompt token, running only the trainable top blocks on the cached
    states entering them (the full prompt: shared prefix + right-padded suffix, causal mask)."""
    pre = torch.tensor(cached["prefix_h"])
    tails = torch.tensor(cached["tail_h"][idx])
    x = torch.cat([pre.expand(len(idx), -1, -1), tails], dim=1)
    pos = torch.arange(x.shape[1]).expand(len(idx), -1)
    h = model.model(inputs_embeds=x, position_ids=pos, use_cache=False).last_hidden_state
    last = torch.tensor(len(pre) + cached["tail_len"][idx] - 1)
    w = model.lm_head.weight
    return h[torch.arange(len(idx)), last] @ (w[yes] - w[no])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("behaviors", nargs="+")
    ap.add_argument("--layer", type=int, default=28, help="first trainable block (as features.py --layer)")
    ap.add_argument("--train", type=int, default=60)
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
    model, tok = load_model()
    yes, no = answer_ids(tok)
    model.model.layers = model.model.layers[args.layer :]  # the frozen bottom ran in features.py
    model.requires_grad_(False)
    trainable = [*model.model.layers.parameters(), *model.model.norm.parameters()]
    for p in trainable:
        p.requires_grad_(True)
    start = [p.detach().clone() for p in trainable]
    for name in args.behaviors:
        t0 = time.time()
        torch.manual_seed(args.seed)
        with torch.no_grad():  # every behavior starts from the base weights
            for p, p0 in zip(trainable, start):
                p.copy_(p0)
        cached = dict(np.load(OUT / "features" / f"{name}.layer{args.layer}.npz"))
        f = np.load(OUT / "features" / f"{name}.npz")
        g, s = f["g"], f["s"]
        ref = torch.tensor(g @ w_b)  # base model's l_yes - l_no
        train, test = split(len(s))
        rng = np.random.default_rng(args.seed)
        train = rng.choice(train, size=min(args.train, len(train)), replace=False)
        st = torch.tensor(s)
        with torch.no_grad():  # the top of the network on the cached states = the features
            gap = float((top_logit_diff(model, cached, test, yes, no).double() - ref[test]).abs().max())
        print(f"{name}: |logit diff - base features'| max {gap:.2e}", flush=True)

        def dpo_loss(idx):
            d = top_logit_diff(model, cached, idx, yes, no).double()
            z = args.beta * st[idx] * (d - ref[idx])
            return torch.nn.functional.softplus(-z).mean()

        def test_loss():
            model.eval()
            with torch.no_grad():
                return float(dpo_loss(test))

        opt = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.0)
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
                "start_check_max_abs": gap,
                "distinguishability": stats["distinguishability"],
                "normalized": stats["distinguishability"] / np.sqrt(stats["trace"]),
                "curve": curve,
                "drop": curve[0][1] - curve[-1][1],
                "mean_drop": float(np.mean([curve[0][1] - c for _, c in curve])),
                "seconds": time.time() - t0,
            }
        )
        del opt
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
