#!/usr/bin/env bash
# Scale-out test of `rolecall serve` (issue 21): three replicas behind HAProxy on 127.0.0.1,
# a bounded load through HAProxy while the policy file is replaced with a new version; fails
# unless every answer is the old or the new policy's decision, none is an error, and every
# replica converges on the new digest (examples/scaleout.rs says exactly what it checks).
# Installs Debian's haproxy when /usr/sbin/haproxy is missing (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() {
    echo "scale-out test FAILED: $*" >&2
    exit 1
}

haproxy=/usr/sbin/haproxy
if [ ! -x "$haproxy" ]; then
    echo "scale-out test: installing Debian's haproxy" >&2
    apt-get update || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy ||
        fail "cannot install haproxy"
fi
[ -x "$haproxy" ] || fail "no haproxy at $haproxy"
# The package starts a system-wide haproxy on install; this test starts its own and needs no other.
if command -v systemctl >/dev/null 2>&1; then systemctl stop haproxy >/dev/null 2>&1 || true; fi

cargo build --quiet --bin rolecall --example scaleout || fail "cannot build rolecall and examples/scaleout.rs"
# Bounded: the check ends within 90 s by itself; this is the backstop.
timeout 180 target/debug/examples/scaleout --rolecall target/debug/rolecall --haproxy "$haproxy" ||
    fail "examples/scaleout.rs failed (above)"
