#!/usr/bin/env bash
# End-to-end test in a real VS Code (code-server, see scripts/e2e-setup.sh): builds and packages
# the VSIX, installs it into a fresh profile under .e2e/, serves VS Code on loopback and drives it
# with Chromium (test/e2e/run.ts). Screenshots go to test-results/e2e/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export ONNXRUNTIME_NODE_INSTALL=skip

bash scripts/e2e-setup.sh
E2E="$ROOT/.e2e"
NODE24="$E2E/tools/node_modules/node/bin/node"
ENTRY="$E2E/code-server/node_modules/code-server/out/node/entry.js"

if [ "${E2E_SKIP_PACKAGE:-0}" != "1" ]; then npm run package; fi
VSIX="$ROOT/dist/preference-lens-linux-x64.vsix"

# A fresh profile, workspace and embedding cache each run: the first analysis embeds everything,
# the second must come from the cache.
PROFILE="$E2E/profile"
USER_DATA="$PROFILE/user-data"
EXTENSIONS="$PROFILE/extensions"
WORKSPACE="$PROFILE/workspace"
rm -rf "$PROFILE"
mkdir -p "$USER_DATA/User" "$EXTENSIONS" "$WORKSPACE/persona" "$PROFILE/cache"
# Six behaviors from the paper's figures, their first 300 records each (real data, small enough
# that a first, uncached embedding takes a minute or two on two CPU cores).
for name in agreeableness subscribes-to-total-utilitarianism subscribes-to-average-utilitarianism \
  subscribes-to-Buddhism desire-to-not-have-memory-erased risk-seeking; do
  head -n "${E2E_ROWS:-300}" "examples/persona/$name.jsonl" >"$WORKSPACE/persona/$name.jsonl"
done
# A seventh behavior whose labels mean nothing: the first 300 risk-averse records with the two
# answers swapped by a seeded coin (mulberry32, seed 17), so the report must call it indistinguishable.
cp test/fixtures/e2e/random-labels.jsonl "$WORKSPACE/persona/random-labels.jsonl"
# A Parquet dataset (TRL conversational pairs with a category field; test/fixtures/formats/).
mkdir -p "$WORKSPACE/parquet"
cp test/fixtures/formats/trl-messages.parquet "$WORKSPACE/parquet/trl-messages.parquet"
# An unlabeled pairwise file (HH-RLHF, no behavior field): its behaviors are discovered.
mkdir -p "$WORKSPACE/unlabeled"
head -n 60 examples/hh-rlhf/harmless-base-test-first300.jsonl >"$WORKSPACE/unlabeled/harmless-first60.jsonl"
cat >"$USER_DATA/User/settings.json" <<'JSON'
{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "chat.disableAIFeatures": true,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "window.restoreWindows": "none",
  "files.hotExit": "off",
  "editor.minimap.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "git.enabled": false,
  "git.openRepositoryInParentFolders": "never"
}
JSON

"$NODE24" "$ENTRY" --user-data-dir "$USER_DATA" --extensions-dir "$EXTENSIONS" --install-extension "$VSIX"

PORT="${E2E_PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
LOG="$PROFILE/code-server.log"
XDG_CACHE_HOME="$PROFILE/cache" "$NODE24" "$ENTRY" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --user-data-dir "$USER_DATA" --extensions-dir "$EXTENSIONS" "$WORKSPACE" >"$LOG" 2>&1 &
SERVER_PID=$!
stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}
trap stop_server EXIT

for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz"; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    cat "$LOG"
    echo "code-server exited" >&2
    exit 1
  fi
  sleep 0.5
done

rm -rf test-results/e2e
mkdir -p test-results/e2e
status=0
E2E_PORT="$PORT" E2E_SERVER_PID="$SERVER_PID" E2E_WORKSPACE="$WORKSPACE" E2E_USER_DATA="$USER_DATA" E2E_OUT="$ROOT/test-results/e2e" \
  timeout "${E2E_TIMEOUT:-720}" npx tsx test/e2e/run.ts || status=$?
cp "$LOG" test-results/e2e/code-server.log || true
# The extension host's log (console and errors of the extension) helps when a step fails.
find "$USER_DATA/logs" -name 'exthost*.log' -exec cp {} test-results/e2e/ \; 2>/dev/null || true
exit "$status"
