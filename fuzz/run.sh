#!/bin/sh
# Runs one fuzz target for SECONDS (default 300), seeded from the repository.
#   fuzz/run.sh compile|eval|fmt_roundtrip|repl|authzen [SECONDS] [extra libFuzzer flags]
# Stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags.
# No sanitizer (safe Rust; ASan only slows it), but debug assertions, so
# integer overflow is a crash too.
set -eu
cd "$(dirname "$0")"
target=$1
seconds=${2:-300}
shift; [ $# -gt 0 ] && shift
case $target in
    compile) seeds="../policies ../policies/examples seeds/policy seeds/include ../tests/fixtures/fuzz/compile"; dict=policy.dict ;;
    fmt_roundtrip) seeds="../policies ../policies/examples seeds/policy ../tests/fixtures/fuzz/fmt_roundtrip"; dict=policy.dict ;;
    eval) seeds="seeds/eval ../tests/fixtures/fuzz/eval"; dict=request.dict; set -- -max_len=4096 "$@" ;;
    repl) seeds="seeds/repl ../tests/fixtures/fuzz/repl"; dict=repl.dict ;;
    authzen) seeds="../tests/fixtures/fuzz/authzen"; dict=authzen.dict; set -- -max_len=2048 "$@" ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
esac
mkdir -p "corpus/$target"
# shellcheck disable=SC2086
RUSTC_BOOTSTRAP=1 exec cargo fuzz run -O -a -s none "$target" "corpus/$target" $seeds -- \
    -dict="$dict" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 "$@"
