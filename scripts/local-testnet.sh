#!/usr/bin/env bash
# Runs the `local_testnet` DPoR network on this machine: validators Alice,
# Bob, Charlie and Dave, proposers Eve and Ferdie, each a cpchain-node
# process on loopback.
#
#   scripts/local-testnet.sh [base dir, default a new temporary dir]
#
# RPC: Alice ws://127.0.0.1:9944, Bob 9945, ... Ferdie 9949. Logs go to
# <base dir>/<name>.log. Ctrl-C stops every node.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cargo build --release --locked -p cpchain-node
node="$CARGO_TARGET_DIR/release/cpchain-node"
base="${1:-$(mktemp -d -t cpchain-local-XXXXXX)}"
mkdir -p "$base"

# Alice's network key is fixed so that the others can find her.
alice_key=0000000000000000000000000000000000000000000000000000000000000001
alice_peer=12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp

pids=()
stop() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop EXIT INT TERM

i=0
for name in alice bob charlie dave eve ferdie; do
    key=$(printf '%064x' $((i + 1)))
    args=(--chain local "--$name" --base-path "$base/$name" --node-key "$key"
        --rpc-port $((9944 + i)) --prometheus-port $((9615 + i))
        --listen-addr "/ip4/127.0.0.1/tcp/$((30333 + i))" --no-mdns)
    if [ "$name" != alice ]; then
        args+=(--bootnodes "/ip4/127.0.0.1/tcp/30333/p2p/$alice_peer")
    fi
    "$node" "${args[@]}" >"$base/$name.log" 2>&1 &
    pids+=($!)
    echo "$name: rpc ws://127.0.0.1:$((9944 + i)), log $base/$name.log" >&2
    i=$((i + 1))
done
echo "local testnet running; Ctrl-C stops it" >&2
wait
