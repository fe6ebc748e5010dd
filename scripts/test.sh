#!/usr/bin/env bash
# Sets everything up and runs the whole test suite.
#
#   scripts/test.sh [extra cargo test arguments]
#
# Everything builds in release, in one persistent target dir, so a second run
# only rebuilds what changed. The node is built with its test-only
# `byzantine-test` feature (byzantine behaviour behind environment variables,
# for node/tests/byzantine_double_sign.rs); release builds never have it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cargo test --release --locked --workspace --features cpchain-node/byzantine-test "$@"
