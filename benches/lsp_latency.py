"""Wall-clock latency of `rolecall lsp` for diagnostics after an edit, through its standard input
and output as an editor sees it: the policy opened, then N full-text edits alternating a typo and
the clean text; each timed from the didChange frame written to its publishDiagnostics frame read.

    cargo build --release && python3 benches/lsp_latency.py [target/release/rolecall] [N]

Prints the median, the 90th percentile and the slowest, in milliseconds (docs/performance.md)."""

import json
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
exe = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "release" / "rolecall")
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 100
path = ROOT / "policies" / "livestorm.policy"
text = path.read_text()
typo = text.replace("allow viewer to", "allow viewr to", 1)
uri = path.as_uri()

server = subprocess.Popen([exe, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def send(message):
    body = json.dumps(message).encode()
    server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    server.stdin.flush()


def receive():
    length = 0
    while True:
        line = server.stdout.readline().strip()
        if not line:
            break
        if line.startswith(b"Content-Length:"):
            length = int(line.split()[1])
    return json.loads(server.stdout.read(length))


def diagnostics():
    while True:
        message = receive()
        if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
            return message["params"]["diagnostics"]


send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
receive()
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
      "params": {"textDocument": {"uri": uri, "languageId": "rolecall", "version": 1, "text": text}}})
assert diagnostics() == []
times = []
for i in range(runs):
    edited = typo if i % 2 == 0 else text
    start = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange",
          "params": {"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{"text": edited}]}})
    found = diagnostics()
    times.append((time.perf_counter() - start) * 1000)
    assert len(found) == (1 if edited is typo else 0), found
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
receive()
send({"jsonrpc": "2.0", "method": "exit", "params": None})
server.wait(timeout=10)
times.sort()
print(f"{runs} edits of {path.name}: median {statistics.median(times):.2f} ms, "
      f"p90 {times[int(runs * 0.9) - 1]:.2f} ms, max {times[-1]:.2f} ms")
