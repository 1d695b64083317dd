#!/bin/sh
# First install of an unpacked voiceterm bundle on a board (Debian 12 / Raspberry Pi OS arm64 with
# systemd). Run as root from the unpacked bundle:  ./install.sh BOARD      e.g. rpi5-respeaker-xvf3800
# Copies the bundle to /opt/voiceterm, creates the service user, installs the board's ALSA config and
# udev rules, the unit and the RAUC D-Bus policy, writes /etc/voiceterm/config.yaml if there is none,
# and starts the service. Re-running it updates the files and keeps the site config.
set -eu
BOARD=${1:?usage: ./install.sh BOARD   (one of: $(ls "$(dirname "$0")/app/board" | tr '\n' ' '))}
SRC=$(cd "$(dirname "$0")" && pwd)
PREFIX=/opt/voiceterm
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
[ -d "$SRC/app/board/$BOARD" ] || { echo "no board profile $BOARD" >&2; exit 1; }

if [ "$SRC" != "$PREFIX" ]; then
  rm -rf "$PREFIX.new"; cp -a "$SRC" "$PREFIX.new"
  rm -rf "$PREFIX.old"; [ -d "$PREFIX" ] && mv "$PREFIX" "$PREFIX.old"
  mv "$PREFIX.new" "$PREFIX"
fi
install -m 0644 "$PREFIX/deploy/voiceterm.sysusers.conf" /usr/lib/sysusers.d/voiceterm.conf
systemd-sysusers voiceterm.conf
install -m 0644 "$PREFIX/deploy/voiceterm-rauc.conf" /usr/share/dbus-1/system.d/voiceterm-rauc.conf
install -m 0644 "$PREFIX/deploy/voiceterm.service" /etc/systemd/system/voiceterm.service

B=$PREFIX/app/board/$BOARD
if [ -f "$B/asound.conf" ]; then
  [ -f /etc/asound.conf ] && ! cmp -s "$B/asound.conf" /etc/asound.conf && cp /etc/asound.conf /etc/asound.conf.before-voiceterm
  install -m 0644 "$B/asound.conf" /etc/asound.conf
fi
for r in "$B"/*.rules; do [ -f "$r" ] && install -m 0644 "$r" /etc/udev/rules.d/; done
udevadm control --reload && udevadm trigger --subsystem-match=sound --subsystem-match=usb || true

install -d -m 0755 /etc/voiceterm
[ -f /etc/voiceterm/config.yaml ] || printf 'device:\n  board: %s\n' "$BOARD" > /etc/voiceterm/config.yaml
if [ ! -f /etc/voiceterm/environment ]; then
  printf '# Secrets for voiceterm (VOICETERM_* variables), e.g. the cloud API key.\n' > /etc/voiceterm/environment
  chown root:voiceterm /etc/voiceterm/environment; chmod 0640 /etc/voiceterm/environment
fi
"$PREFIX/bin/voiceterm" config check /etc/voiceterm/config.yaml >/dev/null
systemctl daemon-reload
systemctl enable voiceterm.service
systemctl restart voiceterm.service
echo "voiceterm $(cat "$PREFIX/BUNDLE.json") installed for board $BOARD; logs: journalctl -u voiceterm -f"
