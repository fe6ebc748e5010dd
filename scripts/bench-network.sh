#!/usr/bin/env bash
# The DPoR network benchmark: six cpchain-node processes on loopback
# (validators Alice..Dave, proposers Eve and Ferdie), a load generator
# submitting pre-signed transfer_keep_alive from many accounts, and a
# table of latencies, throughput and recovery from a killed proposer.
#
#   scripts/bench-network.sh [--period-ms 1000] [--timeout-ms 2000]
#                            [--rate 1000] [--accounts 1000]
#                            [--warmup-s 10] [--measure-s 60]
#                            [--pool-type fork-aware|single-state]
#
# Takes about two minutes after the build. Every node process is killed
# when it ends, also on failure; Ctrl-C reaches them too (one process group).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cargo build --release --locked -p cpchain-node --bin cpchain-node --example bench_network
exec "$CARGO_TARGET_DIR/release/examples/bench_network" \
    --node "$CARGO_TARGET_DIR/release/cpchain-node" "$@"
