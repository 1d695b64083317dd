#!/usr/bin/env bash
# Cross-compiles EVERY target of binding.gyp (sd_notify, the ALSA addon, …) for linux/arm64 with
# Debian's g++-aarch64-linux-gnu against the arm64 sysroot (deploy/arm64/sysroot.sh), and checks
# that each result is an aarch64 ELF. The host's build/ folder is left alone: node-gyp runs in a
# scratch copy of binding.gyp + the native sources under build-arm64/, output goes to OUT.
#
# Usage: deploy/arm64/cross-build.sh [OUT]        default OUT: build-arm64/Release
# Env:   VT_NATIVE_SRC  project tree holding binding.gyp + src/ (default: this checkout; the bundle
#                       script points it at its source snapshot)
# Needs: g++-aarch64-linux-gnu, python3, make; the project's node_modules (node-gyp, node-addon-api).
# N-API addons are ABI-stable, so the host Node's headers serve any arm64 Node >= the same N-API level.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/build-arm64/Release}
log() { echo "[arm64-cross] $*" >&2; }
command -v aarch64-linux-gnu-g++ >/dev/null || { log "install g++-aarch64-linux-gnu first"; exit 1; }
SYSROOT=$("$ROOT/deploy/arm64/sysroot.sh")
PROJECT=${VT_NATIVE_SRC:-$ROOT}

# A scratch project inside the repo so require('node-addon-api') in binding.gyp resolves to the
# project's node_modules; only binding.gyp and the native sources are copied.
SCRATCH=$PROJECT/build-arm64/gyp
rm -rf "$SCRATCH"; mkdir -p "$SCRATCH"
cp "$PROJECT/binding.gyp" "$SCRATCH/"
(cd "$PROJECT" && find src \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.hh' -o -name '*.hpp' -o -name '*.gypi' \) -print0 \
  | tar --null -cf - -T -) | tar -xf - -C "$SCRATCH"

NODE_GYP=$ROOT/node_modules/node-gyp/bin/node-gyp.js
[ -f "$NODE_GYP" ] || NODE_GYP=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
nodedir=()
nd=$(npm config get nodedir 2>/dev/null || true)
[ -n "$nd" ] && [ "$nd" != undefined ] && [ "$nd" != null ] && nodedir=(--nodedir="$nd")

export CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar LINK=aarch64-linux-gnu-g++
export CC_host=gcc CXX_host=g++
# The arm64 alsa-lib headers and libasound.so come from the sysroot; libc/libstdc++ from the cross
# toolchain's own /usr/aarch64-linux-gnu.
export CPPFLAGS="-I$SYSROOT/usr/include"
export LDFLAGS="-L$SYSROOT/usr/lib/aarch64-linux-gnu -Wl,-rpath-link,$SYSROOT/usr/lib/aarch64-linux-gnu"
log "node-gyp rebuild --arch=arm64 (targets: $(grep -o '"target_name"[^,]*' "$PROJECT/binding.gyp" | cut -d'"' -f4 | tr '\n' ' '))"
(cd "$SCRATCH" && node "$NODE_GYP" rebuild --arch=arm64 "${nodedir[@]}" -j 2 >&2)

mkdir -p "$OUT"
shopt -s nullglob
built=("$SCRATCH"/build/Release/*.node)
[ ${#built[@]} -gt 0 ] || { log "no .node files were built"; exit 1; }
for f in "${built[@]}"; do
  # e_machine at offset 18 = 0xb7 (EM_AARCH64): refuse to hand out a host binary by mistake
  [ "$(od -An -tx1 -j18 -N1 "$f" | tr -d ' ')" = b7 ] || { log "$f is not an aarch64 ELF"; exit 1; }
  cp "$f" "$OUT/"
  log "built $(basename "$f") (aarch64, $(stat -c %s "$f") bytes)"
done
echo "$OUT"
