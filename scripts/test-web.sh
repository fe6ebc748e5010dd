#!/usr/bin/env bash
# Builds the web app (web/) and runs its browser test: Debian's Chromium,
# driven by playwright-core, against a dev node it starts on loopback.
#
#   scripts/test-web.sh
#
# Uses $CPCHAIN_NODE when set, else the cpchain-node in $CARGO_TARGET_DIR
# (scripts/test.sh builds it first; build it with
# `cargo build --release --locked -p cpchain-node` when running this alone).
# Screenshots go to $SCREENSHOTS, default web/test-output/screenshots-<time>;
# the test prints where.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export CPCHAIN_NODE="${CPCHAIN_NODE:-$CARGO_TARGET_DIR/release/cpchain-node}"
[ -x "$CPCHAIN_NODE" ] || { echo "test-web: no cpchain-node at $CPCHAIN_NODE: build it first" >&2; exit 1; }

node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
    || { echo "test-web: web/ needs Node.js 20.19 or later, this machine has $(node --version)" >&2; exit 1; }

cd web
npm ci --no-audit --no-fund
npm run build
npm test
