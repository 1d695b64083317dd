#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (or CI runner) for voiceterm: installs the Debian packages in
# apt-packages.txt that are missing, the npm dependencies (exact, from the lockfile), builds the
# native addons and the TypeScript. Idempotent: a second run only re-checks. Needs root (or sudo)
# for apt; reaches nothing but Debian's apt and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/../.."

want=$(sed -e 's/#.*//' -e '/^\s*$/d' deploy/dev/apt-packages.txt | awk '{print $1}')
missing=()
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci when the lockfile changed since the last install; the marker keeps re-runs fast.
if [ ! -f node_modules/.voiceterm-lock ] || ! cmp -s package-lock.json node_modules/.voiceterm-lock; then
  # onnxruntime-node: CPU only; its postinstall would fetch CUDA libraries (also set in .npmrc).
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.voiceterm-lock
fi
npm run build --silent
