#!/usr/bin/env bash
# The test suite on linux/arm64 Node under qemu user-mode emulation (`npm run test:arm64`), with the
# native addons cross-compiled for arm64. Nothing system-wide changes and the checkout's own
# node_modules/build/dist are not touched: everything happens in a snapshot under build-arm64/test/.
#
#   1. snapshot the working tree (tracked + untracked, not ignored; VT_ARM64_FROM=head: the last commit)
#   2. npm ci for linux/arm64 (host npm; --ignore-scripts: no host builds, no CUDA downloads)
#   3. tsc on the host (JavaScript is architecture-free), binding.gyp cross-compiled into build/Release
#   4. vitest on the arm64 Node; arm64 child processes (the CLI, forks, arecord/aplay) run through a
#      PRIVATE binfmt_misc in a user+mount namespace (Linux >= 6.7), host tools (python3, mosquitto,
#      pulseaudio, systemd-analyze) run natively; rauc runs outside that namespace (host-exec.mjs).
#
# Usage: deploy/arm64/test.sh [vitest args…]      e.g. deploy/arm64/test.sh test/integration/boards.test.ts
# Env:   VT_ARM64_FROM=worktree|head  QEMU_CPU=neoverse-n1  VT_ARM64_WORK=build-arm64/test
#        VOICETERM_TEST_TIME_SCALE=20: every wait in the tests (test/helpers/time-scale.ts) and vitest's
#        test/hook timeouts are multiplied by it
# Emulation is 10–30× slower: timings mean nothing here; this is for correctness.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# VT_ARM64_WORK: another folder for a second run beside a running one (its node_modules may be a
# symlink to the first one's)
WORK=${VT_ARM64_WORK:-$ROOT/build-arm64/test}
SNAP=$WORK/project
QEMU=$(command -v qemu-aarch64-static) || { echo "apt-get install -y qemu-user-static" >&2; exit 1; }
t0=$(date +%s); log() { echo "[arm64-test +$(( $(date +%s) - t0 ))s] $*" >&2; }

SYSROOT=$("$ROOT/deploy/arm64/sysroot.sh")
NODE_DIR=$("$ROOT/deploy/arm64/fetch-node.sh")

# ---- 1. snapshot ----
log "snapshot (${VT_ARM64_FROM:-worktree}) → $SNAP"
mkdir -p "$SNAP"
find "$SNAP" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
if [ "${VT_ARM64_FROM:-worktree}" = head ]; then
  git -C "$ROOT" archive HEAD | tar -xf - -C "$SNAP"
