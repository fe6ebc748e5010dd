#!/usr/bin/env bash
# Benchmarks CPChain's pallets in the runtime's wasm and writes their
# weights.rs files.
#
#   scripts/benchmark-pallets.sh [pallet_name ...]     (default: all of ours)
#
# Builds cpchain-node with `runtime-benchmarks` (a second build beside the
# normal one, in the same target dir), then runs `benchmark pallet` against
# the development chain's genesis. STEPS and REPEAT may be set in the
# environment.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

declare -A PALLET_DIRS=(
    [pallet_proxy_register]=proxy-register
    [pallet_admission]=admission
    [pallet_register]=register
    [pallet_pdash]=pdash
    [pallet_rpt]=rpt
    [pallet_campaign]=campaign
    [pallet_dpor]=dpor
    [pallet_private_market]=private-market
)
# Records in weights.rs which benchmarking.rs it was generated from; the
# runtime test `weights_come_from_the_current_benchmarks` compares it.
record_benchmarks_hash() {
    local dir="pallets/$1/src" hash
    hash=$(b2sum -l 256 "$dir/benchmarking.rs" | cut -d' ' -f1)
    sed -i '/^\/\/! benchmarking.rs blake2-256: /d' "$dir/weights.rs"
    sed -i "s|^//! Regenerate with \`scripts/benchmark-pallets.sh\`.\$|&\n//! benchmarking.rs blake2-256: 0x$hash|" "$dir/weights.rs"
    grep -q "^//! benchmarking.rs blake2-256: 0x$hash\$" "$dir/weights.rs" || {
        echo "benchmark: could not record the benchmarks' hash in $dir/weights.rs" >&2
        exit 1
    }
}

pallets=("$@")
[ ${#pallets[@]} -gt 0 ] || pallets=("${!PALLET_DIRS[@]}")

echo "benchmark: building cpchain-node with runtime-benchmarks"
cargo build --release --locked -p cpchain-node --features runtime-benchmarks
node="$CARGO_TARGET_DIR/release/cpchain-node"

for pallet in "${pallets[@]}"; do
    dir="${PALLET_DIRS[$pallet]:-}"
    if [ -z "$dir" ]; then
        echo "benchmark: unknown pallet $pallet; known: ${!PALLET_DIRS[*]}" >&2
        exit 2
    fi
    echo "benchmark: $pallet"
    "$node" benchmark pallet \
        --chain dev \
        --pallet "$pallet" \
        --extrinsic '*' \
        --steps "${STEPS:-50}" \
        --repeat "${REPEAT:-20}" \
        --wasm-execution compiled \
        --template scripts/pallet-weight-template.hbs \
        --output "pallets/$dir/src/weights.rs"
    record_benchmarks_hash "$dir"
done
