#!/usr/bin/env bash
# The screenshot in docs/editors.md: Neovim (Debian's) in tmux with its built-in LSP client on
# policies/examples/webinar.policy, the hover on a role open; the screen is captured with its
# colours (tmux capture-pane -e), turned into a page (ansi2html.py) and photographed by headless
# Chromium (Debian's; the emoji of the hover need fonts-noto-color-emoji). Not run by CI: `tests/e2e/screenshot.sh [OUT]` (default
# docs/editors-hover.png) refreshes it. Needs nvim, tmux and chromium.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/docs/editors-hover.png}"
export ROLECALL="$root/target/debug/rolecall"
[ -x "$ROLECALL" ] || (cd "$root" && cargo build --quiet --bin rolecall)
work="$(mktemp -d)"
session="rolecall-shot-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
tmux new-session -d -s "$session" -x 112 -y 24 -e ROLECALL="$ROLECALL" \
    "TERM=xterm-256color nvim -n --clean -u NONE -c 'luafile $here/hover-shot.lua' policies/examples/webinar.policy"
# The hover opens half a second after the server has initialized.
for _ in $(seq 1 50); do
    sleep 0.2
    if tmux capture-pane -p -t "$session" | grep -q 'role `session.panelist`'; then
        break
    fi
done
sleep 0.3
tmux capture-pane -p -t "$session" | grep -q 'role `session.panelist`' ||
    { echo "the hover did not open" >&2; exit 1; }
tmux capture-pane -e -p -t "$session" >"$work/screen.ansi"
python3 "$here/ansi2html.py" <"$work/screen.ansi" >"$work/screen.html"
timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --hide-scrollbars --window-size=1060,500 \
    --screenshot="$work/shot.png" "file://$work/screen.html" 2>/dev/null
mv "$work/shot.png" "$out"
echo "screenshot: $out"
