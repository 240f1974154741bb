#!/usr/bin/env bash
# Generates the overlap (echo) fixtures for `stitch --overlap auto` into
# DIR/overlap (default: build/testdata) with the ffmpeg CLI. An echo clip
# starts with the last frames of ov_a.mp4, decoded and encoded again (the same
# pictures, not the same bytes), then shows new content. A stamp of this
# script skips re-runs.
set -euo pipefail
out=${1:-build/testdata}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/.overlap-$(sha1sum "$0" | cut -c1-12)"
[ -f "$stamp" ] && exit 0
mkdir -p "$out/overlap"
cd "$out/overlap"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# One set of encoder settings for the clips that must stay a stream copy.
x264() { echo -c:v libx264 -preset veryfast -pix_fmt yuv420p -bf 2 -g 30; }
aac() { echo -c:a aac -b:a 96k; }

# The clip echoed: 3 s (90 frames at 30 fps) of moving test pattern, a 440 Hz tone.
ff -f lavfi -i "testsrc2=size=320x240:rate=30:duration=3" -f lavfi -i "sine=f=440:sample_rate=48000:duration=3" \
   $(x264) $(aac) ov_a.mp4

# echo FRAMES TONE NAME: ov_a's last FRAMES frames, then 2 s of another
# pattern; the echoed span carries a 550 Hz tone, the new content TONE, so the
# audio shows which part was dropped.
echo_clip() {
  local frames=$1 tone=$2 name=$3 span
  span=$(awk "BEGIN { printf \"%.4f\", $frames / 30 }")
  ff -i ov_a.mp4 -f lavfi -i "testsrc=size=320x240:rate=30:duration=2" \
     -f lavfi -i "sine=f=550:sample_rate=48000:duration=$span" -f lavfi -i "sine=f=$tone:sample_rate=48000:duration=2" \
     -filter_complex "[0:v]trim=start_frame=$((90 - frames)),setpts=PTS-STARTPTS,format=yuv420p[e];
                      [1:v]format=yuv420p[n];[e][n]concat=n=2:v=1:a=0[v];[2:a][3:a]concat=n=2:v=0:a=1[a]" \
     -map '[v]' -map '[a]' -c:v libx264 -preset medium -crf 20 -pix_fmt yuv420p -bf 3 -g 60 $(aac) "$name"
}
echo_clip 36 660 ov_echo_1200.mp4   # 1.2 s echoed
echo_clip 15 770 ov_echo_500.mp4    # 0.5 s echoed

# The 1.2 s echo with 200 bytes in the middle of one packet of its new content
# overwritten (the largest of video packets 40-55, shown inside the window the
# search decodes): the decoder conceals, and a concealed picture must not
# decide a cut.
cp ov_echo_1200.mp4 ov_echo_damaged.mp4
at=$(ffprobe -v error -select_streams v:0 -show_entries packet=pos,size -of json ov_echo_damaged.mp4 |
     python3 -c 'import json,sys; p=json.load(sys.stdin)["packets"][39:55]; b=max(p,key=lambda x:int(x["size"])); print(int(b["pos"])+int(b["size"])//2-100)')
head -c 200 /dev/zero | tr '\0' '\125' | dd of=ov_echo_damaged.mp4 bs=1 seek="$at" conv=notrunc status=none

# No echo: new content only, encoded like ov_a so the two join by stream copy.
ff -f lavfi -i "testsrc=size=320x240:rate=30:duration=2" -f lavfi -i "sine=f=880:sample_rate=48000:duration=2" \
   $(x264) $(aac) ov_fresh.mp4

touch "$stamp"
