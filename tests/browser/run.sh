#!/usr/bin/env bash
# Browser test of `rolecall table --format html`: renders policies/livestorm.policy, loads the
# page in headless Chromium, and fails loudly unless the page's script ran its self-check, every
# cell is present with the decision the CSV gives, the console stayed silent (no error, no blocked
# request), and the action filter works. Writes the screenshot to $SCREENSHOT (default target/browser/livestorm-table.png);
# refresh the one linked from README.md with SCREENSHOT=docs/livestorm-table.png tests/browser/run.sh.
# Installs Debian's chromium when /usr/bin/chromium is missing (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() {
    echo "browser test FAILED: $*" >&2
    exit 1
}
trap 'fail "line $LINENO: a command failed"' ERR

# Occurrences of a fixed string in a file (0 when none).
occurrences() { { grep -oF -- "$1" "$2" || true; } | wc -l; }

chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
    echo "browser test: installing Debian's chromium" >&2
    apt-get update || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || fail "cannot install chromium"
fi
[ -x "$chromium" ] || fail "no chromium at $chromium"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo run --quiet -- table policies/livestorm.policy --format html >"$work/livestorm.html" ||
    fail "rolecall table --format html failed"
# The grid's cells: the rows whose last field (`target`) is empty; a targeted action's rows per
# target are its own grids on the page, not cells of the main one.
cargo run --quiet -- table policies/livestorm.policy --format csv | grep ',$' >"$work/livestorm.csv" ||
    fail "rolecall table --format csv failed"
page="file://$work/livestorm.html"

# Expected numbers from the CSV contract (decision is the 4th field; the first three are ids).
expected_cells=$(wc -l <"$work/livestorm.csv")
count_decision() { awk -F, -v d="$1" '$4 == d { n++ } END { print n + 0 }' "$work/livestorm.csv"; }
expected_actions=$(awk -F, '{ print $1 ":" $2 }' "$work/livestorm.csv" | sort -u | wc -l)
[ "$expected_cells" -gt 0 ] || fail "the CSV has no cells"

browse() {
    local profile
    profile=$(mktemp -d -p "$work")
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
}

# Any console message (errors, uncaught exceptions, requests blocked by the page's CSP) fails:
# the page writes nothing to the console when it is well.
check_console() {
    if grep -q ':CONSOLE' "$1"; then
        grep ':CONSOLE' "$1" >&2
        fail "console messages while loading the page (above)"
    fi
}

# 1. The page as the browser leaves it after its script ran.
browse --dump-dom "$page" >"$work/dom.html" 2>"$work/console.log" ||
    fail "chromium --dump-dom exited with $?"
check_console "$work/console.log"
body=$(grep -o '<body[^>]*>' "$work/dom.html" | head -n 1)
[ -n "$body" ] || fail "no <body> in the dumped DOM"
case "$body" in
*'data-check="ok"'*) ;;
*) fail "the page's self-check did not pass: $body" ;;
esac
case "$body" in
*"data-cells=\"$expected_cells\""*) ;;
*) fail "the page counted other than $expected_cells cells: $body" ;;
esac
cells=$(occurrences '<td class="cell' "$work/dom.html")
[ "$cells" -eq "$expected_cells" ] || fail "$cells cells in the DOM, the CSV has $expected_cells"
for decision in allow deny conditional; do
    want=$(count_decision "$decision")
    got=$(occurrences "data-decision=\"$decision\"" "$work/dom.html")
    [ "$got" -eq "$want" ] || fail "$got $decision cells in the DOM, the CSV has $want"
done
case "$body" in
*"data-shown=\"$expected_actions\""*) ;;
*) fail "without a filter the page shows other than $expected_actions actions: $body" ;;
esac

# 2. The filter: one Livestorm action mentions emojis (accents and case are ignored).
browse --dump-dom "$page?filter=%C3%89MOJIS" >"$work/filtered.html" 2>"$work/console2.log" ||
    fail "chromium --dump-dom (filtered) exited with $?"
check_console "$work/console2.log"
grep -q '<body[^>]*data-shown="1"' "$work/filtered.html" ||
    fail "the filter 'ÉMOJIS' should leave exactly one action: $(grep -o '<body[^>]*>' "$work/filtered.html")"

# 3. The screenshot, with one cell's detail open.
mkdir -p docs
shot="${SCREENSHOT:-target/browser/livestorm-table.png}"
mkdir -p "$(dirname "$shot")"
rm -f "$shot"
browse --screenshot="$(cd "$(dirname "$shot")" && pwd)/$(basename "$shot")" --window-size=1400,2000 --hide-scrollbars \
    "$page?open=workspace/invite_admin/owner" 2>"$work/console3.log" ||
    fail "chromium --screenshot exited with $?"
check_console "$work/console3.log"
[ -s "$shot" ] || fail "no screenshot written"
[ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    fail "$shot is not a PNG"

echo "browser test: ok ($expected_cells cells, $expected_actions actions, console silent, screenshot $shot)"
