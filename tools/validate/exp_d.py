"""(d) Two checkpoints (paper finding 4, scaled down to 2 busy CPU cores).

Usage: python tools/validate/exp_d.py --align-steps 36 --flip-steps 12 BEHAVIOR...
(features.py --layer 28 first, on the same behaviors).

1. Aligned checkpoint: DPO (chosen = the behavior-matching answer) on the behaviors jointly
   (round robin: step k trains behavior k mod n, a batch of its training rows), updating the last
   30 - L decoder blocks and the final norm (AdamW); the tied embedding / head stays frozen, so the
   head of both checkpoints is the base's W_U and only the features change. The trained tensors are
   written, under their Hugging Face names, to out/aligned/top.npz (write_aligned_onnx.py turns
   them into an ONNX copy of the base export for the CLI's --aligned-model).
2. g(x) of the aligned checkpoint for every row (the trained top on the cached states entering
   block L) and both checkpoints' statistics (distinguishability, concentration = the larger class
   covariance's top eigenvalue, trace), as the CLI computes them.
3. Real flipped-label DPO from each checkpoint, each behavior alone (reference = the start
   checkpoint, chosen = the NON-matching answer), the same top blocks trained with the same
   settings: the flipped objective's test loss, the original-label DPO loss relative to the start
   (its rise is the un-learning), and the policy's own accuracy on the original labels
   (sign of s (l_yes - l_no)).
4. The same flipped-label training head-only (the two answer rows, features frozen), from each
   checkpoint's features: the computation the CLI's misalignment runs simulate.

Writes tools/validate/results/d.json and out/features/<behavior>.aligned.npz.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from common import OUT, REPO, answer_ids, load_model, split
from exp_c import top_logit_diff
from head import behavior_stats, train_head

RESULTS = REPO / "tools" / "validate" / "results"


def top_hidden(model, cached, idx) -> torch.Tensor:
    """Final normalized hidden state at the last prompt token (the trainable top on the cache)."""
    pre = torch.tensor(cached["prefix_h"])
    x = torch.cat([pre.expand(len(idx), -1, -1), torch.tensor(cached["tail_h"][idx])], dim=1)
    pos = torch.arange(x.shape[1]).expand(len(idx), -1)
    h = model.model(inputs_embeds=x, position_ids=pos, use_cache=False).last_hidden_state
    last = torch.tensor(len(pre) + cached["tail_len"][idx] - 1)
    return h[torch.arange(len(idx)), last]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("behaviors", nargs="+")
    ap.add_argument("--layer", type=int, default=28)
    ap.add_argument("--align-steps", type=int, default=36)
    ap.add_argument("--flip-steps", type=int, default=12)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--eval-every", type=int, default=4)
    ap.add_argument("--head-lr", type=float, default=10.0, help="head-only flipped runs: SGD lr")
    ap.add_argument("--head-beta", type=float, default=0.01)
    ap.add_argument("--head-steps", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t_all = time.time()
    head = np.load(OUT / "head.npz")
    w_b = head["yes"] - head["no"]
    model, tok = load_model()
    yes, no = answer_ids(tok)
    n_layers = len(model.model.layers)
    model.model.layers = model.model.layers[args.layer :]
    model.requires_grad_(False)
    named = [(f"model.layers.{args.layer + i}.{k}", p) for i, layer in enumerate(model.model.layers) for k, p in layer.named_parameters()]
    named += [(f"model.norm.{k}", p) for k, p in model.model.norm.named_parameters()]
    trainable = [p for _, p in named]
    for p in trainable:
        p.requires_grad_(True)
    base_w = [p.detach().clone() for p in trainable]

    def load(ws):
        with torch.no_grad():
            for p, w in zip(trainable, ws):
                p.copy_(w)

    data = {}
    for name in args.behaviors:
        cached = dict(np.load(OUT / "features" / f"{name}.layer{args.layer}.npz"))
        f = np.load(OUT / "features" / f"{name}.npz")
        train, test = split(len(f["s"]))
        data[name] = {"cached": cached, "g": f["g"], "s": f["s"], "st": torch.tensor(f["s"]), "train": train, "test": test}

    def logit_diff(name, idx):
        return top_logit_diff(model, data[name]["cached"], np.asarray(idx), yes, no).double()

    def all_diffs():
        model.eval()
        with torch.no_grad():
            return {n: logit_diff(n, np.arange(len(d["s"]))) for n, d in data.items()}

    def dpo(name, idx, ref, sign):
        z = args.beta * sign * data[name]["st"][idx] * (logit_diff(name, idx) - ref[name][idx])
        return torch.nn.functional.softplus(-z).mean()

    out = {"settings": vars(args), "layers": n_layers}
    # ---- 1. the aligned checkpoint ----
    t0 = time.time()
    ref_base = all_diffs()
    gap = max(float((ref_base[n] - torch.tensor(d["g"] @ w_b)).abs().max()) for n, d in data.items())
    print(f"start check: |top blocks on the cache - base features| max {gap:.2e}", flush=True)
    out["start_check_max_abs"] = gap
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    orders = {n: [] for n in data}
    opt = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.0)
    align_curve = []

    def eval_align(step):
        model.eval()
        with torch.no_grad():
            row = {n: float(dpo(n, d["test"], ref_base, 1)) for n, d in data.items()}
        align_curve.append((step, row))
        print(f"align step {step}: " + " ".join(f"{v:.4f}" for v in row.values()) + f" ({time.time() - t0:.0f}s)", flush=True)

    eval_align(0)
    names = list(data)
    for step in range(1, args.align_steps + 1):
        name = names[(step - 1) % len(names)]
        if len(orders[name]) < args.batch:
            orders[name] = list(rng.permutation(data[name]["train"]))
        idx, orders[name] = orders[name][: args.batch], orders[name][args.batch :]
        model.train()
        opt.zero_grad()
        dpo(name, np.array(idx), ref_base, 1).backward()
        opt.step()
        if step % (args.eval_every * len(names)) == 0 or step == args.align_steps:
            eval_align(step)
    del opt
    aligned_w = [p.detach().clone() for p in trainable]
    (OUT / "aligned").mkdir(parents=True, exist_ok=True)
    np.savez(OUT / "aligned" / "top.npz", **{k: p.detach().numpy() for k, p in named})
    out["align"] = {"curve": align_curve, "seconds": time.time() - t0}
    # ---- 2. the aligned features and both checkpoints' statistics ----
    ref_aligned = all_diffs()
    out["behaviors"] = {}
    model.eval()
    for name, d in data.items():
        with torch.no_grad():
            ga = top_hidden(model, d["cached"], np.arange(len(d["s"]))).double().numpy()
        np.savez(OUT / "features" / f"{name}.aligned.npz", g=ga, s=d["s"])
        d["ga"] = ga
        sb, sa = behavior_stats(d["g"], d["s"], w_b), behavior_stats(ga, d["s"], w_b)
        acc = lambda diff: float(np.mean(d["s"][d["test"]] * diff[d["test"]].numpy() > 0))  # noqa: E731
        out["behaviors"][name] = {
            side: {k: st[k] for k in ("distinguishability", "concentration", "trace", "phi")}
            | {"normalized": st["distinguishability"] / np.sqrt(st["trace"]), "test_accuracy": acc(diff)}
            for side, st, diff in (("base", sb, ref_base[name]), ("aligned", sa, ref_aligned[name]))
        }
        print(name, json.dumps(out["behaviors"][name]), flush=True)
    # ---- 3. real flipped-label DPO from each checkpoint (top blocks) ----
    for name, d in data.items():
        for side, start, ref in (("base", base_w, ref_base), ("aligned", aligned_w, ref_aligned)):
            t1 = time.time()
            load(start)
            torch.manual_seed(args.seed)
            rng = np.random.default_rng(args.seed)
            opt = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.0)
            curve = []

            def ev(step):
                model.eval()
                with torch.no_grad():
                    diff = logit_diff(name, d["test"])
                    z = args.beta * d["st"][d["test"]] * (diff - ref[name][d["test"]])
                    curve.append(
                        {
                            "step": step,
                            "flipped_loss": float(torch.nn.functional.softplus(z).mean()),
                            "original_loss": float(torch.nn.functional.softplus(-z).mean()),
                            "original_accuracy": float(np.mean(d["s"][d["test"]] * diff.numpy() > 0)),
                        }
                    )

            ev(0)
            order = []
            for step in range(1, args.flip_steps + 1):
                if len(order) < args.batch:
                    order = list(rng.permutation(d["train"]))
                idx, order = order[: args.batch], order[args.batch :]
                model.train()
                opt.zero_grad()
                dpo(name, np.array(idx), ref, -1).backward()
                opt.step()
                if step % args.eval_every == 0 or step == args.flip_steps:
                    ev(step)
            del opt
            c = curve
            out["behaviors"][name][side]["flip_real"] = {
                "curve": c,
                "original_loss_rise": c[-1]["original_loss"] - c[0]["original_loss"],
                "mean_original_loss_rise": float(np.mean([x["original_loss"] - c[0]["original_loss"] for x in c])),
                "accuracy_drop": c[0]["original_accuracy"] - c[-1]["original_accuracy"],
                "seconds": time.time() - t1,
            }
            print(f"{name} {side} flipped: " + " ".join(f"{x['original_loss']:.4f}/{x['original_accuracy']:.2f}" for x in c) + f" ({time.time() - t1:.0f}s)", flush=True)
    # ---- 4. head-only flipped-label DPO from each checkpoint's features ----
    for name, d in data.items():
        for side, g in (("base", d["g"]), ("aligned", d["ga"])):
            curves = train_head(
                [(g, -d["s"], d["train"], d["test"])], head["yes"], head["no"], "sgd",
                args.head_lr, args.head_beta, args.head_steps, 128, args.seed,
            )[0]
            # flipped objective's test loss; the original-label loss relative to the start is its mirror
            out["behaviors"][name][side]["flip_head_only"] = {
                "flipped_loss_drop": float(curves[0] - curves[-1]),
                "flipped_mean_drop": float(np.mean(curves[0] - curves)),
            }
    out["seconds"] = time.time() - t_all
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "d.json").write_text(json.dumps(out, indent=1, default=float) + "\n")
    print(f"done in {out['seconds']:.0f}s")


if __name__ == "__main__":
    main()
