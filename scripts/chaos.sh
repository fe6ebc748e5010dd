#!/usr/bin/env bash
# Chaos on the six-node local_testnet network: random kill -9 of
# validators, proposers and, at times, every node at once; after every
# restart finality must resume on all six and the final blocks agree.
#
#   scripts/chaos.sh [--minutes M] [--seed S]     (default 10 minutes, seed 1)
#
# The test suite runs a two-minute version (node/tests/chaos.rs).
set -euo pipefail
minutes=10
seed=1
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        -h|--help) sed -n 2,8p "$0"; exit 0 ;;
        *) echo "chaos.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done
case "$minutes$seed" in *[!0-9]*) echo "chaos.sh: --minutes and --seed take whole numbers" >&2; exit 2 ;; esac
. "$(dirname "$0")/lib.sh"
CHAOS_SECONDS=$((minutes * 60)) CHAOS_SEED="$seed" \
    cargo test --release --locked -p cpchain-node --test chaos -- --nocapture
