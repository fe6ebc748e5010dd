#!/usr/bin/env bash
# Runs the 4 + 2 network under zombienet's native provider and its test:
# final blocks on every validator, and a paused proposer impeached while
# finality goes on (zombienet/local-testnet.zndsl).
#
#   scripts/zombienet.sh
#
# Installs @zombienet/cli into zombienet/node_modules from the committed lock
# file the first time (its `toml` dependency is pinned to 3.0.0 by an npm
# override: later versions break its config parser). Uses $CPCHAIN_NODE when
# set, else the cpchain-node in $CARGO_TARGET_DIR (build it first).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export CPCHAIN_NODE="${CPCHAIN_NODE:-$CARGO_TARGET_DIR/release/cpchain-node}"
[ -x "$CPCHAIN_NODE" ] || { echo "zombienet: no cpchain-node at $CPCHAIN_NODE: build it first" >&2; exit 1; }

cd zombienet
[ -x node_modules/.bin/zombienet ] || npm ci --no-audit --no-fund
exec node_modules/.bin/zombienet test --provider native local-testnet.zndsl
