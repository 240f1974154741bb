#!/usr/bin/env bash
# Generates the fixtures for re-encoding only the clips that differ at a
# stitch's seams into DIR/seam (default: build/testdata) with the ffmpeg CLI.
# Each odd clip differs from the post fixtures' st_NN clips (320x240, 24 fps,
# yuv420p, High profile, x264 with 2 B-frames, mono 48 kHz AAC) in one way
# only, so only it may be re-encoded; each carries its own tone. The fps case
# has its own 30 fps clips. A stamp of this script skips re-runs.
set -euo pipefail
out=${1:-build/testdata}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/.seam-$(sha1sum "$0" | cut -c1-12)"
[ -f "$stamp" ] && exit 0
mkdir -p "$out/seam"
cd "$out/seam"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# clip NAME SIZE RATE TONE [extra output options]: 1.5 s of test pattern and a sine.
clip() {
  local name=$1 size=$2 rate=$3 tone=$4
  shift 4
  ff -f lavfi -i "testsrc2=size=$size:rate=$rate:duration=1.5" -f lavfi -i "sine=f=$tone:sample_rate=48000:duration=1.5" \
     -c:v libx264 -preset veryfast -bf 2 -g 24 -c:a aac -b:a 96k "$@" "$name"
}
clip sm_size.mp4 640x360 24 700 -pix_fmt yuv420p
clip sm_yuv444.mp4 320x240 24 700 -pix_fmt yuv444p
clip sm_main.mp4 320x240 24 700 -pix_fmt yuv420p -profile:v main
clip sm_44k.mp4 320x240 24 700 -pix_fmt yuv420p -ar 44100
clip sm_stereo.mp4 320x240 24 700 -pix_fmt yuv420p -ac 2
# 29.97 fps between two 30 fps clips of the same encoder settings.
clip sm_30_a.mp4 320x240 30 400 -pix_fmt yuv420p
clip sm_2997.mp4 320x240 30000/1001 700 -pix_fmt yuv420p
clip sm_30_b.mp4 320x240 30 500 -pix_fmt yuv420p

touch "$stamp"
