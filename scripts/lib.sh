# Sourced by the scripts: runs init.sh and loads the build environment.
SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPTS_DIR/.." && pwd)"
"$SCRIPTS_DIR/init.sh"
# shellcheck disable=SC1091
. "${CPCHAIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cpchain}/env.sh"
cd "$REPO_DIR"