else
  (cd "$ROOT" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$SNAP"
fi

# ---- 2. dependencies for linux/arm64 (reused while the lockfile is unchanged) ----
if ! cmp -s "$SNAP/package-lock.json" "$SNAP/node_modules/.arm64-lock" 2>/dev/null; then
  log "npm ci --cpu=arm64 --os=linux --libc=glibc"
  (cd "$SNAP" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --cpu=arm64 --os=linux --libc=glibc --ignore-scripts \
    --no-audit --no-fund --loglevel=error >&2)
  cp "$SNAP/package-lock.json" "$SNAP/node_modules/.arm64-lock"
fi

# ---- 3. build: JS on the host, natives cross-compiled ----
log "tsc (host) + cross-compiled addons"
(cd "$SNAP" && node node_modules/typescript/bin/tsc -p tsconfig.json >&2)
# The cross-compiled addons are kept by the hash of binding.gyp and the native sources: a re-run with
# unchanged C/C++ reuses them (a cross build takes minutes on a busy machine).
native_hash=$(cd "$SNAP" && { echo binding.gyp; find src \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' \
  -o -name '*.hh' -o -name '*.hpp' -o -name '*.gypi' \) | sort; } | xargs sha256sum | sha256sum | cut -c1-16)
NATIVE_CACHE=$WORK/native-$native_hash
if [ ! -e "$NATIVE_CACHE/.done" ]; then
  rm -rf "$WORK"/native-*
  VT_NATIVE_SRC=$SNAP "$ROOT/deploy/arm64/cross-build.sh" "$NATIVE_CACHE" >/dev/null
  touch "$NATIVE_CACHE/.done"
fi
mkdir -p "$SNAP/build/Release"
cp "$NATIVE_CACHE"/*.node "$SNAP/build/Release/"

# ---- 4. vitest on arm64 ----
export QEMU_LD_PREFIX=$SYSROOT
# Neoverse-N1 matches the sysroot's fake cpuinfo; qemu's default "max" exposes SVE, ~1.7× slower to emulate
export QEMU_CPU=${QEMU_CPU:-neoverse-n1}
mkdir -p "$WORK/bin"
for t in aplay arecord amixer; do ln -sfn "$SYSROOT/usr/bin/$t" "$WORK/bin/$t"; done
ln -sfn "$NODE_DIR/bin/node" "$WORK/bin/node"
cat > "$WORK/binfmt-ns.sh" <<EOF
#!/bin/sh
# "\$@" in a private user+mount namespace whose own binfmt_misc maps aarch64 ELF → qemu (F: fixed binary)
exec unshare --user --map-root-user --mount --fork sh -ec '
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
printf "%s" ":qemu-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:$QEMU:F" > /proc/sys/fs/binfmt_misc/register
exec "\$@"' binfmt-ns "\$@"
EOF
chmod +x "$WORK/binfmt-ns.sh"
# rauc mounts bundles (squashfs on a loop device), which no user namespace may do: every rauc command
# the tests or the product run goes through a shim to a server outside the namespace (host-exec.mjs).
HOST_EXEC_SOCK=$WORK/host-exec.sock
node "$ROOT/deploy/arm64/host-exec.mjs" serve "$HOST_EXEC_SOCK" &
HOST_EXEC_PID=$!
trap 'kill $HOST_EXEC_PID 2>/dev/null || true' EXIT
printf '#!/bin/sh\nexec %s %s run %s rauc "$@"\n' "$(command -v node)" "$ROOT/deploy/arm64/host-exec.mjs" "$HOST_EXEC_SOCK" \
  > "$WORK/bin/rauc"
chmod +x "$WORK/bin/rauc"
RUN=("$WORK/binfmt-ns.sh" env "PATH=$WORK/bin:$PATH")
"${RUN[@]}" node -e 'if (process.arch !== "arm64") process.exit(1); require("child_process").execFileSync(process.execPath, ["-e", ""]); console.error("[arm64-test] node", process.version, process.arch, "(children via private binfmt_misc)")'

# Waits sized for a native run are stretched by this factor (test/helpers/time-scale.ts, vitest.config.ts).
export VOICETERM_TEST_TIME_SCALE=${VOICETERM_TEST_TIME_SCALE:-20}
log "vitest run on arm64 (time scale ×$VOICETERM_TEST_TIME_SCALE) $*"
rm -f "$WORK/results.json"
set +e
(cd "$SNAP" && "${RUN[@]}" node node_modules/vitest/vitest.mjs run \
  --reporter=default --reporter=json --outputFile.json="$WORK/results.json" "$@")
rc=$?
set -e
# one line per test file: passed/failed/skipped counts, then the totals
[ -f "$WORK/results.json" ] && node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const root = process.argv[2] + "/";
  for (const f of r.testResults) {
    const n = (s) => f.assertionResults.filter((a) => a.status === s).length;
    console.error(`[arm64-test] ${f.status === "passed" ? "PASS" : "FAIL"} ${f.name.replace(root, "")}: ${n("passed")} passed, ${n("failed")} failed, ${n("skipped") + n("pending")} skipped`);
  }
  console.error(`[arm64-test] total: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped; files ${r.testResults.filter((f) => f.status === "passed").length}/${r.testResults.length} passed`);
' "$WORK/results.json" "$(readlink -f "$SNAP")" || true
log "vitest exit=$rc; per-test results: $WORK/results.json"
exit $rc
