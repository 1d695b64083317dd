#!/usr/bin/env bash
# Wraps the application (the device bundle from deploy/bundle, or any image) into a signed RAUC
# bundle. The signing key comes from the command line (a file path or a PKCS#11 URI), never from
# the repository.
#
#   deploy/rauc/build-bundle.sh --cert CERT.pem --key KEY.pem --version 1.4.0 \
#       (--app DIR_OR_TARBALL | --image FILE) --out voiceterm-1.4.0.raucb \
#       [--compatible voiceterm-terminal] [--slot-class appfs] [--format verity|plain]
#       [--keyring CA.pem]   (verify the result against this CA after building)
#
# --app   a directory (packed as appfs.tar.gz) or a .tar.gz/.tar.xz from deploy/bundle: RAUC
#         formats the ext4 slot and extracts it (system.conf: type=ext4).
# --image a ready slot image used as it is (.img/.ext4), e.g. for raw file slots in tests.
# Defaults: compatible "voiceterm-terminal" (must equal system.conf), format verity (the product;
# needs dm-verity on the device), slot class appfs.
set -euo pipefail
cert= key= version= app= image= out= keyring=
compatible=voiceterm-terminal
slot_class=appfs
format=verity
while [ $# -gt 0 ]; do
  case "$1" in
    --cert) cert=$2; shift 2 ;;
    --key) key=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --app) app=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --compatible) compatible=$2; shift 2 ;;
    --slot-class) slot_class=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    --keyring) keyring=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-bundle: unknown argument $1" >&2; exit 2 ;;
  esac
done
die() { echo "build-bundle: $*" >&2; exit 2; }
[ -n "$cert" ] && [ -n "$key" ] || die "--cert and --key are required"
[ -n "$version" ] || die "--version is required"
[ -n "$out" ] || die "--out is required"
[ -n "$app$image" ] || die "one of --app or --image is required"
[ -z "$app" ] || [ -z "$image" ] || die "give --app or --image, not both"
case "$format" in verity|plain) ;; *) die "--format must be verity or plain" ;; esac
[[ "$version" =~ ^[A-Za-z0-9._+~-]+$ ]] || die "--version: letters, digits and . _ + ~ - only"
case "$key" in pkcs11:*) ;; *) [ -r "$key" ] || die "key $key is not readable" ;; esac
[ -r "$cert" ] || die "certificate $cert is not readable"
command -v rauc >/dev/null || die "rauc is not installed (apt-get install rauc)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/content"
if [ -n "$app" ]; then
  if [ -d "$app" ]; then
    filename=appfs.tar.gz
    tar -C "$app" --owner=0 --group=0 --numeric-owner -czf "$work/content/$filename" .
  else
    case "$app" in *.tar.gz|*.tgz|*.tar.xz|*.tar.bz2|*.tar.zst) ;; *) die "--app must be a directory or a tarball" ;; esac
    filename=$(basename "$app")
    cp "$app" "$work/content/$filename"
  fi
else
  [ -f "$image" ] || die "image $image not found"
  filename=$(basename "$image")
  cp "$image" "$work/content/$filename"
fi

cat >"$work/content/manifest.raucm" <<MANIFEST
[update]
compatible=$compatible
version=$version
build=$(date -u +%Y%m%dT%H%M%SZ)

[bundle]
format=$format

[image.$slot_class]
filename=$filename
MANIFEST

rm -f "$out"
rauc bundle --cert="$cert" --key="$key" "$work/content" "$out" >"$work/bundle.log" 2>&1 || { cat "$work/bundle.log" >&2; die "rauc bundle failed"; }
if [ -n "$keyring" ]; then
  rauc info --keyring="$keyring" "$out" >/dev/null 2>"$work/info.err" || { cat "$work/info.err" >&2; die "the bundle does not verify against $keyring"; }
fi
echo "$out $(stat -c %s "$out") bytes sha256 $(sha256sum "$out" | cut -d' ' -f1)"
