#!/usr/bin/env bash
# Regenerates the demo conversation WAVs (committed; run this only to change the lines).
# espeak-ng speaks at 22.05 kHz; sox converts to the engine's 16 kHz mono 16-bit.
# Needs: espeak-ng, sox (both in deploy/dev/apt-packages.txt).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -s 165 -w "$tmp/agent.wav" "Hello, thanks for calling. What can I get for you today?"
espeak-ng -v en-gb+f3 -s 150 -w "$tmp/customer.wav" "A large coffee with milk, please."
sox "$tmp/agent.wav" -r 16000 -c 1 -b 16 agent.wav
sox "$tmp/customer.wav" -r 16000 -c 1 -b 16 customer.wav
ls -l agent.wav customer.wav
