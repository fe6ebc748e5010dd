#!/usr/bin/env bash
# Makes a network's raw chain spec from the operators' accounts and keys.
#
#   scripts/make-chain-spec.sh network.toml cpchain-raw.json
#
# network.toml (a JSON file with the same fields works too):
#
#   name = "CPChain testnet"          # optional; default the production preset's
#   id = "cpchain_testnet"            # optional
#   boot_nodes = ["/dns/boot-1.example.org/tcp/30333/p2p/12D3KooW..."]
#   council = ["<account>", ...]
#   default_proposers = ["<account>", ...]
#   pdash_agent = "<account>"         # acts for PDash's proxy
#   market_agent = "<account>"        # the private market's escrow agent
#   balances = [["<account>", "<amount in CPC>"], ...]
#   [[validators]]
#   account = "<account>"
#   dpor_key = "<ed25519 public key>"   # `cpchain-node key generate --scheme ed25519`
#
#   [dpor]                            # optional; the preset's values otherwise
#   period_ms = 10000
#   impeach_timeout_ms = 10000
#   term_len = 12                     # proposers a term
#   view_len = 3                      # blocks each proposer makes in turn
#
# Accounts and keys are SS58 addresses (any prefix) or 0x-hex public keys.
# Everything else (issuance, fees) is the production preset's; edit the
# plain spec this script leaves beside the output to change it.
# The script refuses a committee that is not 3f+1 validators, repeated
# accounts or keys, and leaves no placeholder account of the preset behind.
set -euo pipefail

