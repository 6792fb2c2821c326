#!/usr/bin/env bash
# How the committed test clips were made (needs espeak-ng and sox; tests never run this).
# Other formats, rates, channel counts, silence, clipping and long clips are derived from these
# and from resources/samples/speech.wav at test time with the bundled ffmpeg.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# phrase.wav: about 2.5 s of real English speech, 16 kHz mono 16-bit, with a short lead-in silence
# so that the loudness envelope has something to gate.
espeak-ng -v en-us -s 150 -w "$tmp/phrase.wav" "Please read the paper before the meeting."
sox "$tmp/phrase.wav" -r 16000 -c 1 -b 16 phrase.wav pad 0.3 0.2
