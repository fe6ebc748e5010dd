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
#                            [--duration <seconds>] [--drain-s 120]
#                            [--single instant|dpor] [--burst N]
#                            [--submit-to one|both]
#                            [--node-arg "<flags for every node>"]...
#
# The table also gives node CPU per finalized transfer, in total and per
# validator and per proposer node, and the load generator's own CPU apart.
#
# --duration 600: a soak at --rate for that long (the first --warmup-s not
#   measured; no proposer killed), then a wait of at most --drain-s for the
#   backlog; adds transfers lost (accepted by a proposer's RPC, never final,
#   from each sender's nonce at the finalized head) and refused, each
#   node's VmRSS at start, end and its maximum, and per minute the
#   finalized transfers/s and submit-to-final p50/p99.
# --single instant|dpor: one `cpchain-node --dev --tmp` node (--sealing
#   instant, or the dev chain's DPoR) with --pool-limit 50000 --pool-kbytes
#   200000; --accounts senders (default 60) x 200 transfers in batches of
#   500 as fast as it takes them; gives accepted, refused, lost, first
#   submission to last transfer final, and finalized transfers/s.
#
# Takes about two minutes after the build (a soak: its duration, plus up
# to --drain-s). Every node process is killed when it ends, also on
# failure; Ctrl-C reaches them too (one process group), and each node
# dies with the benchmark process.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cargo build --release --locked -p cpchain-node --bin cpchain-node --example bench_network
exec "$CARGO_TARGET_DIR/release/examples/bench_network" \
    --node "$CARGO_TARGET_DIR/release/cpchain-node" "$@"
