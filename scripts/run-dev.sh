#!/usr/bin/env bash
# Sets everything up, builds cpchain-node and runs a single-node development chain.
#
#   scripts/run-dev.sh [extra cpchain-node flags, e.g. --sealing instant]
#
# RPC and WebSocket on ws://127.0.0.1:9944. The chain lives in a temporary
# directory and is gone when the node stops (Ctrl-C).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

echo "building cpchain-node (the first build takes about an hour on 2 cores)" >&2
cargo build --release --locked -p cpchain-node
exec "$CARGO_TARGET_DIR/release/cpchain-node" --dev --rpc-port 9944 "$@"
