#!/usr/bin/env bash
# Packages the extension into rolecall.vsix with @vscode/vsce from the npm
# registry, installed here (never by hand) into a scratch prefix.
set -euo pipefail
cd "$(dirname "$0")"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
npm install --no-audit --no-fund --prefix "$scratch" @vscode/vsce@3 >/dev/null
npm install --no-audit --no-fund --omit=dev >/dev/null
"$scratch/node_modules/.bin/vsce" package --allow-missing-repository --skip-license -o "${1:-rolecall.vsix}"
