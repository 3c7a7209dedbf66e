#!/usr/bin/env bash
# CI's check that the extension packages: runs package.sh into a scratch directory and reads the
# .vsix back (a zip): the manifest, the client, the grammar, the language configuration and the
# language client library are in it, the manifest and the grammar as they are here.
# Run by .ci/run; npm's cache makes a second run on a machine quick.
set -euo pipefail
cd "$(dirname "$0")"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
timeout 600 ./package.sh "$scratch/rolecall.vsix" >"$scratch/log" 2>&1 || {
    cat "$scratch/log" >&2
    echo "vsix check FAILED: package.sh failed" >&2
    exit 1
}
python3 - "$scratch/rolecall.vsix" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as vsix:
    names = set(vsix.namelist())
    wanted = ["extension.vsixmanifest", "extension/package.json", "extension/extension.js",
              "extension/language-configuration.json", "extension/syntaxes/rolecall.tmLanguage.json",
              "extension/node_modules/vscode-languageclient/package.json"]
    missing = [n for n in wanted if n not in names]
    if missing:
        sys.exit(f"vsix check FAILED: not in the .vsix: {missing}")
    for name in ("package.json", "syntaxes/rolecall.tmLanguage.json"):
        if vsix.read("extension/" + name) != open(name, "rb").read():
            sys.exit(f"vsix check FAILED: extension/{name} differs from editors/vscode/{name}")
    print(f"vsix check: ok ({len(names)} files)")
PY
