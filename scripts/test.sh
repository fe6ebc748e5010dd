#!/usr/bin/env bash
# Sets everything up and runs the whole test suite.
#
#   scripts/test.sh [extra cargo test arguments]
#
# Everything builds in release, in one persistent target dir, so a second run
# only rebuilds what changed. The node is built with its test-only
# `byzantine-test` feature (byzantine behaviour behind environment variables,
# for node/tests/byzantine_double_sign.rs); release builds never have it.
# Extra arguments go to the first cargo invocation below. Then the web app's
# browser test (scripts/test-web.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cargo test --release --locked --workspace --features cpchain-node/byzantine-test "$@"

# The runtime's migrations and try_state checks on state loaded from a live
# node (runtime/try-runtime, its own workspace so that its try-runtime
# feature never reaches the node's runtime). It starts the cpchain-node the
# command above built.
cargo test --release --locked --manifest-path runtime/try-runtime/Cargo.toml

# The web app (web/) in a real browser against the cpchain-node built above.
"$SCRIPTS_DIR/test-web.sh"

# The same 4 + 2 network under zombienet, where @zombienet/cli is installed
# (scripts/zombienet.sh installs it into zombienet/ from its lock file).
if [ -x "$REPO_DIR/zombienet/node_modules/.bin/zombienet" ]; then
    "$SCRIPTS_DIR/zombienet.sh"
else
    echo "test: zombienet is not installed here, so zombienet/local-testnet.zndsl is skipped (scripts/zombienet.sh runs it)" >&2
fi
