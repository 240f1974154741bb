#!/usr/bin/env bash
# Generates the emulator test fixtures into DIR (default: build/testdata): images
# to send as first/last frames (each with detail, so PSNR comparisons mean
# something) and a short audio clip for reference_audio.
set -euo pipefail
out=${1:-build/testdata}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/.emulator-$(sha1sum "$0" | cut -c1-12)"
[ -f "$stamp" ] && exit 0
cd "$out"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
mkdir -p emu
# exactly 720p 16:9: frame 0 of a 16:9 720p video must equal it
ff -f lavfi -i "testsrc2=size=1280x720" -frames:v 1 emu/first_1280x720.png
ff -f lavfi -i "mandelbrot=size=1280x720" -frames:v 1 emu/last_1280x720.png
# 5:4, to be cropped to a fixed ratio or to pick 4:3 under "adaptive"
ff -f lavfi -i "testsrc2=size=1000x800" -frames:v 1 -q:v 2 emu/photo_1000x800.jpg
# below the 300 px minimum side
ff -f lavfi -i "testsrc2=size=200x200" -frames:v 1 emu/tiny_200x200.png
# aspect 3.0, outside 0.4-2.5
ff -f lavfi -i "testsrc2=size=1200x400" -frames:v 1 emu/wide_1200x400.png
ff -f lavfi -i "sine=frequency=440:sample_rate=16000" -t 2 emu/tone_2s.wav
touch "$stamp"
