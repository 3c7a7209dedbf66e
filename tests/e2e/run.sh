#!/usr/bin/env bash
# End-to-end tests of `rolecall lsp` with real clients:
#   1. pytest-lsp (PyPI), a client library, on both reference policies (test_lsp.py);
#   2. Neovim (Debian's), headless, its built-in LSP client attached to the server (nvim.lua).
# Installs what it needs: pytest-lsp into a virtual environment in ~/.cache/rolecall/ (or
# $ROLECALL_TOOLS; kept outside the clone, so a second run on a machine installs nothing), Debian's neovim when nvim is missing (CI runs as root).
# Each client is bounded in time. Run by .ci/run after `cargo test` (which built the binary).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fail() {
    echo "e2e test FAILED: $*" >&2
    exit 1
}
export ROLECALL="$root/target/debug/rolecall"
[ -x "$ROLECALL" ] || (cd "$root" && cargo build --quiet --bin rolecall) || fail "cannot build rolecall"

venv="${ROLECALL_TOOLS:-${HOME:-/root}/.cache/rolecall/tools}/e2e-venv"
pins="pytest-lsp==1.0.1 pytest==9.2.0"
if [ "$(cat "$venv/pins" 2>/dev/null)" != "$pins" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv" || fail "python3 -m venv failed"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install --quiet --disable-pip-version-check $pins || fail "pip install failed"
    echo "$pins" >"$venv/pins"
fi
(cd "$here" && timeout 300 "$venv/bin/python" -m pytest -q -p no:cacheprovider test_lsp.py) ||
    fail "pytest-lsp tests failed"

if ! command -v nvim >/dev/null; then
    echo "e2e test: installing Debian's neovim" >&2
    apt-get update >/dev/null || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends neovim >/dev/null ||
        fail "cannot install neovim"
fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
ROLECALL_E2E_OUT="$out" timeout 120 nvim -n --headless --clean -u NONE -c "luafile $here/nvim.lua" \
    "$root/policies/livestorm.policy" || { cat "$out" >&2; fail "neovim test failed"; }
cat "$out"
grep -q '^neovim: ok' "$out" || fail "neovim test did not finish"
