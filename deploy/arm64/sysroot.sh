#!/usr/bin/env bash
# An arm64 (aarch64) Debian 12 sysroot, fetched through a PRIVATE apt state: this machine's Debian
# sources with the architecture overridden, lists/cache/status under the sysroot's parent folder.
# Nothing system-wide changes (no `dpkg --add-architecture`, no root needed beyond reading apt's
# keyring). Used for three things:
#   * cross-compiling the native addons: arm64 alsa-lib headers + libasound.so to link against;
#   * running arm64 binaries under qemu-user (`qemu-aarch64-static -L SYSROOT`): libc, libstdc++,
#     alsa-lib and its plugins, aplay/arecord;
#   * the test suite under emulation (deploy/arm64/test.sh).
# The approach (and the cpuinfo / ALSA config fixes below) come from the team's arm64 notes.
#
# Usage: deploy/arm64/sysroot.sh [SYSROOT]     prints the sysroot path on stdout when done.
# Default SYSROOT: build-arm64/sysroot (git-ignored). A finished sysroot is reused (.done marker).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SYSROOT=${1:-${VT_ARM64_SYSROOT:-$ROOT/build-arm64/sysroot}}
# The packages; dependencies are resolved by apt. libasound2-plugins brings the `pulse` PCM the audio
# tests use for a paced virtual card.
PKGS="libc6 libstdc++6 libgcc-s1 ca-certificates alsa-utils libasound2-dev libasound2-plugins"
log() { echo "[arm64-sysroot] $*" >&2; }

if [ -e "$SYSROOT/.done" ] && [ "$(cat "$SYSROOT/.done")" = "$PKGS" ]; then echo "$SYSROOT"; exit 0; fi

A=$(dirname "$SYSROOT")/apt-arm64
mkdir -p "$A"/lists/partial "$A"/cache/archives/partial "$A"/etc/sources.list.d "$A"/etc/preferences.d \
  "$A"/etc/apt.conf.d "$A"/state
: > "$A/state/status"
: > "$A/etc/sources.list"
rm -f "$A"/etc/sources.list.d/*
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  grep -qi debian "$f" || continue
  cp "$f" "$A/etc/sources.list.d/"
done
ls "$A"/etc/sources.list.d/* >/dev/null 2>&1 || { log "no Debian apt sources found on this machine"; exit 1; }
cat > "$A/apt.conf" <<EOF
APT::Architecture "arm64";
APT::Architectures "arm64";
Dir::State "$A/state";
Dir::State::Lists "$A/lists";
Dir::State::status "$A/state/status";
Dir::Cache "$A/cache";
Dir::Etc::SourceList "$A/etc/sources.list";
Dir::Etc::SourceParts "$A/etc/sources.list.d";
Dir::Etc::Preferences "$A/etc/preferences";
Dir::Etc::PreferencesParts "$A/etc/preferences.d";
Dir::Etc::Parts "$A/etc/apt.conf.d";
Debug::NoLocking "true";
EOF
log "apt (arm64, private state): update + download $PKGS"
APT_CONFIG=$A/apt.conf apt-get -qq update
# With an empty dpkg status, -d resolves and downloads the complete dependency closure.
APT_CONFIG=$A/apt.conf apt-get -qq -y -d --no-install-recommends install $PKGS >/dev/null
rm -rf "$SYSROOT"; mkdir -p "$SYSROOT"
for d in "$A"/cache/archives/*.deb; do dpkg-deb -x "$d" "$SYSROOT"; done

# Debian's libasound.so dev symlink is absolute (/usr/lib/...); make it relative so the linker finds
# the arm64 library inside the sysroot, not the host's x86 one.
for l in "$SYSROOT"/usr/lib/aarch64-linux-gnu/*.so; do
  [ -L "$l" ] || continue
  t=$(readlink "$l"); case "$t" in /*) ln -sfn "$(basename "$t")" "$l" ;; esac
done

# qemu 7.2 passes the host's x86 /proc/cpuinfo through; the cpuinfo library inside onnxruntime then
# segfaults at load. qemu -L looks paths up in the sysroot first, so an arm64 cpuinfo there fixes it.
mkdir -p "$SYSROOT/proc"; : > "$SYSROOT/proc/cpuinfo"
for i in $(seq 0 $(( $(nproc) - 1 ))); do
  printf 'processor\t: %d\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n' "$i" >> "$SYSROOT/proc/cpuinfo"
done

# ALSA: keep only the pulse plugin config (arm64 module present in the sysroot); no sound card here, so
# `default` = null and the file PCMs the tests use are defined in the sysroot's alsa.conf, which only the
# arm64 alsa-lib reads (qemu 7.2 does not apply -L to faccessat(): a sysroot /etc/asound.conf is not seen;
# a user's ~/.asoundrc still is, and wins).
find "$SYSROOT/etc/alsa/conf.d" "$SYSROOT/usr/share/alsa/alsa.conf.d" -mindepth 1 ! -name '*pulse*' -delete 2>/dev/null || true
cat >> "$SYSROOT/usr/share/alsa/alsa.conf" <<'EOF'
pcm.!default { type plug slave.pcm "nulldev" }
pcm.nulldev { type null }
pcm.tofile { type file slave.pcm "nulldev" format "raw"
  file { @func getenv vars [ ALSA_OUT_FILE ] default "/dev/null" } }
pcm.fromfile { type file slave.pcm "nulldev" format "raw" file "/dev/null"
  infile { @func getenv vars [ ALSA_IN_FILE ] default "/dev/zero" } }
EOF
echo "$PKGS" > "$SYSROOT/.done"
log "sysroot ready: $(du -sh "$SYSROOT" | cut -f1)"
echo "$SYSROOT"
