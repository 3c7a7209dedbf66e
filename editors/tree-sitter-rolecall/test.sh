#!/usr/bin/env bash
# Tests the tree-sitter grammar with the tree-sitter CLI, built from crates.io (the npm package
# downloads a prebuilt binary at install time, which these machines cannot fetch) into
# ~/.cache/rolecall/tools (or $ROLECALL_TOOLS), kept outside the clone so only the first run on a
# machine pays for the build (a few minutes on two cores):
#   1. the generated parser in src/ is the one grammar.js gives (regenerated in a scratch copy);
#   2. `tree-sitter test`: the corpus (test/corpus/) and the highlight tests (test/highlight/);
#   3. every policy of the repository that rolecall parses (policies/, tests/fixtures/, and
#      each ```rolecall block of docs/ and README.md) parses here without an ERROR or MISSING node.
# Run by .ci/run. Needs cargo, node (grammar.js) and a C compiler (the parser).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version=0.27.1

fail() {
    echo "tree-sitter test FAILED: $*" >&2
    exit 1
}

tools="${ROLECALL_TOOLS:-${HOME:-/root}/.cache/rolecall/tools}"
ts="$tools/bin/tree-sitter"
if ! "$ts" --version 2>/dev/null | grep -qF " $version"; then
    echo "tree-sitter test: building tree-sitter-cli $version from crates.io (once per machine)" >&2
    cargo install --quiet --locked --version "$version" --root "$tools" tree-sitter-cli ||
        fail "cargo install tree-sitter-cli failed"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The compiled parser and the CLI's configuration go to the scratch directory, not the user's:
# the grammar is found under editors/, and the theme names every capture of highlights.scm.
export TREE_SITTER_LIBDIR="$work/lib"
export TREE_SITTER_DIR="$work/config"
mkdir -p "$TREE_SITTER_LIBDIR" "$TREE_SITTER_DIR"
captures=$(grep -o '@[a-z.]*' "$here/queries/highlights.scm" | sort -u | sed 's/^@//')
{
    printf '{"parser-directories": ["%s"], "theme": {' "$(dirname "$here")"
    sep=""
    for c in $captures; do
        printf '%s"%s": "#000000"' "$sep" "$c"
        sep=", "
    done
    printf '}}\n'
} >"$TREE_SITTER_DIR/config.json"

# 1. src/ is what grammar.js generates.
mkdir "$work/fresh"
cp -r "$here/grammar.js" "$here/tree-sitter.json" "$here/queries" "$work/fresh/"
(cd "$work/fresh" && "$ts" generate) || fail "tree-sitter generate failed"
diff -r "$here/src" "$work/fresh/src" >"$work/generated.diff" || {
    head -n 40 "$work/generated.diff" >&2
    fail "src/ is not what grammar.js generates: run $ts generate in $here and commit src/"
}

# 2. The corpus (test/corpus/) and the highlight tests (test/highlight/).
(cd "$here" && "$ts" test) || fail "tree-sitter test failed"

# 3. Every policy rolecall parses (policies/, tests/fixtures/, each ```rolecall block of the
#    docs), this grammar parses without an ERROR or MISSING node.
rolecall="${ROLECALL:-$root/target/debug/rolecall}"
[ -x "$rolecall" ] || (cd "$root" && cargo build --quiet --bin rolecall) || fail "cannot build rolecall"
mkdir "$work/blocks"
for doc in "$root"/README.md "$root"/docs/*.md; do
    awk -v dir="$work/blocks" -v base="$(basename "$doc" .md)" '
        /^```rolecall *$/ { n++; out = sprintf("%s/%s-%03d.policy", dir, base, n); inside = 1; next }
        /^```/ { inside = 0; next }
        inside { print > out }' "$doc"
done
{
    find "$root/policies" "$root/tests/fixtures" -name '*.policy'
    find "$work/blocks" -name '*.policy'
} | sort >"$work/all"
: >"$work/accepted"
while read -r file; do
    # What rolecall itself refuses is not this grammar's to accept.
    if "$rolecall" fmt - <"$file" >/dev/null 2>&1; then
        echo "$file" >>"$work/accepted"
    fi
done <"$work/all"
total=$(wc -l <"$work/all")
accepted=$(wc -l <"$work/accepted")
[ "$accepted" -ge 80 ] || fail "only $accepted of $total policies were found that rolecall parses"
(cd "$here" && "$ts" parse --quiet --paths "$work/accepted") >"$work/errors" 2>&1 || {
    head -n 20 "$work/errors" >&2
    fail "policies rolecall parses have error nodes here (above)"
}
echo "tree-sitter test: ok ($accepted policies of $total parsed without an error node; corpus and highlight tests passed)"
