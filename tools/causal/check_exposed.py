"""Cross-check of the causal-LM graph edits with the official ONNX tooling (one-off, not run by tests).

For each sample written by write_samples.mts: the edited models pass onnx.checker (full check with
shape inference), onnxruntime's Python API runs them, the hidden-only model equals the hidden output
of the all-outputs model, and W_U[yes], W_U[no] as read by the TypeScript code reproduce the
model's own logits from that hidden state.

    pip install onnx onnxruntime numpy
    npx tsx tools/causal/write_samples.mts out/causal-samples
    python3 tools/causal/check_exposed.py out/causal-samples
"""
import json
import pathlib
import sys

import numpy as np
import onnx
import onnxruntime as ort


def feeds(session, ids):
    s = len(ids)
    all_feeds = {
        "input_ids": np.array([ids], dtype=np.int64),
        "attention_mask": np.ones((1, s), dtype=np.int64),
        "position_ids": np.arange(s, dtype=np.int64)[None, :],
        "past_key_values.0.key": np.zeros((1, 1, 0, 8), dtype=np.float32),
    }
    names = {i.name for i in session.get_inputs()}
    return {k: v for k, v in all_feeds.items() if k in names}


def main(root: pathlib.Path) -> int:
    ids = [1, 3, 4, 6, 7, 14]
    worst = 0.0
    for sample in sorted(p for p in root.iterdir() if p.is_dir()):
        expected = json.loads((sample / "expected.json").read_text())
        checker = "checker ok"
        for name in ("hidden.onnx", "all.onnx"):
            try:
                onnx.checker.check_model(str(sample / name), full_check=True)
            except onnx.checker.ValidationError as e:
                # onnxruntime's fused norms are contrib ops the ONNX checker does not know.
                if "No Op registered" not in str(e):
                    raise
                checker = "checker n/a (contrib op)"
        hid = ort.InferenceSession(str(sample / "hidden.onnx"), providers=["CPUExecutionProvider"])
        full = ort.InferenceSession(str(sample / "all.onnx"), providers=["CPUExecutionProvider"])
        (h,) = hid.run([expected["hidden"]], feeds(hid, ids))
        out_names = [o.name for o in full.get_outputs()]
        results = dict(zip(out_names, full.run(None, feeds(full, ids))))
        h_full = results[expected["hidden"]]
        assert np.allclose(h, h_full, atol=1e-6), sample.name
        last = h[0, -1]
        logits = results["logits"]
        last_logits = logits[0] if logits.ndim == 2 else logits[0, -1]
        err = 0.0
        if expected["yes"] is not None:
            err = max(abs(float(np.dot(expected["yes"], last)) - float(last_logits[9])),
                      abs(float(np.dot(expected["no"], last)) - float(last_logits[10])))
            assert err < 1e-5, (sample.name, err)
        worst = max(worst, err)
        print(f"{sample.name:16s} {checker}, outputs {out_names}, |W_U[yes/no].g - logits| = {err:.2e}")
    print(f"all samples pass (worst logit error {worst:.2e})")
    return 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/causal-samples")))
