#!/usr/bin/env bash
# Installs what building cpchain-node needs and writes the build environment.
#
# Safe to run again: a second run checks and returns in seconds.
#
#   scripts/init.sh            install, then write $CPCHAIN_CACHE_DIR/env.sh
#   . "$CPCHAIN_CACHE_DIR/env.sh"   (the other scripts do this for you)
#
# Environment:
#   CPCHAIN_CACHE_DIR    where the env file and default target dir live
#                        (default: ${XDG_CACHE_HOME:-$HOME/.cache}/cpchain)
#   CARGO_TARGET_DIR     kept if set; otherwise $CPCHAIN_CACHE_DIR/target
#   CPCHAIN_WASM_ROUTE   rustup | debian: force how the wasm32v1-none target is provided
set -euo pipefail

CACHE_DIR="${CPCHAIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cpchain}"
ENV_FILE="$CACHE_DIR/env.sh"
WASM_TARGET=wasm32v1-none
DEBIAN_SYSROOT_LIB=/usr/lib/rustlib/$WASM_TARGET/lib
DEBIAN_STAMP=$DEBIAN_SYSROOT_LIB/.cpchain-rustc-version

say() { echo "init: $*" >&2; }
die() { echo "init: error: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $* (install sudo, or run this script as root)"
    fi
}

APT_UPDATED=0
apt_install() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 \
        || die "missing ${missing[*]}, and this is not a Debian-like system: install them by hand"
    if [ $APT_UPDATED -eq 0 ]; then
        say "updating the Debian package lists"
        as_root apt-get update -qq || die "apt-get update failed (is a Debian mirror reachable?)"
        APT_UPDATED=1
    fi
    say "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

# --- Rust and the build's system packages -------------------------------------------------

command -v cargo >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1 \
    || die "cargo and rustup are required: install Rust from rustup (the stable toolchain)"

# litep2p compiles protobuf definitions; cc links the native node.
command -v protoc >/dev/null 2>&1 || apt_install protobuf-compiler
command -v cc >/dev/null 2>&1 || apt_install build-essential
# The clock-rule test runs a proposer with a clock a minute fast.
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || command -v faketime >/dev/null 2>&1 \
    || apt_install faketime

# --- Node.js and Chromium for the web app's browser test -------------------------------------

# web/ builds with Vite 8, which needs Node.js 20.19 or later (scripts/test-web.sh
# checks; the node's build does not need Node.js, so an older one only warns here).
command -v node >/dev/null 2>&1 || apt_install nodejs
command -v npm >/dev/null 2>&1 || apt_install npm
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
    || say "warning: web/ needs Node.js 20.19 or later, this machine has $(node --version): install a newer one for the web app"
# The browser test drives Debian's Chromium; it never downloads a browser.
[ -x /usr/bin/chromium ] || apt_install chromium

# --- The wasm32v1-none target for the runtime -----------------------------------------------

rustup_has_wasm() {
    rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET" \
        && rustup component list --installed 2>/dev/null | grep -q '^rust-src'
}

try_rustup_wasm() {
    say "adding $WASM_TARGET and rust-src through rustup"
    timeout 300 rustup target add "$WASM_TARGET" >/dev/null 2>&1 \
        && timeout 300 rustup component add rust-src >/dev/null 2>&1
}

debian_wasm_ready() {
    [ -f "$DEBIAN_STAMP" ] && [ -x /usr/bin/rustc ] \
        && [ "$(cat "$DEBIAN_STAMP")" = "$(/usr/bin/rustc -vV)" ] \
        && command -v rust-lld >/dev/null 2>&1 \
        && rustup toolchain list 2>/dev/null | grep -q '^debian'
}

# Debian ships rustc 1.96 with std sources but no prebuilt wasm32v1-none std:
# build core and alloc for it once, with embedded bitcode for the builder's LTO.
setup_debian_wasm() {
    apt_install rustc-web cargo-web rust-web-src lld-19

    if ! command -v rust-lld >/dev/null 2>&1; then
        say "linking /usr/local/bin/rust-lld to lld-19"
        as_root ln -sf /usr/lib/llvm-19/bin/lld /usr/local/bin/rust-lld
    fi

    if [ ! -f "$DEBIAN_STAMP" ] || [ "$(cat "$DEBIAN_STAMP")" != "$(/usr/bin/rustc -vV)" ]; then
        say "building core and alloc for $WASM_TARGET with Debian's rustc (a few minutes, once)"
        local work
        work=$(mktemp -d)
        mkdir -p "$work/src"
        cat >"$work/Cargo.toml" <<'EOF'
[package]
name = "wasm-sysroot"
version = "0.0.0"
edition = "2021"
[profile.release]
panic = "abort"
EOF
        echo '#![no_std]' >"$work/src/lib.rs"
        (cd "$work" && RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Cembed-bitcode=yes \
            CARGO_TARGET_DIR="$work/target" \
            /usr/bin/cargo build --quiet --release --target "$WASM_TARGET" -Zbuild-std=core,alloc) \
            || die "building core and alloc for $WASM_TARGET failed (see the cargo output above)"
        as_root mkdir -p "$DEBIAN_SYSROOT_LIB"
        local deps="$work/target/$WASM_TARGET/release/deps"
        as_root rm -f "$DEBIAN_SYSROOT_LIB"/lib{core,alloc,compiler_builtins}-*
        as_root cp "$deps"/libcore-*.r{lib,meta} "$deps"/liballoc-*.r{lib,meta} \
            "$deps"/libcompiler_builtins-*.r{lib,meta} "$DEBIAN_SYSROOT_LIB/"
        /usr/bin/rustc -vV | as_root tee "$DEBIAN_STAMP" >/dev/null
        rm -rf "$work"
    fi

    if ! rustup toolchain list 2>/dev/null | grep -q '^debian'; then
        say "registering Debian's Rust as the rustup toolchain 'debian'"
        rustup toolchain link debian /usr || die "rustup toolchain link debian /usr failed"
    fi
}

route="${CPCHAIN_WASM_ROUTE:-}"
case "$route" in
    rustup)
        rustup_has_wasm || try_rustup_wasm || die "rustup could not add $WASM_TARGET and rust-src"
        ;;
    debian)
        debian_wasm_ready || setup_debian_wasm
        ;;
    "")
        if rustup_has_wasm; then
            route=rustup
        elif debian_wasm_ready; then
            route=debian
        elif try_rustup_wasm; then
            route=rustup
        else
            say "rustup cannot provide $WASM_TARGET here; using Debian's Rust instead"
            setup_debian_wasm
            route=debian
        fi
        ;;
    *)
        die "CPCHAIN_WASM_ROUTE must be rustup or debian, not '$route'"
        ;;
esac

# --- The build environment ------------------------------------------------------------------

mkdir -p "$CACHE_DIR"
{
    echo "# Written by scripts/init.sh; source it before building cpchain-node."
    echo "export CARGO_TARGET_DIR=\"\${CARGO_TARGET_DIR:-$CACHE_DIR/target}\""
    if [ "$route" = debian ]; then
        echo "export WASM_BUILD_TOOLCHAIN=debian"
    else
        echo "unset WASM_BUILD_TOOLCHAIN"
    fi
} >"$ENV_FILE.tmp"
mv "$ENV_FILE.tmp" "$ENV_FILE"
say "ready: wasm through $route; build environment in $ENV_FILE"
