#!/usr/bin/env bash
# Sets everything up and runs the whole test suite.
#
#   scripts/test.sh [extra cargo test arguments]
#
# Everything builds in release, in one persistent target dir, so a second run
# only rebuilds what changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cargo test --release --locked --workspace --features cpchain-node/byzantine-test "$@"