if [ $# -ne 2 ]; then
    sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
[ -f "$1" ] || { echo "make-chain-spec: no such file: $1" >&2; exit 2; }
# lib.sh changes to the repository root.
network="$(realpath "$1")"
out="$(realpath -m "$2")"

if [ -n "${CPCHAIN_NODE:-}" ]; then
    node="$CPCHAIN_NODE"
else
    . "$(dirname "$0")/lib.sh"
    node="$CARGO_TARGET_DIR/release/cpchain-node"
    [ -x "$node" ] || cargo build --release --locked -p cpchain-node
fi

plain="${out%.json}-plain.json"
log="$(mktemp)"
trap 'rm -f "$log" "$plain.preset"' EXIT
# The node's log goes to $log, shown only when it fails.
build_spec() {
    "$node" build-spec "$@" --disable-default-bootnode 2>"$log" || {
        cat "$log" >&2
        echo "make-chain-spec: cpchain-node build-spec $* failed" >&2
        return 1
    }
}
build_spec --chain production >"$plain.preset"
python3 - "$network" "$plain.preset" "$plain" <<'PY'
import hashlib, json, sys

network_path, preset_path, plain_path = sys.argv[1:4]
if network_path.endswith(".toml"):
    import tomllib
    with open(network_path, "rb") as f:
        net = tomllib.load(f)
else:
    with open(network_path) as f:
        net = json.load(f)

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

def fail(message):
    sys.exit(f"make-chain-spec: {message}")

def b58decode(text):
    n = 0
    for c in text:
        if c not in ALPHABET:
            raise ValueError(f"{c!r} is not base58")
        n = n * 58 + ALPHABET.index(c)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw

def b58encode(data):
    n = int.from_bytes(data, "big")
    text = ""
    while n:
        n, r = divmod(n, 58)
        text = ALPHABET[r] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text

def checksum(data):
    return hashlib.blake2b(b"SS58PRE" + data, digest_size=64).digest()[:2]

def public_key(what, text):
    """32 bytes from an SS58 address of any prefix or 0x-hex."""
    if not isinstance(text, str):
        fail(f"{what}: expected a string, got {text!r}")
    if text.startswith("0x"):
        try:
            key = bytes.fromhex(text[2:])
        except ValueError:
            fail(f"{what}: {text} is not hex")
        if len(key) != 32:
            fail(f"{what}: {text} is not 32 bytes")
        return key
    try:
        raw = b58decode(text)
    except ValueError as e:
        fail(f"{what}: {text} is not an SS58 address ({e})")
    prefix_len = 1 if raw and raw[0] < 64 else 2
    if len(raw) != prefix_len + 32 + 2:
        fail(f"{what}: {text} is not an SS58 address of a 32-byte key")
    if checksum(raw[:-2]) != raw[-2:]:
        fail(f"{what}: {text} has a bad checksum (a typo?)")
    return raw[prefix_len:-2]

def ss58(key):
    # The chain spec's JSON writes accounts in the generic format (42).
    data = bytes([42]) + key
    return b58encode(data + checksum(data))

def account(what, text):
    return ss58(public_key(what, text))

with open(preset_path) as f:
    spec = json.load(f)
patch = spec["genesis"]["runtimeGenesis"]["patch"]

validators = net.get("validators") or fail("no [[validators]]")
entries = []
for i, v in enumerate(validators):
    if "account" not in v or "dpor_key" not in v:
        fail(f"validator {i + 1} needs `account` and `dpor_key`")
    entries.append([account(f"validator {i + 1} account", v["account"]),
                    account(f"validator {i + 1} dpor_key", v["dpor_key"])])
if (len(entries) - 1) % 3 != 0:
    fail(f"{len(entries)} validators: DPoR needs 3f+1 (1, 4, 7, 10, ...)")
for column, what in ((0, "account"), (1, "dpor_key")):
    values = [e[column] for e in entries]
    if len(set(values)) != len(values):
        fail(f"two validators share a {what}")
council = [account("council", a) for a in net.get("council") or fail("no council")]
proposers = [account("default_proposers", a)
             for a in net.get("default_proposers") or fail("no default_proposers")]
for name, values in (("council", council), ("default_proposers", proposers)):
    if len(set(values)) != len(values):
        fail(f"{name} repeats an account")

CPC = 10 ** 18
balances = {}
for i, pair in enumerate(net.get("balances") or fail("no balances")):
    who, amount = pair
    who = account(f"balance {i + 1}", who)
    try:
        planck = int(round(float(amount) * CPC)) if "." in str(amount) else int(amount) * CPC
    except ValueError:
        fail(f"balance {i + 1}: {amount!r} is not an amount of CPC")
    if planck <= 0:
        fail(f"balance {i + 1}: the amount must be positive")
    balances[who] = balances.get(who, 0) + planck

patch["dpor"]["validators"] = entries
patch["dpor"]["defaultProposers"] = proposers
patch["councilMembership"]["members"] = council
patch["balances"]["balances"] = [[who, amount] for who, amount in balances.items()]
for key, field in (("period_ms", "periodMs"), ("impeach_timeout_ms", "impeachTimeoutMs"),
                   ("term_len", "termLen"), ("view_len", "viewLen")):
    value = net.get("dpor", {}).get(key)
    if value is not None:
        if not isinstance(value, int) or value <= 0:
            fail(f"dpor.{key}: {value!r} is not a positive whole number")
        patch["dpor"][field] = value
if "term_len" in net.get("dpor", {}):
    patch["dpor"]["lowRptSeats"] = patch["dpor"]["termLen"] // 4

# The preset binds PDash's proxy first and the market's second.
bindings = patch["proxyRegister"]["bindings"]
for index, key in enumerate(("pdash_agent", "market_agent")):
    bindings[index][1] = account(key, net.get(key) or fail(f"no {key}"))
if bindings[0][1] == bindings[1][1]:
    fail("pdash_agent and market_agent must be two accounts: an account acts for one proxy")
for key, field in (("name", "name"), ("id", "id"), ("boot_nodes", "bootNodes")):
    if key in net:
        spec[field] = net[key]

with open(plain_path, "w") as f:
    json.dump(spec, f, indent=2)
PY
build_spec --chain "$plain" --raw >"$out"
echo "make-chain-spec: wrote $out (plain spec: $plain)" >&2
